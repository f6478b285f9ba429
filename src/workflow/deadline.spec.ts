import { DEFAULT_CALENDAR, workingTimeBetween } from './calendar';
import type { Effect, StateDefinition } from './definition';
import {
  applyClock,
  DeadlineState,
  finishedOnTime,
  initialDeadlineState,
  isDueSoon,
  isOverdue,
  remainingWorkingMs,
  timeLimitFor,
  timeLimitProblems,
} from './deadline';
import { planTransition, stateOf } from './engine';
import { STANDARD_WORKFLOW } from './examples';
import { assertValidWorkflow } from './validate';

const H = 3_600_000;
const cal = DEFAULT_CALENDAR;
const def = assertValidWorkflow(STANDARD_WORKFLOW);
const at = (s: string): Date => new Date(s);
const st = (key: string): StateDefinition => stateOf(def, key);

/** Plans `action` from `from` and applies its clock rules at `now` (5 working days). */
function step(state: DeadlineState, from: string, action: string, now: string, processingDays = 5): DeadlineState {
  const plan = planTransition(def, from, action, roleFor(action), {
    comment: 'because',
    attachmentCount: 1,
  });
  return applyClock({
    state,
    from: plan.from,
    to: plan.to,
    effects: plan.effects,
    now: at(now),
    calendar: cal,
    processingDays,
  });
}

function roleFor(action: string): 'citizen' | 'clerk' | 'system' {
  const a = def.actions.find((x) => x.key === action)!;
  return a.by[0] as 'citizen' | 'clerk' | 'system';
}

/** A dossier received Monday 16 Nov 2026 09:00 with 5 working days: due Monday 23 Nov 09:00. */
function received(): DeadlineState {
  return step(initialDeadlineState(), 'submitted', 'receive', '2026-11-16T09:00:00+07:00');
}

