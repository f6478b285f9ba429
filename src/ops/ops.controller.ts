import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../openapi/responses';
import { FailedJobDto, QueuesOverviewDto, RetriedJobDto, UndeliveredNotificationDto } from './views.dto';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { Roles } from '../auth/auth-user';
import { OpsService } from './ops.service';

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
  constructor(private readonly ops: OpsService) {}

  @ApiOperation({
    summary: 'Queues at a glance',
    description: 'Outbox backlog, each queue’s workers and job counts, refused provider callbacks.',
  })
  @ApiJson(200, QueuesOverviewDto)
  @Get('queues')
  overview() {
    return this.ops.overview();
  }

  @ApiOperation({ summary: 'Failed jobs of a queue', description: 'Newest first, with their reasons (ids only).' })
  @ApiJson(200, [FailedJobDto])
  @ApiProblems(400, [404, 'Unknown queue'])
  @Get('queues/:name/failed')
  failed(@Param('name') name: string, @Query() q: FailedQuery) {
    return this.ops.failed(name, q.limit ?? 50);
  }

  @ApiOperation({ summary: 'Retry a failed job', description: 'Only a job that is failed now.' })
  @ApiJson(200, RetriedJobDto)
  @ApiProblems([404, 'Unknown queue, or no failed job with this id'])
  @Post('queues/:name/jobs/:id/retry')
  @HttpCode(200)
  retry(@Param('name') name: string, @Param('id') id: string) {
    return this.ops.retry(name, id);
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
    return this.ops.notifications(q.status ?? 'failed', q.limit ?? 50);
  }
}
