import { ConfigService } from '@nestjs/config';
import { signBody } from '../../src/delivery/postal/postal.protocol';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, PDF } from '../support/factories';
import {
  Actor,
  ACTORS,
  API,
  buildFixture,
  Fixture,
  NOT_PROBLEM_JSON,
  openApiOperations,
  Operation,
  problemShapeError,
  randomId,
} from './support';

/**
 * The access matrix: EVERY (method, path) of the OpenAPI document is called
 * by every kind of caller, with real ids in the path (the owner's dossier at
 * Sở Tư pháp, its document, its paid attempt...), and compared with the table
 * below.
 *
 * "Allowed" — a response that shows the caller got past authentication, the
 * role check and the scope check: any 2xx or 3xx, and any 4xx other than 401,
 * 403 and 404 (a 400, 409, 415, 422 or 429 is an answer about the request or
 * the dossier's state, which only a caller who may use the route ever gets).
 * "Refused" — 401, 403 or 404 (404 is how the portal hides what the caller may
 * not see). A 5xx fails the test by itself.
 *
 * The assertions: (1) the routes in the OpenAPI document are exactly the keys
 * of the table, so a new route fails this test until someone decides who may
 * call it; (2) zero unexpected allows: a caller not listed for a route is
 * refused; (3) a caller listed for a route is not refused (unless the row says
 * why it may be, e.g. the fixture has no result yet) so the table stays honest;
 * (4) list routes do not show the dossier to callers outside its scope.
 */

type Params = Record<string, string>;
interface RouteSpec {
  /** Who may use the route (on this dossier). Everyone else must be refused. */
  allow: readonly Actor[];
  /** JSON body (built for the caller); a body that passes validation, so that scope decides. */
  body?: (f: Fixture, actor: Actor) => object;
  /** A multipart body (one PDF), for upload routes. */
  multipart?: { documentKey?: string };
  query?: (f: Fixture) => Params;
  headers?: (f: Fixture, t: TestApp) => Params;
  /** Path parameters beyond the defaults (see `pathParams`). */
  params?: (f: Fixture, actor: Actor) => Params;
  /** Callers who get a list and must not find the owner's dossier in it. */
  mustNotSee?: readonly Actor[];
  /** Why a listed caller may still be refused on this fixture. */
  mayRefuse?: string;
}

const PUBLIC: readonly Actor[] = ACTORS;
const SIGNED_IN: readonly Actor[] = ['owner', 'other', 'clerk', 'otherClerk', 'supervisor', 'admin'];
const CITIZENS: readonly Actor[] = ['owner', 'other'];
/** Who sees the owner's dossier: the owner, the staff of its agency, an admin (read-only). */
const DOSSIER_READERS: readonly Actor[] = ['owner', 'clerk', 'supervisor', 'admin'];
/** Who works on it: the owner and the staff of its agency. */
const DOSSIER_WORKERS: readonly Actor[] = ['owner', 'clerk', 'supervisor'];
const AGENCY_STAFF: readonly Actor[] = ['clerk', 'supervisor'];
const ADMIN: readonly Actor[] = ['admin'];

/** The account id in a session's access token. */
const subOf = (s: { token: string }): string =>
  JSON.parse(Buffer.from(s.token.split('.')[1], 'base64url').toString()).sub;

const period = () => ({ from: '2026-01-01T00:00:00+07:00', to: '2027-01-01T00:00:00+07:00' });

/**
 * The table. Actions use, for each caller, an action its role could take in
 * the workflow, so that a scope bug would show as a 200/409/422 (allowed), not
 * hide behind a role refusal: a citizen `resubmit`s (the owner gets 409: the
 * dossier is processing) and a stranger citizen tries `withdraw`; staff ask for
 * a supplement without the required comment (422 for the agency's staff).
 */
