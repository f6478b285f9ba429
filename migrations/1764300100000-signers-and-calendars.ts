import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rules 9 and 10 (issue 13). `accounts.title`: a staff member's position ("Trưởng phòng", "Phó Giám đốc"), shown
 * under their name in the signature block of the results they approve. Agencies' calendars get
 * `national: true`: their deadlines count the national public holidays (src/workflow/holidays-vn.ts), their own
 * `holidays` add to them.
 */
export class SignersAndCalendars1764300100000 implements MigrationInterface {
  name = 'SignersAndCalendars1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts ADD COLUMN title text`);
    await q.query(`COMMENT ON COLUMN accounts.title IS 'Staff position, shown in the signature block of results'`);
    await q.query(
      `UPDATE agencies SET calendar = calendar || '{"national": true}'::jsonb WHERE NOT calendar ? 'national'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE agencies SET calendar = calendar - 'national'`);
    await q.query(`ALTER TABLE accounts DROP COLUMN IF EXISTS title`);
  }
}
