import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type DestinationStream, type Logger, type LoggerOptions, stdSerializers } from 'pino';
import type { Params } from 'nestjs-pino';
import { Store, storage } from 'nestjs-pino/storage';
import pretty from 'pino-pretty';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Personal data and secrets never reach a log line. Three layers:
 * - the request URL is logged with its query string re-serialised from the
 *   *decoded* parameters, a sensitive parameter's value replaced, whatever its
 *   spelling (`idNumber`, `id%4Eumber`, `ID_NUMBER`...);
 * - a logged error is stripped of what a database error carries about the row
 *   (bound parameters, `detail`, literals in SQL text);
 * - every line, as written, is scrubbed of what looks like an ID number or a
 *   phone number (9 to 12 digits), an argon2 hash or a JWT.
 */
export const REDACTED = '[redacted]';

/** A query parameter whose value is personal or secret, judged on its decoded name, case- and punctuation-insensitively. */
const SENSITIVE_PARAM = /idnumber|cccd|cmnd|email|phone|password|passwd|token|secret|signature|hash|otp|^vnp/;

export function isSensitiveParam(name: string): boolean {
  return SENSITIVE_PARAM.test(
    name
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, ''),
  );
}

/** The URL with its query re-serialised from the parsed values, sensitive ones replaced. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return scrubText(url);
  const params: string[] = [];
  for (const [name, value] of new URLSearchParams(url.slice(q + 1))) {
    params.push(
      `${encodeURIComponent(name)}=${isSensitiveParam(name) ? REDACTED : scrubText(encodeURIComponent(value))}`,
    );
  }
  return scrubText(url.slice(0, q)) + (params.length ? `?${params.join('&')}` : '');
}

// ------------------------------------------------------------------ the last line: patterns in any text

/**
 * 9-12 digits (CMND 9, CCCD 12, phones 10-11 with or without +84), also glued to letters (`CCCD079...`); not part of
 * a longer number, a decimal, a lower-case hex string or a UUID (the request id).
 */
const DIGITS = /(?<![\d.a-f])(?<!-[0-9a-fA-F]{4}-)\+?\d{9,12}(?![\da-f]|\.\d)/g;
const ARGON2 = /\$argon2(?:id|i|d)\$[A-Za-z0-9+/=$,.-]*/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Replaces ID numbers, phone numbers, argon2 hashes and JWTs in free text. */
export function scrubText(text: string): string {
  return text.replace(ARGON2, REDACTED).replace(JWT, REDACTED).replace(DIGITS, REDACTED);
}

/**
 * The same over one serialised log line (JSON): inside strings the match is
 * replaced by `[redacted]`; a bare 9-12 digit number becomes the string
 * `"[redacted]"`, so the line stays valid JSON.
 */
export function scrubLogLine(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      out += `"${scrubText(line.slice(i + 1, j))}"`;
      i = j + 1;
    } else {
      let j = line.indexOf('"', i);
      if (j < 0) j = line.length;
      out += line.slice(i, j).replace(/(?<![\d.eE+-])-?\d{9,12}(?![\d.eE])/g, `"${REDACTED}"`);
      i = j;
    }
  }
  return out;
}

// ------------------------------------------------------------------ errors

/** Fields of a PostgreSQL / TypeORM error that carry the row's values. */
const DB_VALUE_FIELDS = ['parameters', 'internalQuery'] as const;

/** `Key (id_number)=(079...) already exists.` keeps the columns, loses the values; any other detail goes whole. */
function redactDetail(detail: unknown): string | undefined {
  if (typeof detail !== 'string') return undefined;
  const key = /^(Key \([^)]*\)=)\(.*\)( .*)?$/s.exec(detail);
  return key ? `${key[1]}(${REDACTED})${key[2] ?? ''}` : REDACTED;
}

/** String literals in SQL text (`'...'`, E'...', $$...$$) replaced; placeholders ($1) and names kept. */
function redactSqlLiterals(sql: unknown): unknown {
  if (typeof sql !== 'string') return sql;
  return sql.replace(/\$\$[\s\S]*?\$\$/g, () => `$$${REDACTED}$$`).replace(/'(?:[^']|'')*'/g, () => `'${REDACTED}'`);
}

/**
 * The `err` serializer (after pino's standard one): a database error keeps
 * its code, constraint, table, column, routine and the SQL text with its
 * placeholders; it loses the bound parameters, the row in `detail` and any
 * literal. Nested errors (`driverError`, `cause`...) likewise.
 */
