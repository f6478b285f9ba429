import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A completion mark per outbox row, so that a Redis that comes back empty loses no work (issue 14):
 * `done_at` is set by the job's handler when it finished (in the transaction of its effect where it writes one),
 * or when BullMQ gave the job up after its last attempt (`last_error` then says why). The relay's reconciler
 * re-adds rows dispatched a while ago and not done (`outbox_unfinished`), under the same job id, so BullMQ drops the
 * copy while the job still exists and runs it again once Redis has lost it.
 *
 * Rows dispatched more than a day ago (beyond BullMQ's keep-completed window) count as done; newer dispatched rows
 * are left to the reconciler: a job still in Redis is not added twice, a lost one runs again (handlers are
 * idempotent, so a job that had already finished does nothing the second time).
 */
export class OutboxDone1764300600000 implements MigrationInterface {
  name = 'OutboxDone1764300600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN done_at timestamptz`);
    await q.query(`UPDATE outbox SET done_at = dispatched_at WHERE dispatched_at < now() - interval '1 day'`);
    await q.query(
      `CREATE INDEX outbox_unfinished ON outbox (dispatched_at) WHERE dispatched_at IS NOT NULL AND done_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox_unfinished`);
    await q.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS done_at`);
  }
}
