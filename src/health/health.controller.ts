import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { Public } from '../auth/auth-user';
import { QUEUES } from '../jobs/jobs';

/**
 * Liveness of what the portal needs: the database, Redis, and at least one
 * worker attached to each queue (reported, with queue depths).
 */
@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @InjectQueue(QUEUES.notifications) private readonly notifications: Queue,
  ) {}

  @Public() @Get() @HealthCheck()
  check() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      () => this.queues(),
    ]);
  }

  private async queues() {
    const check = this.indicator.check('redis');
    try {
      const client = (await this.notifications.client) as unknown as { ping(): Promise<string> };
      const pong = await Promise.race([client.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000))]);
      const workers = await this.notifications.getWorkersCount();
      const counts = await this.notifications.getJobCounts('waiting', 'active', 'delayed', 'failed');
      return check.up({ ping: pong, queues: { [QUEUES.notifications]: { workers, ...counts } } });
    } catch (e) {
      return check.down({ message: (e as Error).message });
    }
  }
}
