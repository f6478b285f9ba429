import { ExecutionContext, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { normalizePhone } from '../auth/dto';
import { AppError, TooManyRequests } from '../common/problem';
import type { AppConfig } from '../config/configuration';

/**
 * Rate limits for the two doors a stranger can knock on without an account:
 * sign-in and the public dossier lookup. Counters live in Redis (shared by
 * every API replica), under REDIS_PREFIX. Only routes marked `@RateLimit(...)`
 * are counted; every other route is left alone.
 *
 * - `login`: per (client address + login identifier), so one person's typos
 *   do not lock out a colleague signing in from the same office address;
 * - `login-ip`: a looser ceiling per client address, across identifiers
 *   (password spraying from one address);
 * - `lookup`: per client address;
 * - `verify`: the public file check (an upload), per client address.
 *
 * - `register`: registrations per client address;
 * - `password`: password-reset requests and uses per client address.
 *
 * Failed sign-ins are also throttled with growing delays per (identifier +
 * address) (src/auth/login-throttle.ts); there is no account lock. With Redis
 * unreachable the limiter lets requests through and logs a warning.
 */
export type RateLimitedRoute = 'login' | 'lookup' | 'verify' | 'register' | 'password';

export const RATE_LIMIT_KEY = 'portal:rateLimit';
/** Counts calls of this route against its limits (see `rateLimitThrottlers`). */
export const RateLimit = (route: RateLimitedRoute) => SetMetadata(RATE_LIMIT_KEY, route);

function routeOf(ctx: ExecutionContext): RateLimitedRoute | undefined {
  return Reflect.getMetadata(RATE_LIMIT_KEY, ctx.getHandler()) as RateLimitedRoute | undefined;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The caller's address (through TRUST_PROXY only), IPv6 reduced to its /64. */
export function clientAddress(req: { ip?: string }): string {
  return normalizeIp(req.ip ?? 'unknown');
}

/** The identifier as the sign-in reads it (email lower-cased, phone in national form), hashed. */
export function loginIdentifier(body: unknown): string {
  const raw = body && typeof body === 'object' ? (body as { email?: unknown }).email : undefined;
  const login = typeof raw === 'string' ? normalizePhone(raw.trim().toLowerCase()) : '';
  return sha256(login);
}

export interface RateLimitSettings {
  /** Per (address + identifier) per window; 0 = unlimited. */
  login: number;
  /** Per address per window, across identifiers; 0 = unlimited. */
  loginIp: number;
  /** Per address per window; 0 = unlimited. */
  lookup: number;
  /** Public file checks per address per window; 0 or absent = unlimited. */
  verify?: number;
  /** Registrations per address per window; 0 = unlimited. */
  register?: number;
  /** Password-reset requests and uses per address per window; 0 = unlimited. */
  password?: number;
  windowSeconds: number;
}

export function rateLimitThrottlers(s: RateLimitSettings): ThrottlerOptions[] {
  const ttl = s.windowSeconds * 1000;
  const only = (route: RateLimitedRoute, limit: number) => (ctx: ExecutionContext) =>
    limit <= 0 || routeOf(ctx) !== route;
  return [
    {
      name: 'login',
      ttl,
      limit: s.login,
      skipIf: only('login', s.login),
      getTracker: (req) => `${clientAddress(req)}|${loginIdentifier(req.body)}`,
    },
    {
      name: 'login-ip',
      ttl,
      limit: s.loginIp,
      skipIf: only('login', s.loginIp),
      getTracker: (req) => clientAddress(req),
    },
    { name: 'lookup', ttl, limit: s.lookup, skipIf: only('lookup', s.lookup), getTracker: (req) => clientAddress(req) },
    {
      name: 'verify',
      ttl,
      limit: s.verify ?? 0,
      skipIf: only('verify', s.verify ?? 0),
      getTracker: (req) => clientAddress(req),
    },
    {
      name: 'register',
      ttl,
      limit: s.register ?? 0,
      skipIf: only('register', s.register ?? 0),
      getTracker: (req) => clientAddress(req),
    },
    {
      name: 'password',
      ttl,
      limit: s.password ?? 0,
      skipIf: only('password', s.password ?? 0),
      getTracker: (req) => clientAddress(req),
    },
  ];
}

/**
 * The global guard. Keys are `<REDIS_PREFIX>:ratelimit:<throttler>:<sha256(tracker)>`
 * (no address or email in clear in Redis); a refusal is a 429 problem+json
 * with Retry-After.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger('RateLimit');
  private readonly keyPrefix: string;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    config: ConfigService<AppConfig, true>,
  ) {
    super(options, storage, reflector);
    this.keyPrefix = config.get('REDIS_PREFIX', { infer: true });
  }

  protected override shouldSkip(ctx: ExecutionContext): Promise<boolean> {
    return Promise.resolve(ctx.getType() !== 'http' || routeOf(ctx) === undefined);
  }

  protected override generateKey(_ctx: ExecutionContext, tracker: string, name: string): string {
    return `${this.keyPrefix}:ratelimit:${name}:${sha256(tracker)}`;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(props);
    } catch (e) {
      if (e instanceof AppError || e instanceof ThrottlerException) throw e;
      // Redis away: fail open (the per-account lockout still applies), but say so.
      this.log.warn(
        { err: (e as Error).message, throttler: props.throttler.name },
        'rate limiter unavailable; request let through',
      );
      return true;
    }
  }

  protected override throwThrottlingException(_ctx: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    return Promise.reject(
      new TooManyRequests('Too many requests; try again later.', Math.max(1, detail.timeToBlockExpire)),
    );
  }
}
