import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import request from 'supertest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KNOWN_PLACEHOLDER_SECRETS } from '../src/config/production';
import { createCa, writeKeyFiles } from '../src/signing/demo-ca';
import { createTestApp, TestApp, TestAppOptions } from './support/app';
import { runScript } from './support/scripts';

/**
 * NODE_ENV=production, started as `npm start` starts it (validation, then
 * migrations and the demo seed when enabled, then the app) on a fresh EMPTY
 * database: each unsafe setting is refused with one line naming it, several
 * are listed together, and a correct configuration starts with no demo
 * accounts, no /docs, no sandboxes and a health check that says only "ok".
 */

const secret = () => randomBytes(48).toString('base64url');

/** Production signing: a (non-demo) CA as the trust list, and a directory of agency keys (none needed yet). */
const signingCa = createCa('Tổ chức chứng thực thử nghiệm', 'Test CA');
const keysDir = mkdtempSync(join(tmpdir(), 'keys-'));
writeKeyFiles(keysDir, signingCa, [{ name: 'Sở Tư pháp', code: '000.00.12.H56' }], 'p12-passphrase');
const demoCa = createCa();

/** A production configuration that starts (DATABASE_URL and PUBLIC_BASE_URL come from createTestApp). */
const PRODUCTION: Record<string, string | undefined> = {
  NODE_ENV: 'production',
  JWT_SECRET: secret(),
  LINK_SECRET: secret(),
  MFA_ENCRYPTION_KEY: secret(),
  VNPAY_TMN_CODE: 'AGENCY01',
  VNPAY_HASH_SECRET: secret(),
  VNPAY_PAY_URL: 'https://pay.vnpay.vn/vpcpay.html',
  VNPAY_API_URL: 'https://merchant.vnpay.vn/merchant_webapi/api/transaction',
  POSTAL_API_URL: 'https://api.postal.example.vn/v1',
  POSTAL_API_KEY: secret(),
  POSTAL_WEBHOOK_SECRET: secret(),
  SMS_API_URL: 'https://sms.example.vn/api/messages',
  SMS_API_KEY: secret(),
  SIGNING_KEYS_DIR: keysDir,
  SIGNING_KEYS_PASSPHRASE: 'p12-passphrase',
  SIGNING_TRUST_LIST: signingCa.certPem,
  // Left to their production defaults.
  SEED_DEMO: undefined,
  SANDBOX_ENABLED: undefined,
  DOCS_ENABLED: undefined,
  STAFF_MFA_REQUIRED: undefined,
};

function boot(over: Record<string, string | undefined> = {}): Promise<TestApp> {
  const opts: TestAppOptions = { database: 'empty', prepare: true, env: { ...PRODUCTION, ...over } };
  return createTestApp(opts);
}

/** The problem lines of a refused start (the app must not start). */
async function refusal(over: Record<string, string | undefined>): Promise<string[]> {
  let app: TestApp | undefined;
  try {
    app = await boot(over);
  } catch (e) {
    const [head, ...lines] = (e as Error).message.split('\n');
    expect(head).toBe('Invalid environment:');
    return lines.map((l) => l.trim());
  }
  await app.close();
  throw new Error('the portal started');
}

