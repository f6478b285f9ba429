import { formatVnd } from './money';

describe('formatVnd', () => {
  it.each([
    [0, '0 ₫'],
    [1000, '1.000 ₫'],
    [1234567, '1.234.567 ₫'],
    [100000, '100.000 ₫'],
    [200000, '200.000 ₫'],
    [7, '7 ₫'],
    [999, '999 ₫'],
    [10000000, '10.000.000 ₫'],
    [-25000, '-25.000 ₫'],
    [Number.MAX_SAFE_INTEGER, '9.007.199.254.740.991 ₫'],
  ])('formats %p as %p', (amount, expected) => {
    expect(formatVnd(amount)).toBe(expected);
  });

  it('formats -0 as zero', () => {
    expect(formatVnd(-0)).toBe('0 ₫');
  });

  it.each([1.5, 0.1, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1])('throws on %p', (amount) => {
    expect(() => formatVnd(amount)).toThrow(RangeError);
  });

  it('throws on a non-number', () => {
    expect(() => formatVnd('1000' as unknown as number)).toThrow(RangeError);
  });
});
