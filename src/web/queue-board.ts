import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/configuration';
import { JobQueues } from '../jobs/jobs.module';
import { WebRouter } from './web.router';
import { WebSessions } from './web-sessions';

/** Where Bull Board is served. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board's own Content-Security-Policy: its React app loads its scripts from here but injects <style>
 * elements and style attributes (so inline styles are allowed, scripts still self-only); its <base href> needs
 * base-uri 'self'. Its Google Fonts stylesheet is not loaded (an administrator's page calls no third party).
 */
export const QUEUE_BOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Bull Board (every queue of src/jobs/jobs.ts) under /admin/queues, for administrators with a page session only:
 * an anonymous visitor is sent to sign in, any other role gets the pages' not-found page. Its API changes queues
 * (retry, clean, pause) with PUT/PATCH/POST calls that carry the session cookie: those must come from this origin
 * (Origin, else Sec-Fetch-Site, else Referer), so another site cannot make an administrator's browser send them.
 */
@Injectable()
export class QueueBoard {
  private readonly publicOrigin: string | undefined;

  constructor(
    private readonly queues: JobQueues,
    private readonly sessions: WebSessions,
    private readonly router: WebRouter,
    config: ConfigService<AppConfig, true>,
  ) {
    try {
      this.publicOrigin = new URL(config.get('PUBLIC_BASE_URL', { infer: true })).origin;
    } catch {
      this.publicOrigin = undefined;
    }
  }

  mount(fastify: FastifyInstance): void {
    const adapter = new FastifyAdapter();
    adapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: this.queues.all().map((q) => new BullMQAdapter(q)),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'Portal job queues' } },
    });
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', (req, reply) => this.guard(req, reply));
      scope.addHook('onSend', async (_req, reply, payload) => {
        // The pages' own answers here (the not-found page) keep the pages' stricter policy.
        if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', QUEUE_BOARD_CSP);
        reply.header('cache-control', 'no-store');
        return payload;
      });
      await scope.register(adapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
    });
  }

  private async guard(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!SAFE_METHODS.has(req.method) && !this.sameOrigin(req)) {
      await reply
        .status(403)
        .header('content-type', 'application/json; charset=utf-8')
        .send({ error: 'cross-site request refused' });
      return;
    }
    const session = await this.sessions.resolve(req);
    if (!session) {
      const location = req.method === 'GET' ? `/login?next=${encodeURIComponent(req.url)}` : '/login';
      await reply.status(303).header('location', location).header('cache-control', 'no-store').send();
      return;
    }
    if (session.role !== 'admin') await this.router.errorPage(req, reply, 'notFound', session);
  }

  /** Whether a state-changing request comes from a page of this site. */
  private sameOrigin(req: FastifyRequest): boolean {
    const own = new Set([`${req.protocol}://${req.host}`]);
    if (this.publicOrigin) own.add(this.publicOrigin);
    const origin = req.headers.origin;
    if (origin) return own.has(origin);
    const site = req.headers['sec-fetch-site'];
    if (site) return site === 'same-origin';
    const referer = req.headers.referer;
    if (!referer) return false;
    try {
      return own.has(new URL(referer).origin);
    } catch {
      return false;
    }
  }
}
