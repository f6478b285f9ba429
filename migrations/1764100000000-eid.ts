import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in with the national electronic identity (issue 12, OpenID Connect):
 * - `eid_flows`: one row per sign-in started (state, nonce, PKCE verifier, where to go next), single use and short
 *   lived; for a web sign-in it is bound to the browser by the SHA-256 of a random HttpOnly cookie; for a mobile
 *   app (`handoff`) it later carries the one-time code the app trades for tokens; while a citizen links an existing
 *   password account it keeps the claims it will verify;
 * - an account made from eID claims may have no email (the provider need not send one) and records the birthdate;
 * - `web_sessions.id_token`: the ID token of a page session begun with eID, the hint for the provider's logout.
 * A verified ID number belongs to one account only: `accounts_verified_id_number` (issue 8) says so.
 */
export class Eid1764100000000 implements MigrationInterface {
  name = 'Eid1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL, ADD COLUMN birthdate date`);
    await q.query(`ALTER TABLE web_sessions ADD COLUMN id_token text`);
    await q.query(`
      CREATE TABLE eid_flows (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        state text NOT NULL UNIQUE,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        browser_hash bytea,
        handoff boolean NOT NULL DEFAULT false,
        next text,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        link_hash bytea UNIQUE,
        link_account_id uuid REFERENCES accounts(id) ON DELETE CASCADE,
        link_claims jsonb,
        id_token text,
        account_id uuid REFERENCES accounts(id) ON DELETE CASCADE,
        code_hash bytea,
        code_expires_at timestamptz,
        code_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT eid_flows_web_or_app CHECK (handoff OR browser_hash IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX eid_flows_expires ON eid_flows (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS eid_flows`);
    await q.query(`ALTER TABLE web_sessions DROP COLUMN IF EXISTS id_token`);
    // Fails while an account has no email: give those one first.
    await q.query(`ALTER TABLE accounts DROP COLUMN IF EXISTS birthdate, ALTER COLUMN email SET NOT NULL`);
  }
}
