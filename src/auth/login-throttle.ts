import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { TooManyRequests } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { redisOptions } from '../config/redis';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** How long failures (and the count of waits already served) are remembered without a new failure. */
export const FAILURE_MEMORY_MS = 24 * 3600 * 1000;

/**
 * The Redis keys of one (identifier + client address) pair: its failure count, its current wait, and how many
 * waits it has served (which doubles the next one). One hash tag, so the script touches one Cluster slot; no
 * identifier or address in clear.
 */
export function throttleKeys(
  prefix: string,
  identifier: string,
  address: string,
): [fails: string, lock: string, strikes: string] {
  const k = `${prefix}:login-throttle:{${sha256(`${address}|${identifier}`)}}`;
  return [`${k}:fails`, `${k}:lock`, `${k}:strikes`];
}

/**
 * One attempt, atomically: refused while the pair waits (returns the wait left, ms); otherwise counted as a
 * failure *before* the password is checked (so concurrent guesses cannot slip past the limit; a success clears
 * it), and the attempt that reaches the limit starts the wait: base × 2^(waits served), capped. The failure
 * count starts again from zero (the wait stands for it) and the attempts during the wait are not counted.
 */
const ATTEMPT = `
local wait = redis.call('PTTL', KEYS[2])
if wait > 0 then return wait end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if n >= tonumber(ARGV[1]) then
  local s = tonumber(redis.call('GET', KEYS[3]) or '0')
  local d = math.floor(math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * (2 ^ s)))
  redis.call('SET', KEYS[2], '1', 'PX', d)
  redis.call('SET', KEYS[3], s + 1, 'PX', d + tonumber(ARGV[4]))
  redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Sign-in throttling by (login identifier + client address), in Redis so every API replica shares it, and the
 * same whether or not an account has that identifier (nothing here looks at accounts): an unknown identifier
 * and a known one are answered alike at every attempt count. Nobody can lock an account for its owner: the
 * owner's own address has its own count. Redis away: attempts are let through (argon2 still makes each guess
 * expensive) and a warning is logged.
 */
@Injectable()
export class LoginThrottle implements OnModuleDestroy {
  private readonly log = new Logger('LoginThrottle');
  private redis?: Redis;

  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  /** Throws 429 (Retry-After) while the pair waits; otherwise counts this attempt as a failure until `succeeded`. */
  async attempt(identifier: string, address: string): Promise<void> {
    let waitMs = 0;
    try {
      waitMs = Number(
        await this.client().eval(
          ATTEMPT,
          3,
          ...this.keys(identifier, address),
          this.config.get('LOGIN_MAX_FAILURES', { infer: true }),
          this.config.get('LOGIN_LOCK_SECONDS', { infer: true }) * 1000,
          this.config.get('LOGIN_LOCK_MAX_SECONDS', { infer: true }) * 1000,
          FAILURE_MEMORY_MS,
        ),
      );
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'login throttle unavailable; attempt let through');
      return;
    }
    if (waitMs > 0) {
      throw new TooManyRequests(
        'Too many failed sign-in attempts; wait before trying again.',
        Math.ceil(waitMs / 1000),
      );
    }
  }

  /** The right password: the pair starts afresh. */
  async succeeded(identifier: string, address: string): Promise<void> {
    await this.client()
      .del(...this.keys(identifier, address))
      .catch((e: Error) => this.log.warn({ err: e.message }, 'login throttle not cleared'));
  }

  private keys(identifier: string, address: string) {
    return throttleKeys(this.config.get('REDIS_PREFIX', { infer: true }), identifier, address);
  }

  /** Connected on first use: processes that never sign anyone in (workers) hold no connection. */
  private client(): Redis {
    this.redis ??= new Redis({
      ...redisOptions(this.config.get('REDIS_URL', { infer: true })),
      enableOfflineQueue: true,
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
      connectionName: 'portal-login-throttle',
    });
    return this.redis;
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
