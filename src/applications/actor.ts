import type { AuthUser } from '../auth/auth-user';
import type { Role, Trigger } from '../workflow/definition';

/** The portal acting by itself on an event (a payment confirmed, a parcel delivered): the workflow's `system` role. */
export interface SystemActor {
  kind: 'system';
  trigger: Trigger;
}

/** Who takes a workflow action: an account holder, or the portal itself. */
export type Actor = AuthUser | SystemActor;

export function isSystem(actor: Actor): actor is SystemActor {
  return 'kind' in actor && actor.kind === 'system';
}

/** The history row's `actor_id`: the account, or null for the portal. */
export function actorIdOf(actor: Actor): string | null {
  return isSystem(actor) ? null : actor.id;
}

/** The history row's `actor_role`: the account's role, or `system`. */
export function actorRoleOf(actor: Actor): Role {
  return isSystem(actor) ? 'system' : actor.role;
}

/** The workflow roles an actor acts in: a supervisor may also do a clerk's work; the portal acts as `system`. */
export function workflowRoles(actor: Actor): Role[] {
  if (isSystem(actor)) return ['system'];
  return actor.role === 'supervisor' ? ['supervisor', 'clerk'] : [actor.role];
}
