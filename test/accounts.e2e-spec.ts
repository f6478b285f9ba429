import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { throttleKeys } from '../src/auth/login-throttle';
import { redisOptions } from '../src/config/redis';
import { loginIdentifier } from '../src/security/rate-limit';
import { createTestApp, TestApp } from './support/app';
import { DEMO_PASSWORD } from './support/factories';

/**
 * Account management: change password, password reset by an emailed
 * single-use link, sign out everywhere, admin disable / enable and staff
 * password reset, the staff list with last sign-in, a deleted account's
 * token, sign-in throttling that answers a known and an unknown identifier
 * alike, the registration rate limit and unverified ID numbers.
 *
 * Clients are told apart by X-Forwarded-For (TRUST_PROXY=true), a made-up
 * address per use, so that the rate limits under test do not bite elsewhere.
 */

const API = '/api/v1';
const PASSWORD = 'Citizen-pass-1';
const MAX = 3; // LOGIN_MAX_FAILURES here
const LOCK = 30; // LOGIN_LOCK_SECONDS here: the first wait
const ENV = {
  TRUST_PROXY: 'true',
  LOGIN_MAX_FAILURES: String(MAX),
  LOGIN_LOCK_SECONDS: String(LOCK),
  LOGIN_LOCK_MAX_SECONDS: '3600',
  REGISTER_RATE_LIMIT: '3',
  PASSWORD_RESET_RATE_LIMIT: '4',
  RATE_LIMIT_WINDOW_SECONDS: '60',
};

