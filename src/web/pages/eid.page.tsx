import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { EidFailure, EidOutcome, EidService, EID_FLOW_SECONDS } from '../../auth/eid/eid.service';
import { NotFound } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import { clientAddress } from '../../security/rate-limit';
import { Button, Csrf, e, ErrorSummary, FormErrors, Input } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { Html, localPath, PageContext, PageRoute, Redirect } from '../page';
import { WebSessions } from '../web-sessions';

/** The browser's key of its eID sign-in in progress (its flow row keeps only a hash). */
const FLOW_COOKIE = 'portal_eid';
/** The browser's key of a pending "link your account" step. */
const LINK_COOKIE = 'portal_eid_link';

const FAILURE: Record<EidFailure, MessageKey> = {
  denied: 'eid.failed.denied',
  provider: 'eid.failed.provider',
  invalid: 'eid.failed.invalid',
  expired: 'eid.failed.expired',
  claims: 'eid.failed.claims',
  disabled: 'eid.failed.disabled',
  staff: 'eid.failed.staff',
  taken: 'eid.failed.taken',
  unavailable: 'eid.failed.unavailable',
};

/** The "sign in with national eID" button of /login and /register (a link: it starts with a GET). */
export function EidButton({ tx, next }: { tx: Texts; next: string }): JSX.Element {
  const href = next ? `/login/eid?next=${encodeURIComponent(next)}` : '/login/eid';
  return (
    <>
      <a href={href} draggable="false" class="govuk-button govuk-button--start" data-module="govuk-button">
        {e(tx.t('eid.button'))}
      </a>
      <p class="govuk-body">{e(tx.t('eid.or'))}</p>
    </>
  );
}

/**
 * Sign-in with the national eID (src/auth/eid): `/login/eid` starts it (to the provider), `/login/eid/callback`
 * ends it (a page session, the "link your account" step, the mobile handoff code, or a plain-words failure page),
 * `/login/eid/link` links a password account with the same unverified ID number once its password is proven.
 */
@Injectable()
export class EidPages {
  private readonly secure: boolean;

  constructor(
    private readonly eid: EidService,
    private readonly sessions: WebSessions,
    config: ConfigService<AppConfig, true>,
  ) {
    this.secure = config.get('PUBLIC_BASE_URL', { infer: true }).startsWith('https:');
  }

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/login/eid', handler: (c) => this.start(c), rateLimit: 'login' },
      { method: 'GET', url: '/login/eid/callback', handler: (c) => this.callback(c) },
      { method: 'GET', url: '/login/eid/link', handler: (c) => this.linkForm(c, []) },
      { method: 'POST', url: '/login/eid/link', handler: (c) => this.link(c), rateLimit: 'login' },
    ];
  }

  private cookie(c: PageContext, name: string, value: string) {
    c.reply.setCookie(name, value, {
      path: '/login/eid',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      maxAge: EID_FLOW_SECONDS,
    });
  }

  private async start(c: PageContext) {
    if (!this.eid.enabled) throw new NotFound('route');
    const browserKey = randomBytes(32).toString('base64url');
    const next = localPath(c.query.next, '');
    const { url } = await this.eid.start({ browserKey, next: next || undefined });
    this.cookie(c, FLOW_COOKIE, browserKey);
    return new Redirect(url);
  }

  private async callback(c: PageContext) {
    if (!this.eid.enabled) throw new NotFound('route');
    const outcome = await this.eid.callback(c.req.raw, c.req.cookies[FLOW_COOKIE]);
    c.reply.clearCookie(FLOW_COOKIE, { path: '/login/eid' });
    return this.finish(c, outcome);
  }

  private async finish(c: PageContext, outcome: EidOutcome) {
    if (outcome.kind === 'failed') return this.failure(c, outcome.reason);
    if (outcome.kind === 'link') {
      this.cookie(c, LINK_COOKIE, outcome.linkKey);
      return new Redirect('/login/eid/link');
    }
    if (outcome.handoff) {
      const code = await this.eid.handoffCode(outcome.flowId, outcome.accountId);
      return this.page(c, 'eid.handoff.title', [
        <p class="govuk-body">{e(c.tx.t('eid.handoff.body'))}</p>,
        <p class="govuk-heading-xl portal-code" data-handoff-code={code}>
          {e(code)}
        </p>,
      ]);
    }
    await this.sessions.start(c.reply, c.session, outcome.accountId, outcome.tokenVersion, outcome.idToken);
    const home = outcome.role === 'citizen' ? '/dossiers' : '/staff';
    return new Redirect(localPath(outcome.next, home));
  }

  private failure(c: PageContext, reason: EidFailure) {
    const { tx } = c;
    return new Html(
      this.page(c, 'eid.failed.title', [
        <p class="govuk-body" data-eid-failure={reason}>
          {e(tx.t(FAILURE[reason]))}
        </p>,
        <p class="govuk-body">
          <a class="govuk-link" href="/login/eid">
            {e(tx.t('eid.failed.again'))}
          </a>
        </p>,
        <p class="govuk-body">
          <a class="govuk-link" href="/login">
            {e(tx.t('eid.failed.password'))}
          </a>
        </p>,
      ]),
      reason === 'unavailable' ? 503 : 400,
    );
  }

  private page(c: PageContext, title: MessageKey, body: JSX.Element[], errors: FormErrors = []): JSX.Element {
    const { tx } = c;
    return (
      <Layout
        tx={tx}
        title={tx.t(title)}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        nav="login"
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t(title))}</h1>
            {body}
          </div>
        </div>
      </Layout>
    );
  }

  private async linkForm(c: PageContext, errors: FormErrors) {
    const link = await this.eid.pendingLink(c.req.cookies[LINK_COOKIE]);
    if (!link) return this.failure(c, 'expired');
    const { tx } = c;
    const html = this.page(
      c,
      'eid.link.title',
      [
        <p class="govuk-body">{e(tx.t('eid.link.body', { email: link.email ?? '' }))}</p>,
        <form method="post" action="/login/eid/link" novalidate>
          <Csrf token={c.csrf()} />
          <Input
            tx={tx}
            name="password"
            type="password"
            label={tx.t('eid.link.password')}
            errors={errors}
            autocomplete="current-password"
          />
          <Button>{e(tx.t('eid.link.submit'))}</Button>
        </form>,
      ],
      errors,
    );
    return errors.length ? new Html(html, 422) : html;
  }

  private async link(c: PageContext) {
    const outcome = await this.eid.completeLink(
      c.req.cookies[LINK_COOKIE],
      c.body.password ?? '',
      clientAddress(c.req),
    );
    if (outcome.kind === 'wrong-password') {
      return this.linkForm(c, [{ field: 'password', message: c.tx.t('eid.link.wrong') }]);
    }
    c.reply.clearCookie(LINK_COOKIE, { path: '/login/eid' });
    return this.finish(c, outcome);
  }
}
