import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';

/**
 * A small HTTP client for driving the portal under faults: every request on a
 * fresh TCP connection (no keep-alive, so a restarted or closing server is
 * seen as it is), every wait bounded, and failures classified (an answer with
 * a status, or a network error with its code).
 */
export interface Answer {
  ok: boolean;
  status: number; // 0 when no HTTP answer came
  contentType: string;
  body: any;
  text: string;
  /** The network error code when no answer came: ECONNREFUSED, ECONNRESET, TIMEOUT, ... */
  error?: string;
  startedAt: number;
  ms: number;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
  body?: Buffer;
  /** The request body is sent in pieces over this long (an upload from a slow line). */
  trickleMs?: number;
  timeoutMs?: number;
  /** Called once the whole request has been handed to the operating system (sent, not yet answered). */
  onSent?: () => void;
}

export function call(base: string, method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
  const url = new URL(base + path);
  const headers: Record<string, string> = { connection: 'close', ...(opts.headers ?? {}) };
  let body = opts.body;
  if (opts.json !== undefined) {
    body = Buffer.from(JSON.stringify(opts.json));
    headers['content-type'] = 'application/json';
  }
  if (body) headers['content-length'] = String(body.length);
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const startedAt = Date.now();
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Omit<Answer, 'startedAt' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...a, startedAt, ms: Date.now() - startedAt });
    };
    const fail = (code: string) =>
      done({ ok: false, status: 0, contentType: '', body: undefined, text: '', error: code });
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(res.headers['content-type'] ?? '');
          let parsed: unknown = text;
          if (/json/.test(contentType))
            try {
              parsed = JSON.parse(text);
            } catch {
              /* keep text */
            }
          const status = res.statusCode ?? 0;
          done({ ok: status >= 200 && status < 300, status, contentType, body: parsed, text });
        });
      },
    );
    const timer = setTimeout(() => {
      fail('TIMEOUT');
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    if (opts.onSent) req.once('finish', opts.onSent);
    if (body && opts.trickleMs) {
      // Headers and the first bytes now, the rest in pieces over trickleMs.
      const pieces = 10;
      const size = Math.ceil(body.length / pieces);
      let i = 0;
      const next = () => {
        if (settled) return;
        const part = body.subarray(i * size, (i + 1) * size);
        i++;
        if (i >= pieces) return void req.end(part);
        req.write(part);
        setTimeout(next, opts.trickleMs! / pieces);
      };
      next();
    } else {
      req.end(body);
    }
  });
}

/** multipart/form-data with fields and one file. */
export function multipart(
  fields: Record<string, string>,
  file: { field: string; name: string; type: string; content: Buffer },
) {
  const boundary = `----faults${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
  );
  parts.push(file.content, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

export const newKey = () => `fault-${randomUUID()}`;

export function describeAnswer(a: Answer): string {
  return a.status ? `${a.status} ${a.contentType} ${a.text.slice(0, 300)}` : `no answer: ${a.error} after ${a.ms} ms`;
}