let ipSeq = 0;
/** A fresh client address (TEST-NET-2). */
const newAddress = () => `198.51.100.${++ipSeq}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type Res = { status: number; headers: Record<string, string>; body: Record<string, any>; text?: string };
function expectProblem(res: Res, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

describe('accounts', () => {
  let t: TestApp;
  let redis: Redis;
  let prefix: string;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
    prefix = t.app.get(ConfigService).get('REDIS_PREFIX')!;
    baseUrl = t.app.get(ConfigService).get('PUBLIC_BASE_URL')!;
    redis = new Redis(redisOptions(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));
  });
  afterAll(async () => {
    redis.disconnect();
    await t.close();
  });

  const post = (path: string, address = newAddress()) => t.http.post(`${API}${path}`).set('X-Forwarded-For', address);
  const get = (path: string, token: string) => t.http.get(`${API}${path}`).set('Authorization', `Bearer ${token}`);
  const signIn = async (email: string, password = PASSWORD, address = newAddress()): Promise<Tokens> =>
    (await post('/auth/login', address).send({ email, password }).expect(200)).body;
  const refresh = (token: string) => post('/auth/refresh').send({ refreshToken: token });
  const admin = () => signIn('admin@demo.local', DEMO_PASSWORD);

  async function citizen(
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; email: string; idNumber: string }> {
    const data = {
      email: `acc-${randomUUID().slice(0, 12)}@example.vn`,
      password: PASSWORD,
      fullName: 'Vũ Thị Lan',
      idNumber: String(randomInt(10 ** 11, 10 ** 12 - 1)),
      phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
      ...overrides,
    };
    const res = await post('/auth/register').send(data).expect(201);
    return { id: res.body.id, email: data.email, idNumber: data.idNumber };
  }

  /** The reset link mailed to an address (the last one), after the outbox and the worker ran. */
  async function mailedToken(email: string): Promise<string> {
    await t.drain();
    const mails = t.smtp.to(email);
    expect(mails.length).toBeGreaterThan(0);
    const text = mails[mails.length - 1].text.replace(/=\r?\n/g, '');
    const m = /(\S+\/reset-password\?token=)([A-Za-z0-9_-]+)/.exec(text);
    expect(m?.[1]).toBe(`${baseUrl}/reset-password?token=`);
    return m![2];
  }

  describe('change password', () => {
    it('needs the current password; ends every other session (access and refresh tokens) at once; the caller gets fresh tokens that work', async () => {
      const c = await citizen();
      const here = await signIn(c.email);
      const elsewhere = await signIn(c.email);
      const changed = await post('/auth/password')
        .set('Authorization', `Bearer ${here.accessToken}`)
        .send({ currentPassword: PASSWORD, newPassword: 'New-pass-2026' })
        .expect(200);
      expect(changed.body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        role: 'citizen',
      });

      for (const old of [here, elsewhere]) {
        expectProblem(await get('/applications', old.accessToken), 401);
        expectProblem(await refresh(old.refreshToken), 401);
      }
      await get('/applications', changed.body.accessToken).expect(200);
      const rotated = await refresh(changed.body.refreshToken).expect(200);
      await get('/applications', rotated.body.accessToken).expect(200);
      expectProblem(await post('/auth/login').send({ email: c.email, password: PASSWORD }), 401);
      await signIn(c.email, 'New-pass-2026');
    });

    it('a wrong current password: 400 naming currentPassword, and nothing changes', async () => {
      const c = await citizen();
      const s = await signIn(c.email);
      const res = await post('/auth/password')
        .set('Authorization', `Bearer ${s.accessToken}`)
        .send({ currentPassword: 'Not-the-password-1', newPassword: 'New-pass-2026' });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
      await get('/applications', s.accessToken).expect(200);
      await signIn(c.email, PASSWORD);
    });

    it('needs a signed-in caller', async () => {
      expectProblem(
        await post('/auth/password').send({ currentPassword: PASSWORD, newPassword: 'New-pass-2026' }),
        401,
      );
    });
  });

  describe('password reset by email', () => {
    it('mails a single-use link to PUBLIC_BASE_URL/reset-password; only a hash of the token is stored; the reset ends every session', async () => {
      const c = await citizen();
      const session = await signIn(c.email);
      const answer = await post('/auth/password/forgot').send({ email: c.email.toUpperCase() }).expect(202);
      expect(answer.body).toEqual({ detail: expect.any(String) });
      const token = await mailedToken(c.email);

      // Stored hashed, never in clear: not in the reset row, not in the outbox, not in any job.
      const [row] = await t.db.query(
        `SELECT token_hash, used_at, expires_at - created_at AS life FROM password_resets WHERE account_id = $1`,
        [c.id],
      );
      expect(row).toMatchObject({ token_hash: sha256(token), used_at: null });
      expect(row.life).toMatchObject({ minutes: 30 });
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE payload::text LIKE $1`, [
        `%${token}%`,
      ]);
      expect(n).toBe(0);

      await post('/auth/password/reset').send({ token, password: 'Reset-pass-2026' }).expect(204);
      expectProblem(await get('/applications', session.accessToken), 401);
      expectProblem(await refresh(session.refreshToken), 401);
      expectProblem(await post('/auth/login').send({ email: c.email, password: PASSWORD }), 401);
      await signIn(c.email, 'Reset-pass-2026');

      // Single use.
      const again = await post('/auth/password/reset').send({ token, password: 'Another-pass-2026' });
      expectProblem(again, 400);
      await signIn(c.email, 'Reset-pass-2026');
    });

    it('a link past its 30 minutes is refused', async () => {
      const c = await citizen();
      await post('/auth/password/forgot').send({ email: c.email }).expect(202);
      const token = await mailedToken(c.email);
      await t.db.query(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE account_id = $1`, [
        c.id,
      ]);
      const res = await post('/auth/password/reset').send({ token, password: 'Reset-pass-2026' });
      expectProblem(res, 400);
      await signIn(c.email, PASSWORD);
    });

    it('an unknown address gets the identical answer and nothing is sent or stored; an unknown token is refused', async () => {
      const c = await citizen();
      const known = await post('/auth/password/forgot').send({ email: c.email });
      const nobody = `nobody-${randomUUID().slice(0, 8)}@example.vn`;
      const sentBefore = t.smtp.messages.length;
      const [{ before }] = await t.db.query(`SELECT count(*)::int AS before FROM password_resets`);
      const unknown = await post('/auth/password/forgot').send({ email: nobody });
      expect({ status: unknown.status, type: unknown.headers['content-type'], body: unknown.body }).toEqual({
        status: known.status,
        type: known.headers['content-type'],
        body: known.body,
      });
      await t.drain();
      expect(t.smtp.to(nobody)).toEqual([]);
      expect(t.smtp.messages.length).toBe(sentBefore + 1); // the known account's link only
      const [{ after }] = await t.db.query(`SELECT count(*)::int AS after FROM password_resets`);
      expect(after).toBe(before);
      expectProblem(
        await post('/auth/password/reset').send({ token: 'x'.repeat(43), password: 'Reset-pass-2026' }),
        400,
      );
    });

    it('a disabled account gets no link (the same answer)', async () => {
      const c = await citizen();
      const adm = await admin();
      await post(`/admin/accounts/${c.id}/disable`).set('Authorization', `Bearer ${adm.accessToken}`).expect(200);
      await post('/auth/password/forgot').send({ email: c.email }).expect(202);
      await t.drain();
      expect(t.smtp.to(c.email)).toEqual([]);
    });

    it('forgot is rate-limited per client address (PASSWORD_RESET_RATE_LIMIT), with Retry-After; another address is not affected', async () => {
      const address = newAddress();
      for (let i = 0; i < 4; i++)
        await post('/auth/password/forgot', address)
          .send({ email: `n${i}-${randomUUID().slice(0, 6)}@example.vn` })
          .expect(202);
      const refused = await post('/auth/password/forgot', address).send({
        email: `n-${randomUUID().slice(0, 6)}@example.vn`,
      });
      expectProblem(refused, 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await post('/auth/password/forgot')
        .send({ email: `n-${randomUUID().slice(0, 6)}@example.vn` })
        .expect(202);
    });
  });

  describe('sign out everywhere', () => {
    it('revokes every refresh token and every access token of the account; signing in again works', async () => {
      const c = await citizen();
      const a = await signIn(c.email);
      const b = await signIn(c.email);
      await post('/auth/logout-all').set('Authorization', `Bearer ${a.accessToken}`).expect(204);
      for (const s of [a, b]) {
        expectProblem(await get('/applications', s.accessToken), 401);
        expectProblem(await refresh(s.refreshToken), 401);
      }
      const [{ live }] = await t.db.query(
        `SELECT count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM refresh_tokens WHERE account_id = $1`,
        [c.id],
      );
      expect(live).toBe(0);
      const fresh = await signIn(c.email);
      await get('/applications', fresh.accessToken).expect(200);
    });

    it('needs a signed-in caller', async () => {
      expectProblem(await post('/auth/logout-all'), 401);
    });
  });

  describe('admin: disable and enable an account', () => {
    it('a disabled citizen: the live access token gets 401 on the next request, refresh fails, sign-in answers like a wrong password; enabled again, a new sign-in works', async () => {
      const adm = await admin();
      const c = await citizen();
      const s = await signIn(c.email);
      await get('/applications', s.accessToken).expect(200);
      const disabled = await post(`/admin/accounts/${c.id}/disable`)
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .expect(200);
      expect(disabled.body).toMatchObject({
        id: c.id,
        email: c.email,
        role: 'citizen',
        disabledAt: expect.any(String),
      });

      expectProblem(await get('/applications', s.accessToken), 401);
      expectProblem(await refresh(s.refreshToken), 401);
      const rightPassword = await post('/auth/login').send({ email: c.email, password: PASSWORD });
      const wrongPassword = await post('/auth/login').send({ email: c.email, password: 'Not-the-password-1' });
      expectProblem(rightPassword, 401);
      expect(rightPassword.body).toEqual(wrongPassword.body);

      const enabled = await post(`/admin/accounts/${c.id}/enable`)
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .expect(200);
      expect(enabled.body).toMatchObject({ id: c.id, disabledAt: null });
      // The sessions ended by the disable stay ended.
      expectProblem(await get('/applications', s.accessToken), 401);
      const again = await signIn(c.email);
      await get('/applications', again.accessToken).expect(200);
    });

    it('a disabled clerk is out at once too; an admin cannot disable their own account; an unknown id is 404; only admins may', async () => {
      const adm = await admin();
      const email = `clerk-${randomUUID().slice(0, 8)}@demo.local`;
      const created = await post('/admin/staff')
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .send({ email, password: 'Clerk-pass-2026', role: 'clerk', agencyCode: '000.00.01.H56' })
        .expect(201);
      const clerk = await signIn(email, 'Clerk-pass-2026');
      await get('/queue', clerk.accessToken).expect(200);
      await post(`/admin/accounts/${created.body.id}/disable`)
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .expect(200);
      expectProblem(await get('/queue', clerk.accessToken), 401);

      const self = JSON.parse(Buffer.from(adm.accessToken.split('.')[1], 'base64url').toString()).sub;
      expectProblem(
        await post(`/admin/accounts/${self}/disable`).set('Authorization', `Bearer ${adm.accessToken}`),
        409,
      );
      await get('/admin/staff', adm.accessToken).expect(200);
      expectProblem(
        await post(`/admin/accounts/${randomUUID()}/disable`).set('Authorization', `Bearer ${adm.accessToken}`),
        404,
      );
      const c = await citizen();
      const supervisor = await signIn('supervisor.bennghe@demo.local', DEMO_PASSWORD);
      expectProblem(
        await post(`/admin/accounts/${c.id}/disable`).set('Authorization', `Bearer ${supervisor.accessToken}`),
        403,
      );
    });
  });

  it("a deleted account's token is refused at once", async () => {
    const c = await citizen();
    const s = await signIn(c.email);
    await get('/applications', s.accessToken).expect(200);
    await t.db.query(`DELETE FROM accounts WHERE id = $1`, [c.id]);
    expectProblem(await get('/applications', s.accessToken), 401);
  });

  describe('admin: staff', () => {
    it('lists staff with role, agency and last sign-in (recorded on a successful sign-in)', async () => {
      const adm = await admin();
      const email = `sup-${randomUUID().slice(0, 8)}@demo.local`;
      const created = await post('/admin/staff')
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .send({
          email,
          password: 'Super-pass-2026',
          role: 'supervisor',
          agencyCode: '000.00.20.H56',
          fullName: 'Hồ Văn Nam',
        })
        .expect(201);
      const find = async () =>
        ((await get('/admin/staff', adm.accessToken).expect(200)).body as Record<string, unknown>[]).find(
          (s) => s.id === created.body.id,
        );
      expect(await find()).toEqual({
        id: created.body.id,
        email,
        fullName: 'Hồ Văn Nam',
        role: 'supervisor',
        agencyCode: '000.00.20.H56',
        agencyName: expect.any(String),
        lastSignInAt: null,
        disabledAt: null,
        title: null,
      });
      await signIn(email, 'Super-pass-2026');
      const [{ at }] = await t.db.query(`SELECT last_sign_in_at AS at FROM accounts WHERE id = $1`, [created.body.id]);
      expect(at).toBeInstanceOf(Date);
      expect(await find()).toMatchObject({ lastSignInAt: at.toISOString() });
      // A failed sign-in does not count as one.
      await post('/auth/login').send({ email, password: 'Wrong-pass-2026' }).expect(401);
      expect(await find()).toMatchObject({ lastSignInAt: at.toISOString() });
    });

    it("an admin resets a staff member's password by sending them a reset link; not for a citizen", async () => {
      const adm = await admin();
      const email = `clerk-${randomUUID().slice(0, 8)}@demo.local`;
      const created = await post('/admin/staff')
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .send({ email, password: 'Clerk-pass-2026', role: 'clerk', agencyCode: '000.00.01.H56' })
        .expect(201);
      const res = await post(`/admin/staff/${created.body.id}/password-reset`)
        .set('Authorization', `Bearer ${adm.accessToken}`)
        .expect(202);
      expect(res.body).toEqual({ id: created.body.id, email, expiresAt: expect.any(String) });
      const token = await mailedToken(email);
      await post('/auth/password/reset').send({ token, password: 'Fresh-clerk-2026' }).expect(204);
      await signIn(email, 'Fresh-clerk-2026');
      const c = await citizen();
      expectProblem(
        await post(`/admin/staff/${c.id}/password-reset`).set('Authorization', `Bearer ${adm.accessToken}`),
        404,
      );
    });
  });

  describe('sign-in throttling: a known and an unknown identifier are answered alike', () => {
    const attempt = (email: string, address: string) =>
      post('/auth/login', address).send({ email, password: 'Wrong-pass-2026' });
    const withoutRetry = (body: Record<string, unknown>) => ({ ...body, retryAfter: typeof body.retryAfter });

    /** Attempts 1..MAX+2 for both at once; the same status and body each time (Retry-After within the second it was read in). */
    async function sameAnswers(known: string, unknown: string, knownAt: string, unknownAt: string): Promise<number[]> {
      const statuses: number[] = [];
      for (let i = 1; i <= MAX + 2; i++) {
        const [k, u] = await Promise.all([attempt(known, knownAt), attempt(unknown, unknownAt)]);
        expect({ i, status: u.status, type: u.headers['content-type'], body: withoutRetry(u.body) }).toEqual({
          i,
          status: k.status,
          type: k.headers['content-type'],
          body: withoutRetry(k.body),
        });
        if (k.status === 429) {
          // Read a few ms apart from waits that started a few ms apart: the same whole seconds, or one apart at a tick.
          const [rk, ru] = [Number(k.headers['retry-after']), Number(u.headers['retry-after'])];
          expect(Math.abs(rk - ru)).toBeLessThanOrEqual(1);
          expect(k.body.retryAfter).toBe(rk);
          expect(u.body.retryAfter).toBe(ru);
        }
        statuses.push(k.status);
      }
      return statuses;
    }

    it(`identical status and body at every attempt 1..${MAX + 2}: ${MAX} × 401, then 429 with Retry-After; when the wait is over the count starts again, and the next wait is twice as long`, async () => {
      const c = await citizen();
      const unknown = `nobody-${randomUUID().slice(0, 8)}@example.vn`;
      const [knownAt, unknownAt] = [newAddress(), newAddress()];
      expect(await sameAnswers(c.email, unknown, knownAt, unknownAt)).toEqual([...Array(MAX).fill(401), 429, 429]);
      const first = Number((await attempt(c.email, knownAt)).headers['retry-after']);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(LOCK);
      // Even the right password waits.
      expectProblem(await post('/auth/login', knownAt).send({ email: c.email, password: PASSWORD }), 429);

      // The wait runs out (its key removed, as its expiry would): MAX fresh attempts, then a wait of 2 × LOCK.
      for (const [email, at] of [
        [c.email, knownAt],
        [unknown, unknownAt],
      ]) {
        expect(await redis.del(throttleKeys(prefix, loginIdentifier({ email }), at)[1])).toBe(1);
      }
      expect(await sameAnswers(c.email, unknown, knownAt, unknownAt)).toEqual([...Array(MAX).fill(401), 429, 429]);
      const second = Number((await attempt(unknown, unknownAt)).headers['retry-after']);
      expect(second).toBeGreaterThan(LOCK);
      expect(second).toBeLessThanOrEqual(2 * LOCK);

      // Another address (the owner at home) is not affected, and the right password clears the count there.
      await signIn(c.email, PASSWORD, newAddress());
      // Nothing about the account changed.
      const [row] = await t.db.query(`SELECT disabled_at, token_version FROM accounts WHERE id = $1`, [c.id]);
      expect(row).toEqual({ disabled_at: null, token_version: 0 });
    });
  });

  describe('registration', () => {
    it('is rate-limited per client address (REGISTER_RATE_LIMIT): the 4th from one address is 429 with Retry-After and writes nothing; another address registers', async () => {
      const address = newAddress();
      const data = () => ({
        email: `reg-${randomUUID().slice(0, 12)}@example.vn`,
        password: PASSWORD,
        fullName: 'Lý Văn Phúc',
        idNumber: String(randomInt(10 ** 11, 10 ** 12 - 1)),
        phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
      });
      for (let i = 0; i < 3; i++) await post('/auth/register', address).send(data()).expect(201);
      const [{ before }] = await t.db.query(`SELECT count(*)::int AS before FROM accounts`);
      const refused = await post('/auth/register', address).send(data());
      expectProblem(refused, 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const [{ after }] = await t.db.query(`SELECT count(*)::int AS after FROM accounts`);
      expect(after).toBe(before);
      await post('/auth/register').send(data()).expect(201);
    });

    it('two unverified accounts may carry the same ID number; a verified one wins it: a later account with that number stays unverified and cannot be verified too', async () => {
      const a = await citizen();
      const b = await citizen({ idNumber: a.idNumber });
      // Verified elsewhere (a clerk, or national eID in issue 12).
      await t.db.query(`UPDATE accounts SET id_number_verified = true WHERE id = $1`, [a.id]);
      const c = await citizen({ idNumber: a.idNumber });
      const rows = await t.db.query(
        `SELECT id, id_number_verified AS v FROM accounts WHERE id_number = $1 ORDER BY created_at`,
        [a.idNumber],
      );
      expect(rows).toEqual([
        { id: a.id, v: true },
        { id: b.id, v: false },
        { id: c.id, v: false },
      ]);
      await expect(t.db.query(`UPDATE accounts SET id_number_verified = true WHERE id = $1`, [c.id])).rejects.toThrow(
        /accounts_verified_id_number/,
      );
    });

    it('a taken email or phone is still refused with 409, without saying which', async () => {
      const email = `dup-${randomUUID().slice(0, 8)}@example.vn`;
      const phone = `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`;
      await citizen({ email, phone });
      const byEmail = await post('/auth/register').send({
        email,
        password: PASSWORD,
        fullName: 'X',
        idNumber: '079090000009',
        phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
      });
      const byPhone = await post('/auth/register').send({
        email: `o-${email}`,
        password: PASSWORD,
        fullName: 'X',
        idNumber: '079090000009',
        phone,
      });
      expectProblem(byEmail, 409);
      expect(byPhone.body).toEqual(byEmail.body);
    });
  });
});
