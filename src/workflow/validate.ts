/**
 * Static validation of a workflow definition, run before a procedure version
 * is published (design invariant 5). It reports every problem it finds, not
 * just the first, so an admin can fix a definition in one round trip.
 *
 * Checks, in order of discovery:
 * - shape: an object with non-empty `states` and `actions` arrays; every field
 *   has the right type; unknown properties (typos like `efects`) are problems;
 * - keys: non-empty, unique, matching KEY_PATTERN (states and actions alike);
 * - enums: clocks, roles (`by`, `editableBy`), effects, requirements, triggers;
 * - references: `from` / `to` name existing states;
 * - graph: exactly one start state, not terminal; every state reachable from
 *   it; every non-terminal state has an action leaving it; terminal states
 *   have none;
 * - system actions: a `trigger` only on actions whose `by` is exactly
 *   ["system"], and every action taken by `system` names a trigger;
 * - submit: an action keyed SUBMIT_ACTION leaves the start state and is taken
 *   by `citizen`;
 * - clock: the clock runs from receipt until the result is ready for return.
 *   A non-terminal state reachable from an action with `startClock` without
 *   passing an action with `issueResult` ("after receipt, before the result")
 *   may not have the clock `stopped` (stopping finishes the dossier: the
 *   appointment date is for the result, not the approval); it may be `paused`
 *   only while waiting for the citizen (the citizen edits or takes an action
 *   that does not end the dossier there, it was entered by `requirePayment`,
 *   or the citizen's payment triggers the way out); a state where only staff or the system act keeps it running;
 * - resubmit: a state's `resubmit` names an action that leaves that state and
 *   is taken by `citizen` (what `POST /applications/:id/submit` takes there);
 * - transfer: a state's `agency` is a non-empty string (an agency code; that
 *   the agency exists is checked at publish, against the agencies table) and
 *   its `allotmentHours` a positive number.
 *
 * On success the definition is returned normalised: fresh objects with only
 * known properties, `clock` defaulting to 'stopped', `editableBy`, `requires`
 * and `effects` defaulting to [].
 */
import {
  ActionDefinition,
  CLOCKS,
  Clock,
  EFFECTS,
  Effect,
  REQUIREMENTS,
  ROLES,
  Requirement,
  Role,
  StateDefinition,
  SUBMIT_ACTION,
  TRIGGERS,
  Trigger,
  WorkflowDefinition,
} from './definition';
import { InvalidWorkflowError, WorkflowProblem } from './errors';

export type { WorkflowProblem } from './errors';

/** State and action keys: lowercase snake_case starting with a letter. */
export const KEY_PATTERN = /^[a-z][a-z0-9_]*$/;

/** The `code` values `validateWorkflow` can put in a problem. */
export const WORKFLOW_PROBLEM_CODES = [
  'type', // wrong JSON type
  'required', // a mandatory field is missing
  'empty', // an array or string that must not be empty is
  'unknown_property', // a property the schema does not know (typo?)
  'pattern', // a key does not match KEY_PATTERN
  'duplicate', // a key (or list entry) appears twice
  'unknown_clock',
  'unknown_role',
  'unknown_effect',
  'unknown_requirement',
  'unknown_trigger',
  'unknown_state', // `from` / `to` names no state
  'no_start_state',
  'multiple_start_states',
  'start_terminal',
  'unreachable',
  'dead_end',
  'terminal_has_actions',
  'trigger_not_system', // a trigger on an action not taken by exactly ["system"]
  'system_without_trigger',
  'missing_submit',
  'submit_not_from_start',
  'submit_not_citizen',
  'clock_stops_before_result', // after receipt and before the result, a non-terminal state stops the clock
  'clock_paused_for_agency', // a paused state where only staff or the system act
  'resubmit_unknown_action', // a state's `resubmit` names no action
  'resubmit_not_from_state', // ... an action that does not leave that state
  'resubmit_not_citizen', // ... an action the citizen does not take
  'not_positive', // `allotmentHours` is not a positive number
] as const;
export type WorkflowProblemCode = (typeof WORKFLOW_PROBLEM_CODES)[number];

export type WorkflowValidationResult =
  { valid: true; definition: WorkflowDefinition } | { valid: false; problems: WorkflowProblem[] };

