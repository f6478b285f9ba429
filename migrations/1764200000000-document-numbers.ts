import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13: results and payment receipts are numbered per agency and per year (`000123/2026/KQ`,
 * `000123/2026/BL-<agency code>`), not from one portal-wide sequence. One counter row per (agency, year, kind),
 * incremented with INSERT ... ON CONFLICT DO UPDATE ... RETURNING in the issuing transaction (the row stays
 * locked until it ends: concurrent issues get consecutive numbers, no gaps from rolled-back ones). Numbers
 * already given are kept as they are; the old sequences stay for them and are no longer drawn from.
 */
export class DocumentNumbers1764200000000 implements MigrationInterface {
  name = 'DocumentNumbers1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE document_number_counters (
        agency_id uuid NOT NULL REFERENCES agencies(id),
        year int NOT NULL CHECK (year BETWEEN 2000 AND 2999),
        kind text NOT NULL CHECK (kind IN ('KQ', 'BL')),
        last_value int NOT NULL CHECK (last_value > 0),
        PRIMARY KEY (agency_id, year, kind)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS document_number_counters`);
  }
}
