import { DataSource } from 'typeorm';
import { environmentValue } from '../config/configuration';
import { dataSourceOptions } from './data-source';

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
