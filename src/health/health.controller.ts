import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public, Roles } from '../auth/auth-user';
import { isShuttingDown } from '../common/lifecycle';
import { ServiceUnavailable } from '../common/problem';
import { JobQueues } from '../jobs/jobs.module';
import { ApiJson, ApiProblems } from '../openapi/responses';
import { HealthDetailsDto, HealthOkDto } from './views.dto';

/**
 * Liveness of what the portal needs: the database, Redis, and at least one
 * worker attached to each queue. The public sees only up (200 `{status:'ok'}`)
 * or down (503 problem+json); the details (queue depths, workers, errors) are
 * for admins at `/health/details`.
 */
@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    private readonly jobQueues: JobQueues,
  ) {}

  @Public()
  @Get()
  @ApiOperation({
    summary: 'Is the portal up?',
    description: 'Database, Redis and a worker on every queue; 503 problem+json (no details) when not.',
    security: [],
  })
  @ApiJson(200, HealthOkDto, 'Up')
  @ApiProblems([503, 'Down, or this instance is shutting down'])
  async check(): Promise<{ status: 'ok' }> {
    if (isShuttingDown()) throw new ServiceUnavailable('This instance is shutting down.');
    const report = await this.report();
    if (report.status !== 'ok') throw new ServiceUnavailable();
    return { status: 'ok' };
  }

  /** The full report for admins: 200 whether the portal is up or not; `status` says which. */
  @Roles('admin')
  @Get('details')
  @ApiOperation({ summary: 'The full health report', description: '200 whether up or not; `status` says which.' })
  @ApiJson(200, HealthDetailsDto)
  @ApiProblems(401, 403)
  async details(): Promise<HealthCheckResult & { shuttingDown: boolean }> {
    return { ...(await this.report()), shuttingDown: isShuttingDown() };
  }

  private async report(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.db.pingCheck('database', { timeout: 2000 }), () => this.queues()]);
    } catch (e) {
      // Terminus throws its report (status 'error') as a 503 exception.
      if (e instanceof ServiceUnavailableException) return e.getResponse() as HealthCheckResult;
      throw e;
    }
  }

  /** Redis answers, and every queue has at least one worker attached (workers may run in other processes). */
  private async queues() {
    const check = this.indicator.check('queues');
    try {
      const queues = this.jobQueues.all();
      const client = (await queues[0].client) as unknown as { ping(): Promise<string> };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.ping(),
          new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('redis timeout')), 2000))),
        ]);
      } finally {
        clearTimeout(timer); // no timer left behind each check (it kept test processes alive)
      }
      const details: Record<string, unknown> = {};
      let idle = 0;
      for (const q of queues) {
        const workers = await q.getWorkersCount();
        if (workers === 0) idle++;
        details[q.name] = { workers, ...(await q.getJobCounts('waiting', 'active', 'delayed', 'failed')) };
      }
      return idle
        ? check.down({ redis: 'up', queues: details, message: `${idle} queue(s) without a worker` })
        : check.up({ redis: 'up', queues: details });
    } catch (e) {
      return check.down({ redis: 'down', message: (e as Error).message });
    }
  }
}
