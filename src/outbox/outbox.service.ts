import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JOB_QUEUE, JobDataByName, JobName } from '../jobs/jobs';
import { OutboxRepository } from './outbox.repository';

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
  constructor(private readonly outbox: OutboxRepository) {}

  /** Adds messages in one statement, inside the caller's transaction. */
  async add(m: EntityManager, messages: OutboxMessage[]): Promise<void> {
    await this.outbox.insert(
      m,
      messages.map((msg) => ({ queue: JOB_QUEUE[msg.name], name: msg.name, data: msg.data })),
    );
  }

  /** The message that mails a password-reset link (`account-event`), inside the caller's transaction. */
  async addPasswordReset(m: EntityManager, resetId: string): Promise<void> {
    await this.outbox.insertPasswordResetEvent(m, JOB_QUEUE['account-event'], resetId);
  }
}
