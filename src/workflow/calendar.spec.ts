import {
  addWorkingTime,
  DEFAULT_CALENDAR,
  dueDate,
  isWorkingDay,
  localDateOf,
  MAX_CALENDAR_DAYS,
  validateCalendar,
  WorkCalendar,
  workingMsPerDay,
  workingTimeBetween,
} from './calendar';

const H = 3_600_000;
const M = 60_000;
const at = (s: string): Date => new Date(s);
const iso = (d: Date): string => d.toISOString();
/** The expected instant, written in local time, as an ISO string in UTC. */
const local = (s: string): string => new Date(`${s}+07:00`).toISOString();

const cal = DEFAULT_CALENDAR;
/** National Day 2026 falls on Wednesday 2 September. */
const withNationalDay: WorkCalendar = { ...DEFAULT_CALENDAR, holidays: ['2026-09-02'] };

describe('DEFAULT_CALENDAR', () => {
  it('is Asia/Ho_Chi_Minh office hours, Monday to Friday', () => {
    expect(DEFAULT_CALENDAR).toEqual({
      utcOffsetMinutes: 420,
      officeHours: [
        { start: '07:00', end: '11:30' },
        { start: '13:30', end: '17:00' },
      ],
      workingWeekdays: [1, 2, 3, 4, 5],
      holidays: [],
      extraWorkingDays: [],
    });
  });

  it('has 8 working hours a day', () => {
    expect(workingMsPerDay(DEFAULT_CALENDAR)).toBe(8 * H);
  });

  it('passes its own validation', () => {
    expect(validateCalendar(DEFAULT_CALENDAR)).toEqual([]);
  });

  it('cannot be mutated by accident', () => {
    expect(() => DEFAULT_CALENDAR.holidays.push('2026-01-01')).toThrow(TypeError);
  });
});

describe('isWorkingDay', () => {
  it('counts Monday to Friday', () => {
    expect(isWorkingDay(cal, '2026-11-16')).toBe(true); // Monday
    expect(isWorkingDay(cal, '2026-11-20')).toBe(true); // Friday
  });

  it('skips Saturday and Sunday', () => {
    expect(isWorkingDay(cal, '2026-11-21')).toBe(false);
    expect(isWorkingDay(cal, '2026-11-22')).toBe(false);
  });

  it('skips holidays', () => {
    expect(isWorkingDay(withNationalDay, '2026-09-02')).toBe(false);
    expect(isWorkingDay(withNationalDay, '2026-09-03')).toBe(true);
  });

  it('counts an extra working Saturday', () => {
    const c: WorkCalendar = { ...cal, extraWorkingDays: ['2026-11-21'] };
    expect(isWorkingDay(c, '2026-11-21')).toBe(true);
    expect(isWorkingDay(c, '2026-11-28')).toBe(false);
  });

  it('lets a holiday win over an extra working day', () => {
    const c: WorkCalendar = { ...cal, holidays: ['2026-11-21'], extraWorkingDays: ['2026-11-21'] };
    expect(isWorkingDay(c, '2026-11-21')).toBe(false);
  });

  it('rejects a malformed date', () => {
    expect(() => isWorkingDay(cal, '2026-02-30')).toThrow(RangeError);
    expect(() => isWorkingDay(cal, '16/11/2026')).toThrow(RangeError);
  });
});

describe('localDateOf', () => {
  it('uses the calendar offset', () => {
    expect(localDateOf(cal, at('2026-11-20T17:30:00Z'))).toBe('2026-11-21');
    expect(localDateOf(cal, at('2026-11-20T16:59:59Z'))).toBe('2026-11-20');
  });
});

