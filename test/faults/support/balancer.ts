import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A load balancer in front of several API processes, in the test process (so it lives on while they are killed):
 * round robin, one fresh connection per request (no keep-alive). A backend that refuses the connection (down) is
 * skipped and the request goes to the next one, as a proxy retries a request that never reached its upstream; a
 * backend that dies with the request in it answers 502 (the request may have been applied: the client decides).
 * The portal's public address (PUBLIC_BASE_URL) is the balancer's, so links, the IPN and the postal webhook
 * (sent by the sandboxes to that address) reach whichever API is up.
 */
export class Balancer {
  url = '';
  /** Requests answered by each backend port; `failedOver` counts connections refused and sent on. */
  readonly served = new Map<number, number>();
  failedOver = 0;
  badGateway = 0;
  private server?: Server;
  private next = 0;

  constructor(readonly backends: number[]) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const first = this.next++ % this.backends.length;
      this.forward(req, res, body, first, 0);
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, first: number, tried: number): void {
    const port = this.backends[(first + tried) % this.backends.length];
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, connection: 'close' };
    if (body.length || req.headers['content-length']) headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
    const up = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        this.served.set(port, (this.served.get(port) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    up.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      if (e.code === 'ECONNREFUSED' && tried + 1 < this.backends.length) {
        this.failedOver++;
        return this.forward(req, res, body, first, tried + 1);
      }
      this.badGateway++;
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream ${port}: ${e.code ?? e.message}`);
    });
    up.end(body);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
