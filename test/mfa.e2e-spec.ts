import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { DEMO_PASSWORD, newCitizen } from './support/factories';

/**
 * The staff second factor (issue 12 part 2) with STAFF_MFA_REQUIRED=true: enrolment on the pages (QR code, key,
 * recovery codes, confirmation), the API's `otp` (missing, wrong, right, replayed, recovery codes), the shared
 * sign-in throttle, and an administrator's reset (audited, sessions ended, enrol again). Citizens are unaffected.
 */

const LOGIN = '/api/v1/auth/login';
const PASSWORD = 'Staff-pass-2026';
const now = () => Math.floor(Date.now() / 1000);
/** The code of the current time-step, or of the next one (accepted: one step of drift either side). */
const totp = (secret: string, later = false) => generate({ secret, epoch: now() + (later ? 30 : 0) });

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('staff second factor (STAFF_MFA_REQUIRED=true)', () => {
  let t: TestApp;
  let adminToken: string;

  /** Signs in on the pages with a password, is sent to enrolment, reads the key and codes, confirms with a code. */
  async function enrolOnPages(email: string, password = PASSWORD) {
    const agent = request.agent(t.url);
    const form = await agent.get('/login').expect(200);
    const signIn = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email, password })
      .expect(303);
    expect(signIn.headers.location).toBe('/account/mfa');
    // Not signed in yet: the console is out of reach.
    expect((await agent.get('/staff').expect(303)).headers.location).toMatch(/^\/login/);
    const page = await agent.get('/account/mfa').expect(200);
    expect(page.text).toMatch(/<img[^>]+src="data:image\/png;base64,/);
    const secret = /id="mfa-secret">([^<]+)</.exec(page.text)![1].replace(/\s/g, '');
    const codes = [...page.text.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    const confirmed = await agent
      .post('/account/mfa')
      .type('form')
      .send({ _csrf: csrfOf(page.text), code: await totp(secret) })
      .expect(303);
    expect(confirmed.headers.location).toBe('/staff');
    await agent.get('/staff').expect(200);
    return { agent, secret, codes };
  }

  async function newClerk() {
    const email = `clerk-${randomUUID().slice(0, 8)}@example.vn`;
    const res = await t.http
      .post('/api/v1/admin/staff')
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ email, password: PASSWORD, role: 'clerk', agencyCode: '000.00.01.H56' })
      .expect(201);
    return { email, id: res.body.id as string };
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { STAFF_MFA_REQUIRED: 'true' } });
    const admin = await enrolOnPages('admin@demo.local', DEMO_PASSWORD);
    const res = await t.http
      .post(LOGIN)
      .send({ email: 'admin@demo.local', password: DEMO_PASSWORD, otp: await totp(admin.secret, true) })
      .expect(200);
    adminToken = res.body.accessToken;
  });
  afterAll(() => t?.close());

  it('a staff member who has not enrolled gets mfa_enrolment_required from the API; citizens sign in as before', async () => {
    const clerk = await newClerk();
    const res = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD }).expect(401);
    expect(res.body).toMatchObject({ status: 401, code: 'mfa_enrolment_required' });
    // A wrong password still answers the plain 401 (nothing about the second factor).
    const wrong = await t.http.post(LOGIN).send({ email: clerk.email, password: 'Wrong-pass-1' }).expect(401);
    expect(wrong.body.code).toBeUndefined();
    const citizen = await newCitizen(t);
    await t.http.get('/api/v1/applications').set(citizen.auth).expect(200);
  });

  it('API: otp missing → mfa_required, wrong → mfa_invalid, right → tokens (refresh works), a code is not taken twice, a recovery code works once', async () => {
    const clerk = await newClerk();
    const { secret, codes } = await enrolOnPages(clerk.email);
    const missing = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD }).expect(401);
    expect(missing.body).toMatchObject({ code: 'mfa_required', detail: expect.stringMatching(/otp/) });
    const wrong = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: '000000' }).expect(401);
    expect(wrong.body.code).toBe('mfa_invalid');

    const code = await totp(secret, true);
    const ok = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: code }).expect(200);
    expect(ok.body.role).toBe('clerk');
    await t.http.get('/api/v1/queue').set('Authorization', `Bearer ${ok.body.accessToken}`).expect(200);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: ok.body.refreshToken }).expect(200);
    // The same code again (replay): refused.
    const replay = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: code }).expect(401);
    expect(replay.body.code).toBe('mfa_invalid');

    await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: codes[3] }).expect(200);
    const again = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: codes[3] }).expect(401);
    expect(again.body.code).toBe('mfa_invalid');
    // Typed without the dash and in capitals: the same code.
    const typed = codes[4].replace('-', '').toUpperCase();
    await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: typed }).expect(200);

    // Stored: the secret encrypted, the recovery codes as keyed hashes.
    const [row] = await t.db.query(`SELECT secret_enc, confirmed_at FROM staff_mfa WHERE account_id = $1`, [clerk.id]);
    expect(row.confirmed_at).not.toBeNull();
    expect(row.secret_enc).not.toContain(secret);
    const hashes: { code_hash: Buffer }[] = await t.db.query(
      `SELECT code_hash FROM staff_mfa_recovery_codes WHERE account_id = $1`,
      [clerk.id],
    );
    expect(hashes).toHaveLength(10);
    for (const h of hashes) expect(codes.map((c) => c.replace('-', ''))).not.toContain(h.code_hash.toString());
  });

  it('wrong codes count against the sign-in throttle: after the limit, 429 even with a right code', async () => {
    const clerk = await newClerk();
    const { codes } = await enrolOnPages(clerk.email);
    for (let i = 0; i < 5; i++) {
      const res = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: '123456' }).expect(401);
      expect(res.body.code).toBe('mfa_invalid');
    }
    const locked = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD, otp: codes[0] }).expect(429);
    expect(locked.headers['retry-after']).toBeDefined();
  });

  it('an admin resets a second factor: recorded, every session and token of the member ends, the member enrols again', async () => {
    const clerk = await newClerk();
    const { agent, secret } = await enrolOnPages(clerk.email);
    const tokens = (
      await t.http
        .post(LOGIN)
        .send({ email: clerk.email, password: PASSWORD, otp: await totp(secret, true) })
        .expect(200)
    ).body;

    await t.http
      .post(`/api/v1/admin/accounts/${clerk.id}/mfa/reset`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(204);

    const events = await t.db.query(
      `SELECT e.action, a.email AS actor FROM account_events e JOIN accounts a ON a.id = e.actor_id WHERE e.account_id = $1`,
      [clerk.id],
    );
    expect(events).toEqual([{ action: 'mfa.reset', actor: 'admin@demo.local' }]);
    await t.http.get('/api/v1/queue').set('Authorization', `Bearer ${tokens.accessToken}`).expect(401);
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    expect((await agent.get('/staff').expect(303)).headers.location).toMatch(/^\/login/);
    const res = await t.http.post(LOGIN).send({ email: clerk.email, password: PASSWORD }).expect(401);
    expect(res.body.code).toBe('mfa_enrolment_required');
    // The member enrols again (a new key) and is back in.
    const again = await enrolOnPages(clerk.email);
    expect(again.secret).not.toBe(secret);

    // Only staff: a citizen's id is 404; only admins may.
    const citizen = await newCitizen(t);
    const citizenId = JSON.parse(Buffer.from(citizen.token.split('.')[1], 'base64url').toString()).sub;
    await t.http
      .post(`/api/v1/admin/accounts/${citizenId}/mfa/reset`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(404);
    await t.http.post(`/api/v1/admin/accounts/${clerk.id}/mfa/reset`).set(citizen.auth).expect(403);
  });
});
