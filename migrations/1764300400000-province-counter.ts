import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Province-wide acceptance at the counter (issue 13: "a counter can receive a dossier for another agency of the
 * province and route it to the competent one"):
 * - `agencies.province_code`: the province an agency belongs to, read from its electronic identifier
 *   (Decision 20/2020/QĐ-TTg: `000.00.00.H56`, the last group `H` + two digits naming the province). Generated, so
 *   every writer of agencies (seed, admin API) keeps it right; NULL for a code without such a group (a ministry's,
 *   `G..`, or a free-form code): such an agency's counter receives only its own procedures.
 * - `dossiers.received_agency_id`: the agency whose counter received a dossier filed at the counter or by post
 *   (NULL online). Another agency than the procedure's when the counter received it for a competent agency of the
 *   same province; that counter's staff keep reading what they received (receipt, form 01), not working it.
 */
export class ProvinceCounter1764300400000 implements MigrationInterface {
  name = 'ProvinceCounter1764300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE agencies ADD COLUMN province_code text
         GENERATED ALWAYS AS (substring(code from '\\.(H[0-9]{2})$')) STORED`,
    );
    await q.query(`ALTER TABLE dossiers ADD COLUMN received_agency_id uuid REFERENCES agencies(id)`);
    // Counter and post filings so far were received by the procedure's own agency.
    await q.query(`UPDATE dossiers SET received_agency_id = agency_id WHERE channel IN ('counter','post')`);
    await q.query(
      `CREATE INDEX dossiers_received_agency ON dossiers (received_agency_id) WHERE received_agency_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dossiers_received_agency`);
    await q.query(`ALTER TABLE dossiers DROP COLUMN IF EXISTS received_agency_id`);
    await q.query(`ALTER TABLE agencies DROP COLUMN IF EXISTS province_code`);
  }
}
