import Redis from 'ioredis';
import { resolve } from 'node:path';
import { loadConfig, setEnvironment } from './config/configuration';
import { redisOptions } from './config/redis';
import { embeddedPlan, startEmbeddedPostgres } from './database/embedded';
import { runMigrations } from './database/migrate';
import { seedDemo } from './database/seed';

/**
 * What runs before Nest starts: an embedded Postgres when DATABASE_URL is
 * unset, a Redis check with one clear line when none answers, migrations under
 * an advisory lock, and the demo seed on an empty database (never in production).
 */
export async function prepareInfrastructure(log: (line: string) => void): Promise<{ stop: () => Promise<void> }> {
  const env = loadConfig();
  let stop = (): Promise<void> => Promise.resolve();
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const plan = embeddedPlan(resolve('.data/pg'));
    const where = plan.staged
      ? `data in ${plan.dataDir}: the 'postgres' user it runs as cannot reach this checkout`
      : 'data in .data/pg';
    log(`DATABASE_URL is not set: starting embedded PostgreSQL on 127.0.0.1:${env.EMBEDDED_PG_PORT} (${where})`);
    const pg = await startEmbeddedPostgres(env.EMBEDDED_PG_PORT, plan);
    databaseUrl = pg.url;
    // ConfigModule (started next) reads it from the environment.
    setEnvironment({ DATABASE_URL: pg.url });
    stop = pg.stop;
  }
  await assertRedis(env.REDIS_URL);
  const applied = await runMigrations(databaseUrl);
  if (applied.length) log(`migrations applied: ${applied.join(', ')}`);
  // Never in production: validateEnvironment refuses SEED_DEMO=true there, and this checks it once more.
  if (env.SEED_DEMO === 'true' && env.NODE_ENV !== 'production' && (await seedDemo(databaseUrl, env.DEMO_PASSWORD))) {
    log('demo data loaded (see README: demo accounts)');
  }
  return { stop };
}

async function assertRedis(url: string): Promise<void> {
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch {
    const where = new URL(url).host;
    console.error(
      `Redis is not answering at ${where}: start one with \`redis-server\` (or set REDIS_URL), then run npm start again.`,
    );
    process.exit(1);
  } finally {
    client.disconnect();
  }
}
