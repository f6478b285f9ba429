import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { Environment, environmentValue, validateEnvironment } from './configuration';
import { createCa, writeKeyFiles } from '../signing/demo-ca';
import { KNOWN_PLACEHOLDER_SECRETS, sandboxUrlProblem, secretProblem } from './production';

const ROOT = join(__dirname, '..', '..');
/** The files an operator copies values from. */
const SHIPPED = ['.env.example', 'docker-compose.yml', 'README.md', 'Dockerfile'];

/**
 * The literal values given to `name` in a shipped file: `NAME=value`, `NAME: value`,
 * `NAME: ${NAME:-default}` (the default). Not a value: empty, `${NAME:?message}`,
 * `${NAME}`, `$(command)`.
 */
function valuesGiven(text: string, name: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(new RegExp(`\\b${name}['"]?[ \\t]*[=:][ \\t]*(.*)$`, 'gm'))) {
    const rest = m[1].trim();
    if (rest.startsWith('${')) {
      const d = /^\$\{\w+:?-([^}]*)\}/.exec(rest);
      if (d && d[1]) found.push(d[1].replace(/^['"]|['"]$/g, ''));
      continue;
    }
    if (rest.startsWith('$(') || rest.startsWith('#')) continue;
    const token = /^(?:"([^"]*)"|'([^']*)'|([^\s`|,;]*))/.exec(rest)!;
    const value = token[1] ?? token[2] ?? token[3];
    if (value) found.push(value);
  }
  return found;
}

/** A production signing set-up: a (non-demo) CA as the trust list and one agency's key. */
const ca = createCa('Tổ chức chứng thực thử nghiệm', 'Test CA');
const keysDir = mkdtempSync(join(tmpdir(), 'keys-'));
writeKeyFiles(keysDir, ca, [{ name: 'Sở Tư pháp', code: '000.00.12.H56' }], 'key-passphrase');

const production = (over: Record<string, string | undefined> = {}) => {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://portal:pw@db:5432/portal',
    PUBLIC_BASE_URL: 'https://dichvucong.example.gov.vn',
    JWT_SECRET: 'k'.repeat(8) + 'Qx7v-2Lr9_pZ0aWm3Ns8Tb4Yc6Hd1Jf5',
    LINK_SECRET: 'L'.repeat(8) + 'e3Rt-9Uy2_iO5pAs7Df1Gh4Jk6Lz8Xc0',
    MFA_ENCRYPTION_KEY: 'M'.repeat(8) + 'f4Qw-7Er1_tY3uIo5Pa9Sd2Fg6Hj8Kl0',
    VNPAY_TMN_CODE: 'AGENCY01',
    VNPAY_HASH_SECRET: 'vnpay-hash-secret-0123456789',
    VNPAY_PAY_URL: 'https://pay.vnpay.vn/vpcpay.html',
    VNPAY_API_URL: 'https://merchant.vnpay.vn/merchant_webapi/api/transaction',
    POSTAL_API_URL: 'https://api.postal.example.vn/v1',
    POSTAL_API_KEY: 'postal-api-key-0123',
    POSTAL_WEBHOOK_SECRET: 'postal-webhook-secret-0123',
    SMS_API_URL: 'https://sms.example.vn/api/messages',
    SMS_API_KEY: 'sms-api-key-0123',
    SIGNING_KEYS_DIR: keysDir,
    SIGNING_KEYS_PASSPHRASE: 'key-passphrase',
    SIGNING_TRUST_LIST: ca.certPem,
    ...over,
  };
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
};

