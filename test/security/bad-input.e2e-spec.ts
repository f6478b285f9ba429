import fc from 'fast-check';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, idem, newCitizen, PDF, Session, staff, uploadDocument, workingDaysAfter } from '../support/factories';
import { auditHistory } from '../../src/security/history-audit';
import {
  Actor,
  API,
  buildFixture,
  dossierVersions,
  Fixture,
  leakIn,
  NOT_PROBLEM_JSON,
  openApiOperations,
  Operation,
  problemShapeError,
  rowCounts,
} from './support';

/**
 * Bad input, property-based (fast-check), for EVERY route of the OpenAPI
 * document: hostile path parameters, query strings, headers and bodies —
 * wrong types, huge and deeply nested JSON, unicode edge cases (NUL, lone
 * surrogates, RTL override, zero-width), SQL / NoSQL / template injection,
 * `__proto__` and `constructor.prototype` keys, malformed JSON, odd content
 * types, and multipart uploads with traversal in file names, executables and
 * polyglots, several files, broken framing.
 *
 * Every generated request is bad by construction: a JSON body always carries
 * at least one defect (an unknown field or a field of the wrong type); an
 * uploaded file is never an accepted type; and the requests run against the
 * security fixture (a dossier in processing), so ids that are real still
 * cannot lead to a write. Asserted for every answer: no 5xx; every 4xx is
 * problem+json {type, title, status}; no stack trace, SQL or driver error in
 * an error body; no 2xx from a route that writes. Asserted per route: the main
 * tables have the same row counts and every dossier the same version, state
 * and content afterwards.
 *
 * Reproduce a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS); FUZZ_SHRINK=1 shrinks it.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 16);
const SHRINK = process.env.FUZZ_SHRINK === '1';
const UPLOAD_MAX_BYTES = 32 * 1024;

// ------------------------------------------------------------------ hostile values

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE dossiers; --',
  "1' UNION SELECT password_hash FROM accounts --",
  "\\'; SELECT pg_sleep(5); --",
  "admin'--",
  '") OR ("1"="1',
  '{"$where": "sleep(5000)"}',
  '{"$gt": ""}',
  '$where',
  '$ne',
  '[$ne]=1',
  "this.constructor.constructor('return process')()",
  '{{7*7}}',
  '${7*7}',
  '<%= 7*7 %>',
  '#{7*7}',
  '{{constructor.constructor("return process")()}}',
  '*{7*7}',
  '@(7*7)',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '\r\nSet-Cookie: a=1',
  '%0d%0aSet-Cookie:a=1',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  '() { :; }; echo vulnerable',
  '`id`',
  '$(id)',
  '|id',
  ';id',
  '%s%s%s%s%n',
  '%x%x%x',
  '\\',
  '"',
  "'",
  '\\u0000',
  '%00',
  'null',
  'undefined',
  'NaN',
  'true',
  '[]',
  '{}',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
];
const UNICODE = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\udbff',
  '\u202e\u0645\u0631\u062d\u0628\u0627 gnp.exe',
  '\u200b\u200c\u200d\ufeff\u2060',
  '\u2028\u2029',
  'Z\u0351\u0360\u0335a\u0337\u0353l\u0338\u0347g\u0334\u032do\u0336',
  '𝕋𝕖𝕤𝕥 🧑‍🤝‍🧑 👩🏽‍⚕️',
  '\uffff\ufffe',
  'İıßǅ',
  'Nguyễn Văn Ấn',
  '\u00a0\u3000',
  '\u0301\u0302',
  '\u001b[31mred\u001b[0m',
  '\b\f\v\t',
  'ﷺ'.repeat(20),
];
const TRAVERSAL = [
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '....//....//etc/passwd',
  '/etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '..%c0%af..%c0%afetc',
  'C:\\boot.ini',
  '\\\\server\\share\\x',
  '../../.data/files/x.pdf',
  '.',
  '..',
  '~/.ssh/id_rsa',
  'scan.pdf\u0000.exe',
];
const SHORT_HOSTILE = [...INJECTIONS, ...UNICODE, ...TRAVERSAL];

/** Strings that fit in a URL or a header line. */
const shortString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SHORT_HOSTILE) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...SHORT_HOSTILE), fc.constantFrom(...SHORT_HOSTILE)).map(([a, b]) => a + b),
  },
);
/** Strings for bodies: the short ones and some big ones. */
const anyString = fc.oneof(
  { weight: 8, arbitrary: shortString },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'A'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 5_000 }).map((n) => '\u0645\u0631\u062d'.repeat(n)) },
);
const hostileKey = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      '$where',
      '$gt',
      '$ne',
      '{{7*7}}',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '',
      ' ',
      'a.b',
      'a[b]',
      '\u0000',
      '\ud800',
      "'; DROP TABLE x;--",
      'isAdmin',
      'role',
      'applicantId',
      'agencyId',
      'state',
      'id',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
);
const specialNumber = fc.constantFrom(
  Number.MAX_SAFE_INTEGER + 2,
  -0,
  1e308,
  -1e308,
  5e-324,
  2 ** 31,
  -(2 ** 31) - 1,
  0.1 + 0.2,
  1e21,
);
const leaf = fc.oneof(shortString, fc.integer(), fc.double(), specialNumber, fc.boolean(), fc.constant(null));

