import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Db, execute, selectRows } from '../database/query-result';

/** One `dossier_history` row, every column (what its hash covers, and the hash itself). */
export interface HistoryRow {
  id: string;
  dossier_id: string;
  seq: number;
  action: string;
  from_state: string | null;
  to_state: string;
  actor_id: string | null;
  actor_role: string;
  comment: string | null;
  data: Record<string, unknown> | null;
  at: Date;
  prev_hash: string | null;
  hash: string;
}

/** The head of a dossier's history chain, as the dossier keeps it. */
export interface DossierHead {
  id: string;
  code?: string | null;
  history_seq: number;
  history_hash: string | null;
}

/**
 * The dossier history read whole, for its audit (src/security/history-audit.ts,
 * `npm run audit:verify`): the chain heads kept on `dossiers` and the
 * `dossier_history` rows. Reads only; the history is written by
 * DossierRepository (appendHistory), with the dossier. Runs on what it is
 * given: the data source, a transaction's EntityManager or QueryRunner, or a
 * plain `query` function, so an audit can read one snapshot.
 */
@Injectable()
export class HistoryRepository {
  constructor(@InjectDataSource() private readonly db: Db) {}

  /** Up to `limit` dossier heads in id order, after the dossier `after` (null: from the first). */
  heads(after: string | null, limit: number): Promise<DossierHead[]> {
    return selectRows<DossierHead>(
      this.db,
      `SELECT id, code, history_seq, history_hash FROM dossiers
        WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [after, limit],
    );
  }

  /** Every history row of these dossiers, by dossier then seq. */
  rowsOf(dossierIds: string[]): Promise<HistoryRow[]> {
    return selectRows<HistoryRow>(
      this.db,
      `SELECT id, dossier_id, seq, action, from_state, to_state, actor_id, actor_role, comment, data, at, prev_hash, hash
         FROM dossier_history WHERE dossier_id = ANY($1::uuid[]) ORDER BY dossier_id, seq`,
      [dossierIds],
    );
  }

  /**
   * Runs `work` on one connection inside one REPEATABLE READ, READ ONLY
   * transaction: a consistent picture while the portal keeps writing.
   */
  static async inSnapshot<T>(ds: DataSource, work: (history: HistoryRepository) => Promise<T>): Promise<T> {
    const runner = ds.createQueryRunner();
    try {
      await execute(runner, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await work(new HistoryRepository(runner));
      await execute(runner, 'COMMIT');
      return result;
    } finally {
      await runner.release();
    }
  }
}
