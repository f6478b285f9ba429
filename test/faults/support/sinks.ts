import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Where the portal's messages end up during the fault tests. The portal's
 * worker talks real SMTP and real HTTP to these, in the test process, so they
 * live on while the portal's processes are killed and restarted.
 *
 * Like test/support/smtp-sandbox.ts, plus an optional delay before the
 * server's answer (a slow relay: jobs are then mid-send when a test strikes)
 * and the time each message arrived. A message counts as received when its
 * data is complete, before the delayed "250 OK": exactly the window in which
 * a sender that dies cannot know whether it was delivered.
 */
export interface ReceivedMail {
  messageId: string;
  to: string[];
  subject: string;
  at: number;
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  url = '';
  private server?: SMTPServer;

  constructor(public delayMs = 0) {}

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // Many concurrent senders during a catch-up.
      maxClients: 1000,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.messages.push({
            messageId: /^Message-ID: *<([^>]*)>/im.exec(raw)?.[1]?.trim() ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: /^Subject: (.*)$/im.exec(raw)?.[1] ?? '',
            at: Date.now(),
          });
          if (this.delayMs > 0) setTimeout(() => callback(), this.delayMs);
          else callback();
        });
      },
    });
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Notification id → how many copies arrived (the portal's Message-ID is `<notification id@portal.local>`). */
  copiesByNotification(): Map<string, number> {
    const m = new Map<string, number>();
    for (const msg of this.messages) {
      const id = msg.messageId.replace(/@portal\.local$/, '');
      m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** An SMS gateway speaking the portal's protocol (`{clientRef, phone, text}` + x-api-key), keeping every request. */
export class SmsSink {
  readonly messages: { clientRef: string; phone: string; at: number }[] = [];
  url = '';
  readonly apiKey = 'fault-tests-sms-key';
  private server?: Server;

  constructor(public delayMs = 0) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.headers['x-api-key'] !== this.apiKey) {
          res.writeHead(401).end();
          return;
        }
        let body: { clientRef?: string; phone?: string } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          /* empty */
        }
        this.messages.push({ clientRef: String(body.clientRef), phone: String(body.phone), at: Date.now() });
        const answer = () =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ messageId: `sms-${body.clientRef}` }));
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/messages`;
    return this;
  }

  copiesByNotification(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.messages) m.set(s.clientRef, (m.get(s.clientRef) ?? 0) + 1);
    return m;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
