import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Store, storage } from 'nestjs-pino/storage';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';

/**
 * The key in a job's data under which the outbox relay puts the correlation id of the request that wrote the
 * outbox row (src/outbox/outbox.relay.ts). Processors ignore it; the worker below reads it.
 */
export const REQUEST_ID_KEY = 'requestId';

/** The job's data with the request's correlation id, when there is one (ids only: Redis keeps job data in plain text). */
export function withRequestId(payload: object, requestId: string | null): object {
  return requestId ? { ...payload, [REQUEST_ID_KEY]: requestId } : payload;
}

export function requestIdOf(data: unknown): string | undefined {
  const id = data && typeof data === 'object' ? (data as Record<string, unknown>)[REQUEST_ID_KEY] : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** How a run of a job ended: done, failed and to be retried (backoff), failed for good. */
export type JobStatus = 'completed' | 'retry' | 'failed';

/** What watches the jobs run: the root logger their context derives from, and the metrics (src/metrics). */
export interface JobObserver {
  logger: Logger;
  /** `result`: what the job returned (completed runs only). */
  finished(queue: string, name: string, status: JobStatus, seconds: number, result?: unknown): void;
}

let observer: JobObserver | undefined;

/**
 * Set by the metrics module when the app starts (before any worker runs); cleared when it stops. One per process,
 * as the logger it holds (nestjs-pino's) is.
 */
export function observeJobs(o: JobObserver | undefined): void {
  observer = o;
}

export function jobObserver(): JobObserver | undefined {
  return observer;
}

/**
 * The BullMQ worker every processor gets (`BullModule.workerClass`, src/jobs/jobs.module.ts): each run of a job
 * happens in a logging context of its own (nestjs-pino's AsyncLocalStorage), so every line a processor logs through
 * Nest's Logger carries `req.id` (the request that caused the job, when one did) and `job` (queue, name, id); the
 * run ends with one line, and its status and duration go to the metrics. Outbox rows the job writes carry the same
 * correlation id on (src/common/correlation.ts). No processor changes.
 */
export class ObservedWorker extends Worker {
  protected override async callProcessJob(job: Job, token: string, signal?: AbortSignal): Promise<unknown> {
    const o = observer;
    if (!o) return super.callProcessJob(job, token, signal);
    const requestId = requestIdOf(job.data);
    const log = o.logger.child({
      ...(requestId ? { req: { id: requestId } } : {}),
      job: { queue: this.name, name: job.name, id: job.id, attempt: job.attemptsMade + 1 },
    });
    const started = performance.now();
    return storage.run(new Store(log), async () => {
      try {
        const result: unknown = await super.callProcessJob(job, token, signal);
        const seconds = (performance.now() - started) / 1000;
        o.finished(this.name, job.name, 'completed', seconds, result);
        log.info({ durationMs: Math.round(seconds * 1000) }, 'job completed');
        return result;
      } catch (e) {
        const seconds = (performance.now() - started) / 1000;
        // BullMQ's own rule (Job.shouldRetryJob): attempts left and not unrecoverable.
        const retry =
          job.attemptsMade + 1 < (job.opts.attempts ?? 1) &&
          !(e instanceof UnrecoverableError || (e as Error)?.name === 'UnrecoverableError');
        o.finished(this.name, job.name, retry ? 'retry' : 'failed', seconds);
        log.warn(
          { durationMs: Math.round(seconds * 1000), err: (e as Error)?.message ?? String(e) },
          retry ? 'job failed; will retry' : 'job failed',
        );
        throw e;
      }
    });
  }
}
