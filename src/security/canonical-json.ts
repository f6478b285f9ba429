/**
 * JSON text that does not depend on the order a program happened to insert
 * object keys in: keys are written in PostgreSQL `jsonb` order (shorter keys
 * first, then by UTF-8 bytes). A value hashed before it is stored in a `jsonb`
 * column and the same value read back afterwards give the same text, so a
 * hash over it can be recomputed from the database (see `historyHash`).
 *
 * The value is first normalised the way it is when stored (`JSON.stringify`
 * semantics: `toJSON`, `undefined` dropped in objects and `null` in arrays,
 * non-finite numbers become `null`).
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return 'null';
  return write(JSON.parse(text));
}

/** PostgreSQL's jsonb key order (`lengthCompareJsonbString`): byte length first, then the bytes. */
export function compareJsonbKeys(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length !== y.length ? x.length - y.length : Buffer.compare(x, y);
}

function write(v: unknown): string {
  // Iterative over depth would be safer, but values reaching here were parsed
  // from requests limited to a small nesting depth (src/security/input-hygiene.ts).
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort(compareJsonbKeys);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${write(o[k])}`).join(',')}}`;
}
