import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp, createAdapter } from '../../src/app.setup';
import { redisOptions } from '../../src/config/redis';
import { createTestApp, TestApp } from '../support/app';
import { DEMO_PASSWORD } from '../support/factories';
import { API, problemShapeError } from './support';

/**
 * What test/auth.e2e-spec.ts does not already cover: the rate limits on
 * sign-in and on the public lookup (429 problem+json with Retry-After, keyed
 * so that one office behind one address is not locked out by one person's
 * mistakes, counted in Redis so replicas share them, every other route left
 * alone), no account lock that guesses from many addresses could set,
 * more forged tokens, refresh-token theft, argon2id for every kind of
 * account, security headers and the CORS allow-list.
 *
 * Clients are told apart by X-Forwarded-For (TRUST_PROXY=true), one made-up
 * address per test.
 */

const LIMITS = {
  LOGIN_RATE_LIMIT: '3',
  LOGIN_IP_RATE_LIMIT: '6',
  LOOKUP_RATE_LIMIT: '4',
  RATE_LIMIT_WINDOW_SECONDS: '60',
};
const ALLOWED_ORIGINS = ['https://dichvucong.example.vn', 'https://portal.example.vn'];
const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
const PASSWORD = 'Citizen-pass-1';

let ipSeq = 0;
/** A fresh client address (TEST-NET-3). */
const newAddress = () => `203.0.113.${++ipSeq}`;

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function jwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  sign: (data: string) => string,
): string {
  const data = `${b64url(header)}.${b64url(payload)}`;
  return `${data}.${sign(data)}`;
}
const hmac =
  (alg: 'sha256' | 'sha512', secret = JWT_SECRET) =>
  (data: string) =>
    createHmac(alg, secret).update(data).digest('base64url');
const now = () => Math.floor(Date.now() / 1000);

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: unknown; text?: string },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(problemShapeError(res)).toBeNull();
}