const ACCESS: Record<string, RouteSpec> = {
  // ---- accounts (anyone; staff sign in the same way)
  'POST /api/v1/auth/register': { allow: PUBLIC, body: () => ({}) },
  'POST /api/v1/auth/login': { allow: PUBLIC, body: () => ({}) },
  'POST /api/v1/auth/refresh': { allow: PUBLIC, body: () => ({}) },
  'POST /api/v1/auth/logout': { allow: PUBLIC, body: () => ({}) },
  // An unknown field (400) keeps the fixture's sessions alive; a signed-in caller gets that far, a stranger gets 401.
  'POST /api/v1/auth/logout-all': { allow: SIGNED_IN, body: () => ({ everywhere: true }) },
  'POST /api/v1/auth/password': { allow: SIGNED_IN, body: () => ({}) },
  'POST /api/v1/auth/password/forgot': { allow: PUBLIC, body: () => ({}) },
  'POST /api/v1/auth/password/reset': { allow: PUBLIC, body: () => ({}) },
  // National eID: starting a mobile sign-in is public (the sandbox provider in tests); the exchange needs a flow.
  'GET /api/v1/auth/eid/start': { allow: PUBLIC },
  'POST /api/v1/auth/eid/token': { allow: PUBLIC, body: () => ({}) },

  // ---- administration
  'GET /api/v1/admin/agencies': { allow: ADMIN },
  'POST /api/v1/admin/agencies': { allow: ADMIN, body: () => ({}) },
  'PATCH /api/v1/admin/agencies/{code}': { allow: ADMIN, body: () => ({ name: 42 }) },
  'POST /api/v1/admin/staff': { allow: ADMIN, body: () => ({}) },
  'GET /api/v1/admin/staff': { allow: ADMIN, query: (f) => ({ agencyCode: f.agencyCode }) },
  'POST /api/v1/admin/staff/{id}/password-reset': { allow: ADMIN, params: (f) => ({ id: subOf(f.sessions.clerk) }) },
  // The admin's own account: 409 (an admin cannot disable themselves), so no fixture session ends.
  'POST /api/v1/admin/accounts/{id}/disable': { allow: ADMIN, params: (f) => ({ id: subOf(f.sessions.admin) }) },
  'POST /api/v1/admin/accounts/{id}/enable': { allow: ADMIN, params: (f) => ({ id: f.owner.id! }) },
  'POST /api/v1/admin/accounts/{id}/mfa/reset': { allow: ADMIN, params: (f) => ({ id: f.spareStaffId }) },
  'POST /api/v1/admin/procedures': { allow: ADMIN, body: () => ({}) },
  'GET /api/v1/admin/procedures/{code}/versions': { allow: ADMIN },
  'POST /api/v1/admin/procedures/{code}/versions': { allow: ADMIN, body: () => ({}) },
  'POST /api/v1/admin/procedures/{code}/versions/{version}/publish': { allow: ADMIN },
  'GET /api/v1/admin/queues': { allow: ADMIN },
  'GET /api/v1/admin/queues/{name}/failed': { allow: ADMIN },
  'POST /api/v1/admin/queues/{name}/jobs/{id}/retry': {
    allow: ADMIN,
    params: () => ({ id: '999999' }),
    mayRefuse: 'no such failed job: 404',
  },
  'GET /api/v1/admin/notifications': { allow: ADMIN },

  // ---- catalog and public lookup
  'GET /api/v1/procedures': { allow: PUBLIC },
  'GET /api/v1/procedures/{code}': { allow: PUBLIC },
  'GET /api/v1/lookup': { allow: PUBLIC, query: (f) => ({ code: f.dossier.code, idNumber: f.owner.idNumber }) },

  // ---- dossiers
  'POST /api/v1/applications': { allow: CITIZENS, body: () => ({ procedureCode: DEMO.birthExtract }) },
  'GET /api/v1/applications': { allow: SIGNED_IN, mustNotSee: ['other', 'otherClerk'] },
  'GET /api/v1/applications/{id}': { allow: DOSSIER_READERS },
  'PATCH /api/v1/applications/{id}': { allow: DOSSIER_WORKERS, body: () => ({ formData: {} }) },
  'GET /api/v1/applications/{id}/history': { allow: DOSSIER_READERS },
  'POST /api/v1/applications/{id}/submit': {
    allow: ['owner'],
    headers: () => ({ 'Idempotency-Key': `matrix-${randomId()}` }),
  },
  'POST /api/v1/applications/{id}/actions/{action}': {
    allow: DOSSIER_WORKERS,
    body: () => ({}),
    params: (_f, actor) => ({
      action: actor === 'owner' ? 'resubmit' : actor === 'other' ? 'withdraw' : 'request_supplement',
    }),
  },
  'POST /api/v1/applications/{id}/assign': { allow: AGENCY_STAFF, body: () => ({}) },
  'POST /api/v1/applications/{id}/apology': {
    allow: AGENCY_STAFF,
    body: () => ({ reason: 'Cần xác minh thêm', newDueAt: '2000-01-01T00:00:00Z' }),
  },
  'POST /api/v1/applications/{id}/rating': { allow: ['owner'], body: () => ({ score: 5 }) },
  'POST /api/v1/applications/{id}/documents': { allow: DOSSIER_WORKERS, multipart: { documentKey: 'id_card' } },
  // Issue 13 "do not ask twice": a source that is no earlier document of the citizen is a 422 for those who may reuse.
  'POST /api/v1/applications/{id}/documents/reuse': {
    allow: DOSSIER_WORKERS,
    body: () => ({ documentKey: 'id_card', sourceDocumentId: '00000000-0000-4000-8000-000000000000' }),
  },
  'GET /api/v1/applications/{id}/documents': { allow: DOSSIER_READERS },
  'GET /api/v1/applications/{id}/documents/{documentId}': { allow: DOSSIER_READERS },
  // Issue 13 counter intake, for the fixture's procedure (Sở Tư pháp): an incomplete form is the agency staff's 422,
  // and Bến Nghé's clerk's too (province-wide acceptance: a counter receives for every agency of its province,
  // H56; a counter of another province is refused: test/province-counter.e2e-spec.ts).
  'POST /api/v1/counter/applications': {
    allow: [...AGENCY_STAFF, 'otherClerk'],
    body: (f) => ({
      procedureCode: f.procedureCode,
      applicant: { idNumber: '079090000001', fullName: 'Lê Thị Hoa' },
      formData: {},
    }),
  },
  'GET /api/v1/queue': { allow: ['clerk', 'otherClerk', 'supervisor'], mustNotSee: ['otherClerk'] },

  // ---- payments
  'POST /api/v1/applications/{id}/payments': { allow: ['owner'], body: () => ({ provider: 'vnpay' }) },
  'GET /api/v1/applications/{id}/payments': { allow: DOSSIER_READERS },
  'GET /api/v1/applications/{id}/payments/{attemptId}/receipt': { allow: DOSSIER_READERS },
  'GET /api/v1/reports/payments': { allow: ['supervisor', 'admin'], query: period },
  'GET /api/v1/payments/vnpay/ipn': { allow: PUBLIC, query: (f) => ({ vnp_TxnRef: f.txnRef, vnp_SecureHash: '00' }) },
  'GET /api/v1/payments/vnpay/return': {
    allow: PUBLIC,
    query: (f) => ({ vnp_TxnRef: f.txnRef, vnp_SecureHash: '00' }),
  },

  // ---- results
  'POST /api/v1/applications/{id}/result': { allow: AGENCY_STAFF, multipart: {} },
  'GET /api/v1/applications/{id}/result': { allow: DOSSIER_WORKERS, mayRefuse: 'no result issued yet: 404' },
  // Issue 13: the official forms. The fixture's dossier is received, so form 01 applies.
  'GET /api/v1/applications/{id}/forms/{form}': { allow: DOSSIER_READERS, params: () => ({ form: '01' }) },
  // Form 06 of the dossier's agency: another agency's clerk naming it is refused (404).
  'GET /api/v1/reports/tracking-log': {
    allow: ['clerk', 'supervisor', 'admin'],
    query: (f) => ({ from: '2026-01-01', to: '2026-12-31', agencyCode: f.agencyCode }),
  },
  'POST /api/v1/applications/{id}/result/link': { allow: ['owner'] },
  'GET /api/v1/results/download': {
    allow: PUBLIC,
    query: () => ({ token: 'not-a-valid-link-token' }),
    mayRefuse: 'a forged link: 401/404',
  },
  'GET /api/v1/verify/{code}': { allow: PUBLIC, mayRefuse: 'unknown verification code: 404' },
  'POST /api/v1/verify/{code}': { allow: PUBLIC, multipart: {}, mayRefuse: 'unknown verification code: 404' },
  'GET /api/v1/reports/indicators': { allow: ['supervisor', 'admin'], query: period },

  // ---- operations
  'GET /api/v1/health': { allow: PUBLIC },
  'GET /api/v1/health/details': { allow: ADMIN },

  // ---- provider callbacks and the built-in provider sandboxes (public by nature; never mounted in production)
  'POST /api/v1/postal/webhook': {
    allow: PUBLIC,
    body: () => ({}),
    headers: (_f, t) => ({
      'x-postal-signature': signBody(t.app.get(ConfigService).get('POSTAL_WEBHOOK_SECRET')!, '{}'),
    }),
  },
  'GET /api/v1/sandbox/vnpay/pay': { allow: PUBLIC },
  'GET /api/v1/sandbox/vnpay/pay/{txnRef}/decide': { allow: PUBLIC, query: () => ({ outcome: 'pay' }) },
  'POST /api/v1/sandbox/vnpay/transactions/{txnRef}/complete': {
    allow: PUBLIC,
    body: () => ({ outcome: 'pay', ipn: 'skip' }),
  },
  'POST /api/v1/sandbox/vnpay/api/transaction': { allow: PUBLIC, body: () => ({}) },
  'POST /api/v1/sandbox/postal/api/shipments': { allow: PUBLIC, body: () => ({}) },
  'POST /api/v1/sandbox/postal/shipments/{waybill}/events': { allow: PUBLIC, body: () => ({}) },
  'GET /api/v1/sandbox/postal/shipments': { allow: PUBLIC },
  'POST /api/v1/sandbox/sms/messages': { allow: PUBLIC, body: () => ({}) },
  'GET /api/v1/sandbox/sms/messages': { allow: PUBLIC },
};

