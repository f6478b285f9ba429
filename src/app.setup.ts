import multipart from '@fastify/multipart';
import { ConfigService } from '@nestjs/config';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import { sendProblem, toProblem } from './common/problem.filter';
import { logRequests, REQUEST_ID_HEADER, requestId } from './common/logging';
import { createValidationPipe } from './common/validation';
import { type AppConfig, environmentValue } from './config/configuration';
import { installMetrics } from './metrics/metrics.http';
import { buildOpenApiDocument } from './openapi/openapi';
import { inputHygiene } from './security/input-hygiene';
import { addSecurityHeaders } from './security/security-headers';
import { trustProxySetting } from './security/trust-proxy';
import { WebRouter } from './web/web.router';
import { configureWeb, PageAwareProblemFilter } from './web/web.setup';

export const API_PREFIX = 'api/v1';

export function createAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    trustProxy: trustProxySetting(environmentValue('TRUST_PROXY')),
    routerOptions: { maxParamLength: 200 },
    // The correlation id: a well-formed incoming x-request-id, else a new UUID (src/common/logging.ts).
    genReqId: requestId,
    // A malformed URL (bad percent-encoding) gets the same problem+json body as every other error.
    frameworkErrors: (err: Error, _req: unknown, reply: never) => sendProblem(reply, toProblem(err)),
  } as never);
}

/** Everything an HTTP app needs, shared by `main.ts` and the e2e tests. */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  const config = app.get(ConfigService<AppConfig, true>);
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(createValidationPipe());
  // The ProblemFilter, also mapping malformed multipart bodies to 400 (src/security/client-errors.ts); an unknown
  // page address gets the pages' HTML not-found page (src/web).
  app.useGlobalFilters(new PageAwareProblemFilter(() => optional(() => app.get(WebRouter, { strict: false }))));
  const origins = config
    .get('CORS_ORIGINS', { infer: true })
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  app.enableCors({ origin: origins.length ? origins : false, credentials: false });

  // Errors raised before a route handler (malformed JSON, body too large) reach the same ProblemFilter:
  // Nest installs Fastify's error handler and routes it through the global filters.
  const fastify = app.getHttpAdapter().getInstance();
  // NUL / unpaired surrogates, absurd nesting, multipart without boundary: 400 before any handler (src/security).
  fastify.addHook('preValidation', inputHygiene);
  // Every answer says which id its log lines (and those of the jobs it causes) carry.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // The request's logging context, and one line per request when its answer is sent (src/common/logging.ts).
  logRequests(fastify, (await app.resolve(PinoLogger)).logger);
  // Prometheus: one onResponse hook, and GET /metrics behind METRICS_TOKEN (off unless configured; src/metrics).
  installMetrics(app);
  // helmet's headers on every answer, computed once (src/security/security-headers.ts).
  await addSecurityHeaders(fastify, { contentSecurityPolicy: false });
  // Closing the server waits for every open connection. Node closes the idle keep-alive ones at once, but one that
  // was busy when the close began stays until Fastify's keep-alive timeout (72 s), and one that connected and sent
  // nothing stays for good (Node stops checking header timeouts once closing). Requests in flight get
  // SHUTDOWN_DRAIN_MS to finish; then whatever is still open is cut, so a shutdown (and a test's teardown) ends.
  const drainMs = config.get('SHUTDOWN_DRAIN_MS', { infer: true });
  fastify.addHook('preClose', (done) => {
    setTimeout(() => fastify.server.closeAllConnections(), drainMs).unref();
    done();
  });
  // The citizen pages: cookies, compression, /assets (src/web; each page sets its own Content-Security-Policy).
  await configureWeb(app);
  await app.register(multipart, {
    limits: {
      fileSize: config.get('UPLOAD_MAX_BYTES', { infer: true }),
      files: 1,
      fields: 5,
      fieldSize: 1024,
      parts: 8,
    },
    throwFileSizeLimit: true,
  });

  // The OpenAPI document: on by default in development, off in production (DOCS_ENABLED).
  if (config.get('DOCS_ENABLED', { infer: true }) !== 'true') return;
  const doc = buildOpenApiDocument(app, config.get('PUBLIC_BASE_URL', { infer: true }));
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/json' });
}

function optional<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