const WORKFLOW_PROPS = ['states', 'actions'] as const;
const STATE_PROPS = [
  'key',
  'start',
  'terminal',
  'clock',
  'editableBy',
  'label',
  'resubmit',
  'agency',
  'allotmentHours',
] as const;
const ACTION_PROPS = ['key', 'from', 'to', 'by', 'requires', 'effects', 'trigger', 'label'] as const;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function has(o: Obj, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

class Collector {
  readonly problems: WorkflowProblem[] = [];

  add(path: string, code: WorkflowProblemCode, message: string): void {
    this.problems.push({ path, code, message });
  }
}

function checkUnknownProps(c: Collector, o: Obj, allowed: readonly string[], base: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const path = base ? `${base}.${k}` : k;
      c.add(path, 'unknown_property', `Unknown property "${k}"; allowed: ${allowed.join(', ')}`);
    }
  }
}

/** Checks a key field; returns the key when it is a usable string. */
function checkKey(c: Collector, o: Obj, path: string, what: string): string | undefined {
  if (!has(o, 'key') || o.key === undefined) {
    c.add(path, 'required', `${what} key is required`);
    return undefined;
  }
  const key = o.key;
  if (typeof key !== 'string') {
    c.add(path, 'type', `${what} key must be a string, got ${typeName(key)}`);
    return undefined;
  }
  if (key.length === 0) {
    c.add(path, 'empty', `${what} key must not be empty`);
    return undefined;
  }
  if (!KEY_PATTERN.test(key)) {
    c.add(path, 'pattern', `${what} key "${key}" must match ${String(KEY_PATTERN)}`);
  }
  return key;
}

function checkOptionalBoolean(c: Collector, o: Obj, prop: string, path: string): boolean {
  if (!has(o, prop) || o[prop] === undefined) return false;
  if (typeof o[prop] !== 'boolean') {
    c.add(path, 'type', `"${prop}" must be a boolean, got ${typeName(o[prop])}`);
    return false;
  }
  return o[prop];
}

function checkOptionalString(c: Collector, o: Obj, prop: string, path: string): void {
  if (!has(o, prop) || o[prop] === undefined) return;
  if (typeof o[prop] !== 'string') {
    c.add(path, 'type', `"${prop}" must be a string, got ${typeName(o[prop])}`);
  }
}

/**
 * Checks an array of enum strings. Returns the valid members (deduplicated,
 * in order) or undefined when the field is not an array at all.
 */
function checkEnumList<T extends string>(
  c: Collector,
  o: Obj,
  prop: string,
  path: string,
  allowed: readonly T[],
  code: WorkflowProblemCode,
  what: string,
  opts: { required: boolean; nonEmpty: boolean },
): T[] | undefined {
  if (!has(o, prop) || o[prop] === undefined) {
    if (opts.required) c.add(path, 'required', `"${prop}" is required`);
    return undefined;
  }
  const v = o[prop];
  if (!Array.isArray(v)) {
    c.add(path, 'type', `"${prop}" must be an array, got ${typeName(v)}`);
    return undefined;
  }
  if (opts.nonEmpty && v.length === 0) {
    c.add(path, 'empty', `"${prop}" must not be empty`);
  }
  const out: T[] = [];
  v.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (typeof item !== 'string') {
      c.add(p, 'type', `${what} must be a string, got ${typeName(item)}`);
    } else if (!(allowed as readonly string[]).includes(item)) {
      c.add(p, code, `Unknown ${what} "${item}"; allowed: ${allowed.join(', ')}`);
    } else if (out.includes(item as T)) {
      c.add(p, 'duplicate', `${what} "${item}" is listed twice`);
    } else {
      out.push(item as T);
    }
  });
  return out;
}

interface StateInfo {
  index: number;
  key?: string;
  start: boolean;
  terminal: boolean;
  clock?: Clock;
  editableBy?: Role[];
  label?: string;
  resubmit?: string;
  agency?: string;
  allotmentHours?: number;
  /** A `clock` was given but is not a known one (already reported). */
  badClock?: boolean;
}

interface ActionInfo {
  index: number;
  key?: string;
  /** String entries of `from` with their index (references checked later). */
  from: { key: string; index: number }[];
  to?: string;
  by?: Role[];
  rawBy?: unknown;
  requires?: Requirement[];
  effects?: Effect[];
  trigger?: Trigger;
  hasTrigger: boolean;
  label?: string;
}

