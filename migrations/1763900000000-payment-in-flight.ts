import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A success can arrive for an attempt we already expired while a newer
 * attempt is in flight (the citizen paid in an old tab). The old index made
 * such a success impossible to record, losing the money. Now: at most one
 * attempt *in flight* per request (the index), and at most one *credit* per
 * request (a compare-and-set on payment_requests.status); a success that
 * cannot be credited is kept and refunded.
 */
export class PaymentInFlight1763900000000 implements MigrationInterface {
  name = 'PaymentInFlight1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payment_attempts_one_live`);
    await q.query(
      `CREATE UNIQUE INDEX payment_attempts_one_in_flight ON payment_attempts (request_id) WHERE state IN ('created','pending')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payment_attempts_one_in_flight`);
    await q.query(`
      CREATE UNIQUE INDEX payment_attempts_one_live ON payment_attempts (request_id)
       WHERE state IN ('created','pending','succeeded','refund_pending','refunded')`);
  }
}
