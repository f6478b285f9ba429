/**
 * Dates on printed documents are shown in Vietnam time (Asia/Ho_Chi_Minh),
 * which is a fixed UTC+7 with no daylight saving, so no tz database is needed.
 */

const VN_OFFSET_MS = 7 * 3_600_000;

export interface VnDateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** True for a valid Date, also one from another realm (where `instanceof Date` is false). */
export function isValidDate(d: unknown): d is Date {
  return Object.prototype.toString.call(d) === '[object Date]' && !Number.isNaN((d as Date).getTime());
}

export function vnDateParts(d: Date): VnDateParts {
  if (!isValidDate(d)) {
    throw new RangeError(`Expected a valid Date, got ${String(d)}`);
  }
  const s = new Date(d.getTime() + VN_OFFSET_MS);
  return {
    year: s.getUTCFullYear(),
    month: s.getUTCMonth() + 1,
    day: s.getUTCDate(),
    hour: s.getUTCHours(),
    minute: s.getUTCMinutes(),
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `dd/MM/yyyy HH:mm` in Vietnam time. */
export function formatVnDateTime(d: Date): string {
  const p = vnDateParts(d);
  return `${pad2(p.day)}/${pad2(p.month)}/${p.year} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

/**
 * The date line of an administrative document, `ngày 05 tháng 3 năm 2025`:
 * days below 10 and months below 3 take a leading zero (Decree 30/2020/NĐ-CP).
 */
export function formatVnDateLine(d: Date): string {
  const p = vnDateParts(d);
  const month = p.month < 3 ? pad2(p.month) : String(p.month);
  return `ngày ${pad2(p.day)} tháng ${month} năm ${p.year}`;
}