function checkState(c: Collector, raw: unknown, index: number): StateInfo | undefined {
  const base = `states[${index}]`;
  if (!isObject(raw)) {
    c.add(base, 'type', `A state must be an object, got ${typeName(raw)}`);
    return undefined;
  }
  checkUnknownProps(c, raw, STATE_PROPS, base);
  const info: StateInfo = {
    index,
    key: checkKey(c, raw, `${base}.key`, 'State'),
    start: checkOptionalBoolean(c, raw, 'start', `${base}.start`),
    terminal: checkOptionalBoolean(c, raw, 'terminal', `${base}.terminal`),
  };
  if (has(raw, 'clock') && raw.clock !== undefined) {
    info.badClock = true;
    if (typeof raw.clock !== 'string') {
      c.add(`${base}.clock`, 'type', `"clock" must be a string, got ${typeName(raw.clock)}`);
    } else if (!(CLOCKS as readonly string[]).includes(raw.clock)) {
      c.add(`${base}.clock`, 'unknown_clock', `Unknown clock "${raw.clock}"; allowed: ${CLOCKS.join(', ')}`);
    } else {
      info.clock = raw.clock as Clock;
      info.badClock = false;
    }
  }
  info.editableBy = checkEnumList(c, raw, 'editableBy', `${base}.editableBy`, ROLES, 'unknown_role', 'role', {
    required: false,
    nonEmpty: false,
  });
  checkOptionalString(c, raw, 'label', `${base}.label`);
  if (typeof raw.label === 'string') info.label = raw.label;
  checkOptionalString(c, raw, 'resubmit', `${base}.resubmit`);
  if (typeof raw.resubmit === 'string') info.resubmit = raw.resubmit;
  checkTransfer(c, raw, base, info);
  return info;
}

/** A state's transfer fields: `agency` (an agency code, non-empty) and `allotmentHours` (positive). */
function checkTransfer(c: Collector, raw: Obj, base: string, info: StateInfo): void {
  checkOptionalString(c, raw, 'agency', `${base}.agency`);
  if (typeof raw.agency === 'string') {
    if (raw.agency.trim().length === 0) c.add(`${base}.agency`, 'empty', '"agency" must not be empty');
    else info.agency = raw.agency;
  }
  if (!has(raw, 'allotmentHours') || raw.allotmentHours === undefined) return;
  const hours = raw.allotmentHours;
  if (typeof hours !== 'number' || !Number.isFinite(hours)) {
    c.add(`${base}.allotmentHours`, 'type', `"allotmentHours" must be a number, got ${typeName(hours)}`);
  } else if (hours <= 0) {
    c.add(`${base}.allotmentHours`, 'not_positive', `"allotmentHours" must be positive, got ${hours}`);
  } else {
    info.allotmentHours = hours;
  }
}

function checkAction(c: Collector, raw: unknown, index: number): ActionInfo | undefined {
  const base = `actions[${index}]`;
  if (!isObject(raw)) {
    c.add(base, 'type', `An action must be an object, got ${typeName(raw)}`);
    return undefined;
  }
  checkUnknownProps(c, raw, ACTION_PROPS, base);
  const info: ActionInfo = {
    index,
    key: checkKey(c, raw, `${base}.key`, 'Action'),
    from: [],
    hasTrigger: false,
  };

  // from: non-empty array of state keys
  if (!has(raw, 'from') || raw.from === undefined) {
    c.add(`${base}.from`, 'required', '"from" is required');
  } else if (!Array.isArray(raw.from)) {
    c.add(`${base}.from`, 'type', `"from" must be an array of state keys, got ${typeName(raw.from)}`);
  } else {
    if (raw.from.length === 0) c.add(`${base}.from`, 'empty', '"from" must not be empty');
    raw.from.forEach((f, i) => {
      const p = `${base}.from[${i}]`;
      if (typeof f !== 'string') {
        c.add(p, 'type', `A state key must be a string, got ${typeName(f)}`);
      } else if (info.from.some((x) => x.key === f)) {
        c.add(p, 'duplicate', `State "${f}" is listed twice in "from"`);
      } else {
        info.from.push({ key: f, index: i });
      }
    });
  }

  // to: a state key
  if (!has(raw, 'to') || raw.to === undefined) {
    c.add(`${base}.to`, 'required', '"to" is required');
  } else if (typeof raw.to !== 'string') {
    c.add(`${base}.to`, 'type', `"to" must be a state key, got ${typeName(raw.to)}`);
  } else {
    info.to = raw.to;
  }

  info.rawBy = raw.by;
  info.by = checkEnumList(c, raw, 'by', `${base}.by`, ROLES, 'unknown_role', 'role', {
    required: true,
    nonEmpty: true,
  });
  info.requires = checkEnumList(
    c,
    raw,
    'requires',
    `${base}.requires`,
    REQUIREMENTS,
    'unknown_requirement',
    'requirement',
    { required: false, nonEmpty: false },
  );
  info.effects = checkEnumList(c, raw, 'effects', `${base}.effects`, EFFECTS, 'unknown_effect', 'effect', {
    required: false,
    nonEmpty: false,
  });

  if (has(raw, 'trigger') && raw.trigger !== undefined) {
    info.hasTrigger = true;
    if (typeof raw.trigger !== 'string') {
      c.add(`${base}.trigger`, 'type', `"trigger" must be a string, got ${typeName(raw.trigger)}`);
    } else if (!(TRIGGERS as readonly string[]).includes(raw.trigger)) {
      c.add(`${base}.trigger`, 'unknown_trigger', `Unknown trigger "${raw.trigger}"; allowed: ${TRIGGERS.join(', ')}`);
    } else {
      info.trigger = raw.trigger as Trigger;
    }
  }

  checkOptionalString(c, raw, 'label', `${base}.label`);
  if (typeof raw.label === 'string') info.label = raw.label;
  return info;
}