export function redactError(err: unknown, depth = 0): unknown {
  if (!err || typeof err !== 'object' || depth > 4) return err;
  const e = { ...(err as Record<string, unknown>) };
  const isDb =
    (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) || e.type === 'QueryFailedError' || 'query' in e;
  if (isDb) {
    for (const f of DB_VALUE_FIELDS) if (f in e) e[f] = REDACTED;
    if ('detail' in e) e.detail = redactDetail(e.detail);
    for (const f of ['query', 'where', 'hint']) if (f in e) e[f] = redactSqlLiterals(e[f]);
    // `invalid input syntax for type uuid: "..."` and the like end with the offending value.
    if (typeof e.message === 'string') {
      const message = e.message.replace(/: "[^"]*"$/, `: "${REDACTED}"`);
      if (typeof e.stack === 'string' && message !== e.message) e.stack = e.stack.split(e.message).join(message);
      e.message = message;
    }
  }
  for (const [k, v] of Object.entries(e)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) e[k] = redactError(v, depth + 1);
  }
  return e;
}

// ------------------------------------------------------------------ pino

/** The request header a correlation id may come in (from a proxy or the caller), and the answer echoes. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A request's correlation id: its `x-request-id` when well formed (8-64 letters, digits, hyphens), else a new
 * UUID. Fastify's `genReqId` (src/app.setup.ts), so the request's log lines (`req.id`), its problem bodies
 * (`correlationId`), the `x-request-id` of its answer and the outbox rows it writes (src/common/correlation.ts)
 * share it.
 */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(incoming) ? incoming : randomUUID();
}

/**
 * Where log lines go by default: readable (pino-pretty) in development on a terminal; JSON lines to stdout
 * otherwise, and always in production. The secrets and personal data are scrubbed before either (streamWrite).
 */
export function defaultDestination(
  nodeEnv: string,
  isTty = Boolean(process.stdout.isTTY),
): DestinationStream | undefined {
  if (nodeEnv === 'production' || !isTty) return undefined;
  return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}

/**
 * The process's logger (nestjs-pino builds it from these options): structured, tokens, passwords and personal data
 * redacted (see above). Requests are logged by `logRequests` (three Fastify hooks), not by nestjs-pino's middleware
 * (pino-http run through Nest's middleware runner, measured slower on the read path): `forRoutes: []` mounts it
 * nowhere. The request's logging context is entered by `logRequests` itself.
 */
export function loggerParams(level: string, destination?: DestinationStream): Params {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.passwordHash',
        '*.refreshToken',
        '*.accessToken',
        '*.idNumber',
        '*.email',
        '*.phone',
        '*.to',
        '*.token',
        '*.currentPassword',
        '*.newPassword',
      ],
      censor: REDACTED,
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      // pino's own first (type, message, stack: an Error's own fields are not enumerable), then the redaction.
      err: (err: unknown) => redactError(stdSerializers.err(err as Error)),
    },
    hooks: { streamWrite: scrubLogLine },
  } satisfies LoggerOptions;
  return { pinoHttp: destination ? [options, destination] : options, forRoutes: [] };
}

/** A request's line: 5xx error, 4xx warn, anything else info. */
export function requestLogLevel(status: number): 'error' | 'warn' | 'info' {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/** Requests not logged (the load balancer's health checks, metric scrapes). */
const UNLOGGED = new Set(['/api/v1/health', '/metrics']);

/**
 * One line per request once its answer is sent, as pino-http wrote it: `request completed` (`request errored`, with
 * an error, from 500 on; `request aborted` when the client went away first), with the request's id, method and URL
 * (through the `req` serializer: the query re-serialised, sensitive values redacted), the status and the time taken
 * (ms). Nothing is built when the line's level is off (LOG_LEVEL=warn: 4xx and 5xx only).
 */
export function logRequests(fastify: FastifyInstance, log: Logger): void {
  const req = (request: FastifyRequest) => ({ id: String(request.id), method: request.method, url: request.url });
  // The request's logging context (nestjs-pino's AsyncLocalStorage, read by its PinoLogger and by
  // src/common/correlation.ts): every line logged while the request is handled carries `req.id`, and the outbox rows
  // it writes carry the id on into the jobs they cause. One child logger per request, entered once.
  fastify.addHook('onRequest', (request, _reply, done) => {
    storage.run(new Store(log.child({ req: { id: String(request.id) } })), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = requestLogLevel(status);
    if (log.isLevelEnabled(level) && !UNLOGGED.has(request.url)) {
      const line = { req: req(request), res: reply.raw, responseTime: Math.round(reply.elapsedTime) };
      if (status >= 500) log.error({ ...line, err: new Error(`failed with status code ${status}`) }, 'request errored');
      else log[level](line, 'request completed');
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    if (log.isLevelEnabled('info') && !UNLOGGED.has(request.url)) log.info({ req: req(request) }, 'request aborted');
    done();
  });
}
