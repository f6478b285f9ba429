import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account management (issue 8):
 * - `disabled_at` (and who did it): a disabled account cannot sign in, refresh
 *   or use a token it holds;
 * - `token_version`: carried in every access token (`ver`) and on every refresh
 *   token; bumping it (password change or reset, sign out everywhere, disable)
 *   revokes them all at once; the access-token check is one primary-key lookup;
 * - `last_sign_in_at` for the staff list;
 * - the hard account lock (`failed_logins`, `locked_until`) goes: sign-in
 *   failures are throttled per (identifier + client address) in Redis;
 * - an ID number is no longer a key anyone can claim: unverified duplicates
 *   are allowed, a verified one is unique (partial index);
 * - password resets: single-use links, only a hash of the token is stored;
 * - notifications about an account (no dossier): `dossier_id` may be NULL,
 *   unique per (event, channel, source, recipient) then.
 */
export class Accounts1764000100000 implements MigrationInterface {
  name = 'Accounts1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE accounts
        ADD COLUMN disabled_at timestamptz,
        ADD COLUMN disabled_by uuid REFERENCES accounts(id),
        ADD COLUMN token_version int NOT NULL DEFAULT 0,
        ADD COLUMN last_sign_in_at timestamptz,
        ADD COLUMN id_number_verified boolean NOT NULL DEFAULT false,
        DROP COLUMN failed_logins,
        DROP COLUMN locked_until`);
    await q.query(`ALTER TABLE accounts DROP CONSTRAINT accounts_id_number_key`);
    await q.query(`CREATE UNIQUE INDEX accounts_verified_id_number ON accounts (id_number) WHERE id_number_verified`);
    // Public lookup joins dossiers to their applicant's ID number: keep it indexed now that it is not unique.
    await q.query(`CREATE INDEX accounts_id_number ON accounts (id_number)`);
    await q.query(`CREATE INDEX accounts_staff ON accounts (agency_id, email) WHERE role <> 'citizen'`);

    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN token_version int NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX refresh_tokens_account_live ON refresh_tokens (account_id) WHERE revoked_at IS NULL`);

    await q.query(`
      CREATE TABLE password_resets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        -- sha256 of the token; set by the notifications worker when it mails the link (the token exists nowhere else).
        token_hash text UNIQUE,
        requested_by uuid REFERENCES accounts(id),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX password_resets_account ON password_resets (account_id, created_at)`);

    await q.query(`ALTER TABLE notifications ALTER COLUMN dossier_id DROP NOT NULL`);
    await q.query(`
      CREATE UNIQUE INDEX notifications_account_once ON notifications (event, channel, source_id, recipient_id)
       WHERE dossier_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS notifications_account_once`);
    await q.query(`DELETE FROM notifications WHERE dossier_id IS NULL`);
    await q.query(`ALTER TABLE notifications ALTER COLUMN dossier_id SET NOT NULL`);
    await q.query(`DROP TABLE IF EXISTS password_resets`);
    await q.query(`DROP INDEX IF EXISTS refresh_tokens_account_live`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN IF EXISTS token_version`);
    await q.query(`DROP INDEX IF EXISTS accounts_staff`);
    await q.query(`DROP INDEX IF EXISTS accounts_id_number`);
    await q.query(`DROP INDEX IF EXISTS accounts_verified_id_number`);
    // Fails if two accounts now share an ID number: resolve those by hand before going back.
    await q.query(`ALTER TABLE accounts ADD CONSTRAINT accounts_id_number_key UNIQUE (id_number)`);
    await q.query(`
      ALTER TABLE accounts
        ADD COLUMN failed_logins int NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz,
        DROP COLUMN IF EXISTS id_number_verified,
        DROP COLUMN IF EXISTS last_sign_in_at,
        DROP COLUMN IF EXISTS token_version,
        DROP COLUMN IF EXISTS disabled_by,
        DROP COLUMN IF EXISTS disabled_at`);
  }
}