/** Whether the raw `by` lists exactly the role "system" and nothing else. */
function byIsExactlySystem(rawBy: unknown): boolean {
  return Array.isArray(rawBy) && rawBy.length === 1 && rawBy[0] === 'system';
}

function byIncludes(rawBy: unknown, role: Role): boolean {
  return Array.isArray(rawBy) && rawBy.includes(role);
}

export function validateWorkflow(input: unknown): WorkflowValidationResult {
  const c = new Collector();

  if (!isObject(input)) {
    c.add('workflow', 'type', `A workflow definition must be an object, got ${typeName(input)}`);
    return { valid: false, problems: c.problems };
  }
  checkUnknownProps(c, input, WORKFLOW_PROPS, '');

  const rawStates = input.states;
  const rawActions = input.actions;
  for (const [name, v] of [
    ['states', rawStates],
    ['actions', rawActions],
  ] as const) {
    if (v === undefined) c.add(name, 'required', `"${name}" is required`);
    else if (!Array.isArray(v)) c.add(name, 'type', `"${name}" must be an array, got ${typeName(v)}`);
    else if (v.length === 0) c.add(name, 'empty', `"${name}" must not be empty`);
  }

  const states: StateInfo[] = [];
  if (Array.isArray(rawStates)) {
    rawStates.forEach((s, i) => {
      const info = checkState(c, s, i);
      if (info) states.push(info);
    });
  }
  const actions: ActionInfo[] = [];
  if (Array.isArray(rawActions)) {
    rawActions.forEach((a, i) => {
      const info = checkAction(c, a, i);
      if (info) actions.push(info);
    });
  }

  // Unique keys.
  const stateByKey = new Map<string, StateInfo>();
  for (const s of states) {
    if (s.key === undefined) continue;
    if (stateByKey.has(s.key)) {
      c.add(
        `states[${s.index}].key`,
        'duplicate',
        `State key "${s.key}" is already used by states[${stateByKey.get(s.key)!.index}]`,
      );
    } else {
      stateByKey.set(s.key, s);
    }
  }
  const actionByKey = new Map<string, ActionInfo>();
  for (const a of actions) {
    if (a.key === undefined) continue;
    if (actionByKey.has(a.key)) {
      c.add(
        `actions[${a.index}].key`,
        'duplicate',
        `Action key "${a.key}" is already used by actions[${actionByKey.get(a.key)!.index}]`,
      );
    } else {
      actionByKey.set(a.key, a);
    }
  }

  // Start state.
  const starts = states.filter((s) => s.start);
  if (Array.isArray(rawStates) && rawStates.length > 0) {
    if (starts.length === 0) {
      c.add('states', 'no_start_state', 'Exactly one state must have "start": true; none has');
    } else if (starts.length > 1) {
      const names = starts.map((s) => s.key ?? `states[${s.index}]`).join(', ');
      c.add('states', 'multiple_start_states', `Exactly one state must have "start": true; several do: ${names}`);
    }
  }
  for (const s of starts) {
    if (s.terminal) {
      c.add(`states[${s.index}]`, 'start_terminal', `Start state "${s.key ?? ''}" cannot be terminal`);
    }
  }

  // Graph checks only make sense once both lists are there; otherwise the
  // shape problem above is the one to fix and these would only add noise.
  const graphOk =
    Array.isArray(rawStates) && rawStates.length > 0 && Array.isArray(rawActions) && rawActions.length > 0;

  // References from actions to states; outgoing edges.
  const leaving = new Map<string, ActionInfo[]>();
  for (const a of graphOk ? actions : []) {
    for (const f of a.from) {
      const st = stateByKey.get(f.key);
      if (!st) {
        c.add(`actions[${a.index}].from[${f.index}]`, 'unknown_state', `Unknown state "${f.key}"`);
        continue;
      }
      if (st.terminal) {
        c.add(
          `actions[${a.index}].from[${f.index}]`,
          'terminal_has_actions',
          `Action "${a.key ?? ''}" leaves terminal state "${f.key}"; terminal states have no way out`,
        );
      }
      const list = leaving.get(f.key) ?? [];
      list.push(a);
      leaving.set(f.key, list);
    }
    if (a.to !== undefined && !stateByKey.has(a.to)) {
      c.add(`actions[${a.index}].to`, 'unknown_state', `Unknown state "${a.to}"`);
    }
  }

  // Dead ends: non-terminal states with no action leaving them.
  for (const s of graphOk ? stateByKey.values() : []) {
    if (!s.terminal && !leaving.has(s.key!)) {
      c.add(`states[${s.index}]`, 'dead_end', `State "${s.key}" is not terminal but no action leaves it`);
    }
  }

  // Reachability from the start state(s); only meaningful when one exists.
  const startKeys = starts.map((s) => s.key).filter((k): k is string => k !== undefined && stateByKey.has(k));
  if (graphOk && startKeys.length > 0) {
    const reached = new Set<string>(startKeys);
    const queue = [...startKeys];
    while (queue.length > 0) {
      const k = queue.shift()!;
      for (const a of leaving.get(k) ?? []) {
        if (a.to !== undefined && stateByKey.has(a.to) && !reached.has(a.to)) {
          reached.add(a.to);
          queue.push(a.to);
        }
      }
    }
    for (const s of stateByKey.values()) {
      if (!reached.has(s.key!)) {
        c.add(`states[${s.index}]`, 'unreachable', `State "${s.key}" cannot be reached from the start state`);
      }
    }
  }

  // System actions and triggers.
  for (const a of actions) {
    if (a.hasTrigger && !byIsExactlySystem(a.rawBy)) {
      c.add(
        `actions[${a.index}].trigger`,
        'trigger_not_system',
        `Action "${a.key ?? ''}" has a trigger, so its "by" must be exactly ["system"]`,
      );
    }
    if (byIncludes(a.rawBy, 'system') && !a.hasTrigger) {
      c.add(
        `actions[${a.index}].trigger`,
        'system_without_trigger',
        `Action "${a.key ?? ''}" is taken by "system" and must name a trigger (${TRIGGERS.join(', ')})`,
      );
    }
  }

  // The submit action.
  const submit = actionByKey.get(SUBMIT_ACTION);
  if (Array.isArray(rawActions) && rawActions.length > 0) {
    if (!submit) {
      c.add('actions', 'missing_submit', `An action keyed "${SUBMIT_ACTION}" is required`);
    } else {
      if (starts.length === 1 && starts[0].key !== undefined && !submit.from.some((f) => f.key === starts[0].key)) {
        c.add(
          `actions[${submit.index}].from`,
          'submit_not_from_start',
          `Action "${SUBMIT_ACTION}" must leave the start state "${starts[0].key}"`,
        );
      }
      if (!byIncludes(submit.rawBy, 'citizen')) {
        c.add(
          `actions[${submit.index}].by`,
          'submit_not_citizen',
          `Action "${SUBMIT_ACTION}" must be taken by "citizen"`,
        );
      }
    }
  }

  // The clock between receipt and the result.
  if (graphOk) checkClockRegion(c, stateByKey, actions, leaving);

  // A state's resubmit marking: the citizen's action leaving that state.
  for (const s of states) {
    if (s.resubmit === undefined) continue;
    const path = `states[${s.index}].resubmit`;
    const a = actionByKey.get(s.resubmit);
    if (!a) {
      c.add(path, 'resubmit_unknown_action', `"resubmit" names no action: "${s.resubmit}"`);
      continue;
    }
    if (s.key !== undefined && !a.from.some((f) => f.key === s.key)) {
      c.add(path, 'resubmit_not_from_state', `Action "${a.key}" does not leave state "${s.key}"`);
    }
    if (!byIncludes(a.rawBy, 'citizen')) {
      c.add(path, 'resubmit_not_citizen', `Action "${a.key}" must be taken by "citizen" to be the resubmit`);
    }
  }

  if (c.problems.length > 0) return { valid: false, problems: c.problems };
  return { valid: true, definition: normalise(states, actions) };
}

