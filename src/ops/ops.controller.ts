import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../openapi/responses';
import { FailedJobDto, QueuesOverviewDto, RetriedJobDto, UndeliveredNotificationDto } from './views.dto';
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
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

class NotificationsQuery extends FailedQuery {
  @ApiPropertyOptional({ enum: ['failed', 'sending', 'sent'], default: 'failed' })
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
@ApiProblems(401, 403)
@Roles('admin')
@Controller('admin')
export class OpsController {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly notificationRows: NotificationsRepository,
    private readonly queues: JobQueues,
    private readonly callbacks: CallbackFailures,
  ) {}

  @ApiOperation({
    summary: 'Queues at a glance',
    description: 'Outbox backlog, each queue’s workers and job counts, refused provider callbacks.',
  })
  @ApiJson(200, QueuesOverviewDto)
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

  @ApiOperation({ summary: 'Failed jobs of a queue', description: 'Newest first, with their reasons (ids only).' })
  @ApiJson(200, [FailedJobDto])
  @ApiProblems(400, [404, 'Unknown queue'])
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

  @ApiOperation({ summary: 'Retry a failed job', description: 'Only a job that is failed now.' })
  @ApiJson(200, RetriedJobDto)
  @ApiProblems([404, 'Unknown queue, or no failed job with this id'])
  @Post('queues/:name/jobs/:id/retry')
  @HttpCode(200)
  async retry(@Param('name') name: string, @Param('id') id: string) {
    const job = await this.queue(name).getJob(id);
    if (!job || !(await job.isFailed())) throw new NotFound('job');
    await job.retry('failed');
    return { id, retried: true };
  }

  /** Messages not (yet) delivered, with why; personal data stays out (ids and events only). */
  @ApiOperation({
    summary: 'Undelivered messages',
    description: 'Email and SMS not (yet) delivered, with why; ids and events only.',
  })
  @ApiJson(200, [UndeliveredNotificationDto])
  @ApiProblems(400)
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
