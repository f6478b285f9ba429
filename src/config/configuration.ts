import { plainToInstance, Transform } from 'class-transformer';
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

  @IsOptional() @IsString()
  DATABASE_URL?: string;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1024) @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** BullMQ key prefix; use a `{hash-tag}` with Redis Cluster. */
  @IsString()
  REDIS_PREFIX = 'portal';

  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsOptional() @IsString() @MinLength(32)
  JWT_SECRET?: string;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(60)
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(300)
  JWT_REFRESH_TTL_SECONDS = 1209600;

  @IsOptional() @IsUrl({ require_tld: false })
  PUBLIC_BASE_URL?: string;

  @IsString()
  STORAGE_DIR = '.data/files';

  /** S3-compatible object storage for files; when S3_BUCKET is set, STORAGE_DIR is not used. */
  @IsOptional() @IsString() @MinLength(3)
  S3_BUCKET?: string;

  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  @IsOptional() @IsString()
  S3_ACCESS_KEY_ID?: string;

  @IsOptional() @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  /** 'true' for MinIO and most S3-compatible servers (bucket in the path, not the host name). */
  @IsIn(['true', 'false'])
  S3_FORCE_PATH_STYLE = 'true';

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1024)
  UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

  @IsOptional() @IsString()
  SMTP_URL?: string;

  @IsString()
  MAIL_FROM = 'Cổng dịch vụ công <no-reply@portal.local>';

  @IsIn(['api', 'worker', 'all'])
  PORTAL_ROLE: 'api' | 'worker' | 'all' = 'all';

  @IsString() @MinLength(8)
  DEMO_PASSWORD = 'Demo@2026';

  @IsIn(['true', 'false'])
  SEED_DEMO = 'true';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Comma-separated origins allowed by CORS; empty means same-origin only. */
  @IsString()
  CORS_ORIGINS = '';

  /**
   * Sign-in throttling per (login identifier + client address), in Redis (src/auth/login-throttle.ts), the same
   * whether or not an account has that identifier: after LOGIN_MAX_FAILURES failures the pair waits
   * LOGIN_LOCK_SECONDS (429 + Retry-After); when the wait is over the count starts again, and each further wait
   * doubles, up to LOGIN_LOCK_MAX_SECONDS. A success clears it; it is forgotten after a day without failures.
   */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  LOGIN_MAX_FAILURES = 5;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  LOGIN_LOCK_SECONDS = 60;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  LOGIN_LOCK_MAX_SECONDS = 3600;

  /**
   * Rate limits (src/security/rate-limit.ts), counted in Redis across replicas over a window of
   * RATE_LIMIT_WINDOW_SECONDS; 0 turns one off. Sign-in per client address and login identifier,
   * sign-in per client address (any identifier), public lookup per client address. The per-address
   * ceilings are loose on purpose: an office, or a mobile carrier's NAT, puts many people behind one address.
   */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0)
  LOGIN_RATE_LIMIT = 20;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(0)
  LOGIN_IP_RATE_LIMIT = 300;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(0)
  LOOKUP_RATE_LIMIT = 60;

  /** Registrations per client address per window; 0 = off. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0)
  REGISTER_RATE_LIMIT = 10;

  /** Password-reset requests and uses (forgot + reset together) per client address per window; 0 = off. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0)
  PASSWORD_RESET_RATE_LIMIT = 5;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(100)
  OUTBOX_POLL_MS = 500;

  /** VNPay merchant (terminal) code; the built-in sandbox accepts the same. */
  @IsString() @MinLength(1)
  VNPAY_TMN_CODE = 'DEMO0001';

  /** VNPay hash secret; required in production, random per process in development. */
  @IsOptional() @IsString() @MinLength(16)
  VNPAY_HASH_SECRET?: string;

  /** Payment page; default: the built-in sandbox gateway. */
  @IsOptional() @IsUrl({ require_tld: false })
  VNPAY_PAY_URL?: string;

  /** Server-to-server API (querydr, refund); default: the built-in sandbox gateway. */
  @IsOptional() @IsUrl({ require_tld: false })
  VNPAY_API_URL?: string;

  /** Where the sandbox gateway sends IPNs (a real merchant registers this URL with VNPay). */
  @IsOptional() @IsUrl({ require_tld: false })
  VNPAY_IPN_URL?: string;

  /** Where the citizen's browser comes back after paying. */
  @IsOptional() @IsUrl({ require_tld: false })
  VNPAY_RETURN_URL?: string;

  /** How long a payment attempt stays open (also sent as vnp_ExpireDate). */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(60)
  PAYMENT_TTL_SECONDS = 900;

  /** A pending attempt older than this is queried with the provider (querydr). */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  RECONCILE_AFTER_SECONDS = 120;

  /** The postal operator's API (shipment creation); default: the built-in sandbox operator. */
  @IsOptional() @IsUrl({ require_tld: false })
  POSTAL_API_URL?: string;

  /** The API key the portal presents to the postal operator. */
  @IsOptional() @IsString() @MinLength(8)
  POSTAL_API_KEY?: string;

  /** Shared secret of the operator's webhook signature (HMAC-SHA256 of the raw body). */
  @IsOptional() @IsString() @MinLength(16)
  POSTAL_WEBHOOK_SECRET?: string;

  /** Where the operator sends tracking events (registered with the operator). */
  @IsOptional() @IsUrl({ require_tld: false })
  POSTAL_WEBHOOK_URL?: string;

  /** SMS gateway (HTTP JSON); default: the built-in sandbox gateway. */
  @IsOptional() @IsUrl({ require_tld: false })
  SMS_API_URL?: string;

  @IsOptional() @IsString() @MinLength(8)
  SMS_API_KEY?: string;

  /** Signs expiring result download links; random per process in development. */
  @IsOptional() @IsString() @MinLength(32)
  LINK_SECRET?: string;

  /** The built-in sandbox gateways (payment, postal); never served in production. */
  @IsIn(['true', 'false'])
  SANDBOX_ENABLED = 'true';

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  NOTIFICATION_CONCURRENCY = 8;
}

export type AppConfig = Environment & {
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
};

export function validateEnvironment(raw: Record<string, unknown>): AppConfig {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  if (!env.JWT_SECRET) {
    if (env.NODE_ENV === 'production') throw new Error('Invalid environment:\n  JWT_SECRET is required in production');
    env.JWT_SECRET = developmentSecret('jwt');
  }
  env.PUBLIC_BASE_URL = (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, '');
  if (env.NODE_ENV === 'production') {
    env.SANDBOX_ENABLED = 'false';
    const missing = [
      'VNPAY_HASH_SECRET', 'VNPAY_PAY_URL', 'VNPAY_API_URL', 'POSTAL_API_URL', 'POSTAL_API_KEY', 'POSTAL_WEBHOOK_SECRET',
      'SMS_API_URL', 'SMS_API_KEY', 'LINK_SECRET',
    ].filter((k) => !env[k as keyof Environment]);
    if (missing.length) throw new Error(`Invalid environment:\n  ${missing.join(', ')} required in production`);
  }
  if (env.S3_BUCKET && (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)) {
    throw new Error('Invalid environment:\n  S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required with S3_BUCKET');
  }
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
  return env as AppConfig;
}

const devSecrets = new Map<string, string>();
function developmentSecret(name: string): string {
  // One per process and purpose, never logged; documented in .env.example.
  if (!devSecrets.has(name)) devSecrets.set(name, require('node:crypto').randomBytes(48).toString('base64url'));
  return devSecrets.get(name)!;
}
