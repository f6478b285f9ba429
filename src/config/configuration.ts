import { plainToInstance, Transform } from 'class-transformer';
import { randomBytes } from 'node:crypto';
import { DEMO_TMN_CODE, sandboxUrlProblem, secretProblem, signingProblems } from './production';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * The portal's environment, validated at start. Every variable is documented
 * in `.env.example`. Secrets come only from the environment; in development a
 * missing JWT secret is replaced by a random one per process (tokens then do
 * not survive a restart), in production it is required.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** BullMQ key prefix; use a `{hash-tag}` with Redis Cluster. */
  @IsString()
  REDIS_PREFIX = 'portal';

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsOptional()
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(60)
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(300)
  JWT_REFRESH_TTL_SECONDS = 1209600;

  @IsOptional()
  @IsUrl({ require_tld: false })
  PUBLIC_BASE_URL?: string;

  @IsString()
  STORAGE_DIR = '.data/files';

  /** S3-compatible object storage for files; when S3_BUCKET is set, STORAGE_DIR is not used. */
  @IsOptional()
  @IsString()
  @MinLength(3)
  S3_BUCKET?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  /** 'true' for MinIO and most S3-compatible servers (bucket in the path, not the host name). */
  @IsIn(['true', 'false'])
  S3_FORCE_PATH_STYLE = 'true';

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1024)
  UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

  /** Per dossier: at most this many documents, adding up to at most DOSSIER_MAX_BYTES (409 beyond). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  DOSSIER_MAX_FILES = 30;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1024)
  DOSSIER_MAX_BYTES = 50 * 1024 * 1024;

  /** Per citizen account: dossiers started and never submitted (409 beyond). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  DRAFTS_MAX_PER_ACCOUNT = 20;

  @IsOptional()
  @IsString()
  SMTP_URL?: string;

  @IsString()
  MAIL_FROM = 'Cổng dịch vụ công <no-reply@portal.local>';

  @IsIn(['api', 'worker', 'all'])
  PORTAL_ROLE: 'api' | 'worker' | 'all' = 'all';

  /** The address the HTTP server binds. */
  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  /** Reverse proxies in front: `false`, their number, or their addresses/CIDRs (src/security/trust-proxy.ts). */
  @IsString()
  TRUST_PROXY = 'false';

  /** On SIGTERM the API keeps serving this long (health answers 503) before it closes. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS = 1500;

  /** Database connections per process (pool size). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  DB_POOL_MAX = 20;

  /**
   * Distinct statements each connection keeps prepared (parsed and planned once; src/database/prepared-client.ts).
   * 0: none, for a pooler that moves transactions between server connections (PgBouncer transaction mode < 1.21).
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  DB_PREPARED_STATEMENTS = 500;

  @IsString()
  @MinLength(8)
  DEMO_PASSWORD = 'Demo@2026';

  /** The demo data on an empty database; default 'true', except in production where it is off and 'true' is refused. */
  @IsOptional()
  @IsIn(['true', 'false'])
  SEED_DEMO?: 'true' | 'false';

  /** The OpenAPI document at /docs; default 'true', except in production ('false'). */
  @IsOptional()
  @IsIn(['true', 'false'])
  DOCS_ENABLED?: 'true' | 'false';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * Prometheus metrics (src/metrics), never public: off unless one of these is set. METRICS_TOKEN: the API serves
   * `GET /metrics` to `Authorization: Bearer <token>` only (>= 32 bytes and no placeholder in production).
   * METRICS_PORT: every process (API and worker) serves `/metrics` on this port instead, a port not to publish
   * (with METRICS_TOKEN set too, the token is required there as well). Empty means unset.
   */
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;

  @Transform(({ value }) => (value === '' || value === undefined ? undefined : Number(value)))
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;

  /** Comma-separated origins allowed by CORS; empty means same-origin only. */
  @IsString()
  CORS_ORIGINS = '';

  /**
   * Sign-in throttling per (login identifier + client address), in Redis (src/auth/login-throttle.ts), the same
   * whether or not an account has that identifier: after LOGIN_MAX_FAILURES failures the pair waits
   * LOGIN_LOCK_SECONDS (429 + Retry-After); when the wait is over the count starts again, and each further wait
   * doubles, up to LOGIN_LOCK_MAX_SECONDS. A success clears it; it is forgotten after a day without failures.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  LOGIN_MAX_FAILURES = 5;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  LOGIN_LOCK_SECONDS = 60;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  LOGIN_LOCK_MAX_SECONDS = 3600;

  /**
   * Rate limits (src/security/rate-limit.ts), counted in Redis across replicas over a window of
   * RATE_LIMIT_WINDOW_SECONDS; 0 turns one off. Sign-in per client address and login identifier,
   * sign-in per client address (any identifier), public lookup per client address. The per-address
   * ceilings are loose on purpose: an office, or a mobile carrier's NAT, puts many people behind one address.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  LOGIN_RATE_LIMIT = 20;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  LOGIN_IP_RATE_LIMIT = 300;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  LOOKUP_RATE_LIMIT = 60;

  /** Public file checks (`POST /verify/:code`, an upload) per client address per window. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  VERIFY_RATE_LIMIT = 20;

  /** Registrations per client address per window; 0 = off. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  REGISTER_RATE_LIMIT = 10;

  /** Password-reset requests and uses (forgot + reset together) per client address per window; 0 = off. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  PASSWORD_RESET_RATE_LIMIT = 5;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /**
   * Callbacks with a bad signature (VNPay IPN and return, postal webhook) per client address per window
   * before that address gets 429 on every callback until the window ends (src/security/callback-failures.ts); 0 = off.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  CALLBACK_FAILURE_RATE_LIMIT = 20;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(100)
  OUTBOX_POLL_MS = 500;

  /** After a NOTIFY, the relay waits this long so that the rows committed meanwhile go out in the same claim. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  OUTBOX_GATHER_MS = 20;

  /**
   * On shutdown, how long requests in flight may take to finish before every connection still open is cut (a
   * keep-alive socket that was busy when the close began, a client that connected and sent nothing: either would
   * otherwise hold the close until its own timeout, 72 s or never).
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_MS = 10_000;

  /**
   * How often the worker's reconciler looks for outbox rows handed to BullMQ whose job never finished (lost when
   * a Redis without persistence restarts empty), and re-adds them; it also puts back a missing job schedule.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(100)
  OUTBOX_RECONCILE_EVERY_MS = 10_000;

  /** A row is re-added once its job has gone unfinished this long since it was handed to BullMQ. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1000)
  OUTBOX_RECONCILE_AFTER_MS = 30_000;

  /**
   * BullMQ's job lock (lockDuration) and stalled-job check (stalledInterval): a job whose worker died is run again
   * by another worker within about twice this. Longer than any job may block its worker's event loop.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1000)
  JOB_LOCK_MS = 30_000;

  /** VNPay merchant (terminal) code; the built-in sandbox accepts the same. */
  @IsString()
  @MinLength(1)
  VNPAY_TMN_CODE = 'DEMO0001';

  /** VNPay hash secret; required in production, random per process in development. */
  @IsOptional()
  @IsString()
  @MinLength(16)
  VNPAY_HASH_SECRET?: string;

  /** Payment page; default: the built-in sandbox gateway. */
  @IsOptional()
  @IsUrl({ require_tld: false })
  VNPAY_PAY_URL?: string;

  /** Server-to-server API (querydr, refund); default: the built-in sandbox gateway. */
  @IsOptional()
  @IsUrl({ require_tld: false })
  VNPAY_API_URL?: string;

  /** Where the sandbox gateway sends IPNs (a real merchant registers this URL with VNPay). */
  @IsOptional()
  @IsUrl({ require_tld: false })
  VNPAY_IPN_URL?: string;

  /** Where the citizen's browser comes back after paying. */
  @IsOptional()
  @IsUrl({ require_tld: false })
  VNPAY_RETURN_URL?: string;

  /** How long a payment attempt stays open (also sent as vnp_ExpireDate). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(60)
  PAYMENT_TTL_SECONDS = 900;

  /** A pending attempt older than this is queried with the provider (querydr). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  RECONCILE_AFTER_SECONDS = 120;

  /** The postal operator's API (shipment creation); default: the built-in sandbox operator. */
  @IsOptional()
  @IsUrl({ require_tld: false })
  POSTAL_API_URL?: string;

  /** The API key the portal presents to the postal operator. */
  @IsOptional()
  @IsString()
  @MinLength(8)
  POSTAL_API_KEY?: string;

  /** Shared secret of the operator's webhook signature (HMAC-SHA256 of the raw body). */
  @IsOptional()
  @IsString()
  @MinLength(16)
  POSTAL_WEBHOOK_SECRET?: string;

  /** Where the operator sends tracking events (registered with the operator). */
  @IsOptional()
  @IsUrl({ require_tld: false })
  POSTAL_WEBHOOK_URL?: string;

  /** SMS gateway (HTTP JSON); default: the built-in sandbox gateway. */
  @IsOptional()
  @IsUrl({ require_tld: false })
  SMS_API_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8)
  SMS_API_KEY?: string;

  /** Signs expiring result download links; random per process in development. */
  @IsOptional()
  @IsString()
  @MinLength(32)
  LINK_SECRET?: string;

  /**
   * Sign-in with the national eID (OpenID Connect): the provider's issuer (discovery at
   * `$OIDC_ISSUER/.well-known/openid-configuration`). Unset: eID sign-in is off, except outside production with
   * SANDBOX_ENABLED, where the built-in sandbox provider (`$PUBLIC_BASE_URL/sandbox/eid`) is the issuer.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  OIDC_ISSUER?: string;

  /** The portal's client id at the eID provider. */
  @IsString()
  @MinLength(1)
  OIDC_CLIENT_ID = 'public-services-portal';

  /** client_secret_basic; random per process in development (the sandbox provider registers the same). */
  @IsOptional()
  @IsString()
  @MinLength(16)
  OIDC_CLIENT_SECRET?: string;

  /** private_key_jwt instead of a secret: the client's private key, PEM (PKCS#8) or JWK JSON. */
  @IsOptional()
  @IsString()
  @MinLength(32)
  OIDC_CLIENT_KEY?: string;

  @IsString()
  @MinLength(6)
  OIDC_SCOPES = 'openid profile';

  /** The names of the claims the portal reads (the provider's names for them). */
  @IsString()
  @MinLength(1)
  OIDC_CLAIM_ID_NUMBER = 'id_number';

  @IsString()
  @MinLength(1)
  OIDC_CLAIM_FULL_NAME = 'name';

  @IsString()
  @MinLength(1)
  OIDC_CLAIM_BIRTHDATE = 'birthdate';

  @IsString()
  @MinLength(1)
  OIDC_CLAIM_PHONE = 'phone_number';

  /**
   * Signed results and receipts (src/signing): a directory of PKCS#12 files, one per agency that issues results,
   * named `<agency code>.p12` (e.g. `000.00.12.H56.p12`), all opened with SIGNING_KEYS_PASSPHRASE. Unset in
   * development: a demo CA and per-agency certificates are made at first use and kept in the database.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  SIGNING_KEYS_DIR?: string;

  @IsOptional()
  @IsString()
  SIGNING_KEYS_PASSPHRASE?: string;

  /** Certificates an uploaded signed result must chain to: a PEM bundle's path, or the PEM itself. Unset in development: the demo CA. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  SIGNING_TRUST_LIST?: string;

  /** The built-in sandbox gateways (payment, postal, SMS); default 'true', except in production where 'true' is refused. */
  @IsOptional()
  @IsIn(['true', 'false'])
  SANDBOX_ENABLED?: 'true' | 'false';

  /**
   * Notification jobs a worker process runs at a time (and its SMTP connections). A job mostly waits (on Postgres,
   * the mail relay and the SMS gateway), so a worker needs many at once to keep its core busy: with ~50 ms of
   * waiting per job, 8 cap it near 160 jobs/s. 32 keeps the CPU the bound on the bench (README, Performance) and
   * leaves room for a relay farther away than loopback; lower it for a relay that allows fewer connections.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(256)
  NOTIFICATION_CONCURRENCY = 32;

  /**
   * Staff second factor (TOTP): required of clerks, supervisors and admins at sign-in. Default 'true' in
   * production (where 'false' is refused), 'false' otherwise.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  STAFF_MFA_REQUIRED?: 'true' | 'false';

  /**
   * Encrypts the staff TOTP secrets at rest (AES-256-GCM, key derived from this) and keys the recovery-code
   * hashes; >= 32 bytes, required in production; elsewhere derived from JWT_SECRET when unset.
   */
  @IsOptional()
  @IsString()
  @MinLength(32)
  MFA_ENCRYPTION_KEY?: string;

  /** The reconciliation job's schedule (settle pending attempts, expire abandoned ones). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1000)
  RECONCILE_EVERY_MS = 60_000;

  /** The deadline sweep's schedule (due soon / overdue flags and warnings). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1000)
  DEADLINE_SWEEP_EVERY_MS = 300_000;

  /** "Due soon" means within this many working hours. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  DUE_SOON_WORKING_HOURS = 8;
}

export type AppConfig = Environment & {
  SEED_DEMO: 'true' | 'false';
  DOCS_ENABLED: 'true' | 'false';
  SANDBOX_ENABLED: 'true' | 'false';
  STAFF_MFA_REQUIRED: 'true' | 'false';
  JWT_SECRET: string;
  PUBLIC_BASE_URL: string;
  VNPAY_HASH_SECRET: string;
  VNPAY_PAY_URL: string;
  VNPAY_API_URL: string;
  VNPAY_IPN_URL: string;
  VNPAY_RETURN_URL: string;
  POSTAL_API_URL: string;
  POSTAL_API_KEY: string;
  POSTAL_WEBHOOK_SECRET: string;
  POSTAL_WEBHOOK_URL: string;
  SMS_API_URL: string;
  SMS_API_KEY: string;
  LINK_SECRET: string;
  OIDC_CLIENT_SECRET: string;
};

export function validateEnvironment(raw: Record<string, unknown>): AppConfig {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  // Every problem, one line each, then one error: an operator fixes them all in one go.
  const problems = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
  const invalid = new Set(errors.map((e) => e.property));
  const production = env.NODE_ENV === 'production';
  if (production)
    problems.push(...productionProblems(env).filter((line) => !invalid.has(line.slice(0, line.indexOf(':')))));
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT && !invalid.has('METRICS_PORT')) {
    problems.push('METRICS_PORT: must differ from PORT (metrics are served on a port of their own)');
  }
  if (env.S3_BUCKET && (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required with S3_BUCKET');
  }
  if (problems.length > 0) throw new Error(`Invalid environment:\n${problems.map((l) => `  ${l}`).join('\n')}`);
  env.SEED_DEMO ??= production ? 'false' : 'true';
  env.DOCS_ENABLED ??= production ? 'false' : 'true';
  env.SANDBOX_ENABLED ??= production ? 'false' : 'true';
  env.STAFF_MFA_REQUIRED ??= production ? 'true' : 'false';
  env.JWT_SECRET ??= developmentSecret('jwt');
  env.PUBLIC_BASE_URL = (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, '');
  const api = `${env.PUBLIC_BASE_URL}/api/v1`;
  env.VNPAY_HASH_SECRET ??= developmentSecret('vnpay');
  env.VNPAY_PAY_URL ??= `${api}/sandbox/vnpay/pay`;
  env.VNPAY_API_URL ??= `${api}/sandbox/vnpay/api/transaction`;
  env.VNPAY_IPN_URL ??= `${api}/payments/vnpay/ipn`;
  env.VNPAY_RETURN_URL ??= `${api}/payments/vnpay/return`;
  env.POSTAL_API_URL ??= `${api}/sandbox/postal/api`;
  env.POSTAL_API_KEY ??= developmentSecret('postal-key');
  env.POSTAL_WEBHOOK_SECRET ??= developmentSecret('postal-webhook');
  env.POSTAL_WEBHOOK_URL ??= `${api}/postal/webhook`;
  env.SMS_API_URL ??= `${api}/sandbox/sms/messages`;
  env.SMS_API_KEY ??= developmentSecret('sms-key');
  env.LINK_SECRET ??= developmentSecret('links');
  if (!env.OIDC_ISSUER && !production && env.SANDBOX_ENABLED === 'true') {
    env.OIDC_ISSUER = `${env.PUBLIC_BASE_URL}/sandbox/eid`;
  }
  env.OIDC_CLIENT_SECRET ??= developmentSecret('oidc-client');
  return env as AppConfig;
}

/**
 * What NODE_ENV=production refuses, one line per problem, each starting with the
 * variable's name: demo data, sandboxes, missing or shipped secrets, providers
 * still pointing at a sandbox, the embedded database, a guessed public address.
 */
