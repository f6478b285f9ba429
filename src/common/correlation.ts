import type { Logger } from 'pino';
import { storage } from 'nestjs-pino/storage';

/**
 * The correlation id of the work in progress, read from the logging context
 * (nestjs-pino's AsyncLocalStorage, no extra per-request cost):
 * - in a request, its id (`genReqId` in src/common/logging.ts: a well-formed incoming `x-request-id`, else a new
 *   UUID), which its log lines carry as `req.id` and its response echoes in `x-request-id`;
 * - in a job (src/jobs/observed-worker.ts), the id of the request that caused it, bound the same way (`req.id`).
 * Undefined elsewhere (scheduled jobs, scripts). Outbox rows record it (`request_id`), the relay puts it in the
 * job's data (`requestId`), so a request's lines and the lines of every job it caused share one id.
 */
export function correlationId(): string | undefined {
  const logger = storage.getStore()?.logger;
  if (!logger) return undefined;
  let id = ids.get(logger);
  if (id === undefined) {
    const req = (logger.bindings() as { req?: { id?: unknown } }).req;
    id = typeof req?.id === 'string' ? req.id : null;
    ids.set(logger, id);
  }
  return id ?? undefined;
}

/** One parse per request (or job) logger, however many outbox rows it writes. */
const ids = new WeakMap<Logger, string | null>();