describe('addWorkingTime', () => {
  it('adds within a morning', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-16T08:00:00+07:00'), 2 * H))).toBe(local('2026-11-16T10:00:00'));
  });

  it('skips the lunch break', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-16T10:00:00+07:00'), 2 * H))).toBe(local('2026-11-16T14:00:00'));
  });

  it('counts a start during lunch from 13:30', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-16T12:00:00+07:00'), 30 * M))).toBe(local('2026-11-16T14:00:00'));
  });

  it('returns 11:30 when the amount lands exactly at the end of the morning', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-16T07:00:00+07:00'), 4.5 * H))).toBe(local('2026-11-16T11:30:00'));
  });

  it('returns 17:00, not the next opening, when the amount lands exactly at closing', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-16T13:30:00+07:00'), 3.5 * H))).toBe(local('2026-11-16T17:00:00'));
    expect(iso(addWorkingTime(cal, at('2026-11-16T07:00:00+07:00'), 8 * H))).toBe(local('2026-11-16T17:00:00'));
  });

  it('returns Friday 17:00 (not Monday 07:00) for a full day from Friday morning', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-20T07:00:00+07:00'), 8 * H))).toBe(local('2026-11-20T17:00:00'));
  });

  it('skips the weekend', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-20T15:00:00+07:00'), 3 * H))).toBe(local('2026-11-23T08:00:00'));
  });

  it('counts a start on a Saturday from Monday 07:00', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-21T10:00:00+07:00'), 1 * H))).toBe(local('2026-11-23T08:00:00'));
  });

  it('counts a filing at 18:00 on Friday from Monday 07:00', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-20T18:00:00+07:00'), 1 * H))).toBe(local('2026-11-23T08:00:00'));
  });

  it('counts a filing before opening from 07:00 the same day', () => {
    expect(iso(addWorkingTime(cal, at('2026-11-16T05:00:00+07:00'), 1 * H))).toBe(local('2026-11-16T08:00:00'));
  });

  it('skips a holiday', () => {
    // Tuesday 09:00 + 2 days: Tue 6 h, Wed holiday, Thu 8 h, Fri 2 h.
    expect(iso(addWorkingTime(withNationalDay, at('2026-09-01T09:00:00+07:00'), 16 * H))).toBe(
      local('2026-09-04T09:00:00'),
    );
    // Same without the holiday: Thursday 09:00.
    expect(iso(addWorkingTime(cal, at('2026-09-01T09:00:00+07:00'), 16 * H))).toBe(local('2026-09-03T09:00:00'));
  });

  it('works on an extra working Saturday', () => {
    const c: WorkCalendar = { ...cal, extraWorkingDays: ['2026-11-21'] };
    expect(iso(addWorkingTime(c, at('2026-11-20T15:00:00+07:00'), 3 * H))).toBe(local('2026-11-21T08:00:00'));
  });

  it('returns from itself for 0 ms, even outside office hours', () => {
    const from = at('2026-11-21T22:15:00+07:00');
    expect(addWorkingTime(cal, from, 0).getTime()).toBe(from.getTime());
  });

  it('handles a fraction of a minute', () => {
    expect(addWorkingTime(cal, at('2026-11-16T11:29:59.500+07:00'), 1000).toISOString()).toBe(
      local('2026-11-16T13:30:00.500'),
    );
  });

  it('rejects a negative or non-finite amount and an invalid date', () => {
    expect(() => addWorkingTime(cal, at('2026-11-16T08:00:00+07:00'), -1)).toThrow(RangeError);
    expect(() => addWorkingTime(cal, at('2026-11-16T08:00:00+07:00'), Infinity)).toThrow(RangeError);
    expect(() => addWorkingTime(cal, new Date('nope'), H)).toThrow(RangeError);
  });

  it('throws instead of looping forever on a calendar without working days', () => {
    const never: WorkCalendar = { ...cal, workingWeekdays: [] };
    expect(() => addWorkingTime(never, at('2026-11-16T08:00:00+07:00'), H)).toThrow(
      `more than ${MAX_CALENDAR_DAYS} days`,
    );
  });

  it('throws on an invalid calendar', () => {
    const bad: WorkCalendar = { ...cal, officeHours: [{ start: '17:00', end: '07:00' }] };
    expect(() => addWorkingTime(bad, at('2026-11-16T08:00:00+07:00'), H)).toThrow(/Invalid work calendar/);
  });

  it('honours another offset (UTC, 09:00-17:00)', () => {
    const utc: WorkCalendar = {
      utcOffsetMinutes: 0,
      officeHours: [{ start: '09:00', end: '17:00' }],
      workingWeekdays: [1, 2, 3, 4, 5],
      holidays: [],
    };
    expect(iso(addWorkingTime(utc, at('2026-11-16T16:00:00Z'), 2 * H))).toBe('2026-11-17T10:00:00.000Z');
  });
});

