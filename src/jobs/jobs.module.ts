import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QUEUES, QueueName } from './jobs';
import { ObservedWorker } from './observed-worker';

/** Every processor's worker runs its jobs in a logging context of their own and reports them to the metrics. */
BullModule.workerClass = ObservedWorker;

/** Every queue of the registry (src/jobs/jobs.ts), registered once here: adding a queue is one edit in jobs.ts. */
const queues = BullModule.registerQueue(...Object.values(QUEUES).map((name) => ({ name })));

/** The registered queues by name: for code that works on every queue (the outbox relay, operators, health). */
export class JobQueues {
  private readonly byName: Record<QueueName, Queue>;

  constructor(queues: Queue[]) {
    this.byName = Object.fromEntries(queues.map((q) => [q.name, q])) as Record<QueueName, Queue>;
  }

  /** The queue of that name; undefined for a name the registry does not know (own keys only: no prototype). */
  find(name: string): Queue | undefined {
    return Object.hasOwn(this.byName, name) ? this.byName[name as QueueName] : undefined;
  }

  get(name: QueueName): Queue {
    const queue = this.find(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  }

  all(): Queue[] {
    return Object.values(this.byName);
  }
}

/**
 * One module registers every queue of the job registry, for both roles: producers and operators (API) and
 * processors (worker) inject them from here (`@InjectQueue(name)` or `JobQueues`).
 */
@Global()
@Module({
  imports: [queues],
  providers: [
    {
      provide: JobQueues,
      useFactory: (...registered: Queue[]) => new JobQueues(registered),
      inject: Object.values(QUEUES).map((name) => getQueueToken(name)),
    },
  ],
  exports: [queues, JobQueues],
})
export class JobsModule {}
