import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  messageId: string;
  /** The decoded text body. */
  text: string;
  /** Attached files (a multipart/mixed message), decoded. */
  attachments: { filename: string; contentType: string; content: Buffer }[];
}

/**
 * An SMTP server on loopback that keeps what it receives: the portal's
 * nodemailer transport talks real SMTP to it, so the same code path runs as
 * against a real relay.
 */
export class SmtpSandbox {
  readonly messages: CapturedMail[] = [];
  /** Recipients refused with a permanent error (550): a delivery failure the portal must record and retry. */
  readonly refused = new Set<string>();
  private server?: SMTPServer;
  url = '';

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      // At the end of a suite, connections still open (a pooled client mid-retry) are cut after 2 s, not 30.
      closeTimeout: 2000,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.refused.has(address.address.toLowerCase())) callback(new Error('550 mailbox unavailable'));
        else callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject: decodeHeader(/^Subject: (.*(?:\r\n[ \t].*)*)/im.exec(raw)?.[1] ?? ''),
            messageId: /^Message-ID: (.*)$/im.exec(raw)?.[1]?.trim() ?? '',
            ...decodeMessage(raw),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.server.address() as AddressInfo;
    this.url = `smtp://127.0.0.1:${port}`;
    return this;
  }

  to(address: string): CapturedMail[] {
    return this.messages.filter((m) => m.to.includes(address.toLowerCase()));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** RFC 2047 encoded-words (nodemailer encodes Vietnamese subjects). */
function decodeHeader(value: string): string {
  return value
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    )
    .trim();
}

/** The text (the text/plain part of a multipart message) and the attachments. */
function decodeMessage(raw: string): Pick<CapturedMail, 'text' | 'attachments'> {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const boundary = /^Content-Type: multipart\/[a-z]+;[\s\S]*?boundary="?([^"\r\n;]+)"?/im.exec(headers)?.[1];
  if (!boundary) return { text: decodeBody(raw), attachments: [] };
  const parts = raw
    .slice(split + 4)
    .split(`--${boundary}`)
    .slice(1)
    .filter((p) => !p.startsWith('--'))
    .map((p) => p.replace(/^\r\n/, ''));
  let text = '';
  const attachments: CapturedMail['attachments'] = [];
  for (const part of parts) {
    const head = part.slice(0, part.indexOf('\r\n\r\n')).replace(/\r\n[ \t]/g, ' ');
    const filename = /filename="?([^";\r\n]+)"?/i.exec(head)?.[1];
    const type = /^Content-Type: ([^;\r\n]+)/im.exec(head)?.[1]?.trim() ?? 'text/plain';
    if (filename) {
      const body = part.slice(part.indexOf('\r\n\r\n') + 4);
      attachments.push({ filename, contentType: type, content: Buffer.from(body.replace(/\s+/g, ''), 'base64') });
    } else if (type === 'text/plain' && !text) {
      text = decodeBody(part);
    }
  }
  return { text, attachments };
}

/** The body of a single-part text message, quoted-printable or base64 decoded. */
function decodeBody(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const encoding = /^Content-Transfer-Encoding: (.*)$/im.exec(headers)?.[1]?.trim().toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}
