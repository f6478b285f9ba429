import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The machine's Postgres (trust auth); each run and each suite makes its own database and drops it after. */
export const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const DB_PREFIX = 'portal_test_';

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database for one suite, copied from the run's migrated and seeded template. */
export async function createSuiteDatabase(): Promise<{ name: string; url: string }> {
  const template = process.env.TEST_TEMPLATE_DB;
  if (!template) throw new Error('TEST_TEMPLATE_DB is not set: run the tests through jest (global setup)');
  const name = `${DB_PREFIX}${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (e) {
        // Another suite copying the template at the same instant: wait and retry.
        if (attempt > 20 || !/being accessed by other users/.test((e as Error).message)) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  return { name, url: databaseUrl(name) };
}

/** A fresh database with nothing in it (no schema, no data), for what a first production start sees. */
export async function createEmptyDatabase(): Promise<{ name: string; url: string }> {
  const name = `${DB_PREFIX}${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
