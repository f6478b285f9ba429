import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counter intake and digitisation (issue 13):
 * - `dossiers.channel` also takes 'post' (papers received by post), beside 'online' and 'counter';
 * - a document row records whether it is a scan of paper (`digitised`) and by whom (`digitised_by`), or that it
 *   reuses an earlier document (`reused_from_document_id`) or result (`reused_from_result_id`) of the same citizen
 *   (the "do not ask twice" rule): the same stored bytes, pointed to again;
 * - a procedure version may give time limits per channel, in working days and/or hours (`time_limits`,
 *   `{online?: {days?, hours?}, counter?: ..., post?: ...}`); without one, `processing_days` applies.
 */
export class Counter1764300200000 implements MigrationInterface {
  name = 'Counter1764300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dossiers DROP CONSTRAINT IF EXISTS dossiers_channel_check`);
    await q.query(
      `ALTER TABLE dossiers ADD CONSTRAINT dossiers_channel_check CHECK (channel IN ('online','counter','post'))`,
    );
    await q.query(`
      ALTER TABLE dossier_documents
        ADD COLUMN digitised boolean NOT NULL DEFAULT false,
        ADD COLUMN digitised_by uuid REFERENCES accounts(id),
        ADD COLUMN reused_from_document_id uuid REFERENCES dossier_documents(id),
        ADD COLUMN reused_from_result_id uuid REFERENCES dossier_results(id),
        ADD CONSTRAINT dossier_documents_digitised_by CHECK (digitised = (digitised_by IS NOT NULL)),
        ADD CONSTRAINT dossier_documents_one_source CHECK (reused_from_document_id IS NULL OR reused_from_result_id IS NULL)`);
    await q.query(`ALTER TABLE procedure_versions ADD COLUMN time_limits jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE procedure_versions DROP COLUMN IF EXISTS time_limits`);
    await q.query(`
      ALTER TABLE dossier_documents
        DROP CONSTRAINT IF EXISTS dossier_documents_one_source,
        DROP CONSTRAINT IF EXISTS dossier_documents_digitised_by,
        DROP COLUMN IF EXISTS reused_from_result_id,
        DROP COLUMN IF EXISTS reused_from_document_id,
        DROP COLUMN IF EXISTS digitised_by,
        DROP COLUMN IF EXISTS digitised`);
    // Fails while a dossier came by post: move those first.
    await q.query(`ALTER TABLE dossiers DROP CONSTRAINT IF EXISTS dossiers_channel_check`);
    await q.query(`ALTER TABLE dossiers ADD CONSTRAINT dossiers_channel_check CHECK (channel IN ('online','counter'))`);
  }
}
