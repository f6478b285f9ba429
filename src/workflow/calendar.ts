/**
 * Working-time arithmetic for processing deadlines (domain.md "Deadlines").
 *
 * - A calendar has a fixed UTC offset (Asia/Ho_Chi_Minh is UTC+7 all year, no
 *   DST), office periods in local HH:MM, working weekdays (0 = Sunday ..
 *   6 = Saturday), public holidays and compensatory working days, as local
 *   dates 'YYYY-MM-DD'.
 * - A date is a working day when it is not a holiday and either its weekday is
 *   a working weekday or it is listed in `extraWorkingDays` (a holiday wins
 *   over an extra working day if a date is in both).
 * - Working time is the time inside office periods on working days; the rest
 *   (nights, lunch break, weekends, holidays) does not count.
 * - `addWorkingTime` returns the first instant at which the amount has
 *   elapsed, so an amount that ends exactly at a period's end returns that end
 *   (17:00), not the next opening. A start outside office hours therefore
 *   effectively counts from the next opening (e.g. a dossier received Friday
 *   18:00 starts counting Monday 07:00).
 *
 * The functions walk day by day (never minute by minute) and refuse to walk
 * more than MAX_CALENDAR_DAYS days, throwing a RangeError instead of looping
 * on a calendar with no working time.
 */

import { VN_NATIONAL_DAYS_OFF } from './holidays-vn';

export interface OfficePeriod {
  /** Local 'HH:MM' (00:00..23:59). */
  start: string;
  /** Local 'HH:MM', after `start` (24:00 allowed for midnight). */
  end: string;
}

export interface WorkCalendar {
  /** Local time = UTC + this many minutes (420 for Asia/Ho_Chi_Minh). */
  utcOffsetMinutes: number;
  /** Sorted, non-overlapping office periods within one local day. */
  officeHours: OfficePeriod[];
  /** 0 = Sunday .. 6 = Saturday. */
  workingWeekdays: number[];
  /** Local dates 'YYYY-MM-DD' that are not working days. */
  holidays: string[];
  /** Local dates 'YYYY-MM-DD' worked regardless of weekday (compensatory Saturdays). */
  extraWorkingDays?: string[];
  /**
   * The national public holidays and their compensatory days (holidays-vn.ts) are days off too; `holidays`
   * adds to them and `extraWorkingDays` overrides them. Agencies have it by default (AGENCY_DEFAULT_CALENDAR).
   */
  national?: boolean;
}

export const DEFAULT_CALENDAR: WorkCalendar = Object.freeze({
  utcOffsetMinutes: 420,
  officeHours: Object.freeze([
    Object.freeze({ start: '07:00', end: '11:30' }),
    Object.freeze({ start: '13:30', end: '17:00' }),
  ]) as OfficePeriod[],
  workingWeekdays: Object.freeze([1, 2, 3, 4, 5]) as number[],
  holidays: Object.freeze([]) as unknown as string[],
  extraWorkingDays: Object.freeze([]) as unknown as string[],
});

/** A new agency's calendar: the default office hours with the national public holidays. */
export const AGENCY_DEFAULT_CALENDAR: WorkCalendar = Object.freeze({ ...DEFAULT_CALENDAR, national: true });

/** The most days any calendar walk may cover before giving up (about 10 years). */
export const MAX_CALENDAR_DAYS = 3660;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CALENDAR_PROPS = [
  'utcOffsetMinutes',
  'officeHours',
  'workingWeekdays',
  'holidays',
  'extraWorkingDays',
  'national',
];

/** Minutes since local midnight, or undefined when not 'HH:MM' ('24:00' only if allowed). */
function parseHHMM(v: unknown, allow24: boolean): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (allow24 && v === '24:00') return 24 * 60;
  const m = HHMM.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * 60 + Number(m[2]);
}