describe('production mode', () => {
  // Every boot writes the validated configuration into process.env: put it back after each.
  let saved: NodeJS.ProcessEnv;
  const save = () => {
    saved = { ...process.env };
  };
  const restore = () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };

  describe('refuses to start, naming the problem in one line', () => {
    beforeEach(save);
    afterEach(restore);

    const BUILT_IN = 'http://127.0.0.1:3000/api/v1';
    it.each<[string, Record<string, string | undefined>, RegExp]>([
      ['JWT_SECRET missing', { JWT_SECRET: undefined }, /^JWT_SECRET: required in production$/],
      ['JWT_SECRET shorter than 32 bytes', { JWT_SECRET: randomBytes(15).toString('hex') }, /^JWT_SECRET: .*32/],
      [
        'JWT_SECRET the placeholder docker-compose.yml shipped',
        { JWT_SECRET: 'change-me-change-me-change-me-change-me' },
        /^JWT_SECRET: is a placeholder shipped/,
      ],
      ['LINK_SECRET missing', { LINK_SECRET: undefined }, /^LINK_SECRET: required in production$/],
      ['MFA_ENCRYPTION_KEY missing', { MFA_ENCRYPTION_KEY: undefined }, /^MFA_ENCRYPTION_KEY: required in production$/],
      [
        'MFA_ENCRYPTION_KEY a placeholder',
        { MFA_ENCRYPTION_KEY: 'change-me-change-me-change-me-change-me' },
        /^MFA_ENCRYPTION_KEY: is a placeholder/,
      ],
      [
        'STAFF_MFA_REQUIRED=false',
        { STAFF_MFA_REQUIRED: 'false' },
        /^STAFF_MFA_REQUIRED: 'false' is refused in production/,
      ],
      ['LINK_SECRET shorter than 32 bytes', { LINK_SECRET: randomBytes(15).toString('hex') }, /^LINK_SECRET: .*32/],
      [
        'LINK_SECRET a placeholder the repository ships',
        { LINK_SECRET: KNOWN_PLACEHOLDER_SECRETS.at(-1) },
        /^LINK_SECRET: is a placeholder shipped/,
      ],
      ['SEED_DEMO=true (the demo data)', { SEED_DEMO: 'true' }, /^SEED_DEMO: 'true' is refused in production/],
      ['SANDBOX_ENABLED=true', { SANDBOX_ENABLED: 'true' }, /^SANDBOX_ENABLED: 'true' is refused in production/],
      [
        'VNPAY_TMN_CODE the demo terminal code',
        { VNPAY_TMN_CODE: 'DEMO0001' },
        /^VNPAY_TMN_CODE: the demo terminal code DEMO0001/,
      ],
      [
        'VNPAY_TMN_CODE unset (defaults to the demo code)',
        { VNPAY_TMN_CODE: undefined },
        /^VNPAY_TMN_CODE: the demo terminal code DEMO0001/,
      ],
      ['VNPAY_HASH_SECRET missing', { VNPAY_HASH_SECRET: undefined }, /^VNPAY_HASH_SECRET: required in production$/],
      [
        'VNPAY_PAY_URL missing (the built-in sandbox)',
        { VNPAY_PAY_URL: undefined },
        /^VNPAY_PAY_URL: required in production/,
      ],
      [
        'VNPAY_PAY_URL at the built-in sandbox',
        { VNPAY_PAY_URL: `${BUILT_IN}/sandbox/vnpay/pay` },
        /^VNPAY_PAY_URL: points at a sandbox \(a path under \/sandbox\//,
      ],
      [
        "VNPAY_API_URL at VNPay's test host",
        { VNPAY_API_URL: 'https://sandbox.vnpayment.vn/merchant_webapi/api/transaction' },
        /^VNPAY_API_URL: points at VNPay's test environment \(sandbox\.vnpayment\.vn\)/,
      ],
      [
        'POSTAL_API_URL at the built-in sandbox',
        { POSTAL_API_URL: `${BUILT_IN}/sandbox/postal/api` },
        /^POSTAL_API_URL: points at a sandbox/,
      ],
      ['POSTAL_API_KEY missing', { POSTAL_API_KEY: undefined }, /^POSTAL_API_KEY: required in production$/],
      [
        'POSTAL_WEBHOOK_SECRET missing',
        { POSTAL_WEBHOOK_SECRET: undefined },
        /^POSTAL_WEBHOOK_SECRET: required in production$/,
      ],
      [
        'SMS_API_URL missing (the built-in sandbox)',
        { SMS_API_URL: undefined },
        /^SMS_API_URL: required in production/,
      ],
      [
        'SMS_API_URL at the built-in sandbox',
        { SMS_API_URL: `${BUILT_IN}/sandbox/sms/messages` },
        /^SMS_API_URL: points at a sandbox/,
      ],
      ['SMS_API_KEY missing', { SMS_API_KEY: undefined }, /^SMS_API_KEY: required in production$/],
      [
        'DATABASE_URL missing (no embedded PostgreSQL)',
        { DATABASE_URL: undefined },
        /^DATABASE_URL: required in production \(the embedded PostgreSQL/,
      ],
      ['PUBLIC_BASE_URL missing', { PUBLIC_BASE_URL: undefined }, /^PUBLIC_BASE_URL: required in production/],
      [
        'SIGNING_KEYS_DIR missing (the development demo keys)',
        { SIGNING_KEYS_DIR: undefined },
        /^SIGNING_KEYS_DIR: required in production/,
      ],
      [
        'SIGNING_TRUST_LIST missing (the development demo CA)',
        { SIGNING_TRUST_LIST: undefined },
        /^SIGNING_TRUST_LIST: required in production/,
      ],
      [
        'SIGNING_TRUST_LIST with the demo CA',
        { SIGNING_TRUST_LIST: `${signingCa.certPem}${demoCa.certPem}` },
        /^SIGNING_TRUST_LIST: contains the development demo CA/,
      ],
      [
        'SIGNING_KEYS_PASSPHRASE that does not open a key',
        { SIGNING_KEYS_PASSPHRASE: 'wrong' },
        /^SIGNING_KEYS_DIR: 000\.00\.12\.H56\.p12 cannot be opened/,
      ],
    ])('%s', async (_what, over, line) => {
      expect(await refusal(over)).toEqual([expect.stringMatching(line)]);
    });

    it('lists every problem at once, one line each', async () => {
      const lines = await refusal({
        JWT_SECRET: 'change-me-change-me-change-me-change-me',
        LINK_SECRET: undefined,
        SEED_DEMO: 'true',
        SANDBOX_ENABLED: 'true',
        VNPAY_PAY_URL: 'https://sandbox.vnpayment.vn/paymentv2/vpcpay.html',
        SMS_API_KEY: undefined,
        DATABASE_URL: undefined,
      });
      expect(lines.map((l) => l.slice(0, l.indexOf(':'))).sort()).toEqual([
        'DATABASE_URL',
        'JWT_SECRET',
        'LINK_SECRET',
        'SANDBOX_ENABLED',
        'SEED_DEMO',
        'SMS_API_KEY',
        'VNPAY_PAY_URL',
      ]);
    });
  });

  describe('a correct configuration on an empty database', () => {
    let t: TestApp;
    beforeAll(async () => {
      save();
      t = await boot();
    });
    afterAll(async () => {
      await t?.close();
      restore();
    });

    it('migrates and loads no demo data: a login as admin@demo.local answers 401', async () => {
      const [counts] = await t.db
        .query(`SELECT (SELECT count(*)::int FROM accounts) AS accounts, (SELECT count(*)::int FROM agencies) AS agencies,
                                                (SELECT count(*)::int FROM procedures) AS procedures`);
      expect(counts).toEqual({ accounts: 0, agencies: 0, procedures: 0 });
      await t.http.post('/api/v1/auth/login').send({ email: 'admin@demo.local', password: 'Demo@2026' }).expect(401);
    });

    it('serves no /docs', async () => {
      for (const path of ['/docs', '/docs/json', '/docs/'])
        expect({ path, status: (await t.http.get(path)).status }).toEqual({ path, status: 404 });
    });

    it('mounts no sandbox: every sandbox route answers 404', async () => {
      const calls = [
        t.http.get('/api/v1/sandbox/vnpay/pay'),
        t.http.post('/api/v1/sandbox/vnpay/api/transaction').send({}),
        t.http.get('/api/v1/sandbox/sms/messages'),
        t.http.post('/api/v1/sandbox/sms/messages').send({ to: '0900000000', text: 'x' }),
        t.http.post('/api/v1/sandbox/postal/api/shipments').send({}),
        t.http.get('/api/v1/sandbox/postal/shipments'),
        t.http.post('/api/v1/sandbox/postal/shipments/EX123/events').send({ status: 'delivered' }),
      ];
      expect((await Promise.all(calls)).map((r) => r.status)).toEqual(calls.map(() => 404));
    });

    it('health tells the public only "ok"; the details need an admin', async () => {
      expect((await t.http.get('/api/v1/health').expect(200)).body).toEqual({ status: 'ok' });
      expect((await t.http.get('/api/v1/health/details')).status).toBe(401);
    });

    it('the first administrator comes from `admin:create`, sets up the second factor (required), and sees the health details', async () => {
      const password = `${secret()}!`;
      const run = await runScript('admin-create', ['--email', 'ops@agency.gov.vn'], {
        env: { DATABASE_URL: process.env.DATABASE_URL },
        input: `${password}\n`,
      });
      expect(run.code).toBe(0);
      // STAFF_MFA_REQUIRED is on in production: no token before a second factor, set up on the pages.
      const refused = await t.http
        .post('/api/v1/auth/login')
        .send({ email: 'ops@agency.gov.vn', password })
        .expect(401);
      expect(refused.body.code).toBe('mfa_enrolment_required');
      const pages = request.agent(t.url);
      const csrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const form = await pages.get('/login').expect(200);
      await pages
        .post('/login')
        .type('form')
        .send({ _csrf: csrf(form.text), email: 'ops@agency.gov.vn', password })
        .expect(303)
        .expect('location', '/account/mfa');
      const enrol = await pages.get('/account/mfa').expect(200);
      const key = /id="mfa-secret">([^<]+)</.exec(enrol.text)![1].replace(/\s/g, '');
      await pages
        .post('/account/mfa')
        .type('form')
        .send({ _csrf: csrf(enrol.text), code: await generate({ secret: key }) })
        .expect(303);
      const session = await t.http
        .post('/api/v1/auth/login')
        .send({
          email: 'ops@agency.gov.vn',
          password,
          otp: await generate({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 }),
        })
        .expect(200);
      const details = await t.http
        .get('/api/v1/health/details')
        .set('authorization', `Bearer ${session.body.accessToken}`)
        .expect(200);
      expect(details.body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, queues: { status: 'up' } },
      });
    });

    it('an agency without its signing key is refused at start, naming it (a key for each agency that issues results)', async () => {
      const { SigningService } = await import('../src/signing/signing.service');
      const calendar = '{"weekdays":[1,2,3,4,5],"hours":[["08:00","17:00"]],"holidays":[]}';
      await t.db.query(`INSERT INTO agencies (code, name, calendar) VALUES ('000.00.99.H56', 'UBND Phường Mới', $1)`, [
        calendar,
      ]);
      await t.db.query(`INSERT INTO agencies (code, name, calendar) VALUES ('000.00.12.H56', 'Sở Tư pháp', $1)`, [
        calendar,
      ]);
      await expect(t.app.get(SigningService).onApplicationBootstrap()).rejects.toThrow(
        'Invalid environment:\n  SIGNING_KEYS_DIR: no key for agency 000.00.99.H56 (UBND Phường Mới): expected 000.00.99.H56.p12',
      );
      await t.db.query(`DELETE FROM agencies WHERE code IN ('000.00.99.H56', '000.00.12.H56')`);
    });
  });
});
