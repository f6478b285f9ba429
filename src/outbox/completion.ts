import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import type { Db } from '../database/query-result';
import { OutboxRepository } from './outbox.repository';

/** The relay gives every job the id of its outbox row (a uuid); scheduled jobs (`repeat:...`) have none. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The outbox row a job was made from, or undefined (a scheduled job). */
export function outboxRowOf(job: Pick<Job, 'id'>): string | undefined {
  return job.id && UUID.test(job.id) ? job.id : undefined;
}

/**
 * Marks a job's outbox row done inside the caller's transaction: a handler that writes its effect to Postgres
 * calls it in that transaction, so the effect and the mark commit together (a re-run after that is a no-op anyway:
 * handlers are idempotent).
 */
export type JobDone = (m: Db) => Promise<void>;

/** One job's completion mark: `inTransaction` from the handler's own transaction, `finish` after the handler. */
export class JobCompletion {
  private marked = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly row: string | undefined,
  ) {}

  readonly inTransaction: JobDone = async (m) => {
    if (!this.row) return;
    await this.outbox.markDone(this.row, m);
    this.marked = true;
  };

  /** For handlers whose effect is elsewhere (a message sent) or that found nothing to do: marks it on its own. */
  async finish(): Promise<void> {
    if (this.row && !this.marked) await this.outbox.markDone(this.row);
  }
}

/** Completion marks for jobs made from outbox rows (see OutboxRelay: the reconciler re-adds rows never marked). */
@Injectable()
export class OutboxCompletion {
  constructor(private readonly outbox: OutboxRepository) {}

  of(job: Pick<Job, 'id'>): JobCompletion {
    return new JobCompletion(this.outbox, outboxRowOf(job));
  }

  /** BullMQ gave the job up (its last attempt failed, or it was unrecoverable): the row is done, with the reason. */
  async gaveUp(job: Pick<Job, 'id'>, reason: string): Promise<void> {
    const row = outboxRowOf(job);
    if (row) await this.outbox.markGivenUp(row, reason);
  }
}

/**
 * A BullMQ processor whose jobs mark their outbox row done: `handle` gets the job and the mark to call inside the
 * transaction of its effect (`done`); a handler that returns without having called it gets its row marked right
 * after. A job failing its last attempt marks its row given up. Without a mark, the relay's reconciler adds the
 * job again (same job id) once it has waited a while: a no-op while BullMQ still holds the job, a re-run once a Redis
 * without persistence has lost it.
 */
export abstract class CompletingWorkerHost extends WorkerHost implements OnModuleDestroy {
  constructor(private readonly completion: OutboxCompletion) {
    super();
  }

  /**
   * On shutdown the worker stops taking jobs and finishes the ones it runs (BullMQ waits for them) first, while
   * what they use (the mail pool, the database, Redis) is still open: those close in onApplicationShutdown, after
   * every onModuleDestroy. (@nestjs/bullmq would close the worker in onApplicationShutdown, side by side with them.)
   */
  async onModuleDestroy(): Promise<void> {
    let worker: Worker | undefined;
    try {
      worker = this.worker;
    } catch {
      return; // not started in this process (the API role)
    }
    await worker.close();
  }

  protected abstract handle(job: Job, done: JobDone): Promise<unknown>;

  async process(job: Job): Promise<unknown> {
    const completion = this.completion.of(job);
    const result = await this.handle(job, completion.inTransaction);
    await completion.finish();
    return result;
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): Promise<void> {
    // finishedOn is set only when BullMQ stops retrying (moved to the failed set).
    if (!job?.finishedOn) return Promise.resolve();
    return this.completion.gaveUp(job, error?.message ?? 'failed').catch(() => undefined);
  }
}
