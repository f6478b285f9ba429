import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff second factor (issue 12): a TOTP secret per account (AES-256-GCM ciphertext, never the secret in clear),
 * active once confirmed with a first code; the last accepted time-step (a code is never accepted twice); ten
 * single-use recovery codes, stored as keyed hashes; the pending sign-in between the password and the second
 * factor (only the SHA-256 of its cookie is stored); and `account_events`, the audit of administrators' actions
 * on accounts (who did what to whom, when).
 */
export class StaffMfa1764100100000 implements MigrationInterface {
  name = 'StaffMfa1764100100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff_mfa (
        account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        secret_enc text NOT NULL,
        confirmed_at timestamptz,
        last_step bigint,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE staff_mfa_recovery_codes (
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        code_hash bytea NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (account_id, code_hash)
      )`);
    await q.query(`
      CREATE TABLE mfa_pending (
        id_hash bytea PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        token_version int NOT NULL,
        purpose text NOT NULL CHECK (purpose IN ('verify', 'enrol')),
        identifier text NOT NULL,
        next_path text,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX mfa_pending_expires ON mfa_pending (expires_at)`);
    await q.query(`
      CREATE TABLE account_events (
        id bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        actor_id uuid REFERENCES accounts(id) ON DELETE SET NULL,
        action text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX account_events_account ON account_events (account_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE account_events`);
    await q.query(`DROP TABLE mfa_pending`);
    await q.query(`DROP TABLE staff_mfa_recovery_codes`);
    await q.query(`DROP TABLE staff_mfa`);
  }
}
