import type { DataSource, EntityManager } from 'typeorm';

/** Where a repository runs a statement: the data source (its own connection) or the caller's transaction. */
export type Db = DataSource | EntityManager;

/** The rows of a SELECT, or of an INSERT ... RETURNING (TypeORM answers those with the rows themselves). */
export function selectRows<T>(db: Db, sql: string, params?: unknown[]): Promise<T[]> {
  return db.query<T[]>(sql, params);
}

/**
 * The rows of an UPDATE or DELETE ... RETURNING. TypeORM answers those on Postgres with `[rows, affected]`:
 * this is the one place that unwraps it.
 */
export async function updateRows<T>(db: Db, sql: string, params?: unknown[]): Promise<T[]> {
  const [rows] = await db.query<[T[], number]>(sql, params);
  return rows;
}

/** A statement whose answer is not needed (an INSERT or UPDATE without RETURNING, a lock). */
export async function execute(db: Db, sql: string, params?: unknown[]): Promise<void> {
  await db.query(sql, params);
}
