import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { JobObserver, jobObserver, observeJobs } from '../jobs/observed-worker';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics.server';

/**
 * Hands the job workers (src/jobs/observed-worker.ts) the root logger their runs' contexts derive from and the
 * metrics they report to; made when the app is built, before any worker runs.
 */
@Injectable()
export class JobObservation implements OnApplicationShutdown {
  private readonly observer: JobObserver;

  constructor(metrics: Metrics, pino: PinoLogger) {
    this.observer = {
      // Read outside any request: nestjs-pino's root logger, with the portal's options and destination.
      logger: pino.logger,
      finished: (queue, name, status, seconds, result) => metrics.jobFinished(queue, name, status, seconds, result),
    };
    observeJobs(this.observer);
  }

  onApplicationShutdown(): void {
    if (jobObserver() === this.observer) observeJobs(undefined);
  }
}

/** Prometheus metrics (src/metrics/metrics.ts) and what serves them; every role. */
@Global()
@Module({ providers: [Metrics, MetricsServer, JobObservation], exports: [Metrics] })
export class MetricsModule {}