describe('dueDate', () => {
  it('gives 5 working days from a Monday morning', () => {
    expect(iso(dueDate(cal, at('2026-11-16T09:00:00+07:00'), 5))).toBe(local('2026-11-23T09:00:00'));
  });

  it('counts a Friday 18:00 filing from Monday 07:00', () => {
    expect(iso(dueDate(cal, at('2026-11-20T18:00:00+07:00'), 1))).toBe(local('2026-11-23T17:00:00'));
  });

  it('handles receipt at 16:00 on the eve of a holiday', () => {
    // Tue 16:00-17:00 = 1 h; Wed 2 Sep holiday; Thu 7 h: 07:00-11:30 + 13:30-16:00.
    expect(iso(dueDate(withNationalDay, at('2026-09-01T16:00:00+07:00'), 1))).toBe(local('2026-09-03T16:00:00'));
  });

  it('handles half days', () => {
    expect(iso(dueDate(cal, at('2026-11-16T07:00:00+07:00'), 0.5))).toBe(local('2026-11-16T11:00:00'));
  });

  it('spans three months (60 working days), with and without the Tết holidays', () => {
    const received = at('2026-01-05T07:00:00+07:00'); // Monday
    const due = dueDate(cal, received, 60);
    expect(iso(due)).toBe(local('2026-03-27T17:00:00')); // Friday of the 12th week
    expect(workingTimeBetween(cal, received, due)).toBe(60 * 8 * H);

    const tet: WorkCalendar = {
      ...cal,
      holidays: ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20'],
    };
    const dueTet = dueDate(tet, received, 60);
    expect(iso(dueTet)).toBe(local('2026-04-03T17:00:00'));
    expect(workingTimeBetween(tet, received, dueTet)).toBe(60 * 8 * H);
  });

  it('rejects negative processing days', () => {
    expect(() => dueDate(cal, at('2026-11-16T09:00:00+07:00'), -1)).toThrow(RangeError);
  });
});