function productionProblems(env: Environment): string[] {
  const problems: string[] = [];
  const add = (name: keyof Environment, problem: string | undefined) => problem && problems.push(`${name}: ${problem}`);
  add(
    'DATABASE_URL',
    env.DATABASE_URL ? undefined : 'required in production (the embedded PostgreSQL is a development convenience)',
  );
  add(
    'PUBLIC_BASE_URL',
    env.PUBLIC_BASE_URL
      ? undefined
      : 'required in production (the address citizens reach: links in emails, payment return URL)',
  );
  add(
    'SEED_DEMO',
    env.SEED_DEMO === 'true'
      ? "'true' is refused in production (the demo accounts share one published password)"
      : undefined,
  );
  add(
    'SANDBOX_ENABLED',
    env.SANDBOX_ENABLED === 'true'
      ? "'true' is refused in production (the sandbox gateways would accept fake payments and deliveries)"
      : undefined,
  );
  add('JWT_SECRET', secretProblem(env.JWT_SECRET));
  add('MFA_ENCRYPTION_KEY', secretProblem(env.MFA_ENCRYPTION_KEY));
  add(
    'STAFF_MFA_REQUIRED',
    env.STAFF_MFA_REQUIRED === 'false'
      ? "'false' is refused in production (staff accounts see every dossier of an agency: a password is not enough)"
      : undefined,
  );
  add('LINK_SECRET', secretProblem(env.LINK_SECRET));
  // Metrics stay off unless configured (never public); a token, when set, must be a real secret.
  if (env.METRICS_TOKEN !== undefined) add('METRICS_TOKEN', secretProblem(env.METRICS_TOKEN));
  add(
    'VNPAY_TMN_CODE',
    env.VNPAY_TMN_CODE === DEMO_TMN_CODE
      ? `the demo terminal code ${DEMO_TMN_CODE}; set your merchant's terminal code`
      : undefined,
  );
  for (const name of ['VNPAY_HASH_SECRET', 'POSTAL_API_KEY', 'POSTAL_WEBHOOK_SECRET', 'SMS_API_KEY'] as const) {
    add(name, secretProblem(env[name], 0));
  }
  for (const name of ['VNPAY_PAY_URL', 'VNPAY_API_URL', 'POSTAL_API_URL', 'SMS_API_URL'] as const) {
    add(name, env[name] ? sandboxUrlProblem(env[name]) : 'required in production (unset means the built-in sandbox)');
  }
  for (const name of ['VNPAY_IPN_URL', 'VNPAY_RETURN_URL', 'POSTAL_WEBHOOK_URL'] as const)
    add(name, sandboxUrlProblem(env[name]));
  // National eID: optional; when configured, a real provider and a real client credential.
  if (env.OIDC_ISSUER) {
    add('OIDC_ISSUER', sandboxUrlProblem(env.OIDC_ISSUER));
    if (!env.OIDC_CLIENT_KEY) add('OIDC_CLIENT_SECRET', secretProblem(env.OIDC_CLIENT_SECRET));
  }
  problems.push(...signingProblems(env.SIGNING_KEYS_DIR, env.SIGNING_KEYS_PASSPHRASE, env.SIGNING_TRUST_LIST));
  return problems;
}

