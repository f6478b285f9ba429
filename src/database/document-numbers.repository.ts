/**
 * The numbers of the documents an agency issues (results `KQ`, payment receipts `BL`): per agency and per year,
 * `000123/2026/...`. The table document_number_counters is written only through this fragment, which the
 * issuing repositories (src/delivery/results.repository.ts, src/payments/payments.repository.ts) put at the head
 * of their issuing statement: the counter row of (agency, year, kind) is created or incremented and stays locked
 * until the caller's transaction ends, so concurrent issues get distinct consecutive numbers and a rolled-back
 * issue gives its number back.
 */

export type DocumentKind = 'KQ' | 'BL';

/** The Vietnam-time year of a timestamptz SQL expression. */
export const vnYear = (at: string): string =>
  `extract(year FROM (${at})::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh')::int`;

/**
 * A WITH element `<name> AS (...)` that takes the next number: `agency` and `year` are SQL expressions over
 * `from` (a FROM ... WHERE clause that yields exactly one row). Its columns: agency_id, year, last_value.
 */
export function nextNumberCte(name: string, kind: DocumentKind, agency: string, year: string, from: string): string {
  return `${name} AS (
    INSERT INTO document_number_counters (agency_id, year, kind, last_value)
    SELECT ${agency}, ${year}, '${kind}', 1 ${from}
    ON CONFLICT (agency_id, year, kind) DO UPDATE SET last_value = document_number_counters.last_value + 1
    RETURNING agency_id, year, last_value)`;
}

/** `000123/2026` from the CTE's row (`c` its alias); the caller appends `/KQ`, `/BL-<agency code>`. */
export const numberPrefix = (c: string): string => `lpad(${c}.last_value::text, 6, '0') || '/' || ${c}.year`;