describe('applyClock', () => {
  it('starts the clock on receipt and computes the due date', () => {
    expect(received()).toEqual({
      receivedAt: at('2026-11-16T09:00:00+07:00'),
      dueAt: at('2026-11-23T09:00:00+07:00'),
      pausedAt: null,
      finishedAt: null,
      pausedMs: 0,
    });
  });

  it('counts a receipt after hours on Friday from Monday morning', () => {
    const s = step(initialDeadlineState(), 'submitted', 'receive', '2026-11-20T18:00:00+07:00', 1);
    expect(s.receivedAt).toEqual(at('2026-11-20T18:00:00+07:00'));
    expect(s.dueAt).toEqual(at('2026-11-23T17:00:00+07:00'));
  });

  it('does not restart a started clock', () => {
    const s = received();
    const again = applyClock({
      state: s,
      from: st('processing'),
      to: st('processing'),
      effects: ['startClock'],
      now: at('2026-11-18T09:00:00+07:00'),
      calendar: cal,
      processingDays: 5,
    });
    expect(again).toEqual(s);
  });

  it('changes nothing while running from one running state to another', () => {
    const s = step(received(), 'processing', 'approve', '2026-11-18T10:00:00+07:00');
    expect(s).toEqual(received());
  });

  it('pauses on entering a paused state', () => {
    const s = step(received(), 'processing', 'request_supplement', '2026-11-20T16:00:00+07:00');
    expect(s.pausedAt).toEqual(at('2026-11-20T16:00:00+07:00'));
    expect(s.dueAt).toEqual(at('2026-11-23T09:00:00+07:00'));
    expect(s.pausedMs).toBe(0);
    expect(s.finishedAt).toBeNull();
  });

  it('moves the due date back by the paused working time, across a weekend', () => {
    const paused = step(received(), 'processing', 'request_supplement', '2026-11-20T16:00:00+07:00');
    // Paused Friday 16:00 -> Monday 08:00: 1 h on Friday + 1 h on Monday.
    const resumed = step(paused, 'supplement_requested', 'supplement', '2026-11-23T08:00:00+07:00');
    expect(resumed).toEqual({
      receivedAt: at('2026-11-16T09:00:00+07:00'),
      dueAt: at('2026-11-23T11:00:00+07:00'),
      pausedAt: null,
      finishedAt: null,
      pausedMs: 2 * H,
    });
  });

  it('adds the paused time as working time to the due date, keeping the time left intact', () => {
    // Received Thursday 07:00, 1 day: due Thursday 17:00.
    const s0 = step(initialDeadlineState(), 'submitted', 'receive', '2026-11-19T07:00:00+07:00', 1);
    expect(s0.dueAt).toEqual(at('2026-11-19T17:00:00+07:00'));
    // Paused Thursday 13:30 with 3.5 h left; resumed Monday 09:00.
    const paused = step(s0, 'processing', 'request_supplement', '2026-11-19T13:30:00+07:00', 1);
    const resumed = step(paused, 'supplement_requested', 'supplement', '2026-11-23T09:00:00+07:00', 1);
    // Thu 3.5 h + Fri 8 h + Mon 2 h = 13.5 h paused; Thu 17:00 + 13.5 working h = Mon 14:30.
    expect(resumed.pausedMs).toBe(13.5 * H);
    expect(resumed.dueAt).toEqual(at('2026-11-23T14:30:00+07:00'));
    expect(workingTimeBetween(cal, at('2026-11-23T09:00:00+07:00'), resumed.dueAt!)).toBe(3.5 * H);
  });

  it('accumulates several pauses', () => {
    let s = step(received(), 'processing', 'request_supplement', '2026-11-17T09:00:00+07:00');
    s = step(s, 'supplement_requested', 'supplement', '2026-11-17T10:00:00+07:00'); // 1 h
    s = step(s, 'processing', 'request_supplement', '2026-11-18T16:00:00+07:00');
    s = step(s, 'supplement_requested', 'supplement', '2026-11-19T08:00:00+07:00'); // 1 h + 1 h
    expect(s.pausedMs).toBe(3 * H);
    // Monday 09:00 + 3 working h: 2.5 h to 11:30, then 0.5 h after lunch.
    expect(s.dueAt).toEqual(at('2026-11-23T14:00:00+07:00'));
  });

  it('keeps the pause going from one paused state to another', () => {
    const a: StateDefinition = { key: 'waiting_citizen', clock: 'paused' };
    const b: StateDefinition = { key: 'waiting_payment', clock: 'paused' };
    const paused = step(received(), 'processing', 'request_supplement', '2026-11-20T16:00:00+07:00');
    const s = applyClock({
      state: paused,
      from: a,
      to: b,
      effects: [],
      now: at('2026-11-23T08:00:00+07:00'),
      calendar: cal,
      processingDays: 5,
    });
    expect(s).toEqual(paused);
  });

  it('settles the pause and finishes when a paused dossier is withdrawn', () => {
    const paused = step(received(), 'processing', 'request_supplement', '2026-11-20T16:00:00+07:00');
    const s = step(paused, 'supplement_requested', 'withdraw', '2026-11-23T08:00:00+07:00');
    expect(s).toEqual({
      receivedAt: at('2026-11-16T09:00:00+07:00'),
      dueAt: at('2026-11-23T11:00:00+07:00'),
      pausedAt: null,
      finishedAt: at('2026-11-23T08:00:00+07:00'),
      pausedMs: 2 * H,
    });
  });

  it('finishes on entering a stopped state, and stays finished afterwards', () => {
    let s = step(received(), 'processing', 'approve', '2026-11-19T10:00:00+07:00');
    s = step(s, 'approved', 'issue_result', '2026-11-20T10:00:00+07:00');
    expect(s.finishedAt).toEqual(at('2026-11-20T10:00:00+07:00'));
    const sent = step(s, 'result_issued', 'dispatch', '2026-11-23T10:00:00+07:00');
    const later = step(sent, 'in_transit', 'shipment_delivered', '2026-11-25T10:00:00+07:00');
    expect(later).toEqual(s);
    expect(finishedOnTime(later)).toBe(true);
  });

  it('leaves a dossier that is not yet received unaffected by pauses and stops', () => {
    const initial = initialDeadlineState();
    const submitted = step(initial, 'draft', 'submit', '2026-11-16T08:00:00+07:00');
    expect(submitted).toEqual(initial);
    const awaiting = step(submitted, 'submitted', 'request_payment', '2026-11-16T09:00:00+07:00');
    expect(awaiting).toEqual(initial);
    const withdrawn = step(awaiting, 'awaiting_payment', 'withdraw', '2026-11-17T09:00:00+07:00');
    expect(withdrawn).toEqual({ receivedAt: null, dueAt: null, pausedAt: null, finishedAt: null, pausedMs: 0 });
  });

  it('starts counting at payment when the fee is collected before receipt', () => {
    let s = step(initialDeadlineState(), 'submitted', 'request_payment', '2026-11-16T09:00:00+07:00');
    s = step(s, 'awaiting_payment', 'payment_received', '2026-11-18T09:00:00+07:00');
    expect(s).toEqual({
      receivedAt: at('2026-11-18T09:00:00+07:00'),
      dueAt: at('2026-11-25T09:00:00+07:00'),
      pausedAt: null,
      finishedAt: null,
      pausedMs: 0,
    });
  });

  it('treats a state without a clock as stopped', () => {
    const s = applyClock({
      state: received(),
      from: { key: 'processing', clock: 'running' },
      to: { key: 'archived' },
      effects: [] as Effect[],
      now: at('2026-11-18T09:00:00+07:00'),
      calendar: cal,
      processingDays: 5,
    });
    expect(s.finishedAt).toEqual(at('2026-11-18T09:00:00+07:00'));
  });

  it('does not mutate its input', () => {
    const s = received();
    const snapshot = JSON.stringify(s);
    const out = step(s, 'processing', 'request_supplement', '2026-11-20T16:00:00+07:00');
    expect(JSON.stringify(s)).toBe(snapshot);
    expect(out).not.toBe(s);
    expect(out.receivedAt).not.toBe(s.receivedAt);
  });
});

