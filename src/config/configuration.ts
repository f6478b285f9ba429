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

  /** Failed sign-ins before an account is locked, and for how long. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  LOGIN_MAX_FAILURES = 5;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  LOGIN_LOCK_SECONDS = 900;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(100)
  OUTBOX_POLL_MS = 500;

  @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  NOTIFICATION_CONCURRENCY = 8;
}

export type AppConfig = Environment & { JWT_SECRET: string; PUBLIC_BASE_URL: string };

export function validateEnvironment(raw: Record<string, unknown>): AppConfig {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  if (!env.JWT_SECRET) {
    if (env.NODE_ENV === 'production') throw new Error('Invalid environment:\n  JWT_SECRET is required in production');
    env.JWT_SECRET = developmentSecret();
  }
  env.PUBLIC_BASE_URL = (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, '');
  return env as AppConfig;
}

let devSecret: string | undefined;
function developmentSecret(): string {
  // One per process, never logged; documented in .env.example.
  devSecret ??= require('node:crypto').randomBytes(48).toString('base64url');
  return devSecret!;
}
