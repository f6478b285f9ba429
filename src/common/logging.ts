import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Query-string values that identify a person never reach the log. */
const PERSONAL_QUERY = /([?&](?:idNumber|email|phone|token|vnp_[A-Za-z]+)=)[^&]*/g;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(PERSONAL_QUERY, '$1[redacted]');
}

/** Structured logs with request ids; tokens, passwords and personal data redacted. */
export function loggerParams(level: string): Params {
  return {
    pinoHttp: {
      level,
      genReqId: (req: IncomingMessage) => {
        const incoming = req.headers['x-request-id'];
        return typeof incoming === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(incoming) ? incoming : randomUUID();
      },
      redact: {
        paths: [
          'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
          '*.password', '*.passwordHash', '*.refreshToken', '*.accessToken', '*.idNumber', '*.email', '*.phone', '*.to',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/api/v1/health' },
    },
  };
}
