import { DeliveryProcessor } from '../delivery/delivery.processor';
import { NotificationsProcessor } from '../notifications/notifications.processor';
import { PaymentsProcessor } from '../payments/payments.processor';
import { JOB_QUEUE, JobName, QUEUES, SCHEDULES } from './jobs';

const PROCESSORS = [NotificationsProcessor, PaymentsProcessor, DeliveryProcessor];

describe('job registry', () => {
  it('every job name has exactly one handler, on the queue the registry assigns it', () => {
    const handled = PROCESSORS.flatMap((p) => p.handles.map((name) => ({ name, queue: p.queue })));
    const names = handled.map((h) => h.name).sort();
    expect(names).toEqual((Object.keys(JOB_QUEUE) as JobName[]).sort());
    expect(new Set(names).size).toBe(names.length);
    for (const h of handled) expect(JOB_QUEUE[h.name]).toBe(h.queue);
  });

  it('every queue has one processor, and every schedule names a known job', () => {
    expect(PROCESSORS.map((p) => p.queue).sort()).toEqual(Object.values(QUEUES).sort());
    for (const s of SCHEDULES) expect(JOB_QUEUE[s.name]).toBeDefined();
  });
});