/** Payment triggers: the way out of a state waiting for the citizen's payment. */
const CITIZEN_TRIGGERS: readonly Trigger[] = ['payment.succeeded'];

/** Whether a dossier in `s` waits for the citizen (see the module comment), not for the agency. */
function waitsForCitizen(
  s: StateInfo,
  out: ActionInfo[],
  actions: ActionInfo[],
  stateByKey: Map<string, StateInfo>,
): boolean {
  if ((s.editableBy ?? []).includes('citizen')) return true;
  // Entered by asking for a payment: the citizen owes it.
  if (actions.some((a) => a.to === s.key && (a.effects ?? []).includes('requirePayment'))) return true;
  return out.some(
    (a) =>
      (byIncludes(a.rawBy, 'citizen') && a.to !== undefined && stateByKey.get(a.to)?.terminal !== true) ||
      (a.trigger !== undefined && CITIZEN_TRIGGERS.includes(a.trigger)),
  );
}

function checkClockRegion(
  c: Collector,
  stateByKey: Map<string, StateInfo>,
  actions: ActionInfo[],
  leaving: Map<string, ActionInfo[]>,
): void {
  const resultReady = (a: ActionInfo) => (a.effects ?? []).includes('issueResult');
  const queue = actions
    .filter((a) => (a.effects ?? []).includes('startClock') && !resultReady(a) && a.to !== undefined)
    .map((a) => a.to!)
    .filter((k) => stateByKey.has(k));
  const region = new Set<string>(queue);
  while (queue.length > 0) {
    const k = queue.shift()!;
    for (const a of leaving.get(k) ?? []) {
      if (resultReady(a) || a.to === undefined || !stateByKey.has(a.to) || region.has(a.to)) continue;
      region.add(a.to);
      queue.push(a.to);
    }
  }
  for (const s of stateByKey.values()) {
    if (s.terminal || s.badClock || !region.has(s.key!)) continue;
    const clock = s.clock ?? 'stopped';
    if (clock === 'stopped') {
      c.add(
        `states[${s.index}].clock`,
        'clock_stops_before_result',
        `State "${s.key}" comes after receipt and before the result is ready for return (an action with issueResult); ` +
          'its clock must be "running" (or "paused" while waiting for the citizen), not "stopped"',
      );
    } else if (clock === 'paused' && !waitsForCitizen(s, leaving.get(s.key!) ?? [], actions, stateByKey)) {
      c.add(
        `states[${s.index}].clock`,
        'clock_paused_for_agency',
        `State "${s.key}" waits for the agency (only staff or the system act there); its clock must be "running"`,
      );
    }
  }
}

