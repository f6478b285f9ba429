import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { DEMO_PASSWORD, login, newCitizen } from './support/factories';

/**
 * Accounts, sign-in, tokens: register, login by email or phone, access-token
 * checks on a protected route, rotating refresh tokens with reuse detection,
 * logout, lockout after repeated failures, argon2id storage.
 */

const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
const PROTECTED = '/api/v1/applications';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An HS256 JWT made by hand (or an unsigned one with `alg: none`). */
function signJwt(
  payload: Record<string, unknown>,
  secret = JWT_SECRET,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const data = `${b64url(header)}.${b64url(payload)}`;
  const signature = header.alg === 'none' ? '' : createHmac('sha256', secret).update(data).digest('base64url');
  return `${data}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** Registration data that is unique per call. */
function registration(overrides: Record<string, unknown> = {}) {
  return {
    email: `reg-${randomUUID().slice(0, 12)}@example.vn`,
    password: 'Strong-pass-2026',
    fullName: 'Phạm Minh Châu',
    idNumber: String(randomInt(10 ** 11, 10 ** 12 - 1)),
    phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
    ...overrides,
  };
}

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const countAccounts = async (): Promise<number> => (await t.db.query(`SELECT count(*)::int AS n FROM accounts`))[0].n;

  describe('register', () => {
    it('creates a citizen account and answers 201 with its id, email and name (no secrets)', async () => {
      const data = registration({ email: `Mixed.Case-${randomUUID().slice(0, 8)}@Example.VN` });
      const res = await t.http.post('/api/v1/auth/register').send(data).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: data.email.toLowerCase(),
        fullName: data.fullName,
      });
      expect(JSON.stringify(res.body)).not.toContain(data.password);
      const [row] = await t.db.query(
        `SELECT email, phone, id_number, full_name, role, agency_id, locale, password_hash FROM accounts WHERE id = $1`,
        [res.body.id],
      );
      expect(row).toMatchObject({
        email: data.email.toLowerCase(),
        phone: data.phone,
        id_number: data.idNumber,
        full_name: data.fullName,
        role: 'citizen',
        agency_id: null,
        locale: 'vi',
      });
      expect(row.password_hash).not.toContain(data.password);
    });

    it('stores the password as an argon2id hash', async () => {
      const data = registration();
      const res = await t.http.post('/api/v1/auth/register').send(data).expect(201);
      const [row] = await t.db.query(`SELECT password_hash FROM accounts WHERE id = $1`, [res.body.id]);
      expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
      // Memory-hard: at least the OWASP minimum of 19 MiB.
      expect(Number(/[$,]m=(\d+)/.exec(row.password_hash)?.[1])).toBeGreaterThanOrEqual(19456);
    });

    it.each([
      ['email (other case)', (d: ReturnType<typeof registration>) => ({ email: d.email.toUpperCase() })],
      ['phone', (d: ReturnType<typeof registration>) => ({ phone: d.phone })],
      ['phone written +84…', (d: ReturnType<typeof registration>) => ({ phone: `+84${d.phone.slice(1)}` })],
    ])('refuses a duplicate %s with 409 problem+json and writes nothing', async (_what, reuse) => {
      const first = registration();
      await t.http.post('/api/v1/auth/register').send(first).expect(201);
      const before = await countAccounts();
      const res = await t.http.post('/api/v1/auth/register').send(registration(reuse(first)));
      expectProblem(res, 409);
      expect(res.body.detail).toEqual(expect.any(String));
      expect(await countAccounts()).toBe(before);
    });

    it('an ID number is not a key anyone can claim: a second account with the same (unverified) ID number is created', async () => {
      const first = registration();
      const a = await t.http.post('/api/v1/auth/register').send(first).expect(201);
      const b = await t.http
        .post('/api/v1/auth/register')
        .send(registration({ idNumber: first.idNumber }))
        .expect(201);
      const rows = await t.db.query(
        `SELECT id, id_number_verified FROM accounts WHERE id_number = $1 ORDER BY created_at`,
        [first.idNumber],
      );
      expect(rows).toEqual([
        { id: a.body.id, id_number_verified: false },
        { id: b.body.id, id_number_verified: false },
      ]);
    });

    it('answers 400 naming every bad field at once and writes nothing', async () => {
      const before = await countAccounts();
      const res = await t.http
        .post('/api/v1/auth/register')
        .send(registration({ email: 'not-an-email', idNumber: '07909000000', password: 'short', isAdmin: true }));
      expectProblem(res, 400);
      const fields = (res.body.errors as { field: string; message: string }[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'idNumber', 'password', 'isAdmin']));
      expect(fields).not.toContain('fullName');
      expect(fields).not.toContain('phone');
      for (const e of res.body.errors) expect(e.message).toEqual(expect.any(String));
      expect(await countAccounts()).toBe(before);
    });

    it.each([
      ['email', { email: 'an.nguyen-at-example.vn' }],
      ['idNumber', { idNumber: '07909000000' }], // 11 digits
      ['idNumber', { idNumber: '0790900000012' }], // 13 digits
      ['password', { password: 'Ab1-xyz' }], // 7 characters
      ['phone', { phone: '12345' }],
      ['fullName', { fullName: '' }],
      ['fullName', { fullName: '   ' }], // blank once trimmed
      ['role', { role: 'admin' }], // an unknown field: no self-promotion
    ])('refuses a bad %s alone with 400 naming it, and writes nothing', async (field, bad) => {
      const before = await countAccounts();
      const data = registration(bad);
      const res = await t.http.post('/api/v1/auth/register').send(data);
      expectProblem(res, 400);
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields.length).toBeGreaterThan(0);
      expect(new Set(fields)).toEqual(new Set([field]));
      expect(await countAccounts()).toBe(before);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE phone = $1 OR id_number = $2`, [
        data.phone,
        data.idNumber,
      ]);
      expect(n).toBe(0);
    });

    it('answers malformed JSON with 400 problem+json', async () => {
      const res = await t.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send('{"email": ');
      expectProblem(res, 400);
    });
  });

  describe('login', () => {
    it('signs in with email (any case, surrounding spaces) and returns an access and a refresh token', async () => {
      const data = registration();
      await t.http.post('/api/v1/auth/register').send(data).expect(201);
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: `  ${data.email.toUpperCase()} `, password: data.password })
        .expect(200);
      expect(res.body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        role: 'citizen',
        expiresIn: expect.any(Number),
      });
      expect(res.body.accessToken.split('.')).toHaveLength(3);
      expect(res.body.refreshToken).not.toBe(res.body.accessToken);
      await t.http.get(PROTECTED).set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
    });

    it('signs in with the phone number in place of the email', async () => {
      const data = registration();
      const reg = await t.http.post('/api/v1/auth/register').send(data).expect(201);
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: data.phone, password: data.password })
        .expect(200);
      const claims = JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: reg.body.id, role: 'citizen' });
      // The same number in international form is the same account.
      const intl = await t.http
        .post('/api/v1/auth/login')
        .send({ email: `+84${data.phone.slice(1)}`, password: data.password })
        .expect(200);
      expect(JSON.parse(Buffer.from(intl.body.accessToken.split('.')[1], 'base64url').toString()).sub).toBe(
        reg.body.id,
      );
    });

    it('stores a phone given as +84… in its national form, and signs in with either', async () => {
      const data = registration();
      const reg = await t.http
        .post('/api/v1/auth/register')
        .send({ ...data, phone: `+84${data.phone.slice(1)}` })
        .expect(201);
      const [row] = await t.db.query(`SELECT phone FROM accounts WHERE id = $1`, [reg.body.id]);
      expect(row.phone).toBe(data.phone);
      await t.http.post('/api/v1/auth/login').send({ email: data.phone, password: data.password }).expect(200);
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: `+84${data.phone.slice(1)}`, password: data.password })
        .expect(200);
    });

    it('signs in the demo accounts, staff the same way as citizens', async () => {
      for (const [email, role] of [
        ['an.nguyen@demo.local', 'citizen'],
        ['clerk.bennghe@demo.local', 'clerk'],
        ['supervisor.quan1@demo.local', 'supervisor'],
        ['admin@demo.local', 'admin'],
      ]) {
        const res = await t.http.post('/api/v1/auth/login').send({ email, password: DEMO_PASSWORD }).expect(200);
        expect(res.body.role).toBe(role);
      }
    });

    it('answers a wrong password and an unknown account with the same 401 body', async () => {
      const c = await newCitizen(t);
      const wrong = await t.http.post('/api/v1/auth/login').send({ email: c.email, password: 'Not-the-password-1' });
      expectProblem(wrong, 401);
      expect(wrong.body.accessToken).toBeUndefined();
      const unknown = await t.http
        .post('/api/v1/auth/login')
        .send({ email: `nobody-${randomUUID().slice(0, 8)}@example.vn`, password: 'Not-the-password-1' });
      expectProblem(unknown, 401);
      expect(unknown.body).toEqual(wrong.body);
      expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(wrong.body).sort());
    });

    it('refuses a login body without a password with 400 naming it', async () => {
      const res = await t.http.post('/api/v1/auth/login').send({ email: 'an.nguyen@demo.local' });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'password' })]));
    });
  });

  describe('access tokens', () => {
    let citizen: Awaited<ReturnType<typeof newCitizen>>;
    beforeAll(async () => {
      citizen = await newCitizen(t);
    });
    const claims = (over: Record<string, unknown> = {}) => ({
      sub: citizen.id,
      role: 'citizen',
      agency: null,
      typ: 'access',
      ver: 0,
      iat: now() - 10,
      exp: now() + 600,
      ...over,
    });

    it('lets a fresh access token through to a protected route', async () => {
      await t.http.get(PROTECTED).set(citizen.auth).expect(200);
    });

    it('accepts a token signed here with the server secret (so the refusals below are about the defect alone)', async () => {
      await t.http
        .get(PROTECTED)
        .set('Authorization', `Bearer ${signJwt(claims())}`)
        .expect(200);
    });

    it.each([
      ['no Authorization header', () => undefined],
      ['a garbage token', () => 'Bearer not.a.token'],
      ['a token with no scheme', () => citizen.token],
      ['an expired token', () => `Bearer ${signJwt(claims({ iat: now() - 3600, exp: now() - 60 }))}`],
      [
        'a token signed with another secret',
        () => `Bearer ${signJwt(claims(), 'another-secret-another-secret-another-0')}`,
      ],
      ['an unsigned alg:none token', () => `Bearer ${signJwt(claims(), '', { alg: 'none', typ: 'JWT' })}`],
      [
        'a token with a tampered payload',
        () => {
          const [h, , s] = citizen.token.split('.');
          return `Bearer ${h}.${b64url(claims({ role: 'admin' }))}.${s}`;
        },
      ],
      ['a token that is not an access token', () => `Bearer ${signJwt(claims({ typ: 'refresh' }))}`],
      ['a token claiming the system role', () => `Bearer ${signJwt(claims({ role: 'system' }))}`],
    ])('answers %s with 401 problem+json', async (_what, header) => {
      const req = t.http.get(PROTECTED);
      const value = header();
      if (value !== undefined) req.set('Authorization', value);
      const res = await req;
      expectProblem(res, 401);
    });
  });

  describe('refresh tokens', () => {
    const refresh = (token: string) => t.http.post('/api/v1/auth/refresh').send({ refreshToken: token });

    it('rotates: a refresh gives a new pair, and the old refresh token cannot be used again', async () => {
      const c = await newCitizen(t);
      const first = await refresh(c.refreshToken).expect(200);
      expect(first.body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        role: 'citizen',
      });
      expect(first.body.refreshToken).not.toBe(c.refreshToken);
      await t.http.get(PROTECTED).set('Authorization', `Bearer ${first.body.accessToken}`).expect(200);
      expectProblem(await refresh(c.refreshToken), 401);
    });

    it('revokes the whole family when a used refresh token is presented again', async () => {
      const c = await newCitizen(t);
      const other = await login(t, c.email, 'Citizen-pass-1'); // a second sign-in: its own family
      const second = (await refresh(c.refreshToken).expect(200)).body.refreshToken as string;
      const third = (await refresh(second).expect(200)).body.refreshToken as string;
      // A thief replays the first token: refused, and every token of that sign-in dies with it.
      const replay = await refresh(c.refreshToken);
      expectProblem(replay, 401);
      expectProblem(await refresh(third), 401);
      const [{ live }] = await t.db.query(
        `SELECT count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM refresh_tokens WHERE account_id = $1 AND family_id =
           (SELECT family_id FROM refresh_tokens WHERE account_id = $1 ORDER BY created_at LIMIT 1)`,
        [c.id],
      );
      expect(live).toBe(0);
      // The other sign-in is untouched.
      await refresh(other.refreshToken).expect(200);
    });

    it('refuses an unknown refresh token with 401 and a malformed one with 400', async () => {
      expectProblem(await refresh('x'.repeat(43)), 401);
      const bad = await t.http.post('/api/v1/auth/refresh').send({});
      expectProblem(bad, 400);
      expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'refreshToken' })]));
    });

    it('logout revokes the refresh token (and its rotated successors)', async () => {
      const c = await newCitizen(t);
      const rotated = (await refresh(c.refreshToken).expect(200)).body.refreshToken as string;
      await t.http.post('/api/v1/auth/logout').send({ refreshToken: rotated }).expect(204);
      expectProblem(await refresh(rotated), 401);
      const [{ revoked }] = await t.db.query(
        `SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL)::int AS revoked FROM refresh_tokens WHERE account_id = $1`,
        [c.id],
      );
      expect(revoked).toBe(2);
      // Signing in again still works.
      await login(t, c.email, 'Citizen-pass-1');
    });

    it('an expired refresh token is refused', async () => {
      const c = await newCitizen(t);
      await t.db.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE account_id = $1`, [
        c.id,
      ]);
      expectProblem(await refresh(c.refreshToken), 401);
    });
  });

  describe('sign-in throttling (per identifier + client address; no account lock)', () => {
    const MAX = 5; // LOGIN_MAX_FAILURES default
    const LOCK = 60; // LOGIN_LOCK_SECONDS default: the first wait

    it(`after ${MAX} failures the identifier waits at this address: 429 with Retry-After even with the right password`, async () => {
      const c = await newCitizen(t);
      for (let i = 0; i < MAX; i++) {
        expectProblem(
          await t.http.post('/api/v1/auth/login').send({ email: c.email, password: `wrong-${i}-password` }),
          401,
        );
      }
      const locked = await t.http.post('/api/v1/auth/login').send({ email: c.email, password: 'Citizen-pass-1' });
      expectProblem(locked, 429);
      expect(locked.body.accessToken).toBeUndefined();
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(LOCK);
      // The account itself is not locked: nothing about it changed in the database.
      const [row] = await t.db.query(`SELECT disabled_at, token_version FROM accounts WHERE id = $1`, [c.id]);
      expect(row).toEqual({ disabled_at: null, token_version: 0 });
    });

    it(`does not make anyone wait before ${MAX} failures, and a success resets the count`, async () => {
      const c = await newCitizen(t);
      for (let i = 0; i < MAX - 1; i++) {
        expectProblem(
          await t.http.post('/api/v1/auth/login').send({ email: c.email, password: `wrong-${i}-password` }),
          401,
        );
      }
      await login(t, c.email, 'Citizen-pass-1');
      // The count starts again from zero: MAX - 1 more failures still do not make it wait.
      for (let i = 0; i < MAX - 1; i++) {
        expectProblem(
          await t.http.post('/api/v1/auth/login').send({ email: c.email, password: `wrong-${i}-password` }),
          401,
        );
      }
      await login(t, c.email, 'Citizen-pass-1');
    });

    it('concurrent guesses cannot slip past the limit: no more than the limit get an answer on the password', async () => {
      const c = await newCitizen(t);
      const answers = await Promise.all(
        Array.from({ length: 4 * MAX }, (_, i) =>
          t.http.post('/api/v1/auth/login').send({ email: c.email, password: `guess-${i}-password` }),
        ),
      );
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(MAX);
      expect(statuses.filter((s) => s === 429)).toHaveLength(3 * MAX);
      await t.http.post('/api/v1/auth/login').send({ email: c.email, password: 'Citizen-pass-1' }).expect(429);
    });

    it('the same account under another identifier (its phone) is counted apart: treating it as one would tell that the phone belongs to the account', async () => {
      const c = await newCitizen(t);
      const [{ phone }] = await t.db.query(`SELECT phone FROM accounts WHERE id = $1`, [c.id]);
      for (let i = 0; i < MAX; i++)
        await t.http.post('/api/v1/auth/login').send({ email: c.email, password: 'wrong-password' }).expect(401);
      await t.http.post('/api/v1/auth/login').send({ email: c.email, password: 'Citizen-pass-1' }).expect(429);
      await t.http.post('/api/v1/auth/login').send({ email: phone, password: 'Citizen-pass-1' }).expect(200);
    });
  });
});