/** An object whose own keys may be `__proto__` and friends (kept as data, as JSON.parse would). */
function ownObject(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map(ownObject),
  ),
}));

/** A value that is certainly not of `type` (never null: optional fields take null as absent). */
function wrongFor(type: string): fc.Arbitrary<unknown> {
  const obj = fc.array(fc.tuple(hostileKey, leaf), { minLength: 1, maxLength: 3 }).map(ownObject);
  const arr = fc.array(leaf, { minLength: 1, maxLength: 3 });
  switch (type) {
    case 'string':
      return fc.oneof(fc.integer(), fc.double(), fc.boolean(), arr, obj);
    case 'number':
    case 'integer':
      return fc.oneof(fc.constantFrom('5', '1e3', '0x10', ' 1', '', 'NaN'), shortString, fc.boolean(), arr, obj);
    case 'boolean':
      return fc.oneof(fc.constantFrom('true', 'false', '1', ''), fc.integer(), arr, obj);
    case 'array':
      return fc.oneof(shortString, fc.integer(), fc.boolean(), obj);
    default:
      return fc.oneof(shortString, fc.integer(), fc.boolean(), arr); // object
  }
}

function nest(depth: number, asArray: boolean): string {
  return asArray ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

interface Body {
  kind: 'json' | 'raw' | 'multipart' | 'none';
  contentType?: string;
  payload?: string | Buffer;
  what: string;
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
const ODD_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'application/json; charset=utf-16',
  'application/octet-stream',
  'image/png',
  'application/vnd.api+json',
  'multipart/form-data',
];

/** A JSON body for a route whose body has these properties; always at least one defect. */
function jsonBody(props: Record<string, string>): fc.Arbitrary<Body> {
  const names = Object.keys(props);
  const extra = fc.record({
    kind: fc.constant('extra' as const),
    name: hostileKey.filter((k) => !names.includes(k)),
    value: jsonValue,
  });
  const wrong = names.length
    ? fc
        .nat({ max: names.length - 1 })
        .chain((i) =>
          wrongFor(props[names[i]]).map((value) => ({ kind: 'wrong type' as const, name: names[i], value })),
        )
    : extra;
  const withDefect = fc
    .record({
      present: fc.subarray(names),
      values: fc.array(fc.oneof(anyString, jsonValue), { minLength: names.length, maxLength: names.length }),
      defect: fc.oneof(extra, wrong),
      contentType: fc.constantFrom(...JSON_TYPES),
    })
    .map(({ present, values, defect, contentType }) => {
      const entries: [string, unknown][] = present
        .filter((n) => n !== defect.name)
        .map((n) => [n, values[names.indexOf(n)]]);
      entries.push([defect.name, defect.value]);
      return {
        kind: 'json' as const,
        contentType,
        payload: JSON.stringify(ownObject(entries)),
        what: `object (${defect.kind} ${JSON.stringify(defect.name)})`,
      };
    });
  const json = (payload: string, what: string, contentType = 'application/json'): Body => ({
    kind: 'json',
    contentType,
    payload,
    what,
  });
  return fc.oneof(
    { weight: 6, arbitrary: withDefect },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('42', '"text"', 'true', '[1,{"a":2}]', '-1e400', '"\\u0000"')
        .map((p) => json(p, 'not an object')),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"__proto__":{"isAdmin":true,"role":"admin"}}',
          '{"constructor":{"prototype":{"isAdmin":true}}}',
          '{"a":{"__proto__":{"polluted":1}}}',
          '{"__proto__":null}',
          '[{"__proto__":{"x":1}}]',
        )
        .map((p) => json(p, 'prototype keys')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 33, max: 20_000 }), fc.boolean())
        .map(([d, a]) => json(`{"${names[0] ?? 'x'}":${nest(d, a)}}`, `nested ${d}`)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          `{"${names[0] ?? 'x'}":"${'x'.repeat(1_100_000)}"}`,
          `[${'0,'.repeat(200_000)}0]`,
          `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
        )
        .map((p) => json(p, `huge (${p.length} bytes)`)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"a":',
          '{"a":1,}',
          "{'a':1}",
          'NaN',
          '{"a":1}{"b":2}',
          '\ufeff{"x":1}',
          '{"a":"\\x41"}',
          '{"a":"\\ud800"}',
          '',
          ' ',
          '{"a":01}',
        )
        .map((p) => json(p, 'malformed JSON')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...ODD_TYPES), shortString)
        .map(([ct, p]) => ({ kind: 'raw' as const, contentType: ct, payload: p, what: `as ${ct}` })),
    },
  );
}

// ------------------------------------------------------------------ multipart

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
const PE = Buffer.concat([
  Buffer.from('MZ'),
  Buffer.alloc(58),
  Buffer.from([0x80, 0, 0, 0]),
  Buffer.alloc(64),
  Buffer.from('PE\0\0'),
]);
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('word/document.xml')]);
const BAD_FILES: Record<string, Buffer> = {
  elf: ELF,
  pe: PE,
  zip: ZIP,
  'polyglot (junk, then a PDF)': Buffer.concat([Buffer.from('GIF89a;junk\n'), PDF]),
  'PDF after a BOM': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), PDF]),
  'PDF after a space': Buffer.concat([Buffer.from(' '), PDF]),
  'lower-case %pdf': Buffer.from('%pdf-1.4\n'),
  html: Buffer.from('<html><script>alert(1)</script>'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  shell: Buffer.from('#!/bin/sh\nrm -rf /\n'),
  empty: Buffer.alloc(0),
  oversize: Buffer.alloc(UPLOAD_MAX_BYTES + 1024, 0x41),
};
const MAGIC = [
  [0x25, 0x50, 0x44, 0x46, 0x2d],
  [0x89, 0x50, 0x4e, 0x47],
  [0xff, 0xd8, 0xff],
];
const notAllowed = (b: Buffer) => !MAGIC.some((m) => m.every((x, i) => b[i] === x));
const badFile = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.entries(BAD_FILES)) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 512 })
      .map((a) => Buffer.from(a))
      .filter(notAllowed)
      .map((b) => ['random bytes', b] as [string, Buffer]),
  },
);
const fileName = fc.oneof(
  fc.constantFrom(
    ...TRAVERSAL,
    'scan.pdf',
    'scan.pdf.exe',
    'photo.png',
    'a"b.pdf',
    'x\r\nContent-Type: text/html',
    '.htaccess',
    'con.pdf',
    'ảnh chụp.pdf',
  ),
  shortString,
);

function multipartBody(): fc.Arbitrary<Body> {
  const field = fc.record({
    name: fc.oneof(fc.constantFrom('documentKey', 'documentKey', 'file', 'comment'), shortString),
    value: fc.oneof(fc.constantFrom('id_card', 'attachment', 'residence_proof'), shortString),
  });
  const file = fc.record({
    field: fc.oneof({ weight: 4, arbitrary: fc.constant('file') }, { weight: 1, arbitrary: shortString }),
    name: fileName,
    type: fc.constantFrom(
      'application/pdf',
      'image/png',
      'application/x-msdownload',
      'text/html',
      'application/octet-stream',
    ),
    content: badFile,
  });
  return fc
    .record({
      fields: fc.array(field, { maxLength: 3 }),
      files: fc.array(file, { maxLength: 3 }),
      framing: fc.constantFrom(
        'ok',
        'ok',
        'ok',
        'truncated',
        'no closing boundary',
        'boundary mismatch',
        'no boundary parameter',
      ),
    })
    .map(({ fields, files, framing }) => {
      const boundary = '----fuzz7MA4YWxkTrZu0gW';
      const q = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      const chunks: Buffer[] = [];
      for (const f of fields)
        chunks.push(
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${q(f.name)}"\r\n\r\n${f.value}\r\n`),
        );
      for (const f of files) {
        chunks.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${q(f.field)}"; filename="${q(f.name)}"\r\nContent-Type: ${f.type}\r\n\r\n`,
          ),
        );
        chunks.push(f.content[1], Buffer.from('\r\n'));
      }
      if (framing !== 'no closing boundary' && framing !== 'truncated') chunks.push(Buffer.from(`--${boundary}--\r\n`));
      let payload = Buffer.concat(chunks);
      if (framing === 'truncated') payload = payload.subarray(0, Math.floor(payload.length / 2));
      const contentType =
        framing === 'boundary mismatch'
          ? 'multipart/form-data; boundary=other'
          : framing === 'no boundary parameter'
            ? 'multipart/form-data'
            : `multipart/form-data; boundary=${boundary}`;
      return {
        kind: 'multipart' as const,
        contentType,
        payload,
        what: `multipart ${fields.length} field(s), ${files.map((f) => `${f.content[0]} as "${f.name}"`).join(', ') || 'no file'}, ${framing}`,
      };
    });
}

