import { randomUUID } from 'node:crypto';
import type { TestApp } from '../support/app';
import {
  admin,
  DEMO,
  idem,
  newCitizen,
  payInSandbox,
  Session,
  staff,
  uploadDocument,
  waitFor,
} from '../support/factories';

/** Shared by the security suites: the OpenAPI routes, a fixed cast of callers and one dossier they disagree about. */

export const API = '/api/v1';

export type Actor = 'anon' | 'owner' | 'other' | 'clerk' | 'otherClerk' | 'supervisor' | 'admin';
export const ACTORS: Actor[] = ['anon', 'owner', 'other', 'clerk', 'otherClerk', 'supervisor', 'admin'];

export interface Operation {
  /** `METHOD /path/{param}` as in the OpenAPI document. */
  key: string;
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  params: { name: string; in: 'path' | 'query' | 'header'; required: boolean }[];
  /** Media types of the request body, when the document declares one. */
  bodyTypes: string[];
  /** The body's properties and their JSON types (from the schema; `object` for nested DTOs), when it is JSON. */
  bodyProps: Record<string, string>;
}

/** Every (method, path) in the served OpenAPI document. */
export async function openApiOperations(t: TestApp): Promise<Operation[]> {
  const res = await t.http.get('/docs/json').expect(200);
  const doc = res.body as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string; required?: boolean }[];
          requestBody?: { content: Record<string, { schema?: { $ref?: string } }> };
        }
      >
    >;
    components?: { schemas?: Record<string, { properties?: Record<string, { type?: string }> }> };
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      const ref = content['application/json']?.schema?.$ref;
      const schema = ref ? doc.components?.schemas?.[ref.split('/').pop()!] : undefined;
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method as Operation['method'],
        path,
        params: (op.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in as 'path' | 'query' | 'header',
          required: !!p.required,
        })),
        bodyTypes: Object.keys(content),
        bodyProps: Object.fromEntries(
          Object.entries(schema?.properties ?? {}).map(([k, v]) => [k, v.type ?? 'object']),
        ),
      });
    }
  }
  return ops;
}

export interface Fixture {
  sessions: Record<Exclude<Actor, 'anon'>, Session>;
  owner: Session & { idNumber: string };
  /** A judicial record certificate (Sở Tư pháp) of `owner`: paid online, received by the clerk, now processing. */
  dossier: { id: string; code: string };
  documentId: string;
  attemptId: string;
  txnRef: string;
  agencyCode: string;
  procedureCode: string;
  /** A staff account no fixture session belongs to (the quan1 supervisor): what ends its sessions ends none of ours. */
  spareStaffId: string;
}

export const JUDICIAL_FORM = {
  fullName: 'Lê Thị Hoa',
  dateOfBirth: '1990-05-01',
  placeOfBirth: 'TP. Hồ Chí Minh',
  certificateType: 1,
  purpose: 'Xin việc',
};

/**
 * The cast: the owner, another citizen, a clerk and the supervisor of the
 * dossier's agency (Sở Tư pháp), a clerk of another agency (Bến Nghé) and an
 * admin; and the owner's dossier with a document, a paid attempt and a receipt.
 */
export async function buildFixture(t: TestApp): Promise<Fixture> {
  const owner = await newCitizen(t);
  const other = await newCitizen(t);
  const [clerk, otherClerk, supervisor, adm] = await Promise.all([
    staff(t, 'clerk', 'sotuphap'),
    staff(t, 'clerk', 'bennghe'),
    staff(t, 'supervisor', 'sotuphap'),
    admin(t),
  ]);
  const created = await t.http
    .post(`${API}/applications`)
    .set(owner.auth)
    .send({ procedureCode: DEMO.judicialRecord, formData: JUDICIAL_FORM })
    .expect(201);
  const id: string = created.body.id;
  const doc = await uploadDocument(t, owner, id, 'id_card').expect(201);
  await t.http.post(`${API}/applications/${id}/submit`).set(owner.auth).set(idem()).expect(200);
  const paid = await payInSandbox(t, owner, id);
  await t.drain();
  await waitFor(
    async () => (await t.http.get(`${API}/applications/${id}`).set(owner.auth)).body.state === 'submitted',
    'payment confirmed',
  );
  const received = await t.http.post(`${API}/applications/${id}/actions/receive`).set(clerk.auth).send({}).expect(200);
  expect(received.body.state).toBe('processing');
  return {
    sessions: { owner, other, clerk, otherClerk, supervisor, admin: adm },
    owner,
    dossier: { id, code: received.body.code },
    documentId: doc.body.id,
    attemptId: paid.attemptId,
    txnRef: paid.txnRef,
    agencyCode: DEMO.agencies.sotuphap,
    procedureCode: DEMO.judicialRecord,
    spareStaffId: (
      await t.db.query<{ id: string }[]>(`SELECT id FROM accounts WHERE email = 'supervisor.quan1@demo.local'`)
    )[0].id,
  };
}