describe('isOverdue', () => {
  const s = received(); // due Monday 23 Nov 09:00

  it('is false up to the due instant and true after it', () => {
    expect(isOverdue(s, at('2026-11-23T09:00:00+07:00'))).toBe(false);
    expect(isOverdue(s, at('2026-11-23T09:00:01+07:00'))).toBe(true);
  });

  it('is false once finished, even late', () => {
    const done = { ...s, finishedAt: at('2026-11-24T09:00:00+07:00') };
    expect(isOverdue(done, at('2026-11-30T09:00:00+07:00'))).toBe(false);
    expect(finishedOnTime(done)).toBe(false);
  });

  it('is false before receipt', () => {
    expect(isOverdue(initialDeadlineState(), at('2030-01-01T00:00:00Z'))).toBe(false);
  });

  it('is frozen while paused: not overdue if paused before the due date', () => {
    const paused = { ...s, pausedAt: at('2026-11-20T16:00:00+07:00') };
    expect(isOverdue(paused, at('2026-12-15T09:00:00+07:00'))).toBe(false);
  });

  it('stays overdue while paused if it was overdue when paused', () => {
    const paused = { ...s, pausedAt: at('2026-11-24T09:00:00+07:00') };
    expect(isOverdue(paused, at('2026-12-15T09:00:00+07:00'))).toBe(true);
  });
});

