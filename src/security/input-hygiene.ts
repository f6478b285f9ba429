import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, ValidationFailed } from '../common/problem';

/** Objects and arrays nested deeper than this are refused (no form needs more; deeper input overflows recursive code). */
export const MAX_JSON_DEPTH = 32;
/**
 * Values (object members and array items) in one request, at most. A 400 kB body of
 * 200 000 array items otherwise costs 1.5 s of validation and a 12 MB list of errors.
 */
export const MAX_JSON_NODES = 10_000;

/** A NUL character, or a UTF-16 surrogate that is not half of a pair. */
// eslint-disable-next-line no-control-regex -- finding NUL (which Postgres text cannot store) is the point of this pattern
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text PostgreSQL cannot store as given: NUL is refused by `text` and `jsonb`
 * (a 500 before this check), and a lone surrogate is silently replaced by
 * U+FFFD in `text` (so what is stored is not what was hashed into the
 * dossier history).
 */
export function unstorable(s: string): boolean {
  return UNSTORABLE.test(s);
}

/**
 * Checks a parsed value without recursion: every string (keys too) storable,
 * nesting no deeper than `maxDepth`, no more than `maxNodes` values. Returns
 * the dotted path of the first offence and why, or null.
 */
export function findBadValue(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
  maxNodes = MAX_JSON_NODES,
): { path: string; reason: 'depth' | 'text' | 'size' } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (++nodes > maxNodes) return { path: '', reason: 'size' };
    if (typeof v === 'string') {
      if (unstorable(v)) return { path, reason: 'text' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { path, reason: 'depth' };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++)
        stack.push({ v: v[i], path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(v)) {
      const p = path ? `${path}.${key}` : key;
      if (unstorable(key)) return { path: p, reason: 'text' };
      stack.push({ v: (v as Record<string, unknown>)[key], path: p, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Fastify `preValidation` hook, for every route: path parameters, query
 * string and parsed body must hold only storable text, no absurdly deep
 * nesting and no more than MAX_JSON_NODES values (400 problem+json
 * otherwise), a body must be an object (not a bare JSON string, number,
 * boolean or null), and a multipart request must name its boundary (the
 * multipart parser otherwise fails with a 500).
 */
export function inputHygiene(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  // A promise either way: Fastify waits for a hook's promise (a hook of two parameters returning nothing would hang).
  return Promise.resolve().then(() => checkInput(req));
}

/** The checks of inputHygiene: throws the 400 problem, or returns. */
function checkInput(req: FastifyRequest): void {
  const contentType = req.headers['content-type'];
  if (
    typeof contentType === 'string' &&
    /^\s*multipart\//i.test(contentType) &&
    !/;\s*boundary=("[^"]+"|[^;\s]+)/i.test(contentType)
  ) {
    throw new BadRequest('A multipart request needs a boundary in its Content-Type.', [
      { field: 'Content-Type', message: 'multipart boundary missing' },
    ]);
  }
  // Every body this API takes is an object (or multipart, parsed later): a bare string, number, boolean or null
  // would otherwise pass validation as an empty object (ValidationPipe validates primitives as `{}`).
  if (req.body === null || ['string', 'number', 'boolean'].includes(typeof req.body)) {
    throw new BadRequest('The request body must be a JSON object.', [
      { field: 'body', message: 'expected a JSON object' },
    ]);
  }
  for (const [where, value] of [
    ['params', req.params],
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    if (value === undefined || value === null || Buffer.isBuffer(value)) continue;
    const bad = findBadValue(value);
    if (bad) {
      const field = bad.path || where;
      const why = {
        depth: [`nested deeper than ${MAX_JSON_DEPTH} levels`, 'The request is nested too deeply.'],
        size: [`more than ${MAX_JSON_NODES} values`, 'The request holds too many values.'],
        text: ['contains a NUL character or an unpaired surrogate', 'The request contains text that cannot be stored.'],
      }[bad.reason];
      throw new ValidationFailed([{ field, message: why[0] }], why[1], 400);
    }
  }
}
