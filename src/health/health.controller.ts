import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { Public } from '../auth/auth-user';
import { isShuttingDown } from '../common/lifecycle';
import { ServiceUnavailable } from '../common/problem';
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
    @InjectQueue(QUEUES.payments) private readonly payments: Queue,
    @InjectQueue(QUEUES.delivery) private readonly delivery: Queue,
  ) {}

  @Public() @Get() @HealthCheck()
  check() {
    if (isShuttingDown()) throw new ServiceUnavailable('This instance is shutting down.');
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      () => this.queues(),
    ]);
  }

  /** Redis answers, and every queue has at least one worker attached (workers may run in other processes). */
  private async queues() {
    const check = this.indicator.check('queues');
    try {
      const client = (await this.notifications.client) as unknown as { ping(): Promise<string> };
      await Promise.race([client.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('redis timeout')), 2000))]);
      const details: Record<string, unknown> = {};
      let idle = 0;
      for (const q of [this.notifications, this.payments, this.delivery]) {
        const workers = await q.getWorkersCount();
        if (workers === 0) idle++;
        details[q.name] = { workers, ...(await q.getJobCounts('waiting', 'active', 'delayed', 'failed')) };
      }
      return idle ? check.down({ redis: 'up', queues: details, message: `${idle} queue(s) without a worker` }) : check.up({ redis: 'up', queues: details });
    } catch (e) {
      return check.down({ redis: 'down', message: (e as Error).message });
    }
  }
}
