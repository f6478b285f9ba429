import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { environmentValue } from '../config/configuration';
import { dataSourceOptions } from './data-source';
import { Queryable, selectOne, selectRows } from './query-result';

/** Arbitrary but fixed: every replica and worker takes the same lock before migrating. */
const MIGRATION_LOCK = 7_402_911;

/**
 * Schema bootstrap: keeps its two statements (the advisory lock) here, with the migration runner, because
 * they run before the app and its repositories exist and guard the schema those repositories rely on.
 *
 * Runs pending migrations under a Postgres advisory lock, so that replicas
 * starting together migrate once. Returns the names of the migrations applied.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url, { logging: false, extra: { max: 2 } }));
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}

/**
 * Where the schema at `db` stands against this build's migrations, without
 * touching it: null when there is no portal schema at all (no accounts or no
 * migrations table), else the names of the migrations not applied yet. Also
 * bootstrap (the migration runner's own table, read before any repository may
 * rely on the schema): what `npm run admin:create` checks before it writes.
 */
export async function pendingMigrations(db: Queryable): Promise<string[] | null> {
  const tables = await selectOne<{ accounts: string | null; migrations: string | null }>(
    db,
    `SELECT to_regclass('public.accounts') AS accounts, to_regclass('public.migrations') AS migrations`,
  );
  if (!tables?.accounts || !tables.migrations) return null;
  const applied = new Set((await selectRows<{ name: string }>(db, 'SELECT name FROM migrations')).map((r) => r.name));
  return migrations.map((M) => (new M() as { name?: string }).name ?? M.name).filter((n) => !applied.has(n));
}

if (require.main === module) {
  const url = environmentValue('DATABASE_URL');
  if (!url) {
    console.error('DATABASE_URL is not set');
    process.exit(1);
  }
  runMigrations(url).then(
    (names) => console.log(names.length ? `applied: ${names.join(', ')}` : 'no pending migrations'),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
