import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Online payment of fees: what a dossier owes (opened by the workflow's
 * `requirePayment` effect), payment attempts with every provider message,
 * receipts, refunds, and the built-in VNPay sandbox gateway's own ledger.
 */
export class Payments1763880000000 implements MigrationInterface {
  name = 'Payments1763880000000';

  async up(q: QueryRunner): Promise<void> {
    // Published versions are immutable row by row; adding a column with a default does not update rows.
    await q.query(
      `ALTER TABLE procedure_versions ADD COLUMN postal_fee_vnd int NOT NULL DEFAULT 0 CHECK (postal_fee_vnd >= 0)`,
    );
    await q.query(`ALTER TABLE procedure_versions ADD COLUMN refundable boolean NOT NULL DEFAULT true`);

    await q.query(`
      CREATE TABLE payment_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        stage text NOT NULL CHECK (stage IN ('before_receipt','after_approval')),
        items jsonb NOT NULL,
        amount_vnd bigint NOT NULL CHECK (amount_vnd > 0),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','paid','refund_pending','refunded','void')),
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        UNIQUE (dossier_id, stage)
      )`);

    await q.query(`
      CREATE TABLE payment_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id uuid NOT NULL REFERENCES payment_requests(id),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        provider text NOT NULL,
        txn_ref text NOT NULL UNIQUE,
        amount_vnd bigint NOT NULL CHECK (amount_vnd > 0),
        state text NOT NULL CHECK (state IN ('created','pending','succeeded','failed','cancelled','expired','refund_pending','refunded')),
        redirect_url text,
        provider_txn_no text,
        bank_code text,
        paid_at timestamptz,
        expires_at timestamptz NOT NULL,
        last_checked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one live attempt per payment request: two starts in a hurry give one attempt.
    await q.query(`
      CREATE UNIQUE INDEX payment_attempts_one_live ON payment_attempts (request_id)
       WHERE state IN ('created','pending','succeeded','refund_pending','refunded')`);
    // One credit per provider transaction.
    await q.query(
      `CREATE UNIQUE INDEX payment_attempts_provider_txn ON payment_attempts (provider, provider_txn_no) WHERE provider_txn_no IS NOT NULL AND state IN ('succeeded','refund_pending','refunded')`,
    );
    await q.query(
      `CREATE INDEX payment_attempts_pending ON payment_attempts (created_at) WHERE state IN ('created','pending')`,
    );
    await q.query(`CREATE INDEX payment_attempts_dossier ON payment_attempts (dossier_id)`);

    await q.query(`
      CREATE TABLE payment_events (
        id bigserial PRIMARY KEY,
        attempt_id uuid REFERENCES payment_attempts(id),
        source text NOT NULL CHECK (source IN ('start','ipn','return','querydr','expiry','refund')),
        outcome text NOT NULL,
        from_state text,
        to_state text,
        raw jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payment_events_attempt ON payment_events (attempt_id, id)`);
    await q.query(`CREATE INDEX payment_events_at ON payment_events (at)`);

    await q.query(`CREATE SEQUENCE receipt_number_seq`);
    await q.query(`
      CREATE TABLE payment_receipts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        attempt_id uuid NOT NULL UNIQUE REFERENCES payment_attempts(id),
        number text NOT NULL UNIQUE,
        payer_name text NOT NULL,
        items jsonb NOT NULL,
        amount_vnd bigint NOT NULL,
        provider text NOT NULL,
        provider_txn_no text NOT NULL,
        paid_at timestamptz NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE payment_refunds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        attempt_id uuid NOT NULL UNIQUE REFERENCES payment_attempts(id),
        amount_vnd bigint NOT NULL,
        reason text NOT NULL,
        state text NOT NULL CHECK (state IN ('requested','succeeded','failed')),
        provider_ref text,
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        requested_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);

    // The sandbox gateway (development and tests only) keeps its own ledger, as a real gateway would.
    await q.query(`
      CREATE TABLE sandbox_vnpay_transactions (
        txn_ref text PRIMARY KEY,
        tmn_code text NOT NULL,
        amount_raw text NOT NULL,
        order_info text NOT NULL,
        return_url text NOT NULL,
        create_date text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending','paid','cancelled','refunded')),
        transaction_no text UNIQUE,
        bank_code text,
        pay_date text,
        ipn_attempts int NOT NULL DEFAULT 0,
        ipn_last_response text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE SEQUENCE sandbox_vnpay_transaction_no START 14000000`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE IF EXISTS sandbox_vnpay_transactions, payment_refunds, payment_receipts, payment_events, payment_attempts, payment_requests`,
    );
    await q.query(`DROP SEQUENCE IF EXISTS receipt_number_seq, sandbox_vnpay_transaction_no`);
    await q.query(
      `ALTER TABLE procedure_versions DROP COLUMN IF EXISTS postal_fee_vnd, DROP COLUMN IF EXISTS refundable`,
    );
  }
}
