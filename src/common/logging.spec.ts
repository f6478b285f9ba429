import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import pino from 'pino';
import {
  defaultDestination,
  isSensitiveParam,
  loggerParams,
  logRequests,
  redactError,
  redactUrl,
  requestId,
  scrubLogLine,
  scrubText,
} from './logging';

describe('log redaction', () => {
  it('judges query parameters on their decoded name, whatever the case or punctuation', () => {
    for (const name of [
      'idNumber',
      'IDNUMBER',
      'id_number',
      'Id-Number',
      'phone',
      'email',
      'token',
      'refreshToken',
      'password',
      'vnp_SecureHash',
      'vnp_TxnRef',
    ]) {
      expect({ name, sensitive: isSensitiveParam(name) }).toEqual({ name, sensitive: true });
    }
    for (const name of ['code', 'status', 'limit', 'from', 'reference'])
      expect({ name, sensitive: isSensitiveParam(name) }).toEqual({ name, sensitive: false });
  });

  it('re-serialises the query from the parsed values: a percent-encoded name is caught', () => {
    expect(redactUrl('/api/v1/lookup?id%4Eumber=079090000001&code=ABC')).toBe(
      '/api/v1/lookup?idNumber=[redacted]&code=ABC',
    );
    expect(redactUrl('/api/v1/lookup?%69%64Number=079090000001')).toBe('/api/v1/lookup?idNumber=[redacted]');
    expect(redactUrl('/x?ID_NUMBER=1&phone=%2B84912345678&q=a+b')).toBe(
      '/x?ID_NUMBER=[redacted]&phone=[redacted]&q=a%20b',
    );
    expect(redactUrl('/x?q=079090000001')).toBe('/x?q=[redacted]');
    expect(redactUrl('/api/v1/health')).toBe('/api/v1/health');
    expect(redactUrl(undefined)).toBeUndefined();
  });

  it('scrubs ID numbers, phones, argon2 hashes and JWTs from text, and leaves UUIDs, times and decimals alone', () => {
    const hash = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abcDEF_123-xyz';
    expect(scrubText(`id 079090000001, CMND 123456789, phone +84912345678 / 0912345678; ${hash} ${jwt}`)).toBe(
      'id [redacted], CMND [redacted], phone [redacted] / [redacted]; [redacted] [redacted]',
    );
    expect(scrubText('Key (id_number)=(079090000001) already exists.')).toBe(
      'Key (id_number)=([redacted]) already exists.',
    );
    const kept = 'request 6f1c2d3e-0a1b-4c2d-8e9f-123456789012 at 1764000400000 took 0.123456789 s';
    expect(scrubText(kept)).toBe(kept);
  });

  it('keeps a log line valid JSON: a bare number becomes a string, text inside strings is replaced', () => {
    const line =
      JSON.stringify({
        time: 1764000400000,
        idNumber: 79090000001,
        msg: 'phone "0912345678" here',
        n: [123456789, 5],
      }) + '\n';
    const out = scrubLogLine(line);
    expect(JSON.parse(out)).toEqual({
      time: 1764000400000,
      idNumber: '[redacted]',
      msg: 'phone "[redacted]" here',
      n: ['[redacted]', 5],
    });
    expect(out.endsWith('\n')).toBe(true);
  });

  it('strips what a database error carries about the row, keeping what an operator needs', () => {
    const err = {
      type: 'QueryFailedError',
      message: 'invalid input syntax for type uuid: "Nguyen Van A"',
      stack: 'QueryFailedError: invalid input syntax for type uuid: "Nguyen Van A"\n    at x',
      code: '22P02',
      query: `SELECT * FROM accounts WHERE email = $1 AND note = 'it''s me'`,
      parameters: ['a@b.vn', '079090000001'],
      detail: 'Key (email)=(a@b.vn) already exists.',
      constraint: 'accounts_email_key',
      table: 'accounts',
      driverError: {
        message: 'x',
        code: '23505',
        detail: 'Failing row contains (a@b.vn, 0912345678).',
        where: `SQL statement "INSERT INTO t VALUES ('secret')"`,
      },
    };
    expect(redactError(err)).toEqual({
      type: 'QueryFailedError',
      message: 'invalid input syntax for type uuid: "[redacted]"',
      stack: 'QueryFailedError: invalid input syntax for type uuid: "[redacted]"\n    at x',
      code: '22P02',
      query: `SELECT * FROM accounts WHERE email = $1 AND note = '[redacted]'`,
      parameters: '[redacted]',
      detail: 'Key (email)=([redacted]) already exists.',
      constraint: 'accounts_email_key',
      table: 'accounts',
      driverError: {
        message: 'x',
        code: '23505',
        detail: '[redacted]',
        where: `SQL statement "INSERT INTO t VALUES ('[redacted]')"`,
      },
    });
    // Not a database error: left alone.
    expect(redactError({ type: 'Error', message: 'boom', stack: 'Error: boom' })).toEqual({
      type: 'Error',
      message: 'boom',
      stack: 'Error: boom',
    });
  });
});

