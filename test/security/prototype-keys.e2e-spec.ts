import { createTestApp, TestApp } from '../support/app';
import { admin, DEMO, newCitizen, Session } from '../support/factories';
import { API, openApiOperations, Operation, problemShapeError } from './support';

/**
 * Path parameters that name a member of Object.prototype must not reach it
 * (`GET /admin/queues/constructor/failed` used to find a function there and
 * answer 500). Every route of the OpenAPI document with a path parameter is
 * called with each key in each parameter, by an admin and by a citizen.
 */
const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
];

describe('prototype keys in path parameters', () => {
  let t: TestApp;
  let ops: Operation[];
  let adm: Session;
  let citizen: Session;
  let dossierId: string;
  beforeAll(async () => {
    t = await createTestApp();
    ops = (await openApiOperations(t)).filter((op) => op.params.some((p) => p.in === 'path'));
    [adm, citizen] = await Promise.all([admin(t), newCitizen(t)]);
    dossierId = (
      await t.http.post(`${API}/applications`).set(citizen.auth).send({ procedureCode: DEMO.birthExtract }).expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  /** The path with `key` in parameter `param`; the others real where they can be (the citizen's dossier), else `key` too. */
  function url(op: Operation, param: string, key: string): string {
    return op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name !== param && name === 'id' && op.path.startsWith(`${API}/applications/`)) return dossierId;
      if (name !== param && name === 'name') return 'notifications';
      return encodeURIComponent(key);
    });
  }

  it('covers the admin routes with a path parameter', () => {
    expect(ops.map((o) => o.key)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/admin/queues/{name}/failed',
        'POST /api/v1/admin/queues/{name}/jobs/{id}/retry',
        'PATCH /api/v1/admin/agencies/{code}',
      ]),
    );
  });

  it('an admin route answers 404 (a route that takes a body: a 4xx), never 5xx; no route answers 5xx to anyone', async () => {
    const wrong: string[] = [];
    for (const op of ops) {
      const adminRoute = op.path.startsWith(`${API}/admin/`);
      for (const { name } of op.params.filter((p) => p.in === 'path')) {
        for (const key of PROTOTYPE_KEYS) {
          for (const [who, session] of [
            ['admin', adm],
            ['citizen', citizen],
          ] as const) {
            const u = url(op, name, key);
            let req = t.http[op.method](u).set(session.auth);
            if (op.bodyTypes.includes('application/json')) req = req.send({});
            const res = await req;
            const shape = problemShapeError(res);
            const takesBody = op.bodyTypes.length > 0;
            const ok =
              res.status < 500 &&
              !shape &&
              (!(adminRoute && who === 'admin') || (takesBody ? res.status >= 400 : res.status === 404));
            if (!ok) wrong.push(`${who} ${op.method.toUpperCase()} ${u}: ${res.status}${shape ? ` (${shape})` : ''}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('GET /admin/queues/constructor/failed and its siblings: 404 problem+json, like any unknown queue', async () => {
    const unknown = await t.http.get(`${API}/admin/queues/no-such-queue/failed`).set(adm.auth).expect(404);
    for (const key of PROTOTYPE_KEYS) {
      const res = await t.http.get(`${API}/admin/queues/${key}/failed`).set(adm.auth);
      expect({ key, status: res.status, body: res.body }).toEqual({ key, status: 404, body: unknown.body });
      const retry = await t.http.post(`${API}/admin/queues/${key}/jobs/1/retry`).set(adm.auth);
      expect({ key, status: retry.status }).toEqual({ key, status: 404 });
    }
    // A real queue still answers.
    await t.http.get(`${API}/admin/queues/notifications/failed`).set(adm.auth).expect(200);
  });
});
