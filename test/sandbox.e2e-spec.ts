import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import request from 'supertest';
import { configureApp, createAdapter } from '../src/app.setup';
import { loggerParams } from '../src/common/logging';
import { AppConfig, validateEnvironment } from '../src/config/configuration';
import { dataSourceOptions } from '../src/database/data-source';
import { SandboxModule } from '../src/sandbox/sandbox.module';
import { createTestApp, TestApp } from './support/app';
import { createSuiteDatabase, dropDatabase } from './support/db';
import { openApiOperations, Operation } from './security/support';

/**
 * The provider sandboxes (VNPay gateway, postal operator, SMS gateway) are one
 * module behind one switch. The routes are not listed here: they are read from
 * the OpenAPI document of an app with the sandbox on, so a new sandbox route
 * is covered without touching this file.
 */

type Http = ReturnType<typeof request>;

/** A request each sandbox route refuses in validation (after its guard): an unknown field or query parameter. */
function callWithBadInput(http: Http, op: Operation) {
  const url = op.path.replace(/\{\w+\}/g, 'SBXTEST0001');
  return op.method === 'get' ? http.get(url).query({ notAField: '1' }) : http[op.method](url).send({ notAField: 1 });
}

async function unknownRouteAnswer(http: Http) {
  const res = await http.get('/api/v1/sandbox/no-such-route');
  expect(res.status).toBe(404);
  return res.body;
}

describe('provider sandboxes: one module, one guard, one switch', () => {
  let on: TestApp;
  let routes: Operation[];
  beforeAll(async () => {
    on = await createTestApp({ env: { SANDBOX_ENABLED: 'true' } });
    routes = (await openApiOperations(on)).filter((op) => op.path.startsWith('/api/v1/sandbox/'));
  });
  afterAll(() => on?.close());

  it('SANDBOX_ENABLED=true: every sandbox route of the OpenAPI document answers (none is 404 or 5xx)', async () => {
    // The three sandboxes, including the SMS messages list that used to be open to anyone.
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/sandbox/vnpay/pay',
        'POST /api/v1/sandbox/postal/api/shipments',
        'GET /api/v1/sandbox/sms/messages',
        'POST /api/v1/sandbox/sms/messages',
      ]),
    );
    const answers = [];
    for (const op of routes) answers.push({ route: op.key, status: (await callWithBadInput(on.http, op)).status });
    expect(answers.filter((a) => a.status === 404 || a.status >= 500)).toEqual([]);
    // The real thing works too: the SMS gateway takes a message and lists it.
    const key = on.app.get(ConfigService).get('SMS_API_KEY');
    await on.http
      .post('/api/v1/sandbox/sms/messages')
      .set('x-api-key', key)
      .send({ clientRef: 'sbx-1', phone: '0912345678', text: 'hello' })
      .expect(200);
    const list = await on.http.get('/api/v1/sandbox/sms/messages').query({ phone: '0912345678' }).expect(200);
    expect(list.body.map((m: { clientRef: string }) => m.clientRef)).toContain('sbx-1');
  });

  it('SANDBOX_ENABLED=false: the module is not mounted; every sandbox route answers 404 like an unknown route', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(9);
    const t = await createTestApp({ env: { SANDBOX_ENABLED: 'false' } });
    try {
      const unknown = await unknownRouteAnswer(t.http);
      for (const op of routes) {
        const res = await callWithBadInput(t.http, op);
        expect({ route: op.key, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
          route: op.key,
          status: 404,
          type: expect.stringMatching(/^application\/problem\+json/),
          body: unknown,
        });
      }
      // Nothing of the sandboxes is advertised either.
      expect((await openApiOperations(t)).filter((op) => op.path.startsWith('/api/v1/sandbox/'))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('the guard holds on its own: the module mounted with SANDBOX_ENABLED=false answers 404 on every route', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(9);
    const database = await createSuiteDatabase();
    Object.assign(process.env, {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      PORT: '0',
      PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
      SANDBOX_ENABLED: 'false',
    });
    @Module({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
        LoggerModule.forRoot(loggerParams('silent')),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (c: ConfigService<AppConfig, true>) => dataSourceOptions(c.get('DATABASE_URL', { infer: true })),
        }),
        SandboxModule,
      ],
    })
    class MountedAnywayModule {}
    const moduleRef = await Test.createTestingModule({ imports: [MountedAnywayModule] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(), { logger: false });
    try {
      await configureApp(app);
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      const http = request(app.getHttpServer());
      // Mounted: the routes exist (the OpenAPI document lists them all) ...
      const mounted = (await http.get('/docs/json').expect(200)).body.paths as Record<string, Record<string, unknown>>;
      const mountedKeys = Object.entries(mounted).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      );
      expect(mountedKeys.sort()).toEqual(routes.map((r) => r.key).sort());
      // ... and the guard hides every one of them.
      const unknown = await unknownRouteAnswer(http);
      for (const op of routes) {
        const res = await callWithBadInput(http, op);
        expect({ route: op.key, status: res.status, body: res.body }).toEqual({
          route: op.key,
          status: 404,
          body: unknown,
        });
      }
    } finally {
      await app.close();
      await dropDatabase(database.name);
    }
  });
});