function normalise(states: StateInfo[], actions: ActionInfo[]): WorkflowDefinition {
  return {
    states: states.map((s) => {
      const out: StateDefinition = { key: s.key! };
      if (s.start) out.start = true;
      if (s.terminal) out.terminal = true;
      out.clock = s.clock ?? 'stopped';
      out.editableBy = [...(s.editableBy ?? [])];
      if (s.label !== undefined) out.label = s.label;
      if (s.resubmit !== undefined) out.resubmit = s.resubmit;
      if (s.agency !== undefined) out.agency = s.agency;
      if (s.allotmentHours !== undefined) out.allotmentHours = s.allotmentHours;
      return out;
    }),
    actions: actions.map((a) => {
      const out: ActionDefinition = {
        key: a.key!,
        from: a.from.map((f) => f.key),
        to: a.to!,
        by: [...(a.by ?? [])],
        requires: [...(a.requires ?? [])],
        effects: [...(a.effects ?? [])],
      };
      if (a.trigger !== undefined) out.trigger = a.trigger;
      if (a.label !== undefined) out.label = a.label;
      return out;
    }),
  };
}

/** Validates and returns the normalised definition, or throws InvalidWorkflowError. */
export function assertValidWorkflow(input: unknown): WorkflowDefinition {
  const result = validateWorkflow(input);
  if (!result.valid) throw new InvalidWorkflowError(result.problems);
  return result.definition;
}
