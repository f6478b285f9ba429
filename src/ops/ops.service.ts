import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { NotFound } from '../common/problem';
import { JobQueues } from '../jobs/jobs.module';
import { NotificationsRepository, UndeliveredMessage } from '../notifications/notifications.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { CallbackFailures } from '../security/callback-failures';

/** A job that failed for good, with why (job data is ids only). */
export interface FailedJob {
  id: string | undefined;
  name: string;
  data: unknown;
  attemptsMade: number;
  failedReason: string;
  failedAt: Date | null;
}

/**
 * What operators see and do, for the ops API (src/ops/ops.controller.ts) and the admin pages (src/web): queue
 * depths, failed jobs and their retry, messages not delivered.
 */
@Injectable()
export class OpsService {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly notificationRows: NotificationsRepository,
    private readonly queues: JobQueues,
    private readonly callbacks: CallbackFailures,
  ) {}

  async overview() {
    const pending = await this.outbox.pendingCount();
    const unfinished = await this.outbox.unfinishedCount();
    const queues = await Promise.all(
      this.queues.all().map(async (q) => ({
        name: q.name,
        workers: await q.getWorkersCount(),
        counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
      })),
    );
    // Per callback: bad signatures (never stored) and the 429s of addresses over CALLBACK_FAILURE_RATE_LIMIT.
    const rejectedCallbacks = await this.callbacks.totals().catch(() => null);
    return { outboxPending: pending, outboxUnfinished: unfinished, queues, rejectedCallbacks };
  }

  /** The failed jobs of a queue, newest first; NotFound for a queue the registry does not know. */
  async failed(name: string, limit = 50): Promise<FailedJob[]> {
    const jobs = await this.queue(name).getFailed(0, limit - 1);
    return jobs.map((j) => ({
      id: j.id,
      name: j.name,
      data: j.data as unknown,
      attemptsMade: j.attemptsMade,
      failedReason: j.failedReason,
      failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
    }));
  }

  /** Retries a job that is failed now; NotFound for an unknown queue, or no failed job with this id. */
  async retry(name: string, id: string): Promise<{ id: string; retried: true }> {
    const job = await this.queue(name).getJob(id);
    if (!job || !(await job.isFailed())) throw new NotFound('job');
    await job.retry('failed');
    return { id, retried: true };
  }

  /** Messages with this status, newest first (ids and events only: no personal data). */
  notifications(status: 'failed' | 'sending' | 'sent', limit = 50): Promise<UndeliveredMessage[]> {
    return this.notificationRows.list(status, limit);
  }

  private queue(name: string): Queue {
    // Own keys only: a path like /queues/constructor/failed must not reach Object.prototype.
    const queue = this.queues.find(name);
    if (!queue) throw new NotFound('queue');
    return queue;
  }
}
