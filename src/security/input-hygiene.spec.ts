import { findBadValue, MAX_JSON_DEPTH, MAX_JSON_NODES, unstorable } from './input-hygiene';

describe('input hygiene', () => {
  it.each([
    ['a NUL', 'a\u0000b', true],
    ['a lone high surrogate', 'x\ud800', true],
    ['a lone low surrogate', '\udc00y', true],
    ['a reversed pair', '\udc00\ud800', true],
    ['a surrogate pair (an emoji)', '🧑‍🤝‍🧑 𝕋', false],
    ['Vietnamese', 'Nguyễn Văn Ấn', false],
    ['RTL override and zero-width characters (storable; judged elsewhere)', '\u202e\u200b\ufeff', false],
    ['other control characters', '\u0001\u001f\u007f', false],
  ])('%s: unstorable = %s', (_what, s, expected) => {
    expect(unstorable(s)).toBe(expected);
  });

  it('finds unstorable text in values and keys, with its path', () => {
    expect(findBadValue({ a: [1, { b: 'ok', c: 'x\u0000' }] })).toEqual({ path: 'a.1.c', reason: 'text' });
    expect(findBadValue({ ok: { ['k\ud800']: 1 } })).toEqual({ path: 'ok.k\ud800', reason: 'text' });
    expect(findBadValue({ a: 'fine', b: [1, 2, null, true] })).toBeNull();
    expect(findBadValue('plain string')).toBeNull();
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH}, without recursion (a million levels do not overflow the stack)`, () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(findBadValue(deep)).toBeNull();
    expect(findBadValue([deep])?.reason).toBe('depth');
    let huge: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) huge = { a: huge };
    expect(findBadValue(huge)?.reason).toBe('depth');
  });

  it(`refuses more than ${MAX_JSON_NODES} values`, () => {
    expect(findBadValue(new Array(MAX_JSON_NODES - 1).fill(0))).toBeNull();
    expect(findBadValue(new Array(MAX_JSON_NODES + 1).fill(0))).toEqual({ path: '', reason: 'size' });
  });
});
