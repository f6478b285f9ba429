import { latestEnd, parseInstant } from './dto';
import { processingMs, rate } from './indicators.service';
import { DEFAULT_CALENDAR } from '../workflow/calendar';

const iso = (s: string) => parseInstant(s)?.toISOString();

describe('report period parsing', () => {
  it('reads dates and local date-times in Asia/Ho_Chi_Minh, and zoned date-times as given', () => {
    expect(iso('2026-11-01')).toBe('2026-10-31T17:00:00.000Z');
    expect(iso('2026-11-01T08:30')).toBe('2026-11-01T01:30:00.000Z');
    expect(iso('2026-11-01T08:30:15.5')).toBe('2026-11-01T01:30:15.500Z');
    expect(iso('2026-11-01T08:30:00Z')).toBe('2026-11-01T08:30:00.000Z');
    expect(iso('2026-11-01T08:30:00-05:30')).toBe('2026-11-01T14:00:00.000Z');
    expect(iso('2028-02-29')).toBe('2028-02-28T17:00:00.000Z');
  });

  it.each([
    '',
    '2026-11',
    '2026-13-01',
    '2026-02-29',
    '2026-04-31',
    '2026-11-01T24:00',
    '2026-11-01T10:60',
    '2026-11-01 10:00',
    '2026-11-01T10:00+14:01',
    '2026-11-01T10:00+0700',
    'today',
    '1730419200000',
  ])('refuses %j', (s) => {
    expect(parseInstant(s)).toBeUndefined();
  });

  it('refuses non-strings', () => {
    expect(parseInstant(undefined)).toBeUndefined();
    expect(parseInstant(['2026-11-01'])).toBeUndefined();
  });

  it('allows a period of two calendar years at most', () => {
    expect(latestEnd(parseInstant('2026-11-01')!).toISOString()).toBe('2028-10-31T17:00:00.000Z');
  });
});

describe('indicator arithmetic', () => {
  it('rates round to 4 decimals and are null over nothing', () => {
    expect(rate(2, 3)).toBe(0.6667);
    expect(rate(0, 5)).toBe(0);
    expect(rate(5, 5)).toBe(1);
    expect(rate(0, 0)).toBeNull();
  });

  it('processing time is working time received -> finished minus the pauses, never negative', () => {
    const at = (s: string) => new Date(`${s}+07:00`);
    // Mon 08:00 -> Tue 09:00: 7 h + 2 h.
    expect(processingMs(DEFAULT_CALENDAR, at('2026-11-16T08:00:00'), at('2026-11-17T09:00:00'), 0)).toBe(9 * 3_600_000);
    // Received Friday after hours, finished Monday 08:00: 1 h.
    expect(processingMs(DEFAULT_CALENDAR, at('2026-11-13T18:00:00'), at('2026-11-16T08:00:00'), 0)).toBe(3_600_000);
    expect(processingMs(DEFAULT_CALENDAR, at('2026-11-16T08:00:00'), at('2026-11-17T09:00:00'), 2 * 3_600_000)).toBe(
      7 * 3_600_000,
    );
    expect(processingMs(DEFAULT_CALENDAR, at('2026-11-16T08:00:00'), at('2026-11-16T09:00:00'), 5 * 3_600_000)).toBe(0);
  });
});