// ------------------------------------------------------------------ requests

interface Case {
  actor: Actor;
  params: Record<string, string>;
  query: [string, string][];
  headers: [string, string][];
  body: Body;
}

/** Percent-encoding that also survives lone surrogates (sent as the bytes of one: an invalid UTF-8 sequence). */
function encodePart(s: string): string {
  let out = '';
  for (const ch of s) out += ch.length === 1 && ch >= '\ud800' && ch <= '\udfff' ? '%ED%A0%80' : encodeURIComponent(ch);
  return out;
}

/** Header values must be visible ASCII for the HTTP client; the hostile strings are squeezed into that. */
const headerValue = shortString.map((s) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 512));
const extraHeader = fc.oneof(
  fc.tuple(
    fc.constant('X-Forwarded-For'),
    fc.oneof(headerValue, fc.constantFrom('1.2.3.4, 5.6.7.8', '::1', '999.999.999.999', 'unknown', '127.0.0.1')),
  ),
  fc.tuple(fc.constant('X-Request-Id'), headerValue),
  fc.tuple(
    fc.constant('Accept'),
    fc.constantFrom('text/html', 'application/xml', '*/*', 'application/problem+json', 'image/png', ''),
  ),
  fc.tuple(fc.constant('Accept-Language'), headerValue),
  fc.tuple(fc.constant('Origin'), fc.constantFrom('https://evil.example', 'null')),
  fc.tuple(fc.constant('X-HTTP-Method-Override'), fc.constantFrom('DELETE', 'PUT', 'GET')),
  fc.tuple(fc.constant('Idempotency-Key'), headerValue),
);