describe('log output and correlation ids', () => {
  it('pretty (pino-pretty) only in development on a terminal; JSON lines otherwise, and always in production', () => {
    expect(defaultDestination('production', true)).toBeUndefined();
    expect(defaultDestination('production', false)).toBeUndefined();
    expect(defaultDestination('development', false)).toBeUndefined();
    expect(defaultDestination('test', false)).toBeUndefined();
    const pretty = defaultDestination('development', true);
    expect(typeof pretty?.write).toBe('function');
  });

  it('keeps a well-formed x-request-id, and replaces anything else by a new UUID', () => {
    const req = (id?: string | string[]) =>
      ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as IncomingMessage;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const good of ['abcdefgh', 'req-2026-0001-abcdef', 'A'.repeat(64), '0b7c5a8e-1f2d-4c3b-9a8e-7d6c5b4a3f2e'])
      expect(requestId(req(good))).toBe(good);
    for (const bad of [undefined, '', 'short', 'A'.repeat(65), 'has space', 'semi;colon', 'new\nline1234', ['a', 'b']])
      expect(requestId(req(bad))).toMatch(uuid);
    expect(requestId(req())).not.toBe(requestId(req()));
  });
});

describe('request lines', () => {
  /** An app logging its requests with the portal's logger options into `lines`. */
  async function app(level: string) {
    const lines: Record<string, any>[] = [];
    const [options, destination] = loggerParams(level, { write: (s: string) => void lines.push(JSON.parse(s)) })
      .pinoHttp as [pino.LoggerOptions, pino.DestinationStream];
    const f = Fastify({ logger: false });
    logRequests(f, pino(options, destination));
    f.get('/api/v1/lookup', () => ({ ok: true }));
    f.get('/api/v1/health', () => ({ ok: true }));
    f.get('/api/v1/fail', () => {
      throw new Error('boom');
    });
    await f.ready();
    return { f, lines };
  }

  it('one line per answer: its id, method, URL (redacted), status and time; 4xx warn, 5xx error; health checks not logged', async () => {
    const { f, lines } = await app('info');
    await f.inject('/api/v1/lookup?code=A1&idNumber=079090000001');
    await f.inject('/api/v1/nowhere');
    await f.inject('/api/v1/fail');
    await f.inject('/api/v1/health');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        req: { id: expect.any(String), method: 'GET', url: '/api/v1/lookup?code=A1&idNumber=[redacted]' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
      expect.objectContaining({ level: 40, msg: 'request completed', res: { statusCode: 404 } }),
      expect.objectContaining({
        level: 50,
        msg: 'request errored',
        res: { statusCode: 500 },
        err: expect.objectContaining({ message: 'failed with status code 500' }),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('079090000001');
    await f.close();
  });

  it('an error logged outside a request keeps its type, message and stack (not `{}`)', () => {
    const lines: Record<string, any>[] = [];
    const [options, destination] = loggerParams('info', { write: (s: string) => void lines.push(JSON.parse(s)) })
      .pinoHttp as [pino.LoggerOptions, pino.DestinationStream];
    pino(options, destination).error({ err: new TypeError('boom') }, 'job failed');
    expect(lines[0].err).toMatchObject({ type: 'TypeError', message: 'boom', stack: expect.stringContaining('boom') });
  });

  it('at level warn only 4xx and 5xx answers are logged', async () => {
    const { f, lines } = await app('warn');
    await f.inject('/api/v1/lookup');
    await f.inject('/api/v1/nowhere');
    expect(lines.map((l) => l.res?.statusCode)).toEqual([404]);
    await f.close();
  });
});
