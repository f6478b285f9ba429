/**
 * Deadline clock bookkeeping, pure: the services call `applyClock` inside the
 * transaction of every state change and persist the returned fields.
 *
 * Rules, applied in this order for a transition `from` -> `to` at `now`:
 * 1. Start. If the action has the `startClock` effect and the dossier is not
 *    yet received (`receivedAt` null): `receivedAt = now` and
 *    `dueAt = dueDate(calendar, now, processingDays)` (or, with a `timeLimit`
 *    for the dossier's channel, that many working days and hours). A second `startClock`
 *    (e.g. after a supplement) does not restart the clock.
 * 2. Not running. A dossier that is not received, or already finished, is
 *    left as it is: pauses and stops before receipt do not count, and a
 *    finished dossier keeps its finish time.
 * 3. Settle a pause. If the dossier is paused (`pausedAt` set) and `to` is not
 *    a paused state (or `to` finishes the clock, see 4), the paused working
 *    time `p = workingTimeBetween(pausedAt, now)` is added to `pausedMs`, the
 *    due date moves back by that much *working* time
 *    (`dueAt = addWorkingTime(dueAt, p)`), and `pausedAt` is cleared. Moving
 *    from one paused state to another keeps the pause going.
 * 4. Finish. Entering a terminal state, or a state whose clock is `stopped`
 *    (the default), sets `finishedAt = now`. Publishing (validate.ts) allows
 *    `stopped` after receipt only once the result is ready for return (an
 *    action with `issueResult`), so the clock runs until then.
 * 5. Pause. Otherwise entering a `paused` state while not paused sets
 *    `pausedAt = now`.
 * The pause is tracked by `pausedAt`, the stored truth, rather than by
 * `from.clock`, so a definition edited between versions cannot lose a pause.
 *
 * On time = finishedAt <= dueAt (domain.md). While paused the clock is
 * frozen: the helpers below measure against `pausedAt` instead of `now`, so a
 * dossier waiting on the citizen neither becomes overdue nor "due soon"
 * unless it already was when the pause began. The SQL equivalent of
 * `isOverdue` is `finished_at IS NULL AND due_at < COALESCE(paused_at, now())`.
 */
import { addWorkingTime, dueDate, workingMsPerDay, workingTimeBetween, WorkCalendar } from './calendar';
import type { Effect, StateDefinition } from './definition';

export interface DeadlineState {
  receivedAt: Date | null;
  dueAt: Date | null;
  pausedAt: Date | null;
  finishedAt: Date | null;
  /** Total working milliseconds spent paused so far (settled pauses only). */
  pausedMs: number;
}

export interface ApplyClockParams {
  state: DeadlineState;
  from: StateDefinition;
  to: StateDefinition;
  effects: Effect[];
  now: Date;
  calendar: WorkCalendar;
  /** The procedure's time limit in working days (for the channel used). */
  processingDays: number;
  /** A time limit in working days and/or hours for the channel used; when given, it replaces `processingDays`. */
  timeLimit?: TimeLimit | null;
}

/**
 * A time limit in working time: `days` working days (of the calendar's office hours) plus `hours` working hours
 * (counted inside office hours: a 4-hour limit received at 16:00 ends at 10:00 the next working morning with
 * 07:00-11:30 / 13:30-17:00). At least one of the two is above 0 (checked when a version is published).
 */
export interface TimeLimit {
  days?: number;
  hours?: number;
}

/** The channels a dossier is filed by, each of which may have its own time limit. */
export const FILING_CHANNELS = ['online', 'counter', 'post'] as const;
export type FilingChannel = (typeof FILING_CHANNELS)[number];

/** Time limits per channel, as a procedure version gives them. */
export type TimeLimits = Partial<Record<FilingChannel, TimeLimit>>;

/**
 * The limit for a channel: its own, else the online one (the procedure's general limit), else null (the caller
 * uses `processingDays`).
 */
export function timeLimitFor(limits: TimeLimits | null | undefined, channel: FilingChannel): TimeLimit | null {
  return limits?.[channel] ?? limits?.online ?? null;
}

/** The working milliseconds of a limit on a calendar. */
export function timeLimitMs(calendar: WorkCalendar, limit: TimeLimit): number {
  return (limit.days ?? 0) * workingMsPerDay(calendar) + (limit.hours ?? 0) * 3_600_000;
}