/** Who calls the route in the fuzz: mostly a caller who gets past the guards (so validation and handlers are reached). */
function callersFor(op: Operation): Actor[] {
  const p = op.path;
  if (p.startsWith('/api/v1/admin/')) return ['admin'];
  if (p.startsWith('/api/v1/reports/')) return ['supervisor', 'admin'];
  if (p === '/api/v1/queue' || /\/(assign|apology)$/.test(p) || (op.method === 'post' && /\/result$/.test(p)))
    return ['clerk', 'supervisor'];
  if (p.startsWith('/api/v1/applications')) return ['owner', 'clerk'];
  return ['anon'];
}

function caseFor(op: Operation, f: Fixture): fc.Arbitrary<Case> {
  const real = realParams(op, f);
  const pathNames = op.params.filter((p) => p.in === 'path').map((p) => p.name);
  const queryNames = op.params.filter((p) => p.in === 'query').map((p) => p.name);
  const headerNames = op.params.filter((p) => p.in === 'header').map((p) => p.name);
  const params = fc.record(
    Object.fromEntries(
      pathNames.map((n) => [
        n,
        fc.oneof({ weight: 2, arbitrary: fc.constant(real[n]) }, { weight: 3, arbitrary: shortString }),
      ]),
    ),
  );
  const query = fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...(queryNames.length ? queryNames : ['q'])), shortString), { maxLength: 4 }),
      fc.array(
        fc.tuple(
          hostileKey.map((k) => k || 'empty'),
          shortString,
        ),
        { maxLength: 2 },
      ),
    )
    .map(([a, b]) => [...a, ...b]);
  const headers = fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...(headerNames.length ? headerNames : ['X-Api-Key'])), headerValue), {
        maxLength: 2,
      }),
      fc.array(extraHeader, { maxLength: 2 }),
    )
    .map(([a, b]) => [...a, ...b] as [string, string][]);
  const body: fc.Arbitrary<Body> = op.bodyTypes.includes('application/json')
    ? jsonBody(op.bodyProps)
    : /\/documents$|\/result$|\/verify\/\{code\}$/.test(op.path) && op.method === 'post'
      ? fc.oneof({ weight: 4, arbitrary: multipartBody() }, { weight: 1, arbitrary: jsonBody({}) })
      : fc.oneof(
          { weight: 3, arbitrary: fc.constant<Body>({ kind: 'none', what: 'no body' }) },
          { weight: 1, arbitrary: jsonBody({}) },
        );
  const callers = callersFor(op);
  const actor = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...callers) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Actor>('anon', 'owner', 'other', 'clerk', 'otherClerk', 'supervisor', 'admin'),
    },
  );
  return fc.record({ actor, params, query, headers, body });
}

