import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden, Unauthorized } from '../common/problem';
import type { AccountRole } from '../workflow/definition';
import { AccessTokens } from './access-tokens';
import { AuthUser, IS_PUBLIC, ROLES_KEY } from './auth-user';

/**
 * Global guard: every route needs a valid access token unless marked
 * `@Public()`, and `@Roles(...)` narrows it to account roles. Deny by default.
 * The token and its account are checked by AccessTokens (no passport: one
 * function call instead of a strategy instance and its callbacks per request).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, unknown>; user?: AuthUser }>();
    // A database failure surfaces as 503 (ServiceUnavailable), never as a 401 that makes clients sign out.
    const user = await this.tokens.authenticate(req.headers.authorization);
    if (!user) throw new Unauthorized('A valid access token is required.');
    req.user = user;
    const roles = this.reflector.getAllAndOverride<AccountRole[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(user.role)) throw new Forbidden();
    return true;
  }
}
