import fc from 'fast-check';
import { canonicalJson, compareJsonbKeys } from './canonical-json';

/** Rebuilds a value with every object's keys in a random order (what a program, or jsonb, may do). */
function shuffled(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffled(x, rnd));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort(() => rnd() - 0.5);
  const o: Record<string, unknown> = {};
  for (const k of keys)
    Object.defineProperty(o, k, {
      value: shuffled((v as Record<string, unknown>)[k], rnd),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return o;
}

describe('canonicalJson', () => {
  it('does not depend on the order of object keys, at any depth', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), fc.integer(), (v, seed) => {
        let s = seed;
        const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
        expect(canonicalJson(shuffled(v, rnd))).toBe(canonicalJson(v));
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('is valid JSON for the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300, seed: 43 },
    );
  });

  it('writes keys in jsonb order: shorter first, then by UTF-8 bytes (integer-like keys included)', () => {
    expect(canonicalJson({ receivedAt: 1, code: 2, dueAt: 3 })).toBe('{"code":2,"dueAt":3,"receivedAt":1}');
    expect(canonicalJson({ b: 1, 10: 2, a: 3, é: 4 })).toBe('{"a":3,"b":1,"10":2,"é":4}');
    expect(['ba', 'b', 'ab', 'é', 'z'].sort(compareJsonbKeys)).toEqual(['b', 'z', 'ab', 'ba', 'é']);
  });

  it('normalises like storage does: undefined dropped, dates as ISO strings, non-finite numbers as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN, Infinity], c: new Date(Date.UTC(2026, 0, 2)) })).toBe(
      '{"b":[null,null,null],"c":"2026-01-02T00:00:00.000Z"}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(['x', null, -0, 1e21])).toBe('["x",null,0,1e+21]');
  });
});