function realParams(op: Operation, f: Fixture): Record<string, string> {
  const p: Record<string, string> = {};
  for (const { name } of op.params.filter((x) => x.in === 'path')) {
    p[name] =
      (
        {
          id: op.path.includes('/jobs/') ? '1' : f.dossier.id,
          documentId: f.documentId,
          attemptId: f.attemptId,
          txnRef: f.txnRef,
          version: '1',
          name: 'notifications',
          waybill: 'VN000000001VN',
        } as Record<string, string>
      )[name] ??
      (op.path.startsWith('/api/v1/admin/agencies')
        ? f.agencyCode
        : op.path.includes('/verify/')
          ? 'ABCDEF234567'
          : f.procedureCode);
  }
  return p;
}

describe('bad input (property-based, every route)', () => {
  let t: TestApp;
  let f: Fixture;
  let ops: Operation[];
  const stats = { requests: 0, byStatus: new Map<number, number>(), routes: 0, slowest: [] as [string, number][] };
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
        LOGIN_RATE_LIMIT: '0',
        LOGIN_IP_RATE_LIMIT: '0',
        LOOKUP_RATE_LIMIT: '0',
      },
    });
    f = await buildFixture(t);
    ops = await openApiOperations(t);
    await t.drain(); // the fixture's notifications are sent before the first snapshot
  });
  afterAll(async () => {
    console.log(
      `bad input: seed ${SEED}, ${RUNS} runs per route, ${stats.routes} routes, ${stats.requests} requests; statuses ${[
        ...stats.byStatus,
      ]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}x${n}`)
        .join(' ')}; slowest ${stats.slowest
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, ms]) => `${k} ${ms} ms`)
        .join(', ')}`,
    );
    await t.close();
  });

  async function send(op: Operation, c: Case) {
    const path = op.path.replace(/\{(\w+)\}/g, (_, n: string) => encodePart(c.params[n]) || '%20');
    const qs = c.query.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&');
    let req = t.http[op.method](qs ? `${path}?${qs}` : path);
    if (c.actor !== 'anon') req = req.set(f.sessions[c.actor].auth);
    for (const [k, v] of c.headers) req = req.set(k, v);
    if (c.body.kind !== 'none') req = req.set('Content-Type', c.body.contentType!).send(c.body.payload as never);
    const res = await req;
    stats.requests++;
    stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
    return {
      res,
      sent: `${op.method.toUpperCase()} ${path}?${qs} ${JSON.stringify(c.headers)} ${typeof c.body.payload === 'string' ? c.body.payload.slice(0, 2000) : (c.body.payload?.toString('latin1').slice(0, 2000) ?? '')}`,
    };
  }

  /** What must hold for every answer to a bad request. */
  function check(
    op: Operation,
    c: Case,
    res: { status: number; headers: Record<string, string>; body: unknown; text?: string },
    sent: string,
  ): void {
    const why = (msg: string) =>
      new Error(
        `${op.key} as ${c.actor} (${c.body.what}): ${msg}\n  request: ${sent.slice(0, 400)}\n  answer: ${res.status} ${String(res.text).slice(0, 300)}\n  seed ${SEED}`,
      );
    if (res.status >= 500) throw why('5xx');
    if (res.status >= 400 && !NOT_PROBLEM_JSON[op.key]) {
      const shape = problemShapeError(res);
      if (shape) throw why(`not problem+json: ${shape}`);
    }
    if (res.status >= 400) {
      const leak = leakIn(res.text ?? '', sent);
      if (leak) throw why(`leaks internals: ${leak}`);
    }
    if (op.method !== 'get' && res.status < 300) throw why('a route that writes accepted a bad request');
  }

  it('covers every route of the OpenAPI document', () => {
    expect(ops.length).toBeGreaterThanOrEqual(55);
  });

  it('zero 5xx, problem+json 4xx without internals, and nothing written, for every route', async () => {
    const snapshot = async () => ({
      counts: await rowCounts(t),
      dossiers: await dossierVersions(t),
      attempts: await t.db.query(`SELECT id, state FROM payment_attempts ORDER BY id`),
    });
    for (const op of ops) {
      const started = Date.now();
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(caseFor(op, f), async (c) => {
          const { res, sent } = await send(op, c);
          check(op, c, res, sent);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: !SHRINK },
      );
      stats.routes++;
      stats.slowest.push([op.key, Date.now() - started]);
      const after = await snapshot();
      expect({ route: op.key, ...after }).toEqual({ route: op.key, ...before });
    }
  }, 240_000);

  it('deterministic worst cases on every route: NUL, lone surrogate, 40-deep and 10 000-deep JSON, prototype keys, a 1.1 MB body', async () => {
    const before = await rowCounts(t);
    for (const op of ops) {
      const callers = callersFor(op);
      const params = realParams(op, f);
      const cases: Body[] = [
        {
          kind: 'json',
          contentType: 'application/json',
          payload: JSON.stringify(ownObject(Object.keys(op.bodyProps).map((k) => [k, 'a\u0000b']))).replace(
            '{}',
            '{"x":"\\u0000"}',
          ),
          what: 'NUL',
        },
        {
          kind: 'json',
          contentType: 'application/json',
          payload: `{"${Object.keys(op.bodyProps)[0] ?? 'x'}":"\\udc00"}`,
          what: 'lone surrogate',
        },
        {
          kind: 'json',
          contentType: 'application/json',
          payload: `{"${Object.keys(op.bodyProps)[0] ?? 'x'}":${nest(40, false)}}`,
          what: '40 deep',
        },
        {
          kind: 'json',
          contentType: 'application/json',
          payload: `{"${Object.keys(op.bodyProps)[0] ?? 'x'}":${nest(10_000, true)}}`,
          what: '10000 deep',
        },
        {
          kind: 'json',
          contentType: 'application/json',
          payload: '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"role":"admin"}}}',
          what: 'prototype keys',
        },
        { kind: 'json', contentType: 'application/json', payload: `{"x":"${'x'.repeat(1_100_000)}"}`, what: '1.1 MB' },
      ];
      const expected: Record<string, number> = {
        NUL: 400,
        'lone surrogate': 400,
        '40 deep': 400,
        '10000 deep': 400,
        'prototype keys': 400,
        '1.1 MB': 413,
      };
      if (op.method === 'get') {
        // A GET takes no body here: the hostile values go in the query string.
        for (const [q, what] of [
          ['a\u0000b', 'NUL'],
          ['x\u0000', 'NUL at the end'],
        ] as const) {
          const c: Case = {
            actor: callers[0],
            params,
            query: [
              ['q', q],
              ['__proto__', '{{7*7}}'],
            ],
            headers: [],
            body: { kind: 'none', what },
          };
          const { res, sent } = await send(op, c);
          check(op, c, res, sent);
          if (res.status !== 400)
            throw new Error(`${op.key}: ${what} in the query string answered ${res.status}, expected 400`);
        }
        continue;
      }
      for (const body of cases) {
        const c: Case = { actor: callers[0], params, query: [], headers: [], body };
        const { res, sent } = await send(op, c);
        check(op, c, res, sent);
        if (res.status !== expected[body.what])
          throw new Error(
            `${op.key}: ${body.what} answered ${res.status} ${res.text?.slice(0, 200)}, expected ${expected[body.what]}`,
          );
      }
    }
    expect(await rowCounts(t)).toEqual(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  }, 120_000);

  describe('hostile text where free text is accepted: refused with 4xx, or stored exactly as sent', () => {
    let citizen: Session & { idNumber: string };
    let clerk: Session;
    let draftId: string;
    let receivedId: string;
    beforeAll(async () => {
      citizen = await newCitizen(t);
      clerk = await staff(t, 'clerk', 'bennghe');
      draftId = (
        await t.http
          .post(`${API}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: DEMO.birthExtract })
          .expect(201)
      ).body.id;
      const d = (
        await t.http
          .post(`${API}/applications`)
          .set(citizen.auth)
          .send({
            procedureCode: DEMO.birthExtract,
            formData: { fullName: 'Phạm Minh Tuấn', dateOfBirth: '1988-02-29', copies: 1 },
          })
          .expect(201)
      ).body.id;
      await uploadDocument(t, citizen, d, 'id_card').expect(201);
      await t.http.post(`${API}/applications/${d}/submit`).set(citizen.auth).set(idem()).expect(200);
      await t.http.post(`${API}/applications/${d}/actions/receive`).set(clerk.auth).send({}).expect(200);
      receivedId = d;
    });

    const text = fc.oneof(anyString, fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }));

    it('a form field of a draft (jsonb)', async () => {
      await fc.assert(
        fc.asyncProperty(text, async (s) => {
          const res = await t.http
            .patch(`${API}/applications/${draftId}`)
            .set(citizen.auth)
            .send({ formData: { fullName: s } });
          if (res.status >= 500 || problemShapeError(res))
            throw new Error(`${res.status} ${res.text?.slice(0, 200)} (seed ${SEED})`);
          if (res.status === 200) {
            const back = await t.http.get(`${API}/applications/${draftId}`).set(citizen.auth).expect(200);
            expect(back.body.formData.fullName).toBe(s);
          }
        }),
        { numRuns: 25, seed: SEED, endOnFailure: !SHRINK },
      );
    });

    it('the name of a new account (text)', async () => {
      await fc.assert(
        fc.asyncProperty(text, async (s) => {
          const before = (await rowCounts(t, ['accounts'])).accounts;
          const email = `fz-${Math.random().toString(36).slice(2, 10)}@example.vn`;
          const res = await t.http.post(`${API}/auth/register`).send({
            email,
            password: 'Fuzz-pass-2026',
            fullName: s,
            idNumber: String(Math.floor(1e11 + Math.random() * 9e11)),
            phone: `09${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
          });
          if (res.status >= 500 || problemShapeError(res))
            throw new Error(`${res.status} ${res.text?.slice(0, 200)} (seed ${SEED})`);
          const [row] = await t.db.query(`SELECT full_name FROM accounts WHERE email = $1`, [email]);
          if (res.status === 201) expect(row.full_name).toBe(s.trim());
          else expect([row, (await rowCounts(t, ['accounts'])).accounts]).toEqual([undefined, before]);
        }),
        { numRuns: 25, seed: SEED, endOnFailure: !SHRINK },
      );
    });

    it('a history comment (the apology reason): stored exactly, and the hash chain still verifies', async () => {
      let day = 30;
      await fc.assert(
        fc.asyncProperty(text, async (s) => {
          const newDueAt = (await workingDaysAfter(t, receivedId, new Date(), day++)).toISOString();
          const res = await t.http
            .post(`${API}/applications/${receivedId}/apology`)
            .set(clerk.auth)
            .send({ reason: s, newDueAt });
          if (res.status >= 500 || problemShapeError(res))
            throw new Error(`${res.status} ${res.text?.slice(0, 200)} (seed ${SEED})`);
          if (res.status === 200) {
            const h = await t.http.get(`${API}/applications/${receivedId}/history`).set(citizen.auth).expect(200);
            expect(h.body.at(-1)).toMatchObject({ action: 'apology', comment: s.trim() });
          }
        }),
        { numRuns: 25, seed: SEED, endOnFailure: !SHRINK },
      );
      const audit = await auditHistory((sql, p) => t.db.query(sql, p));
      expect(audit.findings).toEqual([]);
    });
  });
});
