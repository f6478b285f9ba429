import { formatVnDateLine, formatVnDateTime, isValidDate, vnDateParts } from './datetime';

describe('Vietnam-time formatting (UTC+7, no DST)', () => {
  it('shifts by seven hours', () => {
    expect(formatVnDateTime(new Date('2025-03-05T02:15:00Z'))).toBe('05/03/2025 09:15');
  });

  it('crosses midnight and the year boundary', () => {
    expect(formatVnDateTime(new Date('2024-12-31T17:30:00Z'))).toBe('01/01/2025 00:30');
    expect(formatVnDateTime(new Date('2025-01-01T16:59:59Z'))).toBe('01/01/2025 23:59');
  });

  it('has no daylight saving (same offset in January and July)', () => {
    expect(vnDateParts(new Date('2025-01-15T00:00:00Z')).hour).toBe(7);
    expect(vnDateParts(new Date('2025-07-15T00:00:00Z')).hour).toBe(7);
  });

  it('writes the administrative date line with Decree 30 zero padding', () => {
    expect(formatVnDateLine(new Date('2025-03-05T02:00:00Z'))).toBe('ngày 05 tháng 3 năm 2025');
    expect(formatVnDateLine(new Date('2025-02-14T02:00:00Z'))).toBe('ngày 14 tháng 02 năm 2025');
    expect(formatVnDateLine(new Date('2025-12-31T18:00:00Z'))).toBe('ngày 01 tháng 01 năm 2026');
    expect(formatVnDateLine(new Date('2025-11-20T02:00:00Z'))).toBe('ngày 20 tháng 11 năm 2025');
  });

  it('rejects invalid dates', () => {
    expect(() => formatVnDateTime(new Date('nope'))).toThrow(RangeError);
    expect(() => formatVnDateLine('2025-01-01' as unknown as Date)).toThrow(RangeError);
  });

  it('accepts Dates from another realm', () => {
    const foreign = structuredClone(new Date('2025-03-05T02:15:00Z')); // Node's realm, not Jest's
    expect(isValidDate(foreign)).toBe(true);
    expect(formatVnDateTime(foreign)).toBe('05/03/2025 09:15');
    expect(isValidDate({ getTime: () => 0 })).toBe(false);
  });
});
