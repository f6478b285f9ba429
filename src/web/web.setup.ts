import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { ArgumentsHost, Catch, NotFoundException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../common/problem';
import { SecureProblemFilter } from '../security/client-errors';
import { ASSETS_DIR } from './assets';
import { WebRouter } from './web.router';

/**
 * The Fastify plugins the pages need, registered before the routes: cookies, compression on demand (pages call
 * `reply.compress`; API answers are left as they were) and the built assets under /assets (hashed names: cached
 * for a year, immutable; pre-compressed .br/.gz copies).
 */
export async function configureWeb(app: NestFastifyApplication): Promise<void> {
  await app.register(cookie);
  await app.register(compress, { global: false, encodings: ['br', 'gzip'] });
  await app.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    list: false,
    maxAge: '365d',
    immutable: true,
    preCompressed: true,
    allowedPath: (path: string) => !path.endsWith('manifest.json'),
  });
}

/** A page address (not the API, the OpenAPI document or an asset). */
export const isPageUrl = (url: string) => !/^\/(api|docs)(\/|\?|$)/.test(url);

/**
 * The portal's problem+json filter, except that an unknown page address answers the pages' not-found page (the
 * same one an unknown or foreign dossier gets), in HTML. API routes keep problem+json.
 */
@Catch()
export class PageAwareProblemFilter extends SecureProblemFilter {
  constructor(private readonly router: () => WebRouter | undefined) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const notFound =
      exception instanceof NotFoundException || (exception instanceof AppError && exception.status === 404);
    const router = notFound && req?.url && isPageUrl(req.url) && req.method === 'GET' ? this.router() : undefined;
    if (!router) return super.catch(exception, host);
    void router.errorPage(req, reply, 'notFound').catch(() => super.catch(exception, host));
  }
}
