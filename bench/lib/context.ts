import { ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';

/** The repository root (this file runs from dist/bench/lib). */
export const ROOT = resolve(__dirname, '..', '..', '..');
export const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DB_PREFIX = 'bench_';

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

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rejects when `p` takes longer than `ms`: every step of the run is bounded. */
export async function bounded<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: did not finish within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An HS256 access token exactly as AuthService issues it ({sub, role, agency, typ: 'access', ver}); ver 0: a fresh account's token_version. */
export function accessToken(
  secret: string,
  user: { id: string; role: string; agencyId: string | null },
  ttlSeconds = 3600,
): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user.id, role: user.role, agency: user.agencyId, typ: 'access', ver: 0, iat: now, exp: now + ttlSeconds })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** Samples a process's resident set size (VmRSS) and keeps the maximum. */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  peakKb = 0;
  samples = 0;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 200,
  ) {}

  static read(pid: number, field: 'VmRSS' | 'VmHWM'): number {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  start(): this {
    const tick = () => {
      this.peakKb = Math.max(this.peakKb, RssSampler.read(this.pid, 'VmRSS'));
      this.samples++;
    };
    tick();
    this.timer = setInterval(tick, this.everyMs);
    return this;
  }

  stop(): number {
    clearInterval(this.timer);
    this.peakKb = Math.max(this.peakKb, RssSampler.read(this.pid, 'VmRSS'));
    return this.peakKb;
  }
}

export interface Portal {
  name: string;
  child: ChildProcess;
  pid: number;
  log: string;
  /** Where the preloaded query counter writes its counts (see query-counter.ts). */
  queryFile: string;
}

/**
 * Everything one run creates (database, Redis prefix, files, child
 * processes), so that it can all be removed at the end, on failure and on
 * SIGINT/SIGTERM.
 */
export class BenchContext {
  readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  readonly dbName = `${DB_PREFIX}${this.runId}`;
  readonly dbUrl = databaseUrl(this.dbName);
  readonly redisPrefix = `bench:${this.runId}`;
  readonly jwtSecret = randomBytes(36).toString('base64url');
  readonly vnpaySecret = randomBytes(36).toString('base64url');
  readonly tmnCode = 'BENCH001';
  readonly dir = mkdtempSync(join(tmpdir(), `portal-bench-${this.runId}-`));
  readonly storageDir = join(this.dir, 'files');
  pool!: Pool;
  redis!: Redis;
  private dbCreated = false;
  private readonly children = new Set<Portal>();
  private readonly closers: (() => Promise<unknown>)[] = [];
  private cleaned?: Promise<void>;

