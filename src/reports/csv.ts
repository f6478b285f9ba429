/**
 * RFC 4180 CSV: CRLF after every record (the last one too), a field quoted
 * when it holds a comma, a double quote, CR or LF, quotes inside doubled.
 * null and undefined are empty fields; numbers are written as JavaScript
 * prints them (0.6667, 12.5), never in exponent form for report values.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Cells are strings, numbers, booleans or Dates (String() is the format documented above), never plain objects.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const s = typeof value === 'string' ? value : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header line with `columns`, then one line per row in the same column order. */
export function toCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return lines.map((l) => `${l}\r\n`).join('');
}
