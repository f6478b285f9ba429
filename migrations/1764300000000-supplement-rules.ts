import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rules 6-7 of issue 13. `dossiers.pause_warned_at`: the `paused_at` of the pause the deadline sweep already
 * warned about (a paused dossier whose due date passed): once per dossier per pause.
 */
export class SupplementRules1764300000000 implements MigrationInterface {
  name = 'SupplementRules1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dossiers ADD COLUMN pause_warned_at timestamptz`);
    await q.query(
      `COMMENT ON COLUMN dossiers.pause_warned_at IS 'paused_at of the pause the deadline sweep warned about (due date passed while paused)'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dossiers DROP COLUMN IF EXISTS pause_warned_at`);
  }
}
