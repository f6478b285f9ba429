import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transfer between agencies (liên thông). `transfer_agency_id`: the agency working the dossier while a workflow
 * state names another agency than the procedure's (`agency` on the state), NULL while the owning agency works it;
 * set on each transition. `current_agency_id`: the working agency, derived (coalesce with `agency_id`) so every
 * writer of dossiers, old and new, keeps it right. The clerk's queue reads it: its two indexes move from
 * `agency_id` to `current_agency_id` (same names, same shape: keyset over (attention_at, id)).
 */
export class Transfer1764300300000 implements MigrationInterface {
  name = 'Transfer1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dossiers ADD COLUMN transfer_agency_id uuid REFERENCES agencies(id)`);
    await q.query(
      `ALTER TABLE dossiers ADD COLUMN current_agency_id uuid NOT NULL
         GENERATED ALWAYS AS (coalesce(transfer_agency_id, agency_id)) STORED`,
    );
    await q.query(`DROP INDEX IF EXISTS dossiers_queue`);
    await q.query(`DROP INDEX IF EXISTS dossiers_queue_state`);
    await q.query(
      `CREATE INDEX dossiers_queue ON dossiers (current_agency_id, attention_at, id) WHERE attention_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX dossiers_queue_state ON dossiers (current_agency_id, state, attention_at, id) WHERE attention_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dossiers_queue`);
    await q.query(`DROP INDEX IF EXISTS dossiers_queue_state`);
    await q.query(`ALTER TABLE dossiers DROP COLUMN IF EXISTS current_agency_id`);
    await q.query(`ALTER TABLE dossiers DROP COLUMN IF EXISTS transfer_agency_id`);
    await q.query(
      `CREATE INDEX dossiers_queue ON dossiers (agency_id, attention_at, id) WHERE attention_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX dossiers_queue_state ON dossiers (agency_id, state, attention_at, id) WHERE attention_at IS NOT NULL`,
    );
  }
}
