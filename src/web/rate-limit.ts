import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { TooManyRequests } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import type { RateLimitedRoute } from '../security/rate-limit';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The API's rate limits (src/security/rate-limit.ts) for the pages: the same throttlers, the same Redis keys, so a
 * form and its API route share one count per address (sign-in also per identifier). Redis away: let through, as
 * the API does.
 */
@Injectable()
export class PageRateLimit {
  private readonly log = new Logger('PageRateLimit');
  private readonly prefix: string;

  constructor(
    @InjectThrottlerOptions() private readonly options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    config: ConfigService<AppConfig, true>,
  ) {
    this.prefix = config.get('REDIS_PREFIX', { infer: true });
  }

  /** Counts this request against the route's limits; throws TooManyRequests past one of them. */
  async hit(route: RateLimitedRoute, req: FastifyRequest): Promise<void> {
    const names = route === 'login' ? ['login', 'login-ip'] : [route];
    const throttlers = (Array.isArray(this.options) ? [] : this.options.throttlers).filter((t: ThrottlerOptions) =>
      names.includes(t.name ?? ''),
    );
    for (const t of throttlers) {
      const limit = typeof t.limit === 'number' ? t.limit : 0;
      const ttl = typeof t.ttl === 'number' ? t.ttl : 0;
      if (limit <= 0 || !t.getTracker) continue;
      const tracker = await t.getTracker(req as never, undefined as never);
      const key = `${this.prefix}:ratelimit:${t.name}:${sha256(tracker)}`;
      let record: Awaited<ReturnType<ThrottlerStorage['increment']>>;
      try {
        record = await this.storage.increment(key, ttl, limit, ttl, t.name!);
      } catch (err) {
        this.log.warn(
          { err: (err as Error).message, throttler: t.name },
          'rate limiter unavailable; request let through',
        );
        continue;
      }
      if (record.isBlocked) {
        throw new TooManyRequests('Too many requests; try again later.', Math.max(1, record.timeToBlockExpire));
      }
    }
  }
}
