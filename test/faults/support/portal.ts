import { Queue } from 'bullmq';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { Balancer } from './balancer';
import { Answer, call, describeAnswer, multipart, newKey, PDF, RequestOptions } from './http';
import { EmbeddedPostgres, freePort, makeTempDir, PortalProcess, RedisServer, testPool, waitFor } from './infra';
import { SmsSink, SmtpSink } from './sinks';

export const DEMO_PASSWORD = 'Demo@2026';
export const BIRTH_EXTRACT = '1.004884';
export const DEMO_CITIZEN = 'an.nguyen@demo.local';
export const DEMO_CLERK = 'clerk.bennghe@demo.local';

/**
 * Secrets every process of one portal shares (in development each process would make its own): the gateway's
 * IPN signature, the postal operator's API key and webhook signature.
 */
export const SHARED_SECRETS = {
  VNPAY_HASH_SECRET: 'fault-tests-vnpay-secret-fault-tests-vnpay-0123',
  POSTAL_API_KEY: 'fault-tests-postal-key-fault-tests-postal-0123',
  POSTAL_WEBHOOK_SECRET: 'fault-tests-postal-webhook-fault-tests-webhook-0123',
  OIDC_CLIENT_SECRET: 'fault-tests-oidc-secret-fault-tests-oidc-0123',
};

export interface FaultEnvOptions {
  label: string;
  /** Start the worker process(es) too (default true). */
  worker?: boolean;
  /** API processes (default 1); with more, a load balancer in the test process is the portal's address. */
  apis?: number;
  /** Worker processes (default 1). */
  workers?: number;
  smtpDelayMs?: number;
  smsDelayMs?: number;
  /** Redis keeps its data across a restart (append-only file), as docker-compose.yml runs it. */
  persistentRedis?: boolean;
  env?: Record<string, string>;
}

/**
 * Everything one fault test file needs: its own Postgres, Redis, mail and SMS
 * sinks, the portal's API and worker processes, a pg pool for the test's own
 * reads, and a client for the API.
 */
export class FaultEnv {
  readonly dir: string;
  pg!: EmbeddedPostgres;
  redis!: RedisServer;
  smtp!: SmtpSink;
  sms!: SmsSink;
  /** The first API and worker process (the only ones unless `apis` / `workers` say more). */
  api!: PortalProcess;
  worker!: PortalProcess;
  apis: PortalProcess[] = [];
  workers: PortalProcess[] = [];
  /** With several APIs: the load balancer in front of them (the portal's public address). */
  balancer?: Balancer;
  db!: Pool;
  client!: PortalClient;
  port = 0;
  env: Record<string, string> = {};

  private constructor(readonly opts: FaultEnvOptions) {
    this.dir = makeTempDir(opts.label);
  }

  static async start(opts: FaultEnvOptions): Promise<FaultEnv> {
    const e = new FaultEnv(opts);
    try {
      await e.boot();
    } catch (err) {
      await e.close().catch(() => undefined);
      throw err;
    }
    return e;
  }

  /** How long each part took to start (ms). */
  readonly bootMs: Record<string, number> = {};