describe('workingTimeBetween', () => {
  it('is 0 when b <= a', () => {
    expect(workingTimeBetween(cal, at('2026-11-16T10:00:00+07:00'), at('2026-11-16T09:00:00+07:00'))).toBe(0);
    expect(workingTimeBetween(cal, at('2026-11-16T10:00:00+07:00'), at('2026-11-16T10:00:00+07:00'))).toBe(0);
  });

  it('skips the lunch break', () => {
    expect(workingTimeBetween(cal, at('2026-11-16T11:00:00+07:00'), at('2026-11-16T14:00:00+07:00'))).toBe(1 * H);
  });

  it('skips a weekend', () => {
    expect(workingTimeBetween(cal, at('2026-11-20T15:00:00+07:00'), at('2026-11-23T09:00:00+07:00'))).toBe(4 * H);
  });

  it('is 0 over a whole weekend', () => {
    expect(workingTimeBetween(cal, at('2026-11-20T17:00:00+07:00'), at('2026-11-23T07:00:00+07:00'))).toBe(0);
  });

  it('is 40 h over a full week', () => {
    expect(workingTimeBetween(cal, at('2026-11-16T00:00:00+07:00'), at('2026-11-23T00:00:00+07:00'))).toBe(40 * H);
  });

  it('skips a holiday', () => {
    expect(workingTimeBetween(withNationalDay, at('2026-09-01T00:00:00+07:00'), at('2026-09-04T00:00:00+07:00'))).toBe(
      16 * H,
    );
  });

  it('counts an extra working Saturday', () => {
    const c: WorkCalendar = { ...cal, extraWorkingDays: ['2026-11-21'] };
    expect(workingTimeBetween(c, at('2026-11-20T15:00:00+07:00'), at('2026-11-23T09:00:00+07:00'))).toBe(12 * H);
  });

  it('refuses spans longer than the cap', () => {
    expect(() => workingTimeBetween(cal, at('2000-01-01T00:00:00Z'), at('2020-01-01T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('agreement with a minute-by-minute oracle', () => {
  /** Brute force: walks minute by minute; only for the test. */
  const dayCache = new Map<string, boolean>();
  function isWorkingMinute(c: WorkCalendar, t: number): boolean {
    const d = new Date(t + c.utcOffsetMinutes * M);
    const date = d.toISOString().slice(0, 10);
    if (!dayCache.has(date)) dayCache.set(date, isWorkingDay(c, date));
    if (!dayCache.get(date)) return false;
    const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
    return c.officeHours.some((p) => {
      const [sh, sm] = p.start.split(':').map(Number);
      const [eh, em] = p.end.split(':').map(Number);
      return minute >= sh * 60 + sm && minute < eh * 60 + em;
    });
  }

  const c: WorkCalendar = {
    ...cal,
    holidays: ['2026-11-18', '2026-11-26'],
    extraWorkingDays: ['2026-11-28'],
  };
  // Deterministic pseudo-random cases (LCG).
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const base = at('2026-11-14T00:00:00+07:00').getTime();
  const cases = Array.from({ length: 60 }, () => ({
    from: base + rnd(10 * 24 * 60) * M,
    minutes: rnd(4 * 8 * 60) + 1,
  }));

  it.each(cases)('addWorkingTime and workingTimeBetween match for case %#', ({ from, minutes }) => {
    let t = from;
    let left = minutes;
    while (left > 0) {
      if (isWorkingMinute(c, t)) left--;
      t += M;
    }
    const got = addWorkingTime(c, new Date(from), minutes * M).getTime();
    expect(got).toBe(t);
    expect(workingTimeBetween(c, new Date(from), new Date(t))).toBe(minutes * M);
  });
});

describe('validateCalendar', () => {
  it('rejects a non-object', () => {
    expect(validateCalendar(null)).toEqual(['calendar: must be an object']);
  });

  it('rejects bad HH:MM', () => {
    expect(validateCalendar({ ...cal, officeHours: [{ start: '7:00', end: '11:60' }] })).toEqual([
      'officeHours[0].start: "7:00" is not a time HH:MM',
      'officeHours[0].end: "11:60" is not a time HH:MM',
    ]);
  });

  it('rejects end <= start', () => {
    expect(validateCalendar({ ...cal, officeHours: [{ start: '13:30', end: '13:30' }] })).toEqual([
      'officeHours[0]: end 13:30 must be after start 13:30',
    ]);
  });

  it('rejects overlapping periods', () => {
    expect(
      validateCalendar({
        ...cal,
        officeHours: [
          { start: '07:00', end: '12:00' },
          { start: '11:30', end: '17:00' },
        ],
      }),
    ).toEqual(['officeHours[1]: overlaps officeHours[0]']);
  });

  it('accepts adjacent periods and 24:00 as an end', () => {
    expect(
      validateCalendar({
        ...cal,
        officeHours: [
          { start: '07:00', end: '12:00' },
          { start: '12:00', end: '24:00' },
        ],
      }),
    ).toEqual([]);
  });

  it('rejects empty office hours', () => {
    expect(validateCalendar({ ...cal, officeHours: [] })).toEqual(['officeHours: must not be empty']);
  });

  it('rejects bad weekdays', () => {
    expect(validateCalendar({ ...cal, workingWeekdays: [1, 7, 1.5, 1] })).toEqual([
      'workingWeekdays[1]: 7 is not a weekday 0..6',
      'workingWeekdays[2]: 1.5 is not a weekday 0..6',
      'workingWeekdays[3]: 1 is listed twice',
    ]);
  });

  it('rejects bad dates', () => {
    expect(validateCalendar({ ...cal, holidays: ['2026-02-30', '2026-9-2'], extraWorkingDays: [20260102] })).toEqual([
      'holidays[0]: "2026-02-30" is not a date YYYY-MM-DD',
      'holidays[1]: "2026-9-2" is not a date YYYY-MM-DD',
      'extraWorkingDays[0]: 20260102 is not a date YYYY-MM-DD',
    ]);
  });

  it('rejects a bad offset and unknown properties', () => {
    expect(validateCalendar({ ...cal, utcOffsetMinutes: '420', timezone: 'Asia/Ho_Chi_Minh' })).toEqual([
      'timezone: unknown property',
      'utcOffsetMinutes: must be an integer between -840 and 840',
    ]);
  });

  it('requires holidays and accepts a missing extraWorkingDays', () => {
    const { extraWorkingDays: _e, holidays: _h, ...rest } = cal;
    expect(validateCalendar(rest)).toEqual(['holidays: must be an array of dates YYYY-MM-DD']);
    expect(validateCalendar({ ...rest, holidays: [] })).toEqual([]);
  });
});
