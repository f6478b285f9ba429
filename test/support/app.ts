import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppModule, PortalRole } from '../../src/app.module';
import { configureApp, createAdapter } from '../../src/app.setup';
import { QUEUES } from '../../src/jobs/jobs';
import { OutboxRelay } from '../../src/outbox/outbox.relay';
import { prepareInfrastructure } from '../../src/bootstrap';
import { checkedAgent, ContractChecker, contractOf } from './contract';
import { createEmptyDatabase, createSuiteDatabase, dropDatabase } from './db';
import { SmtpSandbox } from './smtp-sandbox';

export interface TestApp {
  app: NestFastifyApplication;
  /** Supertest on the app; every answer is checked against the OpenAPI document (test/support/contract.ts). */
  http: ReturnType<typeof request>;
  /** The check behind `http`, for answers a suite receives through another client. */
  contract: ContractChecker;
  db: DataSource;
  smtp: SmtpSandbox;
  url: string;
  /** Moves the outbox into BullMQ now and waits until no job is waiting or active. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  role?: PortalRole;
  /** Applied last; `undefined` removes a variable (e.g. to start without JWT_SECRET). */
  env?: Record<string, string | undefined>;
  /** 'empty': a new database with no schema and no data instead of a copy of the migrated, seeded template. */
  database?: 'template' | 'empty';
  /** Start as `npm start` does: `prepareInfrastructure` (validation, migrations, the demo seed when enabled) first. */
  prepare?: boolean;
}

/**
 * The whole portal (API + worker in one process) on the suite's own database
 * and Redis prefix, with the SMTP sandbox as its mail relay. When the start
 * fails, everything made for it is removed before the error is rethrown.
 */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const database = opts.database === 'empty' ? await createEmptyDatabase() : await createSuiteDatabase();
  let smtp: SmtpSandbox | undefined;
  let storage: string | undefined;
  let app: NestFastifyApplication;
  try {
    smtp = await new SmtpSandbox().start();
    storage = mkdtempSync(join(tmpdir(), 'portal-files-'));
    app = await startApp(opts, database, smtp, storage);
  } catch (e) {
    await smtp?.stop().catch(() => undefined);
    await dropDatabase(database.name);
    if (storage) rmSync(storage, { recursive: true, force: true });
    throw e;
  }
  return wrap(app, database, smtp, storage);
}

async function startApp(
  opts: TestAppOptions,
  database: { name: string; url: string },
  smtp: SmtpSandbox,
  storage: string,
): Promise<NestFastifyApplication> {
  // The port is known before the app starts, so the URLs the portal gives out (payment return, IPN) are real.
  const port = await freePort();
  // URLs derived from the port (ConfigModule writes them back into process.env): recomputed for this app.
  for (const derived of [
    'VNPAY_PAY_URL',
    'VNPAY_API_URL',
    'VNPAY_IPN_URL',
    'VNPAY_RETURN_URL',
    'POSTAL_API_URL',
    'POSTAL_WEBHOOK_URL',
    'SMS_API_URL',
    'OIDC_ISSUER',
  ]) {
    delete process.env[derived];
  }
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_PREFIX: `test:${process.env.TEST_RUN_ID}:${database.name.slice(-8)}`,
    SMTP_URL: smtp.url,
    STORAGE_DIR: storage,
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    OUTBOX_POLL_MS: '200',
    // A connection still open at teardown is cut after this (see SHUTDOWN_DRAIN_MS in src/app.setup.ts).
    SHUTDOWN_DRAIN_MS: '1000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    // Suites register many citizens from one address; test/accounts.e2e-spec.ts sets a limit and tests it.
    REGISTER_RATE_LIMIT: '0',
  });
  for (const [key, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  if (opts.prepare) await prepareInfrastructure(() => undefined);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRole(opts.role ?? 'all'), createAdapter(), {
    logger: process.env.TEST_NEST_LOGS ? undefined : false,
    abortOnError: false,
    rawBody: true,
  });
  try {
    await configureApp(app);
    await app.listen(port, '127.0.0.1');
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  return app;
}

async function wrap(
  app: NestFastifyApplication,
  database: { name: string },
  smtp: SmtpSandbox,
  storage: string,
): Promise<TestApp> {
  const url = await app.getUrl();
  const db = app.get<DataSource>(getDataSourceToken());
  const relay = app.get(OutboxRelay, { strict: false });
  // The document the app serves at /docs/json (built here too when DOCS_ENABLED is off, as in production).
  const contract = contractOf(app, url);

  return {
    app,
    http: checkedAgent(request(app.getHttpServer()), contract),
    contract,
    db,
    smtp,
    url,
    async drain() {
      const { getQueueToken } = await import('@nestjs/bullmq');
      const queues = Object.values(QUEUES).map((name) => app.get(getQueueToken(name), { strict: false }));
      // Settled twice in a row: a job finishing can write outbox rows that start the next one.
      let quiet = 0;
      for (let i = 0; i < 400; i++) {
        await relay.drain();
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
        const busy = counts.reduce((n, c) => n + c.waiting + c.active + c.prioritized, 0);
        const [{ pending }] = await db.query(`SELECT count(*)::int AS pending FROM outbox WHERE dispatched_at IS NULL`);
        quiet = pending === 0 && busy === 0 ? quiet + 1 : 0;
        if (quiet >= 2) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('queues did not drain within 20 s');
    },
    async close() {
      // Each step timed: a suite whose teardown overruns says which step held it.
      const steps: [string, () => Promise<void>][] = [
        ['app', () => app.close()],
        ['smtp', () => smtp.stop()],
        ['database', () => dropDatabase(database.name)],
      ];
      for (const [name, step] of steps) {
        const t0 = Date.now();
        await step();
        if (Date.now() - t0 > 10_000) console.warn(`test app teardown: ${name} took ${Date.now() - t0} ms`);
      }
      rmSync(storage, { recursive: true, force: true });
    },
  };
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