function isValidDate(v: unknown): v is string {
  if (typeof v !== 'string' || !DATE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Problems with a calendar, as human-readable strings prefixed by their path;
 * an empty list means the calendar is usable.
 */
export function validateCalendar(input: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(input)) return ['calendar: must be an object'];

  for (const k of Object.keys(input)) {
    if (!CALENDAR_PROPS.includes(k)) problems.push(`${k}: unknown property`);
  }

  const off = input.utcOffsetMinutes;
  if (typeof off !== 'number' || !Number.isInteger(off) || off < -840 || off > 840) {
    problems.push('utcOffsetMinutes: must be an integer between -840 and 840');
  }

  const hours = input.officeHours;
  if (!Array.isArray(hours)) {
    problems.push('officeHours: must be an array of {start, end}');
  } else if (hours.length === 0) {
    problems.push('officeHours: must not be empty');
  } else {
    const parsed: { i: number; s: number; e: number }[] = [];
    hours.forEach((p, i) => {
      if (!isObject(p)) {
        problems.push(`officeHours[${i}]: must be an object {start, end}`);
        return;
      }
      for (const k of Object.keys(p)) {
        if (k !== 'start' && k !== 'end') problems.push(`officeHours[${i}].${k}: unknown property`);
      }
      const s = parseHHMM(p.start, false);
      const e = parseHHMM(p.end, true);
      if (s === undefined) problems.push(`officeHours[${i}].start: ${JSON.stringify(p.start)} is not a time HH:MM`);
      if (e === undefined) problems.push(`officeHours[${i}].end: ${JSON.stringify(p.end)} is not a time HH:MM`);
      if (s !== undefined && e !== undefined) {
        if (e <= s) problems.push(`officeHours[${i}]: end ${String(p.end)} must be after start ${String(p.start)}`);
        else parsed.push({ i, s, e });
      }
    });
    for (let a = 0; a < parsed.length; a++) {
      for (let b = a + 1; b < parsed.length; b++) {
        const x = parsed[a];
        const y = parsed[b];
        if (x.s < y.e && y.s < x.e) problems.push(`officeHours[${y.i}]: overlaps officeHours[${x.i}]`);
      }
    }
  }

  const days = input.workingWeekdays;
  if (!Array.isArray(days)) {
    problems.push('workingWeekdays: must be an array of weekdays 0 (Sunday) .. 6 (Saturday)');
  } else {
    const seen = new Set<number>();
    days.forEach((d, i) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 6) {
        problems.push(`workingWeekdays[${i}]: ${JSON.stringify(d)} is not a weekday 0..6`);
      } else if (seen.has(d)) {
        problems.push(`workingWeekdays[${i}]: ${d} is listed twice`);
      } else {
        seen.add(d);
      }
    });
  }

  if (input.national !== undefined && typeof input.national !== 'boolean') {
    problems.push('national: must be true or false');
  }

  for (const prop of ['holidays', 'extraWorkingDays'] as const) {
    const list = input[prop];
    if (list === undefined && prop === 'extraWorkingDays') continue;
    if (!Array.isArray(list)) {
      problems.push(`${prop}: must be an array of dates YYYY-MM-DD`);
      continue;
    }
    list.forEach((d, i) => {
      if (!isValidDate(d)) problems.push(`${prop}[${i}]: ${JSON.stringify(d)} is not a date YYYY-MM-DD`);
    });
  }
  return problems;
}

interface Compiled {
  offsetMs: number;
  /** [start, end) in ms since local midnight, sorted. */
  periods: [number, number][];
  perDayMs: number;
  weekdays: Set<number>;
  holidays: Set<string>;
  extra: Set<string>;
}

function compile(cal: WorkCalendar): Compiled {
  const problems = validateCalendar(cal);
  if (problems.length > 0) throw new RangeError(`Invalid work calendar: ${problems.join('; ')}`);
  const periods = cal.officeHours
    .map((p): [number, number] => [parseHHMM(p.start, false)! * MINUTE_MS, parseHHMM(p.end, true)! * MINUTE_MS])
    .sort((a, b) => a[0] - b[0]);
  return {
    offsetMs: cal.utcOffsetMinutes * MINUTE_MS,
    periods,
    perDayMs: periods.reduce((sum, [s, e]) => sum + (e - s), 0),
    weekdays: new Set(cal.workingWeekdays),
    holidays: new Set(effectiveHolidays(cal)),
    extra: new Set(cal.extraWorkingDays ?? []),
  };
}

/**
 * The calendar's days off: its own `holidays`, plus, when `national`, the national days off it does not
 * override with an extra working day.
 */
export function effectiveHolidays(cal: WorkCalendar): string[] {
  if (cal.national !== true) return [...cal.holidays];
  const worked = new Set(cal.extraWorkingDays ?? []);
  return [...new Set([...VN_NATIONAL_DAYS_OFF.filter((d) => !worked.has(d)), ...cal.holidays])].sort();
}