/** Problems of a time-limits object (publish-time check): paths relative to it, empty when valid. */
export function timeLimitProblems(input: unknown): { path: string; message: string }[] {
  if (input === null || input === undefined) return [];
  if (typeof input !== 'object' || Array.isArray(input)) return [{ path: '', message: 'must be an object' }];
  const problems: { path: string; message: string }[] = [];
  for (const [channel, limit] of Object.entries(input as Record<string, unknown>)) {
    if (!(FILING_CHANNELS as readonly string[]).includes(channel)) {
      problems.push({ path: channel, message: `unknown channel (one of ${FILING_CHANNELS.join(', ')})` });
      continue;
    }
    if (typeof limit !== 'object' || limit === null || Array.isArray(limit)) {
      problems.push({ path: channel, message: 'must be an object {days?, hours?}' });
      continue;
    }
    const l = limit as Record<string, unknown>;
    for (const k of Object.keys(l)) {
      if (k !== 'days' && k !== 'hours') problems.push({ path: `${channel}.${k}`, message: 'unknown property' });
    }
    for (const k of ['days', 'hours'] as const) {
      const v = l[k];
      if (
        v !== undefined &&
        (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > (k === 'days' ? 365 : 2920))
      )
        problems.push({
          path: `${channel}.${k}`,
          message: `must be a whole number from 0 to ${k === 'days' ? 365 : 2920}`,
        });
    }
    const days = typeof l.days === 'number' ? l.days : 0;
    const hours = typeof l.hours === 'number' ? l.hours : 0;
    if (days <= 0 && hours <= 0) problems.push({ path: channel, message: 'give days or hours above 0' });
  }
  return problems;
}

/** A deadline state for a dossier that has not been received yet. */
export function initialDeadlineState(): DeadlineState {
  return { receivedAt: null, dueAt: null, pausedAt: null, finishedAt: null, pausedMs: 0 };
}

function copy(d: Date | null): Date | null {
  return d === null ? null : new Date(d.getTime());
}

/** Returns the deadline fields after the transition; never mutates its input. */
export function applyClock(params: ApplyClockParams): DeadlineState {
  const { to, effects, calendar } = params;
  const now = new Date(params.now.getTime());
  const s: DeadlineState = {
    receivedAt: copy(params.state.receivedAt),
    dueAt: copy(params.state.dueAt),
    pausedAt: copy(params.state.pausedAt),
    finishedAt: copy(params.state.finishedAt),
    pausedMs: params.state.pausedMs,
  };

  // 1. Start.
  if (effects.includes('startClock') && s.receivedAt === null) {
    s.receivedAt = now;
    s.dueAt = params.timeLimit
      ? addWorkingTime(calendar, now, timeLimitMs(calendar, params.timeLimit))
      : dueDate(calendar, now, params.processingDays);
  }

  // 2. Not running: nothing else applies.
  if (s.receivedAt === null || s.finishedAt !== null) return s;

  const toClock = to.clock ?? 'stopped';
  const finishing = to.terminal === true || toClock === 'stopped';

  // 3. Settle a pause.
  if (s.pausedAt !== null && (finishing || toClock !== 'paused')) {
    const paused = workingTimeBetween(calendar, s.pausedAt, now);
    s.pausedMs += paused;
    if (s.dueAt !== null) s.dueAt = addWorkingTime(calendar, s.dueAt, paused);
    s.pausedAt = null;
  }

  // 4. Finish, or 5. pause.
  if (finishing) {
    s.finishedAt = now;
  } else if (toClock === 'paused' && s.pausedAt === null) {
    s.pausedAt = now;
  }
  return s;
}

/** The instant the clock is measured at: `now`, or the start of an ongoing pause. */
function clockInstant(state: DeadlineState, now: Date): Date {
  return state.pausedAt !== null && state.pausedAt.getTime() < now.getTime() ? state.pausedAt : now;
}

/** Running (received, not finished, with a due date) and past the due date. */
export function isOverdue(state: DeadlineState, now: Date): boolean {
  if (state.finishedAt !== null || state.dueAt === null) return false;
  return clockInstant(state, now).getTime() > state.dueAt.getTime();
}

/**
 * Working milliseconds left before the due date (negative: working time past
 * it), measured from `now` or from the start of an ongoing pause; null when
 * the dossier has no running clock (not received or finished).
 */
export function remainingWorkingMs(state: DeadlineState, now: Date, cal: WorkCalendar): number | null {
  if (state.finishedAt !== null || state.dueAt === null) return null;
  const at = clockInstant(state, now);
  if (at.getTime() <= state.dueAt.getTime()) return workingTimeBetween(cal, at, state.dueAt);
  return -workingTimeBetween(cal, state.dueAt, at);
}

/** Running, not yet overdue, and at most `withinMs` of working time left. */
export function isDueSoon(state: DeadlineState, now: Date, cal: WorkCalendar, withinMs: number): boolean {
  if (isOverdue(state, now)) return false;
  const left = remainingWorkingMs(state, now, cal);
  return left !== null && left <= withinMs;
}

/** For a finished dossier: whether it finished no later than its due date; null otherwise. */
export function finishedOnTime(state: DeadlineState): boolean | null {
  if (state.finishedAt === null || state.dueAt === null) return null;
  return state.finishedAt.getTime() <= state.dueAt.getTime();
}
