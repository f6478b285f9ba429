import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dossier's history lists the documents each step attached (dossier_documents.history_id). Without an index
 * that lookup scanned every document of every dossier once per history row: the dossier page and
 * GET /applications/:id/history slowed down as the portal filled up (bench: 78 ms of a page's 180 ms).
 */
export class HistoryAttachments1764000600000 implements MigrationInterface {
  name = 'HistoryAttachments1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX dossier_documents_history ON dossier_documents (history_id) WHERE history_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dossier_documents_history`);
  }
}
