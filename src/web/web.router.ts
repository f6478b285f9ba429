import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../common/problem';
import { texts, negotiateLang, type Lang, isLang } from './i18n';
import { CsrfFailure, NOTICES, Html, PageContext, PageRoute, Raw, Redirect } from './page';
import { ERROR_STATUS, ErrorKind, ErrorPage } from './pages/error.page';
import { PageSession, WebSessions } from './web-sessions';
import { PageRateLimit } from './rate-limit';

export const LANG_COOKIE = 'portal_lang';

/**
 * Content-Security-Policy of every page: everything from this origin only, no inline script or style, no
 * framing, forms post only here.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/**
 * Serves the pages: registers each PageRoute on Fastify (outside the API's /api/v1 prefix and outside Nest's
 * guards, pipes and problem+json filter: pages have their own session, CSRF check and HTML errors), resolves
 * language and session once per request, checks the CSRF token of every POST, and renders errors as pages.
 */
@Injectable()
export class WebRouter {
  private readonly log = new Logger('Pages');

  constructor(
    private readonly sessions: WebSessions,
    private readonly limits: PageRateLimit,
  ) {}

  /** Every page route registered (what an access test walks). */
  readonly routes: PageRoute[] = [];

  /** Registers the routes (inside a plugin, so the cookie and multipart plugins registered before apply). */
  register(fastify: FastifyInstance, routes: PageRoute[]): void {
    this.routes.push(...routes);
    void fastify.register((instance, _opts, done) => {
      for (const route of routes) {
        instance.route({
          method: route.method,
          url: route.url,
          handler: (req, reply) => this.serve(route, req, reply),
          errorHandler: (err: FastifyError, req, reply) => {
            void this.fail(err, req, reply);
          },
        });
      }
      done();
    });
  }

  private language(req: FastifyRequest, reply: FastifyReply): Lang {
    const q = (req.query as Record<string, unknown> | undefined)?.lang;
    const lang = negotiateLang(q, req.cookies[LANG_COOKIE], req.headers['accept-language']);
    if (isLang(q) && req.cookies[LANG_COOKIE] !== q) {
      reply.setCookie(LANG_COOKIE, q, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86400 });
    }
    return lang;
  }

  private async serve(route: PageRoute, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const tx = texts(this.language(req, reply));
    const session = await this.sessions.resolve(req);
    const path = req.url;
    if (route.signedIn && !session) {
      return this.redirect(reply, route.method === 'GET' ? `/login?next=${encodeURIComponent(path)}` : '/login');
    }
    const body = strings(req.body);
    if (route.method === 'POST' && !route.multipart && !this.sessions.checkCsrf(req, session, body._csrf)) {
      return this.errorPage(req, reply, 'csrf', session);
    }
    const query = strings(req.query);
    let token: string | undefined;
    const formActions: string[] = [];
    const ctx: PageContext = {
      req,
      reply,
      tx,
      session,
      path,
      query,
      body,
      csrf: () => (token ??= this.sessions.csrfToken(req, reply, ctx.session)),
      notice: query.notice ? NOTICES[query.notice] : undefined,
      allowFormAction: (origin) => {
        if (/^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(origin) && !formActions.includes(origin)) formActions.push(origin);
      },
    };
    try {
      if (route.rateLimit) await this.limits.hit(route.rateLimit, req);
      const result = await route.handler(ctx);
      if (result instanceof Redirect) return this.redirect(reply, result.location);
      if (result instanceof Raw) return reply.status(result.status).headers(result.headers).send(result.body);
      const csp = formActions.length
        ? PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${formActions.join(' ')}`)
        : PAGE_CSP;
      if (result instanceof Html) return this.send(reply, await result.html, result.status, csp);
      return this.send(reply, await Promise.resolve(result), 200, csp);
    } catch (err) {
      return this.fail(err, req, reply, ctx.session);
    }
  }

  private redirect(reply: FastifyReply, location: string): FastifyReply {
    return reply.status(303).header('location', location).header('cache-control', 'no-store').send();
  }

  /** Sends a page: compressed when the browser takes it, never cached (it may be personal and has CSRF tokens). */
  send(reply: FastifyReply, html: string, status: number, csp = PAGE_CSP): FastifyReply {
    reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', csp)
      .header('cache-control', 'no-store')
      .header('vary', 'Cookie, Accept-Language, Accept-Encoding');
    const compressible = typeof (reply as { compress?: unknown }).compress === 'function';
    if (compressible) {
      (reply as unknown as { compress(p: string): void }).compress(html);
      return reply;
    }
    return reply.send(html);
  }

  /** An error as a page: 404, 429, 400, else 500 (logged with the request id, shown as a reference). */
  async fail(err: unknown, req: FastifyRequest, reply: FastifyReply, session?: PageSession | null) {
    if (err instanceof CsrfFailure) return this.errorPage(req, reply, 'csrf', session);
    const status =
      err instanceof AppError
        ? err.status
        : err instanceof NotFoundException
          ? 404
          : ((err as { statusCode?: number }).statusCode ?? 500);
    if (status === 404) return this.errorPage(req, reply, 'notFound', session);
    if (status === 429) {
      const retry = Number((err as AppError).extensions?.retryAfter ?? 60);
      reply.header('retry-after', String(retry));
      return this.errorPage(req, reply, 'tooMany', session, { seconds: retry });
    }
    if (status >= 400 && status < 500) return this.errorPage(req, reply, 'badRequest', session);
    this.log.error({ err, correlationId: req.id }, 'page failed');
    return this.errorPage(req, reply, 'server', session, { id: String(req.id) });
  }

  /** The error page of this kind; the session is looked up when the caller has not done it yet. */
  async errorPage(
    req: FastifyRequest,
    reply: FastifyReply,
    kind: ErrorKind,
    session?: PageSession | null,
    params?: Record<string, string | number>,
  ): Promise<FastifyReply> {
    if (reply.sent) return reply;
    const tx = texts(negotiateLang(undefined, req.cookies?.[LANG_COOKIE], req.headers['accept-language']));
    const live = session === undefined ? await this.sessions.resolve(req).catch(() => null) : session;
    const html = await ErrorPage({
      tx,
      kind,
      path: req.url.split('?')[0],
      signedIn: !!live,
      csrf: live ? this.sessions.csrfToken(req, reply, live) : '',
      params,
    });
    return this.send(reply, html, ERROR_STATUS[kind]);
  }
}

/** A parsed query or urlencoded body, strings only (a repeated field keeps its first value). */
function strings(input: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!input || typeof input !== 'object') return out;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const value = Array.isArray(v) ? (v as unknown[])[0] : v;
    if (typeof value === 'string') out[k] = value;
  }
  return out;
}
