import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/configuration';
import { Unauthorized } from '../common/problem';
import { Metrics } from './metrics';
import { METRICS_PATH } from './metrics.http';

/**
 * METRICS_PORT: `GET /metrics` on a small listener of its own, in every role (the worker has no other HTTP
 * server), on HOST. The port is for the monitoring network only: never publish it. With METRICS_TOKEN set too,
 * the same bearer token is required here.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.metrics.port;
    if (port === undefined) return;
    const host = this.config.get('HOST', { infer: true });
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on ${host}:${port}${METRICS_PATH}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The port's address, once listening (tests use port numbers they chose). */
  address(): { port: number } | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? { port: a.port } : undefined;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (!this.metrics.authorized(req.headers.authorization)) {
      const problem = new Unauthorized('A bearer token is required to read the metrics.').toProblem();
      res
        .writeHead(401, { 'content-type': 'application/problem+json; charset=utf-8', 'www-authenticate': 'Bearer' })
        .end(JSON.stringify(problem));
      return;
    }
    try {
      const body = await this.metrics.render();
      res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'metrics could not be read');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
    }
  }
}
