import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport';
import { AccessTokens } from './access-tokens';
import type { AuthUser } from './auth-user';

type Verify = (authorization: unknown, done: (err: unknown, user?: AuthUser | false) => void) => void;

/**
 * A passport strategy for the API's bearer tokens: reads the Authorization header and hands it to the verify
 * callback (the Nest mixin's, which calls `validate`). No token parsing of its own.
 */
class BearerHeaderStrategy extends Strategy {
  override name = 'jwt';

  constructor(private readonly verify: Verify) {
    super();
  }

  override authenticate(req: { headers: Record<string, unknown> }): void {
    this.verify(req.headers.authorization, (err, user) => {
      if (err) this.error(err);
      else if (!user) this.fail(401);
      else this.success(user);
    });
  }
}

/**
 * The `jwt` strategy of the global AccessGuard: the token's signature, expiry and claims, and its account on every
 * request, are checked by AccessTokens (a verified token remembered until it expires; the account never).
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(BearerHeaderStrategy, 'jwt') {
  constructor(private readonly tokens: AccessTokens) {
    super();
  }

  /** The caller, or false (no, bad or expired token, or the account gone); a database failure throws (503). */
  async validate(authorization: unknown): Promise<AuthUser | false> {
    return (await this.tokens.authenticate(authorization)) ?? false;
  }
}
