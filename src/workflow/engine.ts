/**
 * The workflow engine: pure functions that interpret a (validated) workflow
 * definition. It decides whether a transition is allowed and what it implies;
 * it never touches storage. Services call `planTransition` inside their
 * transaction, then persist the new state and apply the returned effects.
 *
 * Check order in `planTransition` (first failure wins):
 *   1. the action exists                  -> UnknownActionError
 *   2. it leaves the current state        -> InvalidTransitionError
 *   3. the role is among its `by`         -> ActionForbiddenError
 *   4. the input meets its `requires`     -> MissingRequirementError
 * `comment` is met by a string that is non-blank after trim; `attachments` by
 * `attachmentCount >= 1`; `finding` by a non-blank `finding` or comment.
 */
import { APPROVE_ACTION, RESUBMIT_ACTION, SUBMIT_ACTION } from './definition';
import type {
  ActionDefinition,
  Effect,
  Requirement,
  Role,
  StateDefinition,
  Trigger,
  WorkflowDefinition,
} from './definition';
import {
  ActionForbiddenError,
  InvalidTransitionError,
  MissingRequirementError,
  UnknownActionError,
  UnknownStateError,
} from './errors';

export interface TransitionInput {
  comment?: string | null;
  attachmentCount?: number;
  /** The approver's finding (`data.finding`); a `finding` requirement also accepts the comment. */
  finding?: unknown;
}

/** Whether taking `action` approves the result: its approver signs the generated result. */
export function isApprovalAction(action: ActionDefinition): boolean {
  return action.key === APPROVE_ACTION || (action.requires ?? []).includes('finding');
}

/** The finding an approval carries: `data.finding` when non-blank, else the comment; undefined when neither. */
export function findingOf(input: TransitionInput): string | undefined {
  for (const v of [input.finding, input.comment]) {
    if (typeof v === 'string' && v.trim().length > 0) return v.trim();
  }
  return undefined;
}

export interface TransitionPlan {
  action: ActionDefinition;
  from: StateDefinition;
  to: StateDefinition;
  effects: Effect[];
}

/** The state with this key, or undefined. */
export function findState(def: WorkflowDefinition, key: string): StateDefinition | undefined {
  return def.states.find((s) => s.key === key);
}

/**
 * The state with this key; throws UnknownStateError when the definition has
 * none (a dossier in a state its pinned definition does not know is a fault).
 */
export function stateOf(def: WorkflowDefinition, key: string): StateDefinition {
  const state = findState(def, key);
  if (!state) throw new UnknownStateError(key);
  return state;
}

/** The action with this key, or undefined. */
export function actionOf(def: WorkflowDefinition, key: string): ActionDefinition | undefined {
  return def.actions.find((a) => a.key === key);
}

/** The state a new dossier starts in; throws UnknownStateError if the definition has none. */
export function startStateOf(def: WorkflowDefinition): StateDefinition {
  const s = def.states.find((x) => x.start === true);
  if (!s) throw new UnknownStateError('(start)');
  return s;
}

/** Whether the state is terminal (false for unknown keys). */
export function isTerminal(def: WorkflowDefinition, key: string): boolean {
  return findState(def, key)?.terminal === true;
}

/** Whether `role` may edit form data and documents while a dossier is in `state`. */
export function canEdit(def: WorkflowDefinition, state: string, role: Role): boolean {
  return findState(def, state)?.editableBy?.includes(role) ?? false;
}

/**
 * Keys of the actions leaving `state` that `role` may take, in definition
 * order. Triggered (system) actions are only listed for the role `system`.
 */
export function availableActions(def: WorkflowDefinition, state: string, role: Role): string[] {
  return def.actions
    .filter((a) => a.from.includes(state) && a.by.includes(role))
    .filter((a) => role === 'system' || a.trigger === undefined)
    .map((a) => a.key);
}

/** The system action with `trigger` leaving `state`, if any. */
export function systemActionFor(
  def: WorkflowDefinition,
  state: string,
  trigger: Trigger,
): ActionDefinition | undefined {
  return def.actions.find((a) => a.trigger === trigger && a.from.includes(state) && a.by.includes('system'));
}

/**
 * The action `POST /applications/:id/submit` takes from `state`, or undefined:
 * 1. the action keyed `submit` when it leaves `state`;
 * 2. otherwise the action the state marks as its `resubmit`;
 * 3. otherwise (a definition published before states could mark it) the
 *    citizen's action keyed `resubmit` leaving `state`, or else the only
 *    citizen action leaving `state` that does not end the dossier.
 * Never "whichever citizen action comes first": withdrawing is not submitting.
 */
export function submitActionFor(def: WorkflowDefinition, state: string): ActionDefinition | undefined {
  const leaving = def.actions.filter((a) => a.from.includes(state) && a.by.includes('citizen'));
  const submit = leaving.find((a) => a.key === SUBMIT_ACTION);
  if (submit) return submit;
  const current = findState(def, state);
  if (!current) return undefined;
  if (current.resubmit !== undefined) return leaving.find((a) => a.key === current.resubmit);
  if (!(current.editableBy ?? []).includes('citizen')) return undefined;
  const conventional = leaving.find((a) => a.key === RESUBMIT_ACTION);
  if (conventional) return conventional;
  const onward = leaving.filter((a) => !isTerminal(def, a.to));
  return onward.length === 1 ? onward[0] : undefined;
}

/** The requirements of `action` that `input` does not meet, in definition order. */
export function missingRequirements(action: ActionDefinition, input: TransitionInput): Requirement[] {
  const missing: Requirement[] = [];
  for (const r of action.requires ?? []) {
    if (r === 'comment') {
      if (typeof input.comment !== 'string' || input.comment.trim().length === 0) missing.push(r);
    } else if (r === 'attachments') {
      const n = input.attachmentCount;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 1) missing.push(r);
    } else if (r === 'finding') {
      if (findingOf(input) === undefined) missing.push(r);
    }
  }
  return missing;
}

/**
 * Checks that `role` may take `actionKey` from `fromState` with `input`, and
 * returns what the transition implies. Throws a WorkflowError otherwise.
 */
export function planTransition(
  def: WorkflowDefinition,
  fromState: string,
  actionKey: string,
  role: Role,
  input: TransitionInput = {},
): TransitionPlan {
  const action = actionOf(def, actionKey);
  if (!action) throw new UnknownActionError(actionKey);
  if (!action.from.includes(fromState)) throw new InvalidTransitionError(actionKey, fromState);
  if (!action.by.includes(role)) throw new ActionForbiddenError(actionKey, role);
  const missing = missingRequirements(action, input);
  if (missing.length > 0) throw new MissingRequirementError(actionKey, missing);

  const from = stateOf(def, fromState);
  const to = stateOf(def, action.to);
  return { action, from, to, effects: [...(action.effects ?? [])] };
}
