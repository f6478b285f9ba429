import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  Logger,
  Module,
  OnModuleDestroy,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { TooManyRequests } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { redisOptions } from '../config/redis';
import { clientAddress } from './rate-limit';

/** The unauthenticated callbacks whose signatures are checked. */
export const CALLBACK_CHANNELS = ['vnpay-ipn', 'vnpay-return', 'postal-webhook'] as const;
export type CallbackChannel = (typeof CALLBACK_CHANNELS)[number];

export interface CallbackTotals {
  /** Callbacks refused for a bad signature (nothing stored for them). */
  badSignatures: number;
  /** Callbacks answered 429 because their address was over CALLBACK_FAILURE_RATE_LIMIT. */
  rateLimited: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Callbacks with a bad signature (VNPay IPN and return, the postal webhook),
 * per client address, in Redis (shared by every API replica). Only bad
 * signatures count: an address that sent CALLBACK_FAILURE_RATE_LIMIT of them
 * within RATE_LIMIT_WINDOW_SECONDS gets 429 on every callback, unchecked,
 * until the window ends. Nothing is stored in PostgreSQL for a bad signature;
 * each one is counted (totals per channel, for the operator API) and logged in
 * one warning line without personal data (the address is hashed). With Redis
 * unreachable the callbacks go through (the signature check still holds).
 */
@Injectable()
export class CallbackFailures implements OnModuleDestroy {
  private readonly log = new Logger('Callbacks');
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly limit: number;
  private readonly windowSeconds: number;

  constructor(config: ConfigService<AppConfig, true>) {
    this.keyPrefix = `${config.get('REDIS_PREFIX', { infer: true })}:callback-failures`;
    this.limit = config.get('CALLBACK_FAILURE_RATE_LIMIT', { infer: true });
    this.windowSeconds = config.get('RATE_LIMIT_WINDOW_SECONDS', { infer: true });
    // Connects on first use (a worker process never uses it); a command fails after 1 s rather than waiting for Redis.
    this.redis = new Redis({
      ...redisOptions(config.get('REDIS_URL', { infer: true })),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectionName: 'portal-callbacks',
    });
    this.redis.on('error', () => undefined); // reported where a command fails
  }

  /** Seconds the address must wait when it is over the limit (the refusal is counted), else 0. */
  async refusal(channel: CallbackChannel, address: string): Promise<number> {
    if (this.limit <= 0) return 0;
    try {
      const key = this.addressKey(address);
      const [[, count], [, ttl]] = (await this.redis.multi().get(key).ttl(key).exec()) as [
        [unknown, string | null],
        [unknown, number],
      ];
      if (Number(count ?? 0) < this.limit) return 0;
      await this.redis.hincrby(this.totalsKey, `${channel}:rateLimited`, 1);
      return Math.max(1, ttl);
    } catch (e) {
      this.log.warn(
        { err: (e as Error).message, channel },
        'callback failure counter unavailable; callback let through',
      );
      return 0;
    }
  }

  /** One more bad signature from this address: counted and logged (one line), never stored. */
  async badSignature(channel: CallbackChannel, address: string): Promise<void> {
    let failures: number | undefined;
    try {
      const key = this.addressKey(address);
      const res = await this.redis
        .multi()
        .set(key, 0, 'EX', this.windowSeconds, 'NX')
        .incr(key)
        .hincrby(this.totalsKey, `${channel}:badSignatures`, 1)
        .exec();
      failures = Number(res?.[1]?.[1]);
    } catch {
      failures = undefined;
    }
    this.log.warn(
      { channel, client: sha256(address).slice(0, 16), failures, limit: this.limit || undefined },
      'callback with a bad signature refused (not stored)',
    );
  }

  /** Totals per channel since Redis was last emptied. */
  async totals(): Promise<Record<CallbackChannel, CallbackTotals>> {
    const raw = await this.redis.hgetall(this.totalsKey);
    const n = (field: string) => Number(raw[field] ?? 0);
    return Object.fromEntries(
      CALLBACK_CHANNELS.map((c) => [c, { badSignatures: n(`${c}:badSignatures`), rateLimited: n(`${c}:rateLimited`) }]),
    ) as Record<CallbackChannel, CallbackTotals>;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') this.redis.disconnect();
    else await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private get totalsKey(): string {
    return `${this.keyPrefix}:totals`;
  }

  private addressKey(address: string): string {
    return `${this.keyPrefix}:address:${sha256(address)}`;
  }
}

const CALLBACK_CHANNEL_KEY = 'portal:callbackChannel';

/** 429 before any work when the caller's address is over CALLBACK_FAILURE_RATE_LIMIT. */
@Injectable()
export class CallbackLimitGuard implements CanActivate {
  constructor(
    private readonly failures: CallbackFailures,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const channel = this.reflector.get<CallbackChannel>(CALLBACK_CHANNEL_KEY, ctx.getHandler());
    const wait = await this.failures.refusal(channel, clientAddress(ctx.switchToHttp().getRequest<FastifyRequest>()));
    if (wait > 0)
      throw new TooManyRequests('Too many callbacks with a bad signature from this address; try again later.', wait);
    return true;
  }
}

/** Marks a signed callback: rate-limited per address on its bad signatures (the handler reports them). */
export const SignedCallback = (channel: CallbackChannel) =>
  applyDecorators(SetMetadata(CALLBACK_CHANNEL_KEY, channel), UseGuards(CallbackLimitGuard));

/** Imported by the modules that declare signed callbacks, and by the operator API (totals). */
@Module({ providers: [CallbackFailures, CallbackLimitGuard], exports: [CallbackFailures, CallbackLimitGuard] })
export class CallbackFailuresModule {}