  private async boot(): Promise<void> {
    let t = Date.now();
    const lap = (name: string) => {
      this.bootMs[name] = Date.now() - t;
      t = Date.now();
    };
    this.pg = await EmbeddedPostgres.create(this.dir);
    this.redis = await RedisServer.create(this.dir, { persistent: this.opts.persistentRedis });
    this.smtp = new SmtpSink(this.opts.smtpDelayMs ?? 0);
    this.sms = new SmsSink(this.opts.smsDelayMs ?? 0);
    await Promise.all([this.pg.start(), this.redis.start(), this.smtp.start(), this.sms.start()]);
    lap('postgresRedis');
    const ports: number[] = [];
    for (let i = 0; i < (this.opts.apis ?? 1); i++) ports.push(await freePort());
    this.port = ports[0];
    if (ports.length > 1) this.balancer = await new Balancer(ports).start();
    const publicUrl = this.balancer?.url ?? `http://127.0.0.1:${this.port}`;
    const storage = join(this.dir, 'files');
    mkdirSync(storage, { recursive: true });
    this.env = {
      NODE_ENV: 'development',
      DATABASE_URL: this.pg.url,
      REDIS_URL: this.redis.url,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: publicUrl,
      ...SHARED_SECRETS,
      SMTP_URL: this.smtp.url,
      SMS_API_URL: this.sms.url,
      SMS_API_KEY: this.sms.apiKey,
      LOG_LEVEL: 'warn',
      JWT_SECRET: 'fault-tests-secret-fault-tests-secret-0123',
      LINK_SECRET: 'fault-tests-link-secret-fault-tests-link-0123',
      SEED_DEMO: 'true',
      DEMO_PASSWORD,
      STORAGE_DIR: storage,
      // A few citizens file many dossiers each here; the per-account draft limit is tested in test/security/abuse.
      DRAFTS_MAX_PER_ACCOUNT: '100000',
      ...(this.opts.env ?? {}),
    };
    const name = (role: string, i: number) => (i === 0 ? role : `${role}-${i + 1}`);
    this.apis = ports.map(
      (port, i) =>
        new PortalProcess('api', { ...this.env, PORT: String(port) }, join(this.dir, `${name('api', i)}.log`)),
    );
    this.workers = Array.from(
      { length: this.opts.workers ?? 1 },
      (_, i) => new PortalProcess('worker', this.env, join(this.dir, `${name('worker', i)}.log`)),
    );
    [this.api, this.worker] = [this.apis[0], this.workers[0]];
    // The API first: it migrates and seeds; the other processes then find the database ready.
    await this.api.start();
    lap('api');
    await Promise.all(this.apis.slice(1).map((a) => a.start()));
    lap('moreApis');
    if (this.opts.worker !== false) await Promise.all(this.workers.map((w) => w.start()));
    lap('worker');
    this.db = testPool(this.pg.url);
    this.client = new PortalClient(`${publicUrl}/api/v1`);
  }

  /** Health answers 200: database, Redis and a worker on every queue. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => (await this.client.get('/health', {}, 2_000)).status === 200,
      'GET /health = 200',
      timeoutMs,
      200,
    );
  }

  async query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query(sql, params)).rows as T[];
  }

  /** Where to look when something failed: the logs of every process of this test file. */
  logs(): string {
    const parts = [...this.apis, ...this.workers].map(
      (p, i) => `--- ${p.role} #${i + 1} (last lines)\n${p.lastLines(25)}`,
    );
    return `logs in ${this.dir}\n${parts.join('\n')}`;
  }

  async close(): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      () => Promise.all(this.apis.map((a) => a.stop())),
      () => Promise.all(this.workers.map((w) => w.stop())),
      () => this.balancer?.stop() ?? Promise.resolve(),
      () => this.db?.end() ?? Promise.resolve(),
      () => this.redis?.destroy() ?? Promise.resolve(),
      () => this.pg?.destroy() ?? Promise.resolve(),
      () => this.smtp?.stop() ?? Promise.resolve(),
      () => this.sms?.stop() ?? Promise.resolve(),
      () => Promise.all([...this.apis, ...this.workers].map((p) => p.closeLog())),
    ];
    for (const step of steps) await step().catch(() => undefined);
    if (process.env.FAULTS_KEEP_LOGS !== 'true') rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Citizen {
  email: string;
  id: string;
  token: string;
}

/** The portal's API as a citizen or clerk would use it. */
export class PortalClient {
  constructor(readonly base: string) {}

  call(method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    return call(this.base, method, path, opts);
  }

  get(path: string, opts: RequestOptions = {}, timeoutMs?: number): Promise<Answer> {
    return this.call('GET', path, { ...opts, timeoutMs: timeoutMs ?? opts.timeoutMs });
  }

  async login(email: string, password = DEMO_PASSWORD): Promise<Citizen> {
    const a = await this.call('POST', '/auth/login', { json: { email, password } });
    if (a.status !== 200) throw new Error(`login ${email}: ${describeAnswer(a)}`);
    const me = JSON.parse(Buffer.from(String(a.body.accessToken).split('.')[1], 'base64url').toString('utf8'));
    return { email, id: me.sub, token: a.body.accessToken };
  }