const devSecrets = new Map<string, string>();
function developmentSecret(name: string): string {
  // One per process and purpose, never logged; documented in .env.example.
  if (!devSecrets.has(name)) devSecrets.set(name, randomBytes(48).toString('base64url'));
  return devSecrets.get(name)!;
}

/**
 * The validated configuration, read from the process environment, for code that runs before Nest (and its
 * ConfigService) exists: the entry points, the HTTP adapter, scripts. Throws the same one error listing every
 * problem as the start-up check.
 */
export function loadConfig(raw: Record<string, unknown> = process.env): AppConfig {
  return validateEnvironment(raw);
}

/**
 * One validated variable (its default when unset), for values read where a whole-environment check does not
 * belong: a decorator or a constant evaluated at import time, a script that needs only DATABASE_URL. Throws
 * only when this variable is invalid (a typo in it is an error, never a silent NaN); the rest of the
 * environment is checked at start.
 */
export function environmentValue<K extends keyof Environment>(name: K): Environment[K] {
  const raw = process.env[name];
  const env = plainToInstance(Environment, raw === undefined ? {} : { [name]: raw }, { exposeDefaultValues: true });
  const errors = validateSync(env).filter((e) => e.property === name);
  if (errors.length > 0) {
    const problems = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new Error(`Invalid environment:\n${problems.map((l) => `  ${l}`).join('\n')}`);
  }
  return env[name];
}

/** Sets variables for what runs later in this process (ConfigModule reads them): e.g. the embedded database. */
export function setEnvironment(values: Partial<Record<keyof Environment, string>>): void {
  Object.assign(process.env, values);
}

/** "Due soon": within DUE_SOON_WORKING_HOURS of working time, in milliseconds. */
export function dueSoonMs(): number {
  return environmentValue('DUE_SOON_WORKING_HOURS') * 3_600_000;
}