export const randomId = () => randomUUID();

/**
 * Routes whose 4xx answers are not problem+json by design, with why. Reported to the lead:
 * src/payments/vnpay/vnpay.controller.ts `return()` answers an unverifiable return with
 * `400 {status:'invalid', message}` as application/json (or HTML for a browser).
 */
export const NOT_PROBLEM_JSON: Record<string, string> = {};

/** Main tables: what a refused request must not change. */
export const MAIN_TABLES = [
  'accounts',
  'agencies',
  'procedures',
  'procedure_versions',
  'dossiers',
  'dossier_history',
  'dossier_documents',
  'dossier_code_counters',
  'document_number_counters',
  'idempotency_keys',
  'refresh_tokens',
  'outbox',
  'notifications',
  'payment_requests',
  'payment_attempts',
  'payment_receipts',
  'payment_refunds',
  'dossier_results',
  'result_downloads',
  'shipments',
  'shipment_events',
  'dossier_apologies',
  'dossier_ratings',
  'sandbox_vnpay_transactions',
  'sandbox_postal_shipments',
  'sandbox_sms_messages',
] as const;

export async function rowCounts(t: TestApp, tables: readonly string[] = MAIN_TABLES): Promise<Record<string, number>> {
  const sql = tables.map((tb) => `SELECT '${tb}' AS t, count(*)::int AS n FROM ${tb}`).join(' UNION ALL ');
  const rows: { t: string; n: number }[] = await t.db.query(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** The fingerprint of each dossier's state (updates count as writes too). */
export async function dossierVersions(t: TestApp): Promise<Record<string, string>> {
  const rows: { id: string; v: string }[] = await t.db.query(
    `SELECT id, concat_ws('|', version, state, history_seq, md5(form_data::text), md5(delivery::text)) AS v FROM dossiers`,
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.v]));
}

/** Problem+json shape of every 4xx/5xx. */
export function problemShapeError(res: {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  text?: string;
}): string | null {
  if (res.status < 400) return null;
  if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? ''))
    return `content-type ${res.headers['content-type']}`;
  const b = res.body as Record<string, unknown>;
  if (!b || typeof b.type !== 'string' || typeof b.title !== 'string' || b.status !== res.status)
    return `body ${String(res.text).slice(0, 200)}`;
  return null;
}

/** Signs of internals in an error body: stack frames, file paths, SQL and driver errors. */
const LEAKS: [string, RegExp][] = [
  ['stack frame', /^\s*at [\w$.<>[\] ]+ \(?[^()\s]*:\d+:\d+\)?/m],
  ['stack frame', /\bat (?:async )?[\w$.<>]+ \([^()\s]+:\d+:\d+\)/],
  ['source path', /(?:\/src\/|\/dist\/|node_modules)[^\s"]*\.(?:js|ts)\b/],
  ['SQL', /\bSELECT\b/],
  ['SQL', /\bINSERT\b/],
  [
    'SQL',
    /\b(?:FROM|INTO|UPDATE|JOIN)\s+"?(?:accounts|agencies|procedures|procedure_versions|dossiers|dossier_\w+|refresh_tokens|idempotency_keys|outbox|notifications|payment_\w+|shipments?|shipment_events|sandbox_\w+|result_downloads)\b/i,
  ],
  ['relation', /\brelation\b/],
  [
    'driver error',
    /QueryFailedError|TypeORMError|duplicate key value|violates (?:foreign key|unique|check|not-null) constraint|syntax error at or near|invalid input syntax|invalid byte sequence|SQLSTATE/i,
  ],
];

/**
 * What in `body` looks like an internal leak (a stack trace, SQL, a driver
 * error) and is not simply an echo of the request (a validation message may
 * quote a field name the caller sent).
 */
export function leakIn(body: string, request: string): string | null {
  const sent = request.toLowerCase();
  for (const [what, re] of LEAKS) {
    const m = re.exec(body);
    if (m && !sent.includes(m[0].trim().toLowerCase())) return `${what}: ${m[0].slice(0, 120)}`;
  }
  return null;
}