/** 'YYYY-MM-DD' of a local day number (days since 1970-01-01 local). */
function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function workingDay(c: Compiled, day: number): boolean {
  const date = dateOfDay(day);
  if (c.holidays.has(date)) return false;
  if (c.extra.has(date)) return true;
  return c.weekdays.has(new Date(day * DAY_MS).getUTCDay());
}

function assertDate(d: Date, name: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (Number.isNaN(t)) throw new RangeError(`${name} is not a valid Date`);
  return t;
}

/** Working milliseconds in one working day (8 h for DEFAULT_CALENDAR). */
export function workingMsPerDay(cal: WorkCalendar): number {
  return compile(cal).perDayMs;
}

/** Whether the local date 'YYYY-MM-DD' is a working day in `cal`. */
export function isWorkingDay(cal: WorkCalendar, localDate: string): boolean {
  if (!isValidDate(localDate)) throw new RangeError(`"${String(localDate)}" is not a date YYYY-MM-DD`);
  const c = compile(cal);
  return workingDay(c, Math.round(new Date(`${localDate}T00:00:00Z`).getTime() / DAY_MS));
}

/** The local date 'YYYY-MM-DD' of an instant in `cal`'s timezone. */
export function localDateOf(cal: WorkCalendar, at: Date): string {
  const t = assertDate(at, 'at');
  return new Date(t + cal.utcOffsetMinutes * MINUTE_MS).toISOString().slice(0, 10);
}

/**
 * The instant at which `ms` of working time has elapsed counting from `from`.
 * `ms` = 0 returns `from` itself (same instant, even outside office hours).
 */
export function addWorkingTime(cal: WorkCalendar, from: Date, ms: number): Date {
  const t0 = assertDate(from, 'from');
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`Working time to add must be a finite number >= 0, got ${String(ms)}`);
  }
  if (ms === 0) return new Date(t0);
  const c = compile(cal);
  if (c.perDayMs <= 0) throw new RangeError('The calendar has no office hours');

  const local = t0 + c.offsetMs;
  let remaining = ms;
  let day = Math.floor(local / DAY_MS);
  for (let walked = 0; walked <= MAX_CALENDAR_DAYS; walked++, day++) {
    if (!workingDay(c, day)) continue;
    const base = day * DAY_MS;
    // Fast path: a whole working day that does not finish the amount.
    if (local <= base + c.periods[0][0] && remaining > c.perDayMs) {
      remaining -= c.perDayMs;
      continue;
    }
    for (const [ps, pe] of c.periods) {
      const start = Math.max(local, base + ps);
      const end = base + pe;
      if (start >= end) continue;
      const available = end - start;
      if (remaining <= available) return new Date(start + remaining - c.offsetMs);
      remaining -= available;
    }
  }
  throw new RangeError(`Adding ${ms} ms of working time needs more than ${MAX_CALENDAR_DAYS} days`);
}

/** Working milliseconds in [a, b); 0 when b <= a. */
export function workingTimeBetween(cal: WorkCalendar, a: Date, b: Date): number {
  const ta = assertDate(a, 'a');
  const tb = assertDate(b, 'b');
  if (tb <= ta) return 0;
  const c = compile(cal);
  const la = ta + c.offsetMs;
  const lb = tb + c.offsetMs;
  const firstDay = Math.floor(la / DAY_MS);
  const lastDay = Math.floor(lb / DAY_MS);
  if (lastDay - firstDay > MAX_CALENDAR_DAYS) {
    throw new RangeError(`Cannot measure working time over more than ${MAX_CALENDAR_DAYS} days`);
  }
  let total = 0;
  for (let day = firstDay; day <= lastDay; day++) {
    if (!workingDay(c, day)) continue;
    const base = day * DAY_MS;
    for (const [ps, pe] of c.periods) {
      const s = Math.max(la, base + ps);
      const e = Math.min(lb, base + pe);
      if (e > s) total += e - s;
    }
  }
  return total;
}

/**
 * The due date ("hẹn trả") of a dossier received at `receivedAt` with a time
 * limit of `processingDays` working days (fractions allowed, e.g. 0.5 = 4 h).
 */
export function dueDate(cal: WorkCalendar, receivedAt: Date, processingDays: number): Date {
  if (typeof processingDays !== 'number' || !Number.isFinite(processingDays) || processingDays < 0) {
    throw new RangeError(`processingDays must be a finite number >= 0, got ${String(processingDays)}`);
  }
  return addWorkingTime(cal, receivedAt, processingDays * workingMsPerDay(cal));
}
