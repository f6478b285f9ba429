import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import type { Queue } from 'bullmq';
import { Roles } from '../auth/auth-user';
import { NotFound } from '../common/problem';
import { JobQueues } from '../jobs/jobs.module';
import { NotificationsRepository } from '../notifications/notifications.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { CallbackFailures } from '../security/callback-failures';

class FailedQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

class NotificationsQuery extends FailedQuery {
  @IsOptional()
  @IsIn(['failed', 'sending', 'sent'])
  status?: 'failed' | 'sending' | 'sent';
}

/**
 * What an operator at 3 a.m. needs: every queue's depth and workers, the
 * failed jobs with their reasons (job data is ids only), a retry button, the
 * messages that could not be delivered, and the provider callbacks refused for
 * a bad signature. Admin only.
 */
@ApiTags('ops')
@Roles('admin')
@Controller('admin')
export class OpsController {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly notificationRows: NotificationsRepository,
    private readonly queues: JobQueues,
    private readonly callbacks: CallbackFailures,
  ) {}

  @Get('queues')
  async overview() {
    const pending = await this.outbox.pendingCount();
    const queues = await Promise.all(
      this.queues.all().map(async (q) => ({
        name: q.name,
        workers: await q.getWorkersCount(),
        counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
      })),
    );
    // Per callback: bad signatures (never stored) and the 429s of addresses over CALLBACK_FAILURE_RATE_LIMIT.
    const rejectedCallbacks = await this.callbacks.totals().catch(() => null);
    return { outboxPending: pending, queues, rejectedCallbacks };
  }

  @Get('queues/:name/failed')
  async failed(@Param('name') name: string, @Query() q: FailedQuery) {
    const jobs = await this.queue(name).getFailed(0, (q.limit ?? 50) - 1);
    return jobs.map((j) => ({
      id: j.id,
      name: j.name,
      data: j.data as unknown,
      attemptsMade: j.attemptsMade,
      failedReason: j.failedReason,
      failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
    }));
  }

  @Post('queues/:name/jobs/:id/retry')
  @HttpCode(200)
  async retry(@Param('name') name: string, @Param('id') id: string) {
    const job = await this.queue(name).getJob(id);
    if (!job || !(await job.isFailed())) throw new NotFound('job');
    await job.retry('failed');
    return { id, retried: true };
  }

  /** Messages not (yet) delivered, with why; personal data stays out (ids and events only). */
  @Get('notifications')
  notifications(@Query() q: NotificationsQuery) {
    return this.notificationRows.list(q.status ?? 'failed', q.limit ?? 50);
  }

  private queue(name: string): Queue {
    // Own keys only: a path like /queues/constructor/failed must not reach Object.prototype.
    const queue = this.queues.find(name);
    if (!queue) throw new NotFound('queue');
    return queue;
  }
}
