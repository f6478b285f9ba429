import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { sendProblem } from '../common/problem.filter';
import { Unauthorized } from '../common/problem';
import { Metrics } from './metrics';

/** Where Prometheus scrapes the API (outside /api/v1, not in the OpenAPI document). */
export const METRICS_PATH = '/metrics';

/**
 * The API's side of the metrics (called by configureApp): when they are served at all (METRICS_TOKEN or
 * METRICS_PORT), one onResponse hook counts every request; with METRICS_TOKEN and no METRICS_PORT,
 * `GET /metrics` answers `Authorization: Bearer <METRICS_TOKEN>` only (401 otherwise). With METRICS_PORT the
 * metrics are on that port instead (src/metrics/metrics.server.ts). An app without the metrics module (a
 * suite's partial app) gets nothing.
 */
export function installMetrics(app: NestFastifyApplication): void {
  let metrics: Metrics;
  try {
    metrics = app.get(Metrics, { strict: false });
  } catch {
    return;
  }
  if (!metrics.enabled) return;
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', metrics.onResponse);
  if (metrics.port !== undefined) return;
  fastify.get(METRICS_PATH, async (request, reply) => {
    if (!metrics.authorized(request.headers.authorization)) return refuse(reply);
    const body = await metrics.render();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(body);
  });
}

function refuse(reply: FastifyReply): FastifyReply {
  reply.header('www-authenticate', 'Bearer');
  sendProblem(reply, new Unauthorized('A bearer token is required to read the metrics.').toProblem());
  return reply;
}

/** One start-up line saying where this process's metrics are, or why there are none. */
export function metricsLine(
  role: 'api' | 'worker' | 'all',
  env: { METRICS_TOKEN?: string; METRICS_PORT?: number; HOST: string },
  base: string,
): string {
  if (env.METRICS_PORT !== undefined)
    return `metrics: ${env.HOST}:${env.METRICS_PORT}${METRICS_PATH}${env.METRICS_TOKEN ? ' (bearer METRICS_TOKEN)' : ''} (do not publish this port)`;
  if (role === 'worker') return "metrics: off (set METRICS_PORT to serve the worker's)";
  if (env.METRICS_TOKEN) return `metrics: ${base}${METRICS_PATH} (bearer METRICS_TOKEN)`;
  return 'metrics: off (set METRICS_TOKEN or METRICS_PORT)';
}