function problemsOf(env: Record<string, unknown>): string[] {
  try {
    validateEnvironment(env);
  } catch (e) {
    return (e as Error).message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  return [];
}

describe('shipped placeholder secrets', () => {
  it.each(SHIPPED)('every value %s gives to JWT_SECRET or LINK_SECRET is in the refused list', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const name of ['JWT_SECRET', 'LINK_SECRET', 'MFA_ENCRYPTION_KEY']) {
      for (const value of valuesGiven(text, name)) {
        expect({ file, name, value, listed: KNOWN_PLACEHOLDER_SECRETS.includes(value) }).toEqual({
          file,
          name,
          value,
          listed: true,
        });
        expect(secretProblem(value)).toMatch(/placeholder/);
      }
    }
  });

  it('the scan finds values in every form a shipped file uses (docker-compose.yml as shipped before issue 8)', () => {
    const old = '      JWT_SECRET: ${JWT_SECRET:-change-me-change-me-change-me-change-me}\n      PORTAL_ROLE: api';
    expect(valuesGiven(old, 'JWT_SECRET')).toEqual(['change-me-change-me-change-me-change-me']);
    expect(valuesGiven('JWT_SECRET=abc   # comment\nLINK_SECRET="x y"\n', 'JWT_SECRET')).toEqual(['abc']);
    expect(valuesGiven('LINK_SECRET="x y"\n', 'LINK_SECRET')).toEqual(['x y']);
    expect(valuesGiven('`JWT_SECRET=abc`', 'JWT_SECRET')).toEqual(['abc']);
    expect(
      valuesGiven(
        'JWT_SECRET: ${JWT_SECRET:?set it}\nJWT_SECRET=$(openssl rand -base64 48)\nJWT_SECRET=\n',
        'JWT_SECRET',
      ),
    ).toEqual([]);
  });

  it('docker-compose.yml ships no secret or password: each is required with ${VAR:?message}', () => {
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const names = [...text.matchAll(/^\s*(\w*(?:SECRET|PASSWORD|_KEY)\w*):\s*(.*)$/gm)];
    expect(names.map((m) => m[1])).toEqual(
      expect.arrayContaining([
        'JWT_SECRET',
        'LINK_SECRET',
        'POSTGRES_PASSWORD',
        'VNPAY_HASH_SECRET',
        'POSTAL_API_KEY',
        'SMS_API_KEY',
      ]),
    );
    for (const [, name, value] of names)
      expect({ name, value }).toEqual({
        name,
        value: expect.stringMatching(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`)),
      });
    expect(text).not.toMatch(/DEMO_PASSWORD|SEED_DEMO: *'?true/);
  });
});

describe('validateEnvironment', () => {
  it('development: demo data, docs and sandboxes on by default, secrets generated per process', () => {
    const env = validateEnvironment({ NODE_ENV: 'development' });
    expect([env.SEED_DEMO, env.DOCS_ENABLED, env.SANDBOX_ENABLED]).toEqual(['true', 'true', 'true']);
    expect(env.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(env.VNPAY_PAY_URL).toBe('http://127.0.0.1:3000/api/v1/sandbox/vnpay/pay');
  });

  it('production: a complete configuration starts with demo data, docs and sandboxes off', () => {
    const env = validateEnvironment(production());
    expect([env.SEED_DEMO, env.DOCS_ENABLED, env.SANDBOX_ENABLED]).toEqual(['false', 'false', 'false']);
    expect(
      validateEnvironment(production({ DOCS_ENABLED: 'true', SANDBOX_ENABLED: 'false', SEED_DEMO: 'false' }))
        .DOCS_ENABLED,
    ).toBe('true');
  });

  it('production: every problem is listed, one line each, naming its variable', () => {
    const lines = problemsOf(
      production({
        JWT_SECRET: 'change-me-change-me-change-me-change-me',
        LINK_SECRET: undefined,
        SANDBOX_ENABLED: 'true',
        SEED_DEMO: 'true',
        VNPAY_TMN_CODE: undefined,
        VNPAY_PAY_URL: 'https://sandbox.vnpayment.vn/paymentv2/vpcpay.html',
        SMS_API_URL: undefined,
        POSTAL_API_URL: 'https://portal.example.vn/api/v1/sandbox/postal/api',
        DATABASE_URL: undefined,
        PUBLIC_BASE_URL: undefined,
      }),
    );
    expect(lines.map((l) => l.slice(0, l.indexOf(':'))).sort()).toEqual([
      'DATABASE_URL',
      'JWT_SECRET',
      'LINK_SECRET',
      'POSTAL_API_URL',
      'PUBLIC_BASE_URL',
      'SANDBOX_ENABLED',
      'SEED_DEMO',
      'SMS_API_URL',
      'VNPAY_PAY_URL',
      'VNPAY_TMN_CODE',
    ]);
  });

  it('national eID: the sandbox provider is the default issuer in development only; production refuses it', () => {
    const dev = validateEnvironment({ NODE_ENV: 'development', PUBLIC_BASE_URL: 'http://127.0.0.1:3000' });
    expect(dev.OIDC_ISSUER).toBe('http://127.0.0.1:3000/sandbox/eid');
    expect(validateEnvironment({ NODE_ENV: 'development', SANDBOX_ENABLED: 'false' }).OIDC_ISSUER).toBeUndefined();
    expect(validateEnvironment(production()).OIDC_ISSUER).toBeUndefined();
    expect(problemsOf(production({ OIDC_ISSUER: 'https://portal.example.vn/sandbox/eid' }))).toEqual([
      expect.stringMatching(/^OIDC_ISSUER: .*sandbox/),
      expect.stringMatching(/^OIDC_CLIENT_SECRET: required/),
    ]);
    expect(
      problemsOf(
        production({
          OIDC_ISSUER: 'https://id.example.gov.vn',
          OIDC_CLIENT_SECRET: 'change-me-change-me-change-me-0000',
        }),
      ),
    ).toEqual([expect.stringMatching(/^OIDC_CLIENT_SECRET: .*placeholder/)]);
    expect(
      problemsOf(
        production({ OIDC_ISSUER: 'https://id.example.gov.vn', OIDC_CLIENT_SECRET: 'short-but-sixteen-chars' }),
      ),
    ).toEqual([expect.stringMatching(/^OIDC_CLIENT_SECRET: .*32/)]);
    expect(
      problemsOf(production({ OIDC_ISSUER: 'https://id.example.gov.vn', OIDC_CLIENT_SECRET: 'x9'.repeat(24) })),
    ).toEqual([]);
  });

  it('production: a too short secret is named once', () => {
    expect(problemsOf(production({ LINK_SECRET: 'short' }))).toEqual([expect.stringMatching(/^LINK_SECRET: .*32/)]);
  });

  it('production: signing keys and a trust list are required; the demo CA, a demo key, a wrong passphrase are refused', () => {
    expect(problemsOf(production({ SIGNING_KEYS_DIR: undefined, SIGNING_TRUST_LIST: undefined }))).toEqual([
      expect.stringMatching(/^SIGNING_TRUST_LIST: required in production/),
      expect.stringMatching(/^SIGNING_KEYS_DIR: required in production/),
    ]);
    const demo = createCa();
    const demoDir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeKeyFiles(demoDir, demo, [{ name: 'UBND Quận 1', code: '000.00.20.H56' }], 'key-passphrase');
    expect(problemsOf(production({ SIGNING_TRUST_LIST: `${ca.certPem}${demo.certPem}` }))).toEqual([
      expect.stringMatching(/^SIGNING_TRUST_LIST: contains the development demo CA/),
    ]);
    expect(problemsOf(production({ SIGNING_KEYS_DIR: demoDir }))).toEqual([
      'SIGNING_KEYS_DIR: 000.00.20.H56.p12 is a development demo key',
    ]);
    expect(problemsOf(production({ SIGNING_KEYS_PASSPHRASE: 'wrong' }))).toEqual([
      'SIGNING_KEYS_DIR: 000.00.12.H56.p12 cannot be opened with SIGNING_KEYS_PASSPHRASE',
    ]);
  });

  it('metrics: off unless METRICS_TOKEN or METRICS_PORT is set (empty = unset); production wants a real token', () => {
    const off = validateEnvironment(production({ METRICS_TOKEN: '', METRICS_PORT: '' }));
    expect([off.METRICS_TOKEN, off.METRICS_PORT]).toEqual([undefined, undefined]);
    const token = 'mT'.repeat(8) + 'q7Zr-3Lx9_pV0aWm5Ns8Tb4Yc6Hd1Jf2';
    expect(problemsOf(production({ METRICS_TOKEN: token, METRICS_PORT: '9464' }))).toEqual([]);
    expect(validateEnvironment(production({ METRICS_PORT: '9464' })).METRICS_PORT).toBe(9464);
    expect(problemsOf(production({ METRICS_TOKEN: 'metrics-token-16b' }))).toEqual([
      expect.stringMatching(/^METRICS_TOKEN: .*32/),
    ]);
    expect(problemsOf(production({ METRICS_TOKEN: 'change-me-change-me-change-me-change-me' }))).toEqual([
      expect.stringMatching(/^METRICS_TOKEN: is a placeholder/),
    ]);
    // Outside production a shorter token will do; METRICS_PORT never shares the API's port.
    expect(problemsOf({ NODE_ENV: 'development', METRICS_TOKEN: 'metrics-token-16b' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'development', METRICS_TOKEN: 'short' })).toEqual([
      expect.stringMatching(/^METRICS_TOKEN: /),
    ]);
    expect(problemsOf({ NODE_ENV: 'development', PORT: '3000', METRICS_PORT: '3000' })).toEqual([
      'METRICS_PORT: must differ from PORT (metrics are served on a port of their own)',
    ]);
    expect(problemsOf({ NODE_ENV: 'development', METRICS_PORT: 'abc' })).toEqual([
      expect.stringMatching(/^METRICS_PORT: /),
    ]);
  });

  it('sandbox URLs: the built-in sandboxes, VNPay test host, sandbox.* hosts; real endpoints pass', () => {
    expect(sandboxUrlProblem('https://sandbox.vnpayment.vn/merchant_webapi/api/transaction')).toMatch(
      /sandbox\.vnpayment\.vn/,
    );
    expect(sandboxUrlProblem('https://portal.example.vn/api/v1/sandbox/sms/messages')).toMatch(/\/sandbox\//);
    expect(sandboxUrlProblem('https://sandbox.postal.example.vn/v1')).toMatch(/sandbox host/);
    expect(sandboxUrlProblem('https://pay.vnpay.vn/vpcpay.html')).toBeUndefined();
    expect(sandboxUrlProblem('https://api.example.vn/sandboxes-docs')).toBeUndefined();
  });
});

describe('.env.example', () => {
  /** The variables .env.example gives (`NAME=...` at the start of a line). */
  const listed = () =>
    readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
  /** Every property of the Environment class (each carries at least one validation decorator). */
  const declared = () => [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(Environment, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];

  it('lists every variable of the Environment class, and nothing else, once each', () => {
    const names = listed();
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !declared().includes(n))).toEqual([]);
    expect(declared().filter((n) => !names.includes(n))).toEqual([]);
  });
});

describe('environmentValue', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('reads one validated variable, its default when unset, and refuses a typo instead of a NaN', () => {
    delete process.env.DUE_SOON_WORKING_HOURS;
    expect(environmentValue('DUE_SOON_WORKING_HOURS')).toBe(8);
    process.env.DEADLINE_SWEEP_EVERY_MS = '120000';
    expect(environmentValue('DEADLINE_SWEEP_EVERY_MS')).toBe(120_000);
    process.env.RECONCILE_EVERY_MS = '60s';
    expect(() => environmentValue('RECONCILE_EVERY_MS')).toThrow(/RECONCILE_EVERY_MS: .*integer/);
  });

  it('notification concurrency: 32 by default, a whole number from 1 to 256', () => {
    delete process.env.NOTIFICATION_CONCURRENCY;
    expect(environmentValue('NOTIFICATION_CONCURRENCY')).toBe(32);
    process.env.NOTIFICATION_CONCURRENCY = '64';
    expect(environmentValue('NOTIFICATION_CONCURRENCY')).toBe(64);
    for (const bad of ['0', '257', '8.5', 'many'])
      expect(() => {
        process.env.NOTIFICATION_CONCURRENCY = bad;
        environmentValue('NOTIFICATION_CONCURRENCY');
      }).toThrow(/NOTIFICATION_CONCURRENCY/);
  });

  it('prepared statements per connection (500, 0 turns them off) and the relay gathering (20 ms): whole, not negative', () => {
    for (const [name, byDefault] of [
      ['DB_PREPARED_STATEMENTS', 500],
      ['OUTBOX_GATHER_MS', 20],
    ] as const) {
      delete process.env[name];
      expect(environmentValue(name)).toBe(byDefault);
      process.env[name] = '0';
      expect(environmentValue(name)).toBe(0);
      for (const bad of ['-1', '2.5', 'x'])
        expect(() => {
          process.env[name] = bad;
          environmentValue(name);
        }).toThrow(new RegExp(name));
      delete process.env[name];
    }
  });
});
