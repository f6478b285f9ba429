/**
 * Typed raw SQL for repositories. TypeORM's `query()` answers `any`, and in
 * two shapes on Postgres: the rows for SELECT and INSERT, but `[rows, rowCount]`
 * for UPDATE and DELETE. These helpers read that shape in one place and give
 * callers typed rows; the statement and its parameters pass through untouched
 * (one round trip each).
 */

/** What can run a statement: a DataSource, or the EntityManager of a transaction. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Where a repository runs a statement: the data source (its own connection) or the caller's transaction. */
export type Db = Queryable;

/** SELECT, or INSERT/UPDATE ... RETURNING handled as a SELECT: every row. */
export async function selectRows<T>(db: Queryable, sql: string, parameters: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, parameters)) as T[];
}

/** SELECT or INSERT ... RETURNING: the first row, or undefined. */
export async function selectOne<T>(db: Queryable, sql: string, parameters: unknown[] = []): Promise<T | undefined> {
  const [row] = await selectRows<T>(db, sql, parameters);
  return row;
}

/** UPDATE or DELETE (with or without RETURNING): the returned rows and how many rows it touched. */
export async function modify<T = never>(
  db: Queryable,
  sql: string,
  parameters: unknown[] = [],
): Promise<{ rows: T[]; count: number }> {
  const [rows, count] = (await db.query(sql, parameters)) as [T[], number];
  return { rows, count };
}

/** UPDATE or DELETE ... RETURNING: the returned rows only. */
export async function updateRows<T>(db: Queryable, sql: string, parameters: unknown[] = []): Promise<T[]> {
  return (await modify<T>(db, sql, parameters)).rows;
}

/** A statement whose answer is not needed (an INSERT or UPDATE without RETURNING, a lock). */
export async function execute(db: Queryable, sql: string, parameters: unknown[] = []): Promise<void> {
  await db.query(sql, parameters);
}
