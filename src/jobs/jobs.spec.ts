import { BullModule } from '@nestjs/bullmq';
import { Test } from '@nestjs/testing';
import { environmentValue } from '../config/configuration';
import { redisOptions } from '../config/redis';
import { DeliveryProcessor } from '../delivery/delivery.processor';
import { NotificationsProcessor } from '../notifications/notifications.processor';
import { PaymentsProcessor } from '../payments/payments.processor';
import { JOB_QUEUE, JobName, QUEUES, SCHEDULES } from './jobs';
import { JobQueues, JobsModule } from './jobs.module';

const PROCESSORS = [NotificationsProcessor, PaymentsProcessor, DeliveryProcessor];
const JOB_NAMES = Object.keys(JOB_QUEUE) as JobName[];

describe('job registry', () => {
  it('every job name has exactly one handler, on the queue the registry assigns it', () => {
    const handled = PROCESSORS.flatMap((p) => p.handles.map((name) => ({ name, queue: p.queue })));
    const names = handled.map((h) => h.name).sort();
    expect(names).toEqual([...JOB_NAMES].sort());
    expect(new Set(names).size).toBe(names.length);
    for (const h of handled) expect(JOB_QUEUE[h.name]).toBe(h.queue);
  });

  it('every queue has one processor, and every schedule names a known job', () => {
    expect(PROCESSORS.map((p) => p.queue).sort()).toEqual(Object.values(QUEUES).sort());
    for (const s of SCHEDULES) expect(JOB_QUEUE[s.name]).toBeDefined();
    for (const s of SCHEDULES) expect(Number.isInteger(s.everyMs) && s.everyMs > 0).toBe(true);
  });

  describe('JobsModule', () => {
    let close: () => Promise<void>;
    let queues: JobQueues;

    beforeAll(async () => {
      // Registering queues connects to Redis (the test Redis) but writes nothing.
      const ref = await Test.createTestingModule({
        imports: [
          BullModule.forRoot({ connection: redisOptions(environmentValue('REDIS_URL')), prefix: 'jobs-spec' }),
          JobsModule,
        ],
      }).compile();
      queues = ref.get(JobQueues);
      close = () => ref.close();
    });
    afterAll(() => close());

    it('registers every queue of the registry, and nothing else', () => {
      expect(
        queues
          .all()
          .map((q) => q.name)
          .sort(),
      ).toEqual(Object.values(QUEUES).sort());
      expect(queues.find('constructor')).toBeUndefined();
      expect(queues.find('unknown')).toBeUndefined();
    });

    it('the relay finds a registered queue for every job the outbox can emit, and one processor handles it there', () => {
      // The outbox stores JOB_QUEUE[name] with each row (OutboxService.add); the relay adds it to that queue.
      for (const name of JOB_NAMES) {
        const queue = queues.find(JOB_QUEUE[name]);
        expect(queue?.name).toBe(JOB_QUEUE[name]);
        expect(PROCESSORS.filter((p) => p.queue === queue?.name && p.handles.includes(name))).toHaveLength(1);
      }
    });
  });
});