  /** A new citizen (unique email, ID number and phone), logged in. */
  async newCitizen(): Promise<Citizen> {
    const email = `fault-${randomUUID().slice(0, 12)}@example.vn`;
    const a = await this.call('POST', '/auth/register', {
      json: {
        email,
        password: 'Citizen-pass-1',
        fullName: 'Lê Thị Hoa',
        idNumber: String(randomInt(10 ** 11, 10 ** 12 - 1)),
        phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
        locale: 'vi',
      },
    });
    if (a.status !== 201) throw new Error(`register: ${describeAnswer(a)}`);
    return this.login(email, 'Citizen-pass-1');
  }

  createDraft(c: Citizen, timeoutMs?: number): Promise<Answer> {
    return this.call('POST', '/applications', {
      token: c.token,
      timeoutMs,
      json: {
        procedureCode: BIRTH_EXTRACT,
        formData: { fullName: 'Nguyễn Văn An', dateOfBirth: '1990-01-01', copies: 1 },
      },
    });
  }

  upload(
    c: Citizen,
    dossierId: string,
    opts: { timeoutMs?: number; trickleMs?: number; content?: Buffer } = {},
  ): Promise<Answer> {
    const m = multipart(
      { documentKey: 'id_card' },
      { field: 'file', name: 'id-card.pdf', type: 'application/pdf', content: opts.content ?? PDF },
    );
    return this.call('POST', `/applications/${dossierId}/documents`, {
      token: c.token,
      body: m.body,
      headers: { 'content-type': m.contentType },
      timeoutMs: opts.timeoutMs,
      trickleMs: opts.trickleMs,
    });
  }

  submit(c: Citizen, dossierId: string, key: string, timeoutMs?: number, onSent?: () => void): Promise<Answer> {
    return this.call('POST', `/applications/${dossierId}/submit`, {
      token: c.token,
      headers: { 'idempotency-key': key },
      timeoutMs,
      onSent,
    });
  }

  act(
    token: string,
    dossierId: string,
    action: string,
    body: Record<string, unknown> = {},
    timeoutMs?: number,
  ): Promise<Answer> {
    return this.call('POST', `/applications/${dossierId}/actions/${action}`, { token, json: body, timeoutMs });
  }

  /** A draft with its form filled and the required document uploaded: ready to submit. */
  async readyDraft(c: Citizen): Promise<string> {
    const d = await this.createDraft(c);
    if (d.status !== 201) throw new Error(`create draft: ${describeAnswer(d)}`);
    const u = await this.upload(c, d.body.id);
    if (u.status !== 201) throw new Error(`upload: ${describeAnswer(u)}`);
    return d.body.id;
  }

  /** Drafts ready to submit, made `concurrency` at a time, spread over the citizens. */
  async readyDrafts(
    citizens: Citizen[],
    n: number,
    concurrency = 6,
  ): Promise<{ id: string; owner: Citizen; key: string }[]> {
    const out: { id: string; owner: Citizen; key: string }[] = [];
    await pool(n, concurrency, async (i) => {
      const owner = citizens[i % citizens.length];
      out.push({ id: await this.readyDraft(owner), owner, key: newKey() });
    });
    return out;
  }
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` at a time. */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** The portal's notifications queue, seen from the test (BullMQ on the test's Redis, the portal's prefix). */
export function notificationsQueue(redisUrl: string, prefix = 'portal') {
  return portalQueue('notifications', redisUrl, prefix);
}

/** One of the portal's queues, seen from the test. */
export function portalQueue(name: string, redisUrl: string, prefix = 'portal') {
  const u = new URL(redisUrl);
  const q = new Queue(name, {
    prefix,
    connection: {
      host: u.hostname,
      port: Number(u.port),
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (n: number) => Math.min(n * 200, 1000),
    },
  });
  q.on('error', () => undefined);
  return q;
}
