import { Pool } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { dataSourceOptions } from './data-source';
import { preparingClient } from './prepared-client';
import { selectRows } from './query-result';

/** The statements this connection holds prepared, by text (Postgres's own view of the session). */
const preparedOn = async (m: EntityManager): Promise<string[]> =>
  (
    await selectRows<{ statement: string }>(m, `SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`)
  ).map((r) => r.statement);

describe('preparingClient (Postgres)', () => {
  let db: { name: string; url: string };
  const sources: DataSource[] = [];
  const open = async (limit: number, max = 2) => {
    const ds = await new DataSource(
      dataSourceOptions(db.url, { extra: { max, Client: preparingClient(limit) } }),
    ).initialize();
    sources.push(ds);
    return ds;
  };

  beforeAll(async () => {
    db = await createSuiteDatabase();
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await dropDatabase(db.name);
  });

  it('prepares a statement with parameters once per connection and runs it again by name', async () => {
    const ds = await open(10);
    await ds.transaction(async (m) => {
      const sql = `SELECT $1::int + 1 AS n`;
      expect(await m.query(sql, [1])).toEqual([{ n: 2 }]);
      expect(await m.query(sql, [41])).toEqual([{ n: 42 }]);
      // One prepared statement for the two calls; the parameterless one is not prepared.
      expect(await preparedOn(m)).toEqual([sql]);
    });
  });

  it("the app's data source prepares (DB_PREPARED_STATEMENTS, 500 by default)", async () => {
    const ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    sources.push(ds);
    await ds.transaction(async (m) => {
      await m.query(`SELECT $1::int AS n`, [1]);
      expect(await preparedOn(m)).toEqual([`SELECT $1::int AS n`]);
    });
  });

  it('names at most `limit` distinct texts; the rest run unnamed, with the same answers', async () => {
    const ds = await open(1);
    await ds.transaction(async (m) => {
      expect(await m.query(`SELECT $1::text AS a`, ['x'])).toEqual([{ a: 'x' }]);
      expect(await m.query(`SELECT $1::text AS b`, ['y'])).toEqual([{ b: 'y' }]);
      expect(await preparedOn(m)).toEqual([`SELECT $1::text AS a`]);
    });
  });

  it('prepares nothing with limit 0 (a pooler in transaction mode)', async () => {
    const ds = await open(0);
    await ds.transaction(async (m) => {
      expect(await m.query(`SELECT $1::int AS n`, [7])).toEqual([{ n: 7 }]);
      expect(await preparedOn(m)).toEqual([]);
    });
  });

  it('a failing prepared statement fails as TypeORM reports any other, and the connection goes on', async () => {
    const ds = await open(10);
    const sql = `SELECT 1 / $1::int AS n`;
    await expect(ds.query(sql, [0])).rejects.toBeInstanceOf(QueryFailedError);
    await expect(ds.query(sql, [0])).rejects.toMatchObject({ driverError: { code: '22012' } });
    expect(await ds.query(sql, [1])).toEqual([{ n: 1 }]);
    // A statement that cannot be parsed is not remembered as prepared: the next call reports the same error.
    await expect(ds.query(`SELEC $1::int`, [1])).rejects.toMatchObject({ driverError: { code: '42601' } });
    await expect(ds.query(`SELEC $1::int`, [1])).rejects.toMatchObject({ driverError: { code: '42601' } });
  });

  it('a migration under a running process: the stale statement is prepared again (outside a transaction at once)', async () => {
    const ds = await open(10, 1);
    await ds.query(`CREATE TABLE stale_plan (id int PRIMARY KEY, a text)`);
    await ds.query(`INSERT INTO stale_plan VALUES (1, 'x')`);
    const sql = `SELECT * FROM stale_plan WHERE id = $1`;
    expect(await ds.query(sql, [1])).toEqual([{ id: 1, a: 'x' }]);
    // Another process (a newer replica) adds a column: this connection's prepared plan no longer fits.
    await ds.query(`ALTER TABLE stale_plan ADD COLUMN b text NOT NULL DEFAULT 'y'`);
    // Not in a transaction: answered, with the new column, on the same connection (the pool has one).
    expect(await ds.query(sql, [1])).toEqual([{ id: 1, a: 'x', b: 'y' }]);

    await ds.query(`ALTER TABLE stale_plan ADD COLUMN c text NOT NULL DEFAULT 'z'`);
    // Inside a transaction the first call fails (the transaction is aborted), as TypeORM reports any error...
    await expect(ds.transaction((m) => m.query(sql, [1]))).rejects.toBeInstanceOf(QueryFailedError);
    // ...and the next one, prepared afresh, runs.
    expect(await ds.transaction((m) => m.query(sql, [1]))).toEqual([{ id: 1, a: 'x', b: 'y', c: 'z' }]);
  });

  it("pg's own Pool#query (callback style) is prepared and recovers the same way", async () => {
    const pool = new Pool({ connectionString: db.url, max: 1, Client: preparingClient(10) });
    try {
      await pool.query(`CREATE TABLE stale_pool (id int PRIMARY KEY)`);
      await pool.query(`INSERT INTO stale_pool VALUES (1)`);
      const sql = `SELECT * FROM stale_pool WHERE id = $1`;
      expect((await pool.query(sql, [1])).rows).toEqual([{ id: 1 }]);
      expect((await pool.query(`SELECT statement FROM pg_prepared_statements`)).rows).toEqual([{ statement: sql }]);
      await pool.query(`ALTER TABLE stale_pool ADD COLUMN b int NOT NULL DEFAULT 2`);
      expect((await pool.query(sql, [1])).rows).toEqual([{ id: 1, b: 2 }]);
    } finally {
      await pool.end();
    }
  });
});
