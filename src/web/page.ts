import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitedRoute } from '../security/rate-limit';
import type { MessageKey, Texts } from './i18n';
import type { PageSession } from './web-sessions';

/** What a page handler gets: the request, its language, its session and the CSRF token for its forms. */
export interface PageContext {
  req: FastifyRequest;
  reply: FastifyReply;
  tx: Texts;
  session: PageSession | null;
  /** Path and query of this request (for the language switch and `next`). */
  path: string;
  query: Record<string, string | undefined>;
  /** The urlencoded form, strings only (a repeated field keeps its first value). */
  body: Record<string, string | undefined>;
  /** The CSRF token to put in this page's forms. */
  csrf(): string;
  /** A notice the previous step asked this page to show (`?notice=`), from a fixed list. */
  notice?: MessageKey;
  /** Lets this page's forms post to another origin too (a form whose answer redirects to a payment gateway). */
  allowFormAction(origin: string): void;
}

/** POST-redirect-GET: 303 to a local path. */
export class Redirect {
  constructor(readonly location: string) {}
}

/** An HTML page with a status other than 200 (e.g. a form with errors: 422). */
export class Html {
  constructor(
    readonly html: JSX.Element,
    readonly status: number,
  ) {}
}

/** A file or a JSON answer from a page route (a download, an enhancement's status poll): sent as it is. */
export class Raw {
  constructor(
    readonly body: Buffer | string,
    readonly headers: Record<string, string>,
    readonly status = 200,
  ) {}
}

export type PageResult = JSX.Element | Redirect | Html | Raw;

export interface PageRoute {
  method: 'GET' | 'POST';
  url: string;
  handler(c: PageContext): Promise<PageResult>;
  /** Only for a signed-in user; others are sent to /login (and back after it). */
  signedIn?: boolean;
  /** Counted against the API's rate limit of that route, before the handler runs. */
  rateLimit?: RateLimitedRoute;
  /** The handler reads a multipart body itself and checks the CSRF token in it (`checkCsrf`). */
  multipart?: boolean;
}

/** Notices a redirect may ask for (`?notice=`); anything else is ignored. */
export const NOTICES: Partial<Record<string, MessageKey>> = {
  'signed-out': 'login.signedOut',
  registered: 'register.done',
  'password-changed': 'account.password.changed',
  'language-saved': 'account.language.saved',
  'sms-saved': 'account.sms.saved',
  'password-reset': 'login.passwordReset',
  saved: 'filing.saved',
  'dossier-uploaded': 'dossier.notice.uploaded',
  'dossier-removed': 'dossier.notice.removed',
  'dossier-resubmitted': 'dossier.notice.resubmitted',
  'dossier-action': 'dossier.notice.action',
  'dossier-withdrawn': 'dossier.notice.withdrawn',
  'dossier-rated': 'dossier.notice.rated',
  'staff-assigned': 'staff.assign.done',
  'procedure-created': 'admin.proc.notice.created',
  'procedure-saved': 'admin.proc.notice.saved',
  'procedure-published': 'admin.proc.notice.published',
};

/** A `next` target that stays on this site: a path, never `//host` or a scheme. */
export function localPath(next: unknown, fallback = '/'): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : fallback;
}

/** The form's field, trimmed; absent or not a string: ''. */
export const field = (body: Record<string, string | undefined>, name: string) => (body[name] ?? '').trim();

/** A form whose CSRF token is missing or wrong (read by a handler itself, e.g. in a multipart body): 403 page. */
export class CsrfFailure extends Error {
  constructor() {
    super('CSRF token missing or wrong');
  }
}
