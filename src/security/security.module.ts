import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/configuration';
import { redisOptions } from '../config/redis';
import { RateLimitGuard, rateLimitThrottlers } from './rate-limit';

/**
 * HTTP-side protections that need providers: the Redis-backed rate limits on
 * sign-in and the public lookup (src/security/rate-limit.ts). Mounted by the
 * API roles only.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (c: ConfigService<AppConfig, true>) => ({
        throttlers: rateLimitThrottlers({
          login: c.get('LOGIN_RATE_LIMIT', { infer: true }),
          loginIp: c.get('LOGIN_IP_RATE_LIMIT', { infer: true }),
          lookup: c.get('LOOKUP_RATE_LIMIT', { infer: true }),
          verify: c.get('VERIFY_RATE_LIMIT', { infer: true }),
          register: c.get('REGISTER_RATE_LIMIT', { infer: true }),
          password: c.get('PASSWORD_RESET_RATE_LIMIT', { infer: true }),
          windowSeconds: c.get('RATE_LIMIT_WINDOW_SECONDS', { infer: true }),
        }),
        setHeaders: false,
        // Its own connection (closed with the module). Redis away: a command fails at once (no offline queue),
        // or after 1 s on a hung connection, and the limiter lets the request through (see RateLimitGuard).
        storage: new ThrottlerStorageRedisService({
          ...redisOptions(c.get('REDIS_URL', { infer: true })),
          enableOfflineQueue: false,
          commandTimeout: 1000,
          maxRetriesPerRequest: 1,
          connectionName: 'portal-ratelimit',
        }),
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class SecurityModule {}
