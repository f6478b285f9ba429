/**
 * Money formatting for Vietnamese documents. Amounts are integer đồng (VND
 * has no minor unit in practice). Written by hand rather than with
 * `Intl.NumberFormat('vi-VN')` so the output does not depend on the ICU data
 * Node was built with (small-icu builds fall back to en-US grouping).
 */

/** `200000` → `"200.000 ₫"`: thousands grouped with dots, a plain space, then the đồng sign. */
export function formatVnd(amount: number): string {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    throw new RangeError(`VND amount must be a safe integer, got ${String(amount)}`);
  }
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount));
  let grouped = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) grouped += '.';
    grouped += digits[i];
  }
  return `${sign}${grouped} ₫`;
}
