import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed results and receipts (src/signing). `signing_keys`: the development demo CA and per-agency demo keys,
 * made at first use (never in git; production reads PKCS#12 files from SIGNING_KEYS_DIR and keeps none here).
 * `dossier_results.signature`: who signed an issued result and when (organisation, name, certificate serial,
 * signed at), read from its PDF signature, shown by /verify.
 */
export class Signing1764200100000 implements MigrationInterface {
  name = 'Signing1764200100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE signing_keys (
      subject text PRIMARY KEY,
      key_pem text NOT NULL,
      cert_pem text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(
      `COMMENT ON TABLE signing_keys IS 'Development demo CA (subject ''ca'') and agency keys (subject = agency code)'`,
    );
    await q.query(`ALTER TABLE dossier_results ADD COLUMN signature jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dossier_results DROP COLUMN IF EXISTS signature`);
    await q.query(`DROP TABLE IF EXISTS signing_keys`);
  }
}
