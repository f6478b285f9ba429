import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Server-side sessions for the pages (issue 10). The cookie carries 32 random bytes; only their SHA-256 is stored.
 * A session carries the account's `token_version` when it began: signing out everywhere, changing or resetting the
 * password and disabling the account bump it, and every page request checks it with the account's state in one
 * query, so those end every page session at once, on every replica. Idle and absolute expiry are checked in that
 * query too; expired rows are removed as they are met and by the periodic cleanup in WebSessionsRepository.
 */
export class WebSessions1764000500000 implements MigrationInterface {
  name = 'WebSessions1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE web_sessions (
        id_hash bytea PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        token_version int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX web_sessions_account ON web_sessions (account_id)`);
    await q.query(`CREATE INDEX web_sessions_expires ON web_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE web_sessions`);
  }
}
