import { ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { TooManyRequests } from '../common/problem';
import { loginIdentifier, RATE_LIMIT_KEY, RateLimitGuard, RateLimitSettings, rateLimitThrottlers } from './rate-limit';

/** An in-memory stand-in for the Redis storage, recording the keys it is asked about. */
class MemoryStorage implements ThrottlerStorage {
  hits = new Map<string, number>();
  fail = false;
  increment(key: string, ttl: number, limit: number, blockDuration: number, name: string) {
    if (this.fail) return Promise.reject(new Error('connection is closed'));
    const k = `${key}:${name}`;
    const n = (this.hits.get(k) ?? 0) + 1;
    this.hits.set(k, n);
    return Promise.resolve({
      totalHits: n,
      timeToExpire: ttl / 1000,
      isBlocked: n > limit,
      timeToBlockExpire: n > limit ? blockDuration / 1000 : 0,
    });
  }
}

class Controller {
  login() {}
  lookup() {}
  register() {}
  forgot() {}
  reset() {}
  other() {}
}
Reflect.defineMetadata(RATE_LIMIT_KEY, 'login', Controller.prototype.login);
Reflect.defineMetadata(RATE_LIMIT_KEY, 'lookup', Controller.prototype.lookup);
Reflect.defineMetadata(RATE_LIMIT_KEY, 'register', Controller.prototype.register);
Reflect.defineMetadata(RATE_LIMIT_KEY, 'password', Controller.prototype.forgot);
Reflect.defineMetadata(RATE_LIMIT_KEY, 'password', Controller.prototype.reset);

function ctx(handler: () => void, req: { ip: string; body?: unknown }): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({ header: () => undefined }) }),
  } as unknown as ExecutionContext;
}

async function guard(
  storage: MemoryStorage,
  limits: RateLimitSettings = { login: 3, loginIp: 5, lookup: 2, windowSeconds: 60 },
) {
  const config = { get: () => 'test:prefix' } as unknown as ConfigService;
  const g = new RateLimitGuard(
    { throttlers: rateLimitThrottlers(limits), setHeaders: false },
    storage,
    new Reflector(),
    config as never,
  );
  await g.onModuleInit();
  return g;
}

describe('RateLimitGuard', () => {
  it('counts sign-in per address and identifier, then refuses with 429 and Retry-After', async () => {
    const storage = new MemoryStorage();
    const g = await guard(storage);
    const req = { ip: '203.0.113.1', body: { email: 'Mai@Example.vn', password: 'x' } };
    for (let i = 0; i < 3; i++) expect(await g.canActivate(ctx(Controller.prototype.login, req))).toBe(true);
    const refused = await g
      .canActivate(ctx(Controller.prototype.login, { ...req, body: { email: '  mai@example.VN ' } }))
      .catch((e) => e);
    expect(refused).toBeInstanceOf(TooManyRequests);
    expect(refused.toProblem()).toMatchObject({ status: 429, retryAfter: 60 });
    // Another identifier at the same address, and the same identifier elsewhere, still pass.
    expect(
      await g.canActivate(ctx(Controller.prototype.login, { ip: '203.0.113.1', body: { email: 'lan@example.vn' } })),
    ).toBe(true);
    expect(
      await g.canActivate(ctx(Controller.prototype.login, { ip: '203.0.113.2', body: { email: 'mai@example.vn' } })),
    ).toBe(true);
  });

  it('keys carry the prefix and no address or identifier in clear', async () => {
    const storage = new MemoryStorage();
    const g = await guard(storage);
    await g.canActivate(ctx(Controller.prototype.login, { ip: '203.0.113.1', body: { email: 'mai@example.vn' } }));
    const keys = [...storage.hits.keys()];
    expect(keys).toHaveLength(2);
    for (const k of keys) {
      expect(k).toMatch(/^test:prefix:ratelimit:(login|login-ip):[0-9a-f]{64}:(login|login-ip)$/);
      expect(k).not.toMatch(/203|mai/);
    }
  });

  it('leaves routes without @RateLimit alone, and counts lookups per address only', async () => {
    const storage = new MemoryStorage();
    const g = await guard(storage);
    for (let i = 0; i < 50; i++)
      expect(await g.canActivate(ctx(Controller.prototype.other, { ip: '203.0.113.1' }))).toBe(true);
    expect(storage.hits.size).toBe(0);
    await g.canActivate(ctx(Controller.prototype.lookup, { ip: '203.0.113.1' }));
    await g.canActivate(ctx(Controller.prototype.lookup, { ip: '203.0.113.1' }));
    await expect(g.canActivate(ctx(Controller.prototype.lookup, { ip: '203.0.113.1' }))).rejects.toBeInstanceOf(
      TooManyRequests,
    );
    expect([...storage.hits.keys()].every((k) => k.includes(':lookup:'))).toBe(true);
  });

  it('counts registrations per address, and password-reset requests and uses together per address', async () => {
    const storage = new MemoryStorage();
    const g = await guard(storage, { login: 3, loginIp: 5, lookup: 2, register: 2, password: 3, windowSeconds: 60 });
    const at = (ip: string) => ({ ip, body: { email: 'x@y.vn' } });
    for (let i = 0; i < 2; i++)
      expect(await g.canActivate(ctx(Controller.prototype.register, at('203.0.113.1')))).toBe(true);
    await expect(g.canActivate(ctx(Controller.prototype.register, at('203.0.113.1')))).rejects.toBeInstanceOf(
      TooManyRequests,
    );
    expect(await g.canActivate(ctx(Controller.prototype.register, at('203.0.113.2')))).toBe(true);
    expect(await g.canActivate(ctx(Controller.prototype.forgot, at('203.0.113.1')))).toBe(true);
    expect(await g.canActivate(ctx(Controller.prototype.reset, at('203.0.113.1')))).toBe(true);
    expect(await g.canActivate(ctx(Controller.prototype.forgot, at('203.0.113.1')))).toBe(true);
    await expect(g.canActivate(ctx(Controller.prototype.reset, at('203.0.113.1')))).rejects.toBeInstanceOf(
      TooManyRequests,
    );
  });

  it('a limit of 0 turns it off', async () => {
    const storage = new MemoryStorage();
    const g = await guard(storage, { login: 0, loginIp: 0, lookup: 0, windowSeconds: 60 });
    for (let i = 0; i < 20; i++)
      expect(
        await g.canActivate(ctx(Controller.prototype.login, { ip: '203.0.113.1', body: { email: 'a@b.vn' } })),
      ).toBe(true);
    expect(storage.hits.size).toBe(0);
  });

  it('fails open when Redis is unreachable (argon2 still makes each guess expensive)', async () => {
    const storage = new MemoryStorage();
    storage.fail = true;
    const g = await guard(storage);
    expect(await g.canActivate(ctx(Controller.prototype.login, { ip: '203.0.113.1', body: { email: 'a@b.vn' } }))).toBe(
      true,
    );
  });

  it('reads the identifier as sign-in does: case, spaces and +84 do not make a new one', () => {
    expect(loginIdentifier({ email: ' A@B.vn ' })).toBe(loginIdentifier({ email: 'a@b.vn' }));
    expect(loginIdentifier({ email: '+84912345678' })).toBe(loginIdentifier({ email: '0912345678' }));
    expect(loginIdentifier({ email: 42 })).toBe(loginIdentifier(undefined));
  });
});
