import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Forbidden, ServiceUnavailable, Unauthorized } from '../common/problem';
import type { AccountRole } from '../workflow/definition';
import { AuthUser, IS_PUBLIC, ROLES_KEY } from './auth-user';

/**
 * Global guard: every route needs a valid access token unless marked
 * `@Public()`, and `@Roles(...)` narrows it to account roles. Deny by default.
 * The token is checked by passport's `jwt` strategy (src/auth/access-token.strategy.ts, over AccessTokens).
 */
@Injectable()
export class AccessGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await (super.canActivate(ctx) as Promise<boolean>);
    const roles = this.reflector.getAllAndOverride<AccountRole[] | undefined>(ROLES_KEY, targets);
    const { user } = ctx.switchToHttp().getRequest<{ user: AuthUser }>();
    if (roles && !roles.includes(user.role)) throw new Forbidden();
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof ServiceUnavailable) throw err;
    if (err || !user) throw new Unauthorized('A valid access token is required.');
    return user;
  }
}
