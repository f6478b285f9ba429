import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createTestApp, TestApp } from '../support/app';
import { ApplicationsService } from '../../src/applications/applications.service';
import { admin, DEMO, idem, newCitizen, payInSandbox, PDF, Session, staff, uploadDocument } from '../support/factories';
import { API, JUDICIAL_FORM, problemShapeError } from './support';

/**
 * Abuse paths found in the security review (issue 8), each replayed as the
 * attacker would: ratings, form-schema patterns that stall the event loop,
 * delivery switched after payment, upload and draft floods, the public file
 * check, and staff reaching into citizens' unsubmitted drafts.
 */

const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

/** The limits this suite runs with (small, so that a test reaches them). */
const LIMITS = { DOSSIER_MAX_FILES: 4, DOSSIER_MAX_BYTES: 3000, DRAFTS_MAX_PER_ACCOUNT: 3, VERIFY_RATE_LIMIT: 6 };

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: unknown; text?: string },
  status: number,
) {
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

/** SIMPLE_WORKFLOW, plus the ways a dossier ends without a decision: withdrawn by the citizen, abandoned by the portal. */
const ENDINGS_WORKFLOW = {
  states: [...SIMPLE_WORKFLOW.states, { key: 'withdrawn', terminal: true }, { key: 'abandoned', terminal: true }],
  actions: [
    ...SIMPLE_WORKFLOW.actions,
    { key: 'withdraw', from: ['submitted', 'processing'], to: 'withdrawn', by: ['citizen'] },
    { key: 'abandon', from: ['submitted'], to: 'abandoned', by: ['system'], trigger: 'payment.expired' },
  ],
};

describe('abuse paths', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp({ env: Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])) });
    adm = await admin(t);
  });
  afterAll(() => t.close());

  /** Creates a procedure at Quận 1 with one version; publishes it unless told not to. Returns the publish answer too. */
  async function newProcedure(version: Record<string, unknown>) {
    const code = `AB-${uid()}`;
    await t.http
      .post(`${API}/admin/procedures`)
      .set(adm.auth)
      .send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.quan1, level: 'full' })
      .expect(201);
    await t.http
      .post(`${API}/admin/procedures/${code}/versions`)
      .set(adm.auth)
      .send({
        formSchema: { type: 'object', properties: { note: { type: 'string' } }, additionalProperties: false },
        requiredDocuments: [],
        fees: [],
        feeTiming: 'exempt',
        processingDays: 2,
        deliveryOptions: ['online'],
        workflow: SIMPLE_WORKFLOW,
        ...version,
      })
      .expect(201);
    const published = await t.http.post(`${API}/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
    return { code, published };
  }

  async function act(who: Session, id: string, action: string, body: object = { comment: 'Lý do' }) {
    const res = await t.http.post(`${API}/applications/${id}/actions/${action}`).set(who.auth).send(body);
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function submitted(code: string, citizen: Session) {
    const d = await t.http
      .post(`${API}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: code, formData: { note: 'x' } })
      .expect(201);
    await t.http.post(`${API}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    return d.body.id as string;
  }

  describe('ratings: only a decided dossier, once', () => {
    const rate = (who: Session, id: string, score = 5) =>
      t.http.post(`${API}/applications/${id}/rating`).set(who.auth).send({ score });
    const ratings = async (id: string) =>
      (await t.db.query(`SELECT score FROM dossier_ratings WHERE dossier_id = $1`, [id])).map(
        (r: { score: number }) => r.score,
      );

    it('withdrawn or abandoned (finished without a decision): 409, nothing written; refused or with a result: rated once', async () => {
      const { code } = await newProcedure({ workflow: ENDINGS_WORKFLOW });
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'quan1');

      const withdrawn = await submitted(code, citizen);
      await act(clerk, withdrawn, 'receive', {});
      await act(citizen, withdrawn, 'withdraw', {});
      const r1 = await rate(citizen, withdrawn);
      expectProblem(r1, 409);
      expect(r1.body.type).toMatch(/not-ratable$/);
      expect(await ratings(withdrawn)).toEqual([]);

      const abandoned = await submitted(code, citizen);
      expect(await t.app.get(ApplicationsService).trigger(abandoned, 'payment.expired')).toBe(true);
      expect((await t.http.get(`${API}/applications/${abandoned}`).set(citizen.auth)).body.state).toBe('abandoned');
      expectProblem(await rate(citizen, abandoned), 409);
      expect(await ratings(abandoned)).toEqual([]);

      const refused = await submitted(code, citizen);
      await act(clerk, refused, 'refuse');
      await rate(citizen, refused, 2).expect(201);
      expectProblem(await rate(citizen, refused, 5), 409);
      expect(await ratings(refused)).toEqual([2]);

      const completed = await submitted(code, citizen);
      await act(clerk, completed, 'receive', {});
      await act(clerk, completed, 'complete', {});
      await rate(citizen, completed, 4).expect(201);
      expect(await ratings(completed)).toEqual([4]);
    });

    it('two ratings sent at once: one is kept, the other answered 409', async () => {
      const { code } = await newProcedure({ workflow: ENDINGS_WORKFLOW });
      const citizen = await newCitizen(t);
      const id = await submitted(code, citizen);
      await act(await staff(t, 'clerk', 'quan1'), id, 'refuse');
      const answers = await Promise.all([rate(citizen, id, 1), rate(citizen, id, 5), rate(citizen, id, 3)]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
      expect(await ratings(id)).toHaveLength(1);
    });
  });

  describe('form-schema patterns run in a linear-time engine', () => {
    it('a draft with a catastrophic-backtracking input against ^(a+)+$ gets an ordinary 422', async () => {
      const { code, published } = await newProcedure({
        formSchema: {
          type: 'object',
          properties: { serial: { type: 'string', pattern: '^(a+)+$' } },
          additionalProperties: false,
        },
      });
      expect(published.status).toBe(200);
      const citizen = await newCitizen(t);
      const evil = 'a'.repeat(50) + '!';
      // With a backtracking engine this request never returns (2^50 steps on the event loop).
      const created = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { serial: evil } });
      expectProblem(created, 422);
      expect(created.body.errors).toEqual([expect.objectContaining({ field: 'formData.serial' })]);
      // A matching value is accepted, then the same attack on a saved draft.
      const ok = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { serial: 'aaaa' } })
        .expect(201);
      const patched = await t.http
        .patch(`${API}/applications/${ok.body.id}`)
        .set(citizen.auth)
        .send({ formData: { serial: evil } });
      expectProblem(patched, 422);
      expect(
        (await t.http.get(`${API}/applications/${ok.body.id}`).set(citizen.auth).expect(200)).body.formData,
      ).toEqual({ serial: 'aaaa' });
    });

    it('JavaScript pattern syntax still works (\\d, \\u escapes, named groups, patternProperties)', async () => {
      const { code, published } = await newProcedure({
        formSchema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            phone: { type: 'string', pattern: '^0\\d{9}$' },
            city: { type: 'string', pattern: '^(?<first>\\u0110)' },
            extra: {
              type: 'object',
              patternProperties: { '^x-[a-z]+$': { type: 'integer' } },
              additionalProperties: false,
            },
          },
        },
      });
      expect(published.status).toBe(200);
      const citizen = await newCitizen(t);
      await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { phone: '0901234567', city: 'Đà Nẵng', extra: { 'x-floor': 3 } } })
        .expect(201);
      const bad = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { phone: '090123456x', city: 'Hà Nội', extra: { 'x-Floor': 3 } } });
      expectProblem(bad, 422);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'formData.city',
        'formData.extra.x-Floor',
        'formData.phone',
      ]);
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
      const [row] = await t.db.query(
        `SELECT v.published_at FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = $1`,
        [code],
      );
      expect(row.published_at).toBeNull();
    });
  });

  describe("staff do not reach into citizens' unsubmitted drafts", () => {
    const BIRTH_FORM = { fullName: 'Võ Thị Sáu', dateOfBirth: '1995-03-08', copies: 1 };

    it('a draft is 404 to its agency’s clerk and supervisor on every dossier route, absent from lists and the queue; visible once submitted', async () => {
      const citizen = await newCitizen(t);
      const [clerk, supervisor] = await Promise.all([staff(t, 'clerk', 'bennghe'), staff(t, 'supervisor', 'bennghe')]);
      const d = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: DEMO.birthExtract, formData: BIRTH_FORM })
        .expect(201);
      const id: string = d.body.id;
      const doc = await uploadDocument(t, citizen, id, 'id_card').expect(201);
      const before = await t.db.query(`SELECT version, history_seq, form_data FROM dossiers WHERE id = $1`, [id]);
      for (const who of [clerk, supervisor]) {
        const answers = await Promise.all([
          t.http.get(`${API}/applications/${id}`).set(who.auth),
          t.http.get(`${API}/applications/${id}/history`).set(who.auth),
          t.http.get(`${API}/applications/${id}/documents`).set(who.auth),
          t.http.get(`${API}/applications/${id}/documents/${doc.body.id}`).set(who.auth),
          t.http.get(`${API}/applications/${id}/payments`).set(who.auth),
          t.http
            .patch(`${API}/applications/${id}`)
            .set(who.auth)
            .send({ formData: { copies: 9 } }),
          t.http.post(`${API}/applications/${id}/actions/receive`).set(who.auth).send({}),
          t.http.post(`${API}/applications/${id}/assign`).set(who.auth).send({}),
          uploadDocument(t, who, id, 'id_card'),
          uploadDocument(t, who, id, 'attachment'),
        ]);
        for (const a of answers) expectProblem(a, 404);
        const list = await t.http.get(`${API}/applications?limit=100`).set(who.auth).expect(200);
        expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(id);
        const queue = await t.http.get(`${API}/queue?limit=100`).set(who.auth).expect(200);
        expect(queue.body.items.map((x: { id: string }) => x.id)).not.toContain(id);
      }
      expect(await t.db.query(`SELECT version, history_seq, form_data FROM dossiers WHERE id = $1`, [id])).toEqual(
        before,
      );
      expect(await t.db.query(`SELECT count(*)::int AS n FROM dossier_documents WHERE dossier_id = $1`, [id])).toEqual([
        { n: 1 },
      ]);

      await t.http.post(`${API}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
      await t.http.get(`${API}/applications/${id}`).set(clerk.auth).expect(200);
      await t.http.get(`${API}/applications/${id}/documents`).set(supervisor.auth).expect(200);
      const list = await t.http.get(`${API}/applications?limit=100`).set(clerk.auth).expect(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).toContain(id);
    });

    it('staff provide the applicant’s documents only where the workflow lets their role edit; a step attachment stays theirs', async () => {
      const requiredDocuments = [{ key: 'id_card', name: 'Căn cước công dân', required: true }];
      const assisted = await newProcedure({
        requiredDocuments,
        workflow: {
          ...SIMPLE_WORKFLOW,
          states: SIMPLE_WORKFLOW.states.map((st) => (st.start ? { ...st, editableBy: ['citizen', 'clerk'] } : st)),
        },
      });
      const plain = await newProcedure({ requiredDocuments });
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'quan1');

      // Assisted filing: the draft state is editable by the clerk, so the clerk sees the draft and may fill it.
      const a = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: assisted.code })
        .expect(201);
      await t.http.get(`${API}/applications/${a.body.id}`).set(clerk.auth).expect(200);
      await uploadDocument(t, clerk, a.body.id, 'id_card').expect(201);

      // Otherwise, after submission: no required document from staff (409), an attachment to a step is fine.
      const p = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: plain.code })
        .expect(201);
      await uploadDocument(t, citizen, p.body.id, 'id_card').expect(201);
      await t.http.post(`${API}/applications/${p.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      await act(clerk, p.body.id, 'receive', {});
      const refused = await uploadDocument(t, clerk, p.body.id, 'id_card');
      expectProblem(refused, 409);
      await uploadDocument(t, clerk, p.body.id, 'attachment').expect(201);
      const docs = await t.db.query(
        `SELECT document_key, uploaded_role FROM dossier_documents WHERE dossier_id = $1 ORDER BY created_at`,
        [p.body.id],
      );
      expect(docs).toEqual([
        { document_key: 'id_card', uploaded_role: 'citizen' },
        { document_key: 'attachment', uploaded_role: 'clerk' },
      ]);
    });
  });

  describe('delivery switched to post after paying: no free shipment', () => {
    const POST = {
      method: 'post',
      recipient: 'Đỗ Văn Hùng',
      address: '45 Trần Hưng Đạo, Quận 5, TP. Hồ Chí Minh',
      phone: '0912345678',
    };
    const shipments = async (id: string) =>
      (
        await t.db.query(
          `SELECT (SELECT count(*)::int FROM shipments WHERE dossier_id = $1) AS shipped,
              (SELECT count(*)::int FROM outbox WHERE job_name = 'create-shipment' AND payload->>'dossierId' = $1::text) AS queued`,
          [id],
        )
      )[0];

    it('paid for online delivery, then switched to post during a supplement round: refused (409), the result is not posted', async () => {
      const citizen = await newCitizen(t);
      const [clerk, supervisor] = await Promise.all([
        staff(t, 'clerk', 'sotuphap'),
        staff(t, 'supervisor', 'sotuphap'),
      ]);
      const d = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: DEMO.judicialRecord, formData: JUDICIAL_FORM })
        .expect(201);
      const id: string = d.body.id;
      await uploadDocument(t, citizen, id, 'id_card').expect(201);
      await t.http.post(`${API}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
      const charged = await t.db.query(`SELECT amount_vnd::int AS amount FROM payment_requests WHERE dossier_id = $1`, [
        id,
      ]);
      expect(charged).toEqual([{ amount: 200000 }]); // the fee, no postage
      await payInSandbox(t, citizen, id);
      await t.drain();
      await act(clerk, id, 'receive', {});
      await act(clerk, id, 'request_supplement', { comment: 'Bổ sung giấy tờ cư trú' });

      const switched = await t.http.patch(`${API}/applications/${id}`).set(citizen.auth).send({ delivery: POST });
      expectProblem(switched, 409);
      expect(switched.body.type).toMatch(/delivery-fixed$/);
      await act(citizen, id, 'resubmit', {});
      expect((await t.http.get(`${API}/applications/${id}`).set(citizen.auth)).body.delivery).toEqual({
        method: 'online',
      });

      // Second line: even if the delivery were post (written around the API), the result does not leave by post unpaid.
      await act(supervisor, id, 'approve', { data: { finding: 'Không có án tích.' } });
      await t.db.query(`UPDATE dossiers SET delivery = $2 WHERE id = $1`, [id, POST]);
      const issued = await t.http.post(`${API}/applications/${id}/actions/issue_result`).set(clerk.auth).send({});
      expectProblem(issued, 409);
      expect(issued.body.type).toMatch(/postage-unpaid$/);
      expect((await t.http.get(`${API}/applications/${id}`).set(citizen.auth)).body.state).toBe('approved');
      await t.drain();
      expect(await shipments(id)).toEqual({ shipped: 0, queued: 0 });
      expect(await t.db.query(`SELECT count(*)::int AS n FROM payment_requests WHERE dossier_id = $1`, [id])).toEqual([
        { n: 1 },
      ]);
    });

    it('before anything is charged the switch is free to make, and the postage is then part of what is due; after paying, the address may still change', async () => {
      const citizen = await newCitizen(t);
      const d = await t.http
        .post(`${API}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: DEMO.judicialRecord, formData: JUDICIAL_FORM })
        .expect(201);
      const id: string = d.body.id;
      await t.http.patch(`${API}/applications/${id}`).set(citizen.auth).send({ delivery: POST }).expect(200);
      await uploadDocument(t, citizen, id, 'id_card').expect(201);
      await t.http.post(`${API}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
      expect(
        await t.db.query(`SELECT amount_vnd::int AS amount FROM payment_requests WHERE dossier_id = $1`, [id]),
      ).toEqual([{ amount: 230000 }]);
      await payInSandbox(t, citizen, id);
      await t.drain();
      const clerk = await staff(t, 'clerk', 'sotuphap');
      await act(clerk, id, 'receive', {});
      await act(clerk, id, 'request_supplement', { comment: 'Bổ sung' });
      // Same method, new address: allowed. Back to online (postage paid for nothing): refused.
      await t.http
        .patch(`${API}/applications/${id}`)
        .set(citizen.auth)
        .send({ delivery: { ...POST, address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh' } })
        .expect(200);
      expectProblem(
        await t.http
          .patch(`${API}/applications/${id}`)
          .set(citizen.auth)
          .send({ delivery: { method: 'online' } }),
        409,
      );
      expect((await t.http.get(`${API}/applications/${id}`).set(citizen.auth)).body.delivery).toMatchObject({
        method: 'post',
        address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
      });
    });

    it('a postal fee on an exempt procedure (never collected) is refused at publish', async () => {
      const { published } = await newProcedure({ deliveryOptions: ['online', 'post'], postalFee: 25000 });
      expectProblem(published, 422);
      expect(published.body.errors).toEqual([expect.objectContaining({ field: 'postalFee' })]);
    });
  });

  describe('uploads and drafts are bounded; the public file check looks at the code first', () => {
    const storedFiles = (id: string) => {
      try {
        return readdirSync(`${process.env.STORAGE_DIR}/documents/${id}`).length;
      } catch {
        return 0;
      }
    };
    const documents = async (id: string) =>
      (await t.db.query(`SELECT count(*)::int AS n FROM dossier_documents WHERE dossier_id = $1`, [id]))[0].n;
    const draft = async (citizen: Session) =>
      (
        await t.http
          .post(`${API}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: DEMO.birthExtract })
          .expect(201)
      ).body.id as string;

    it(`a dossier takes ${LIMITS.DOSSIER_MAX_FILES} documents, then 409 dossier-file-limit, also when they arrive all at once`, async () => {
      const citizen = await newCitizen(t);
      const id = await draft(citizen);
      for (let i = 0; i < LIMITS.DOSSIER_MAX_FILES; i++) await uploadDocument(t, citizen, id, 'id_card').expect(201);
      const refused = await uploadDocument(t, citizen, id, 'id_card');
      expectProblem(refused, 409);
      expect(refused.body.type).toMatch(/dossier-file-limit$/);
      expect([await documents(id), storedFiles(id)]).toEqual([LIMITS.DOSSIER_MAX_FILES, LIMITS.DOSSIER_MAX_FILES]);

      const racing = await draft(citizen);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => uploadDocument(t, citizen, racing, 'id_card')),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(LIMITS.DOSSIER_MAX_FILES);
      for (const a of answers.filter((x) => x.status !== 201)) expectProblem(a, 409);
      expect([await documents(racing), storedFiles(racing)]).toEqual([
        LIMITS.DOSSIER_MAX_FILES,
        LIMITS.DOSSIER_MAX_FILES,
      ]);
    });

    it(`a dossier's documents add up to ${LIMITS.DOSSIER_MAX_BYTES} bytes at most: 409 dossier-size-limit beyond`, async () => {
      const citizen = await newCitizen(t);
      const id = await draft(citizen);
      const big = Buffer.concat([PDF, Buffer.alloc(1200 - PDF.length, 0x20)]);
      await uploadDocument(t, citizen, id, 'id_card', big).expect(201);
      await uploadDocument(t, citizen, id, 'id_card', big).expect(201);
      const refused = await uploadDocument(t, citizen, id, 'id_card', big);
      expectProblem(refused, 409);
      expect(refused.body.type).toMatch(/dossier-size-limit$/);
      expect([await documents(id), storedFiles(id)]).toEqual([2, 2]);
      await uploadDocument(t, citizen, id, 'id_card').expect(201); // a small one still fits
    });

    it(`a citizen has at most ${LIMITS.DRAFTS_MAX_PER_ACCOUNT} unsubmitted dossiers, even when the creates race; submitting one frees a place`, async () => {
      const citizen = await newCitizen(t);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.http
            .post(`${API}/applications`)
            .set(citizen.auth)
            .send({
              procedureCode: DEMO.birthExtract,
              formData: { fullName: 'Võ Thị Sáu', dateOfBirth: '1995-03-08', copies: 1 },
            }),
        ),
      );
      const created = answers.filter((a) => a.status === 201);
      expect(created).toHaveLength(LIMITS.DRAFTS_MAX_PER_ACCOUNT);
      for (const a of answers.filter((x) => x.status !== 201)) {
        expectProblem(a, 409);
        expect(a.body.type).toMatch(/draft-limit$/);
      }
      expect(await t.db.query(`SELECT count(*)::int AS n FROM dossiers WHERE applicant_id = $1`, [citizen.id])).toEqual(
        [{ n: LIMITS.DRAFTS_MAX_PER_ACCOUNT }],
      );
      const first: string = created[0].body.id;
      await uploadDocument(t, citizen, first, 'id_card').expect(201);
      await t.http.post(`${API}/applications/${first}/submit`).set(citizen.auth).set(idem()).expect(200);
      await draft(citizen);
      expectProblem(
        await t.http.post(`${API}/applications`).set(citizen.auth).send({ procedureCode: DEMO.birthExtract }),
        409,
      );
      // Another citizen is not affected.
      await draft(await newCitizen(t));
    });

    it('POST /verify/:code answers an unknown code 404 before the upload is sent; a known one is checked; then 429 per address', async () => {
      // An upload announced as 5 MiB of which only the first bytes are ever sent: the answer comes anyway.
      const port = Number(new URL(t.url).port);
      const early = await new Promise<number>((resolve, reject) => {
        const boundary = 'portal-test-boundary';
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `${API}/verify/ABCDEFGH2345`,
          headers: {
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(5 * 1024 * 1024),
          },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => {
            req.destroy();
            resolve(res.statusCode!);
          });
        });
        req.on('error', reject);
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`,
        );
      });
      expect(early).toBe(404);

      // A real result to check.
      const { code } = await newProcedure({});
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'quan1');
      const id = await submitted(code, citizen);
      await act(clerk, id, 'receive', {});
      await act(clerk, id, 'complete', {});
      await t.drain();
      const verificationCode: string = (await t.http.get(`${API}/applications/${id}`).set(citizen.auth).expect(200))
        .body.result.verificationCode;
      const check = (c: string, content = PDF) =>
        t.http.post(`${API}/verify/${c}`).attach('file', content, 'ket-qua.pdf');
      const altered = await check(verificationCode);
      expect([altered.status, altered.body.valid]).toEqual([200, false]);
      expectProblem(await check('ZZZZZZZZZZ22'), 404);
      // Six calls per window in this suite (the first one above included): the next ones are refused.
      for (let i = 3; i < LIMITS.VERIFY_RATE_LIMIT; i++) await check(verificationCode).expect(200);
      const limited = await check(verificationCode);
      expectProblem(limited, 429);
      expectProblem(await check('ZZZZZZZZZZ22'), 429);
      // The read-only check by hash is not counted.
      await t.http.get(`${API}/verify/${verificationCode}`).expect(200);
    });
  });
});