  async init(): Promise<void> {
    await withAdmin(async (c) => {
      // Databases left by killed runs (older than six hours) go too.
      const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${DB_PREFIX}%`]);
      for (const { datname } of rows) {
        const started = parseInt(String(datname).slice(DB_PREFIX.length, DB_PREFIX.length + 8), 36);
        if (Number.isFinite(started) && Date.now() - started > 6 * 3600_000)
          await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
      await c.query(`CREATE DATABASE "${this.dbName}"`);
      this.dbCreated = true;
    });
    this.pool = new Pool({ connectionString: this.dbUrl, max: 8 });
    this.pool.on('error', () => undefined);
    this.redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  }

  /** Registers something to close at cleanup (servers, queues, workers), closed in reverse order. */
  onCleanup(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }

  /** The environment every portal process of this run gets. */
  portalEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) {
      if (
        /^(SMTP_|VNPAY_|SMS_|POSTAL_|PUBLIC_BASE_URL|DATABASE_URL|REDIS_|PORT$|PORTAL_ROLE|JWT_|NODE_OPTIONS)/.test(k)
      )
        delete env[k];
    }
    return {
      ...env,
      NODE_ENV: 'development',
      DATABASE_URL: this.dbUrl,
      REDIS_URL,
      REDIS_PREFIX: this.redisPrefix,
      JWT_SECRET: this.jwtSecret,
      VNPAY_HASH_SECRET: this.vnpaySecret,
      VNPAY_TMN_CODE: this.tmnCode,
      STORAGE_DIR: this.storageDir,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      // Scheduled jobs would add load in the middle of a measurement.
      RECONCILE_EVERY_MS: '3600000',
      DEADLINE_SWEEP_EVERY_MS: '3600000',
      // The load comes from a few citizens with many drafts each.
      DRAFTS_MAX_PER_ACCOUNT: '10000000',
      // The IPN storm sends 2,000 forgeries from loopback; the per-address limit on bad signatures would
      // turn the genuine IPNs after them into 429s (that limit is tested in test/security/callbacks).
      CALLBACK_FAILURE_RATE_LIMIT: '0',
      ...extra,
    };
  }

  /** Starts `node dist/src/main.js` (api or worker role, statement counter preloaded) and waits until it is ready. */
  startPortal(
    name: string,
    env: NodeJS.ProcessEnv,
    ready: () => Promise<boolean>,
    nodeArgs: string[] = [],
  ): Promise<Portal> {
    const preload = join(ROOT, 'dist', 'bench', 'lib', 'query-counter.js');
    return this.startProcess(name, join(ROOT, 'dist', 'src', 'main.js'), env, ready, [...nodeArgs, '-r', preload]);
  }

  /** Starts a Node script as a child process (output to a log file) and waits until `ready` answers true (60 s at most). */
  async startProcess(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    ready: () => Promise<boolean>,
    nodeArgs: string[] = [],
  ): Promise<Portal> {
    const log = join(this.dir, `${name}.log`);
    const out = createWriteStream(log);
    const queryFile = join(this.dir, `${name}.queries.json`);
    const child = spawn(process.execPath, [...nodeArgs, script], {
      cwd: ROOT,
      env: { ...env, BENCH_QUERY_COUNT_FILE: queryFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    const portal: Portal = { name, child, pid: child.pid!, log, queryFile };
    this.children.add(portal);
    let exited: number | null = null;
    child.once('exit', (code, signal) => {
      exited = code ?? -1;
      if (this.children.has(portal)) console.error(`  ${name} exited unexpectedly (code ${code}, signal ${signal})`);
    });
    const until = Date.now() + 60_000;
    for (;;) {
      if (exited !== null) throw new Error(`${name} exited with ${String(exited)} while starting:\n${tail(log)}`);
      if (await ready().catch(() => false)) return portal;
      if (Date.now() > until) throw new Error(`${name} not ready within 60 s:\n${tail(log)}`);
      await sleep(200);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stopPortal(p: Portal, graceMs = 8_000): Promise<void> {
    this.children.delete(p);
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  /** Removes everything this run created. Idempotent; safe to call from a signal handler. */
  cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      for (const fn of this.closers.reverse()) await bounded('cleanup step', 10_000, fn()).catch(() => undefined);
      await Promise.all([...this.children].map((p) => this.stopPortal(p, 5_000).catch(() => undefined)));
      await this.pool?.end().catch(() => undefined);
      if (this.redis) {
        await bounded('redis cleanup', 20_000, deleteKeys(this.redis, `${this.redisPrefix}:*`)).catch(() => undefined);
        this.redis.disconnect();
      }
      if (this.dbCreated && process.env.BENCH_KEEP_DB === '1') console.log(`database kept: ${this.dbName}`);
      else if (this.dbCreated) {
        await bounded(
          'drop database',
          30_000,
          withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${this.dbName}" WITH (FORCE)`)),
        ).catch((e) => console.error(`could not drop database ${this.dbName}: ${(e as Error).message}`));
      }
      if (process.env.BENCH_KEEP_LOGS === '1') console.log(`logs kept in ${this.dir}`);
      else rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.cleaned;
  }
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
