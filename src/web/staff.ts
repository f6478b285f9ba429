import type { AuthUser } from '../auth/auth-user';
import { NotFound } from '../common/problem';
import type { PageContext } from './page';

export type StaffRole = 'clerk' | 'supervisor' | 'admin';

/**
 * The signed-in staff member of a console page (`/staff`, `/admin`), when their role is one of `roles`; anyone
 * else (a citizen, another role) gets the not-found page, as for a page that does not exist. Routes using it are
 * `signedIn: true`, so the session is there.
 */
export function staffUser(c: PageContext, roles: readonly StaffRole[]): AuthUser {
  const s = c.session;
  if (!s || !(roles as readonly string[]).includes(s.role)) throw new NotFound('page');
  return { id: s.accountId, role: s.role, agencyId: s.agencyId };
}