describe('isDueSoon and remainingWorkingMs', () => {
  const s = received(); // due Monday 23 Nov 09:00
  const friday16 = at('2026-11-20T16:00:00+07:00');

  it('measures the working time left (Friday 16:00 -> Monday 09:00 is 3 h)', () => {
    expect(remainingWorkingMs(s, friday16, cal)).toBe(3 * H);
  });

  it('is due soon within 4 working hours, not within 2', () => {
    expect(isDueSoon(s, friday16, cal, 4 * H)).toBe(true);
    expect(isDueSoon(s, friday16, cal, 2 * H)).toBe(false);
  });

  it('is not due soon once overdue; the remaining time is negative', () => {
    const monday10 = at('2026-11-23T10:00:00+07:00');
    expect(isDueSoon(s, monday10, cal, 4 * H)).toBe(false);
    expect(remainingWorkingMs(s, monday10, cal)).toBe(-1 * H);
  });

  it('freezes the time left while paused', () => {
    const paused = { ...s, pausedAt: friday16 };
    expect(remainingWorkingMs(paused, at('2026-11-25T10:00:00+07:00'), cal)).toBe(3 * H);
  });

  it('is not due soon when finished or not received', () => {
    expect(isDueSoon({ ...s, finishedAt: friday16 }, friday16, cal, 8 * H)).toBe(false);
    expect(isDueSoon(initialDeadlineState(), friday16, cal, 8 * H)).toBe(false);
    expect(remainingWorkingMs(initialDeadlineState(), friday16, cal)).toBeNull();
  });
});

describe('time limits per channel, in days or hours', () => {
  const receive = (now: string, timeLimit: { days?: number; hours?: number } | null) => {
    const plan = planTransition(def, 'submitted', 'receive', 'clerk');
    return applyClock({
      state: initialDeadlineState(),
      from: plan.from,
      to: plan.to,
      effects: plan.effects,
      now: at(now),
      calendar: cal,
      processingDays: 5,
      timeLimit,
    });
  };

  it('a 4-hour limit received at 16:00 on a Friday ends at 10:00 on Monday (office hours only)', () => {
    // 2026-03-06 is a Friday: 16:00-17:00 is one hour, then Monday 07:00-10:00 three more.
    expect(receive('2026-03-06T16:00:00+07:00', { hours: 4 }).dueAt).toEqual(at('2026-03-09T10:00:00+07:00'));
  });

  it('days and hours add up; without a limit the procedure’s days apply', () => {
    const both = receive('2026-03-09T07:00:00+07:00', { days: 1, hours: 2 }).dueAt!;
    expect(workingTimeBetween(cal, at('2026-03-09T07:00:00+07:00'), both)).toBe(10 * H);
    const none = receive('2026-03-09T07:00:00+07:00', null).dueAt!;
    expect(workingTimeBetween(cal, at('2026-03-09T07:00:00+07:00'), none)).toBe(5 * 8 * H);
  });

  it('the channel’s own limit, else the online one, else none', () => {
    const limits = { online: { days: 3 }, counter: { hours: 4 } };
    expect(timeLimitFor(limits, 'counter')).toEqual({ hours: 4 });
    expect(timeLimitFor(limits, 'post')).toEqual({ days: 3 });
    expect(timeLimitFor(null, 'counter')).toBeNull();
  });

  it('publishing checks the limits: known channels, whole numbers, something above 0', () => {
    expect(timeLimitProblems({ online: { days: 2 }, counter: { hours: 4 } })).toEqual([]);
    expect(timeLimitProblems(undefined)).toEqual([]);
    expect(timeLimitProblems({ kiosk: { days: 1 } }).map((p) => p.path)).toEqual(['kiosk']);
    expect(timeLimitProblems({ counter: {} }).map((p) => p.path)).toEqual(['counter']);
    expect(timeLimitProblems({ counter: { hours: 1.5 } }).map((p) => p.path)).toEqual(['counter.hours']);
    expect(timeLimitProblems({ counter: { weeks: 1, days: 1 } }).map((p) => p.path)).toEqual(['counter.weeks']);
  });
});
