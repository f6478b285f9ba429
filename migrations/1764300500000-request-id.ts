import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14 (observability): the correlation id of the request that wrote an outbox row (its `x-request-id`, or the
 * id generated for it), carried by the relay into the job's data and from there into every log line of the job.
 * NULL for rows written outside a request (scheduled jobs, scripts).
 */
export class RequestId1764300500000 implements MigrationInterface {
  name = 'RequestId1764300500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN request_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS request_id`);
  }
}
