import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JOB_QUEUE, JobDataByName, JobName } from '../jobs/jobs';

export interface OutboxMessage<N extends JobName = JobName> {
  name: N;
  data: JobDataByName[N];
}

/**
 * Side effects are written as outbox rows inside the transaction of the state
 * change they belong to; the relay (worker) moves them into BullMQ with
 * `jobId` = outbox id. Redis being down therefore delays work, never loses it.
 */
@Injectable()
export class OutboxService {
  /** Adds messages in one statement, inside the caller's transaction. */
  async add(m: EntityManager, messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const values: unknown[] = [];
    const tuples = messages.map((msg, i) => {
      values.push(JOB_QUEUE[msg.name], msg.name, JSON.stringify(msg.data));
      return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`;
    });
    await m.query(`INSERT INTO outbox (queue, job_name, payload) VALUES ${tuples.join(', ')}`, values);
  }
}