/** Real values for the path parameters, by route. */
function pathParams(op: Operation, f: Fixture): Params {
  const p: Params = {};
  for (const { name } of op.params.filter((x) => x.in === 'path')) {
    if (name === 'id') p.id = f.dossier.id;
    else if (name === 'documentId') p.documentId = f.documentId;
    else if (name === 'attemptId') p.attemptId = f.attemptId;
    else if (name === 'txnRef') p.txnRef = f.txnRef;
    else if (name === 'version') p.version = '1';
    else if (name === 'name') p.name = 'notifications';
    else if (name === 'code') {
      p.code = op.path.startsWith('/api/v1/admin/agencies')
        ? f.agencyCode
        : op.path.startsWith('/api/v1/verify')
          ? 'ABCDEF234567'
          : f.procedureCode;
    } else p[name] = randomId(); // a value that cannot be made real: a random id
  }
  return p;
}

type Outcome = 'allowed' | 'refused' | 'error';
function classify(status: number): Outcome {
  if (status >= 500) return 'error';
  return status === 401 || status === 403 || status === 404 ? 'refused' : 'allowed';
}

describe('access matrix (every OpenAPI route x every kind of caller)', () => {
  let t: TestApp;
  let f: Fixture;
  let ops: Operation[];
  beforeAll(async () => {
    t = await createTestApp();
    f = await buildFixture(t);
    ops = await openApiOperations(t);
  });
  afterAll(() => t.close());

  /** One call of a route as a caller, with the row's body, query, headers and real path parameters. */
  function call(op: Operation, actor: Actor) {
    const spec = ACCESS[op.key];
    const params = { ...pathParams(op, f), ...(spec.params?.(f, actor) ?? {}) };
    const url = op.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(params[n]));
    let req = t.http[op.method](url);
    if (actor !== 'anon') req = req.set(f.sessions[actor].auth);
    if (spec.query) req = req.query(spec.query(f));
    if (spec.headers) req = req.set(spec.headers(f, t));
    if (spec.multipart) {
      if (spec.multipart.documentKey) req = req.field('documentKey', spec.multipart.documentKey);
      req = req.attach('file', PDF, 'scan.pdf');
    } else if (spec.body) {
      req = req.send(spec.body(f, actor));
    }
    return req;
  }

  it('the table names exactly the routes of the OpenAPI document (a new route fails here until it is added)', () => {
    const inDocument = ops.map((o) => o.key).sort();
    const inTable = Object.keys(ACCESS).sort();
    expect({
      missingFromTable: inDocument.filter((k) => !inTable.includes(k)),
      notInDocument: inTable.filter((k) => !inDocument.includes(k)),
    }).toEqual({ missingFromTable: [], notInDocument: [] });
  });

  it('zero unexpected allows: everyone outside the table is refused (401/403/404); the listed callers get in', async () => {
    const unexpected: string[] = [];
    const wronglyRefused: string[] = [];
    const failures: string[] = [];
    const matrix: string[] = [];
    for (const op of ops) {
      const spec = ACCESS[op.key];
      if (!spec) continue; // reported by the test above
      const cells: string[] = [];
      for (const actor of ACTORS) {
        const res = await call(op, actor);
        const outcome = classify(res.status);
        cells.push(`${actor}:${res.status}`);
        const permitted = spec.allow.includes(actor);
        const shape = NOT_PROBLEM_JSON[op.key] ? null : problemShapeError(res);
        if (outcome === 'error') failures.push(`${op.key} as ${actor}: ${res.status} ${res.text?.slice(0, 200)}`);
        if (shape) failures.push(`${op.key} as ${actor}: ${res.status} is not problem+json (${shape})`);
        if (outcome === 'allowed' && !permitted)
          unexpected.push(`${op.key} as ${actor}: ${res.status} ${res.text?.slice(0, 120)}`);
        if (outcome === 'refused' && permitted && !spec.mayRefuse)
          wronglyRefused.push(`${op.key} as ${actor}: ${res.status} ${res.text?.slice(0, 120)}`);
        if (spec.mustNotSee?.includes(actor) && res.text?.includes(f.dossier.id))
          unexpected.push(`${op.key} as ${actor}: the answer lists the owner's dossier`);
      }
      matrix.push(`${op.key.padEnd(70)} ${cells.join(' ')}`);
    }
    if (unexpected.length || wronglyRefused.length || failures.length)
      console.log(`access matrix:\n${matrix.join('\n')}`);
    expect({ unexpected, wronglyRefused, failures }).toEqual({ unexpected: [], wronglyRefused: [], failures: [] });
    // Sanity: every route was exercised by all seven callers.
    expect(matrix).toHaveLength(ops.length);
    expect(ops.length).toBe(Object.keys(ACCESS).length);
  });

  it('no cross-origin access by default (CORS_ORIGINS empty): no Access-Control-Allow-Origin for any origin', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:3000', 'null']) {
      const res = await t.http.get(`${API}/procedures`).set('Origin', origin).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await t.http
        .options(`${API}/applications`)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('another citizen and a clerk of another agency cannot reach the dossier by any id-bearing route, even knowing every id', async () => {
    // The same rule from the other side: every route with the dossier's id in its path, as the two strangers, is 401/403/404.
    const withId = ops.filter((o) => o.path.includes('/applications/{id}'));
    expect(withId.length).toBeGreaterThanOrEqual(15);
    const before = (await t.http.get(`${API}/applications/${f.dossier.id}`).set(f.sessions.owner.auth).expect(200))
      .body;
    for (const actor of ['other', 'otherClerk'] as const) {
      for (const op of withId) {
        const res = await call(op, actor);
        expect([op.key, actor, classify(res.status)]).toEqual([op.key, actor, 'refused']);
      }
    }
    // Nothing the strangers did moved the dossier.
    const after = (await t.http.get(`${API}/applications/${f.dossier.id}`).set(f.sessions.owner.auth).expect(200)).body;
    expect({ state: after.state, version: after.version }).toEqual({ state: before.state, version: before.version });
  });
});
