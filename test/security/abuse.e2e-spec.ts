import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../support/app';
import { admin, DEMO, Session, newCitizen } from '../support/factories';
import { API, problemShapeError } from './support';

/**
 * Abuse paths found in the security review (issue 8), each replayed as the
 * attacker would: ratings, form-schema patterns that stall the event loop,
 * delivery switched after payment, upload and draft floods, the public file
 * check, and staff reaching into citizens' unsubmitted drafts.
 */

const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

function expectProblem(res: { status: number; headers: Record<string, string>; body: unknown; text?: string }, status: number) {
  expect([res.status, res.text?.slice(0, 300)]).toEqual([status, expect.anything()]);
  expect(problemShapeError(res)).toBeNull();
}

/** A small exempt workflow: submit, receive, refuse or complete (with a result). */
const SIMPLE_WORKFLOW = {
  states: [
    { key: 'draft', start: true, editableBy: ['citizen'] },
    { key: 'submitted', clock: 'stopped' },
    { key: 'processing', clock: 'running' },
    { key: 'completed', terminal: true },
    { key: 'refused', terminal: true },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
    { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock', 'issueReceipt'] },
    { key: 'refuse', from: ['submitted'], to: 'refused', by: ['clerk'], requires: ['comment'] },
    { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'], effects: ['issueResult'] },
  ],
};

describe('abuse paths', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
  });
  afterAll(() => t.close());

  /** Creates a procedure at Quận 1 with one version; publishes it unless told not to. Returns the publish answer too. */
  async function newProcedure(version: Record<string, unknown>) {
    const code = `AB-${uid()}`;
    await t.http.post(`${API}/admin/procedures`).set(adm.auth).send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.quan1, level: 'full' }).expect(201);
    await t.http.post(`${API}/admin/procedures/${code}/versions`).set(adm.auth).send({
      formSchema: { type: 'object', properties: { note: { type: 'string' } }, additionalProperties: false },
      requiredDocuments: [],
      fees: [],
      feeTiming: 'exempt',
      processingDays: 2,
      deliveryOptions: ['online'],
      workflow: SIMPLE_WORKFLOW,
      ...version,
    }).expect(201);
    const published = await t.http.post(`${API}/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
    return { code, published };
  }

  describe('form-schema patterns run in a linear-time engine', () => {
    it('a draft with a catastrophic-backtracking input against ^(a+)+$ gets an ordinary 422', async () => {
      const { code, published } = await newProcedure({
        formSchema: { type: 'object', properties: { serial: { type: 'string', pattern: '^(a+)+$' } }, additionalProperties: false },
      });
      expect(published.status).toBe(200);
      const citizen = await newCitizen(t);
      const evil = 'a'.repeat(50) + '!';
      // With a backtracking engine this request never returns (2^50 steps on the event loop).
      const created = await t.http.post(`${API}/applications`).set(citizen.auth).send({ procedureCode: code, formData: { serial: evil } });
      expectProblem(created, 422);
      expect(created.body.errors).toEqual([expect.objectContaining({ field: 'formData.serial' })]);
      // A matching value is accepted, then the same attack on a saved draft.
      const ok = await t.http.post(`${API}/applications`).set(citizen.auth).send({ procedureCode: code, formData: { serial: 'aaaa' } }).expect(201);
      const patched = await t.http.patch(`${API}/applications/${ok.body.id}`).set(citizen.auth).send({ formData: { serial: evil } });
      expectProblem(patched, 422);
      expect((await t.http.get(`${API}/applications/${ok.body.id}`).set(citizen.auth).expect(200)).body.formData).toEqual({ serial: 'aaaa' });
    });

    it('JavaScript pattern syntax still works (\\d, \\u escapes, named groups, patternProperties)', async () => {
      const { code, published } = await newProcedure({
        formSchema: {
          type: 'object', additionalProperties: false,
          properties: {
            phone: { type: 'string', pattern: '^0\\d{9}$' },
            city: { type: 'string', pattern: '^(?<first>\\u0110)' },
            extra: { type: 'object', patternProperties: { '^x-[a-z]+$': { type: 'integer' } }, additionalProperties: false },
          },
        },
      });
      expect(published.status).toBe(200);
      const citizen = await newCitizen(t);
      await t.http.post(`${API}/applications`).set(citizen.auth)
        .send({ procedureCode: code, formData: { phone: '0901234567', city: 'Đà Nẵng', extra: { 'x-floor': 3 } } }).expect(201);
      const bad = await t.http.post(`${API}/applications`).set(citizen.auth)
        .send({ procedureCode: code, formData: { phone: '090123456x', city: 'Hà Nội', extra: { 'x-Floor': 3 } } });
      expectProblem(bad, 422);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['formData.city', 'formData.extra.x-Floor', 'formData.phone']);
    });

    it('refuses to publish patterns RE2 cannot run (look-ahead, back-reference), naming each place; nothing is published', async () => {
      const { code, published } = await newProcedure({
        formSchema: {
          type: 'object',
          properties: {
            password: { type: 'string', pattern: '^(?=.*\\d).{8,}$' },
            pattern: { type: 'string', pattern: '^[a-z]+$' },
            pairs: { type: 'object', patternProperties: { '^(a)\\1$': { type: 'string' } } },
            list: { type: 'array', items: { type: 'string', pattern: '(x)\\1' } },
          },
        },
      });
      expectProblem(published, 422);
      // (jsonb keeps keys in its own order: sorted here)
      expect(published.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'formSchema.properties.list.items.pattern',
        'formSchema.properties.pairs.patternProperties.^(a)\\1$',
        'formSchema.properties.password.pattern',
      ]);
      expect(published.body.errors.every((e: { message: string }) => /RE2/.test(e.message))).toBe(true);
      const [row] = await t.db.query(`SELECT v.published_at FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = $1`, [code]);
      expect(row.published_at).toBeNull();
    });
  });
});