describe('auth hardening: rate limits, lockout, tokens, headers, CORS', () => {
  let t: TestApp;
  let prefix: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...LIMITS, TRUST_PROXY: 'true', CORS_ORIGINS: ALLOWED_ORIGINS.join(',') } });
    prefix = t.app.get(ConfigService).get('REDIS_PREFIX')!;
  });
  afterAll(() => t.close());

  /** A citizen registered directly (registration's rate limit is off in tests but in test/accounts.e2e-spec.ts; signing in here would spend the limits). */
  async function citizen(): Promise<{ id: string; email: string; phone: string; idNumber: string }> {
    const data = {
      email: `sec-${randomUUID().slice(0, 12)}@example.vn`,
      password: PASSWORD,
      fullName: 'Đỗ Thị Mai',
      idNumber: String(randomInt(10 ** 11, 10 ** 12 - 1)),
      phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
    };
    const res = await t.http.post(`${API}/auth/register`).send(data).expect(201);
    return { id: res.body.id, email: data.email, phone: data.phone, idNumber: data.idNumber };
  }

  const loginFrom = (address: string, email: string, password: string, http: ReturnType<typeof request> = t.http) =>
    http.post(`${API}/auth/login`).set('X-Forwarded-For', address).send({ email, password });

  function expectRateLimited(res: {
    status: number;
    headers: Record<string, string>;
    body: Record<string, unknown>;
    text?: string;
  }) {
    expectProblem(res, 429);
    expect(res.body.type).toMatch(/too-many-requests$/);
    const retry = Number(res.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(Number(LIMITS.RATE_LIMIT_WINDOW_SECONDS));
    expect(res.body.accessToken).toBeUndefined();
  }

  describe('sign-in rate limit', () => {
    it('per address AND identifier: the 4th attempt is 429 with Retry-After; a colleague at the same address and the same person elsewhere get in', async () => {
      const mai = await citizen();
      const colleague = await citizen();
      const office = newAddress();
      for (let i = 0; i < 3; i++) expectProblem(await loginFrom(office, mai.email, `wrong-${i}-password`), 401);
      // Even the right password: the limiter answers before the password is looked at.
      expectRateLimited(await loginFrom(office, mai.email, PASSWORD));
      // Writing the identifier differently is the same identifier.
      expectRateLimited(await loginFrom(office, `  ${mai.email.toUpperCase()} `, PASSWORD));
      // The colleague in the same office is not locked out by Mai's typos.
      expect((await loginFrom(office, colleague.email, PASSWORD)).status).toBe(200);
      // Mai from home is not locked out either: nothing is locked per account.
      expect((await loginFrom(newAddress(), mai.email, PASSWORD)).status).toBe(200);
    });

    it('a phone number is one identifier whichever way it is written (+84… or 0…)', async () => {
      const lan = await citizen();
      const shop = newAddress();
      for (let i = 0; i < 3; i++)
        expectProblem(await loginFrom(shop, `+84${lan.phone.slice(1)}`, `wrong-${i}-password`), 401);
      expectRateLimited(await loginFrom(shop, lan.phone, PASSWORD));
      expectRateLimited(await loginFrom(shop, ` ${lan.phone} `, PASSWORD));
    });

    it('a looser ceiling per address across identifiers (password spraying): the 7th attempt from one address is 429, whatever the identifier', async () => {
      const sprayer = newAddress();
      for (let i = 0; i < 6; i++)
        expectProblem(await loginFrom(sprayer, `nobody-${randomUUID().slice(0, 8)}@example.vn`, 'Spray-pass-1'), 401);
      expectRateLimited(await loginFrom(sprayer, `nobody-${randomUUID().slice(0, 8)}@example.vn`, 'Spray-pass-1'));
      const someone = await citizen();
      expectRateLimited(await loginFrom(sprayer, someone.email, PASSWORD));
      // Another address is not affected.
      expect((await loginFrom(newAddress(), someone.email, PASSWORD)).status).toBe(200);
    });

    it('nobody can lock an account for its owner: guesses spread over many addresses, or many from one, make only those addresses wait', async () => {
      const target = await citizen();
      const bystander = await citizen();
      // Spread: one guess from each of 5 addresses (5 = LOGIN_MAX_FAILURES in all).
      for (const a of Array.from({ length: 5 }, newAddress))
        expectProblem(await loginFrom(a, target.email, 'Guess-pass-1'), 401);
      // Concentrated: from one address until it is refused (here the rate limit, 3 per window, comes before the failure limit).
      const attacker = newAddress();
      for (let i = 0; i < 3; i++) expectProblem(await loginFrom(attacker, target.email, `Guess-pass-${i}`), 401);
      expectRateLimited(await loginFrom(attacker, target.email, PASSWORD));
      // The owner, from their own address, signs in; so does anyone else from the attacker's address.
      expect((await loginFrom(newAddress(), target.email, PASSWORD)).status).toBe(200);
      expect((await loginFrom(attacker, bystander.email, PASSWORD)).status).toBe(200);
      const [row] = await t.db.query(`SELECT disabled_at, token_version FROM accounts WHERE id = $1`, [target.id]);
      expect(row).toEqual({ disabled_at: null, token_version: 0 });
    });

    it('counts in Redis under REDIS_PREFIX, with no address or email in clear', async () => {
      const redis = new Redis(redisOptions(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));
      try {
        const keys = await redis.keys(`{${prefix}:ratelimit:*`);
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) {
          expect(k.startsWith(`{${prefix}:ratelimit:`)).toBe(true);
          expect(k).not.toMatch(/203\.0\.113|@example\.vn/);
        }
        expect(keys.some((k) => k.includes(':ratelimit:login:'))).toBe(true);
        expect(keys.some((k) => k.includes(':ratelimit:login-ip:'))).toBe(true);
        // The failure throttle (growing waits per identifier + address): no address or email in clear either.
        const throttle = await redis.keys(`${prefix}:login-throttle:*`);
        expect(throttle.length).toBeGreaterThan(0);
        for (const k of throttle) expect(k).not.toMatch(/203\.0\.113|@example\.vn/);
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('public lookup rate limit', () => {
    it('LOOKUP_RATE_LIMIT lookups per address, then 429 with Retry-After; another address still looks up', async () => {
      const prober = newAddress();
      const lookup = (address: string) =>
        t.http
          .get(`${API}/lookup`)
          .set('X-Forwarded-For', address)
          .query({ code: `000.00.12.H56-260101-${randomInt(1000, 9999)}`, idNumber: '079090000001' });
      for (let i = 0; i < 4; i++) expectProblem(await lookup(prober), 404);
      expectRateLimited(await lookup(prober));
      // Bad input counts too (a prober does not get free tries by sending garbage).
      expectRateLimited(await t.http.get(`${API}/lookup`).set('X-Forwarded-For', prober).query({ code: 'x' }));
      expectProblem(await lookup(newAddress()), 404);
    });
  });

  it('no other route is rate-limited: 60 catalog reads, 40 dossier lists and 20 health checks from one address all answer', async () => {
    const a = newAddress();
    const session = await loginFrom(a, 'an.nguyen@demo.local', DEMO_PASSWORD).expect(200);
    const auth = { Authorization: `Bearer ${session.body.accessToken}`, 'X-Forwarded-For': a };
    const answers = await Promise.all([
      ...Array.from({ length: 60 }, () => t.http.get(`${API}/procedures`).set('X-Forwarded-For', a)),
      ...Array.from({ length: 40 }, () => t.http.get(`${API}/applications`).set(auth)),
      ...Array.from({ length: 20 }, () => t.http.get(`${API}/health`).set('X-Forwarded-For', a)),
    ]);
    expect(answers.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    expect(answers.some((r) => 'retry-after' in r.headers || 'x-ratelimit-limit' in r.headers)).toBe(false);
  });

  describe('access tokens (beyond test/auth.e2e-spec.ts)', () => {
    let sub: string;
    beforeAll(async () => {
      sub = (await citizen()).id;
    });
    const claims = (over: Record<string, unknown> = {}) => ({
      sub,
      role: 'citizen',
      agency: null,
      typ: 'access',
      ver: 0,
      iat: now() - 5,
      exp: now() + 600,
      ...over,
    });
    const get = (token: string) => t.http.get(`${API}/applications`).set('Authorization', `Bearer ${token}`);

    it('a token made here with the server secret passes (so each refusal below is about its one defect)', async () => {
      expect((await get(jwt({ alg: 'HS256', typ: 'JWT' }, claims(), hmac('sha256')))).status).toBe(200);
    });

    it.each([
      ['alg "None" (capitalised), unsigned', () => jwt({ alg: 'None', typ: 'JWT' }, claims(), () => '')],
      ['alg "NONE", unsigned', () => jwt({ alg: 'NONE', typ: 'JWT' }, claims(), () => '')],
      ['alg "none" with a signature left on', () => jwt({ alg: 'none', typ: 'JWT' }, claims(), hmac('sha256'))],
      [
        'HS512 with the right secret (algorithm not on the allow-list)',
        () => jwt({ alg: 'HS512', typ: 'JWT' }, claims(), hmac('sha512')),
      ],
      [
        'RS256 header with an HMAC signature (key confusion)',
        () => jwt({ alg: 'RS256', typ: 'JWT' }, claims(), hmac('sha256')),
      ],
      ['an empty signature', () => jwt({ alg: 'HS256', typ: 'JWT' }, claims(), () => '')],
      [
        'expired one second ago',
        () => jwt({ alg: 'HS256', typ: 'JWT' }, claims({ iat: now() - 901, exp: now() - 1 }), hmac('sha256')),
      ],
      [
        'not valid before a future time (nbf)',
        () => jwt({ alg: 'HS256', typ: 'JWT' }, claims({ nbf: now() + 3600 }), hmac('sha256')),
      ],
      ['a refresh-type claim', () => jwt({ alg: 'HS256', typ: 'JWT' }, claims({ typ: 'refresh' }), hmac('sha256'))],
      ['an unknown role', () => jwt({ alg: 'HS256', typ: 'JWT' }, claims({ role: 'root' }), hmac('sha256'))],
      [
        'signed with a key that differs in one character',
        () => jwt({ alg: 'HS256', typ: 'JWT' }, claims(), hmac('sha256', `${JWT_SECRET.slice(0, -1)}1`)),
      ],
    ])('refuses %s with 401 problem+json', async (_what, make) => {
      expectProblem(await get(make()), 401);
    });

    it('takes the token from the Authorization header only (not the query string, not a cookie)', async () => {
      const token = jwt({ alg: 'HS256', typ: 'JWT' }, claims(), hmac('sha256'));
      expectProblem(await t.http.get(`${API}/applications`).query({ access_token: token }), 401);
      expectProblem(
        await t.http.get(`${API}/applications`).set('Cookie', `access_token=${token}; token=${token}`),
        401,
      );
      expectProblem(await t.http.get(`${API}/applications`).set('Authorization', `Basic ${token}`), 401);
    });
  });

  describe('refresh tokens (beyond test/auth.e2e-spec.ts)', () => {
    it('a thief who uses a stolen refresh token first: when the owner presents it again, the whole family dies, the thief’s new token too', async () => {
      const c = await citizen();
      const signedIn = await loginFrom(newAddress(), c.email, PASSWORD).expect(200);
      const stolen = signedIn.body.refreshToken as string;
      const thief = await t.http.post(`${API}/auth/refresh`).send({ refreshToken: stolen }).expect(200);
      // The owner's app refreshes with the token it holds (already used by the thief): refused, and the family revoked.
      expectProblem(await t.http.post(`${API}/auth/refresh`).send({ refreshToken: stolen }), 401);
      expectProblem(await t.http.post(`${API}/auth/refresh`).send({ refreshToken: thief.body.refreshToken }), 401);
      const [{ live }] = await t.db.query(
        `SELECT count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM refresh_tokens WHERE account_id = $1`,
        [c.id],
      );
      expect(live).toBe(0);
    });
  });

  it('every password is stored with argon2id (memory-hard, >= 19 MiB): seeded demo accounts, registered citizens and staff made by an admin', async () => {
    const admin = await loginFrom(newAddress(), 'admin@demo.local', DEMO_PASSWORD).expect(200);
    const email = `clerk-${randomUUID().slice(0, 8)}@demo.local`;
    await t.http
      .post(`${API}/admin/staff`)
      .set('Authorization', `Bearer ${admin.body.accessToken}`)
      .send({
        email,
        password: 'Clerk-pass-2026',
        role: 'clerk',
        agencyCode: '000.00.01.H56',
        fullName: 'Trần Văn Bình',
      })
      .expect(201);
    const rows: { email: string; role: string; password_hash: string }[] = await t.db.query(
      `SELECT email, role, password_hash FROM accounts`,
    );
    expect(new Set(rows.map((r) => r.role))).toEqual(new Set(['admin', 'clerk', 'supervisor', 'citizen']));
    expect(rows.map((r) => r.email)).toContain(email);
    const weak = rows.filter((r) => {
      const m = /^\$argon2id\$v=19\$([^$]+)\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$/.exec(r.password_hash);
      const params = Object.fromEntries((m?.[1] ?? '').split(',').map((kv) => kv.split('=')));
      return !m || Number(params.m) < 19456 || Number(params.t) < 2;
    });
    expect(weak.map((r) => r.email)).toEqual([]);
    expect(rows.some((r) => r.password_hash.includes(DEMO_PASSWORD) || r.password_hash.includes(PASSWORD))).toBe(false);
  });

  describe('security headers (helmet)', () => {
    const expectSecurityHeaders = (h: Record<string, string>) => {
      expect(h).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringMatching(/max-age=\d{7,}/),
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'x-dns-prefetch-control': 'off',
        'x-permitted-cross-domain-policies': 'none',
      });
      expect(h['x-powered-by']).toBeUndefined();
      expect(h.server).toBeUndefined();
    };

    it('on JSON answers, problem answers (404, 401, 400) and the OpenAPI document', async () => {
      expectSecurityHeaders((await t.http.get(`${API}/procedures`).expect(200)).headers);
      expectSecurityHeaders((await t.http.get(`${API}/no-such-route`).expect(404)).headers);
      expectSecurityHeaders((await t.http.get(`${API}/applications`).expect(401)).headers);
      expectSecurityHeaders(
        (await t.http.post(`${API}/auth/register`).set('content-type', 'application/json').send('{"x":').expect(400))
          .headers,
      );
      expectSecurityHeaders((await t.http.get('/docs/json').expect(200)).headers);
    });
  });

  describe('CORS allow-list (CORS_ORIGINS)', () => {
    it('an allowed origin gets Access-Control-Allow-Origin (its own, never *), without credentials', async () => {
      for (const origin of ALLOWED_ORIGINS) {
        const res = await t.http.get(`${API}/procedures`).set('Origin', origin).expect(200);
        expect(res.headers['access-control-allow-origin']).toBe(origin);
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
        expect(res.headers.vary).toMatch(/Origin/i);
      }
    });

    it('any other origin gets no Access-Control-Allow-Origin, look-alikes included', async () => {
      for (const origin of [
        'https://evil.example',
        'https://dichvucong.example.vn.evil.example',
        'http://dichvucong.example.vn',
        'null',
        'https://portal.example.vn:8443',
      ]) {
        const res = await t.http.get(`${API}/procedures`).set('Origin', origin);
        expect([origin, res.headers['access-control-allow-origin']]).toEqual([origin, undefined]);
      }
    });

    it('preflight: allowed for a listed origin, nothing granted to another', async () => {
      const ok = await t.http
        .options(`${API}/applications`)
        .set('Origin', ALLOWED_ORIGINS[0])
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(ok.status).toBeLessThan(300);
      expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGINS[0]);
      expect(ok.headers['access-control-allow-methods']).toMatch(/POST/);
      const evil = await t.http
        .options(`${API}/applications`)
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('two API replicas share the sign-in limit (one Redis): alternating between them, the 4th attempt is refused', async () => {
    // A second API process in all but name: the same database, the same Redis and prefix, its own Nest app and Redis connections.
    const replica = await NestFactory.create<NestFastifyApplication>(AppModule.forRole('api'), createAdapter(), {
      logger: false,
      abortOnError: false,
      rawBody: true,
    });
    await configureApp(replica);
    await replica.init();
    await replica.getHttpAdapter().getInstance().ready();
    try {
      expect(replica.get(ConfigService).get('REDIS_PREFIX')).toBe(prefix);
      const other = request(replica.getHttpServer());
      const address = newAddress();
      const email = `nobody-${randomUUID().slice(0, 8)}@example.vn`;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await loginFrom(address, email, 'Some-pass-1', i % 2 ? other : t.http)).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await replica.close();
    }
  });
});
