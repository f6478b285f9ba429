import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AccountRole } from '../workflow/definition';

/** Who is calling, as read from a verified access token. */
export interface AuthUser {
  id: string;
  role: AccountRole;
  agencyId: string | null;
}

export const IS_PUBLIC = 'isPublic';
/** The route needs no token (catalog, lookup, provider callbacks). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const ROLES_KEY = 'roles';
/** Only these account roles may call the route. */
export const Roles = (...roles: AccountRole[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});

export function isStaff(user: AuthUser): boolean {
  return user.role === 'clerk' || user.role === 'supervisor';
}
