import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, idem, newCitizen, payInSandbox, Session, staff, uploadDocument } from './support/factories';

/**
 * One-stop-shop rules (issue 13), each named as a clerk would say it. Every
 * test makes its own data; procedures it needs beyond the demo ones are
 * created through the admin API.
 */
describe('one-stop-shop rules', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
  });
  afterAll(() => t.close());

  const api = '/api/v1';
  const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

  /** A published procedure at Quận 1 with this workflow; no fee, no required document. */
  async function procedureWith(workflow: Record<string, unknown>, publish = true) {
    const code = `R-${uid()}`;
    await t.http
      .post(`${api}/admin/procedures`)
      .set(adm.auth)
      .send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.quan1, level: 'full' })
      .expect(201);
    await t.http
      .post(`${api}/admin/procedures/${code}/versions`)
      .set(adm.auth)
      .send({
        formSchema: { type: 'object', properties: { fullName: { type: 'string', minLength: 1 } }, required: [] },
        requiredDocuments: [],
        fees: [],
        feeTiming: 'exempt',
        processingDays: 5,
        deliveryOptions: ['online'],
        workflow,
      })
      .expect(201);
    const published = publish
      ? await t.http.post(`${api}/admin/procedures/${code}/versions/1/publish`).set(adm.auth)
      : undefined;
    return { code, published };
  }

  const act = (who: Session, id: string, action: string, body: Record<string, unknown> = {}) =>
    t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
  const submit = (who: Session, id: string) =>
    t.http.post(`${api}/applications/${id}/submit`).set(who.auth).set(idem());

  /** A local (Asia/Ho_Chi_Minh) date `days` from today, YYYY-MM-DD. */
  const localDay = (days: number) =>
    new Date(Date.now() + days * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' });

  /** submit -> receive (clock) -> complete; refuse before receipt; withdraw by the citizen while waiting or processing. */
  const simpleWorkflow = () => ({
    states: [
      { key: 'draft', start: true, editableBy: ['citizen'] },
      { key: 'submitted', clock: 'stopped' },
      { key: 'processing', clock: 'running' },
      { key: 'completed', terminal: true },
      { key: 'refused', terminal: true },
      { key: 'withdrawn', terminal: true },
    ],
    actions: [
      { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
      { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
      { key: 'refuse', from: ['submitted'], to: 'refused', by: ['clerk'], requires: ['comment'] },
      { key: 'withdraw', from: ['submitted', 'processing'], to: 'withdrawn', by: ['citizen'] },
      { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'] },
    ],
  });

  /** A new citizen's dossier under `code`, submitted. */
  async function submitted(code: string) {
    const citizen = await newCitizen(t);
    const d = (
      await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { fullName: 'Ngô Văn Bình' } })
        .expect(201)
    ).body;
    await submit(citizen, d.id).expect(200);
    return { citizen, id: d.id as string };
  }

  describe('1. submitting takes the submit action (or the state’s resubmit), never another citizen action', () => {
    /** A supplementation round whose state lists withdrawing before sending the supplement. */
    const withdrawListedFirst = (resubmit?: string) => ({
      states: [
        { key: 'draft', start: true, editableBy: ['citizen'] },
        { key: 'submitted', clock: 'stopped' },
        { key: 'processing', clock: 'running' },
        { key: 'supplement_requested', clock: 'paused', editableBy: ['citizen'], ...(resubmit ? { resubmit } : {}) },
        { key: 'completed', terminal: true },
        { key: 'withdrawn', terminal: true },
      ],
      actions: [
        { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
        { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
        { key: 'ask', from: ['processing'], to: 'supplement_requested', by: ['clerk'], requires: ['comment'] },
        { key: 'withdraw', from: ['submitted', 'supplement_requested'], to: 'withdrawn', by: ['citizen'] },
        { key: 'send_supplement', from: ['supplement_requested'], to: 'processing', by: ['citizen'] },
        { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'] },
      ],
    });

    it('a citizen who sends the supplement sees the dossier back in processing, not withdrawn', async () => {
      const { code } = await procedureWith(withdrawListedFirst('send_supplement'));
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'quan1');
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: code, formData: { fullName: 'Ngô Văn Bình' } })
          .expect(201)
      ).body;
      expect((await submit(citizen, d.id).expect(200)).body.state).toBe('submitted');
      await act(clerk, d.id, 'receive').expect(200);
      await act(clerk, d.id, 'ask', { comment: 'Thiếu bản sao giấy khai sinh' }).expect(200);
      const sent = await submit(citizen, d.id).expect(200);
      expect(sent.body.state).toBe('processing');
      const history = await t.http.get(`${api}/applications/${d.id}/history`).set(citizen.auth).expect(200);
      const actions = (history.body.items ?? history.body).map((h: { action: string }) => h.action);
      expect(actions).toContain('send_supplement');
      expect(actions).not.toContain('withdraw');
    });

    it('a procedure whose resubmit names a withdrawal or an unknown action is not published', async () => {
      const { published } = await procedureWith(withdrawListedFirst('withdraww'));
      expect(published!.status).toBe(422);
      expect(published!.body.errors).toEqual([
        expect.objectContaining({ field: 'workflow.states[3].resubmit', message: expect.stringMatching(/withdraww/) }),
      ]);
      const wrong = withdrawListedFirst('complete');
      const refused = await procedureWith(wrong);
      expect(refused.published!.status).toBe(422);
    });
  });

  describe('2. a withdrawn dossier is not finished and never late; withdrawn and refused are reported apart', () => {
    it('a dossier the citizen withdrew after its due date is neither late nor finished; a refusal is counted apart', async () => {
      const { code } = await procedureWith(simpleWorkflow());
      const clerk = await staff(t, 'clerk', 'quan1');
      const supervisor = await staff(t, 'supervisor', 'quan1');
      // Withdrawn by the citizen once its due date had passed.
      const late = await submitted(code);
      await act(clerk, late.id, 'receive').expect(200);
      await t.db.query(`UPDATE dossiers SET due_at = received_at - interval '1 hour' WHERE id = $1`, [late.id]);
      expect((await act(late.citizen, late.id, 'withdraw').expect(200)).body.state).toBe('withdrawn');
      // Refused at the counter.
      const refused = await submitted(code);
      await act(clerk, refused.id, 'refuse', { comment: 'Không thuộc thẩm quyền' }).expect(200);
      // Finished on time.
      const done = await submitted(code);
      await act(clerk, done.id, 'receive').expect(200);
      await act(clerk, done.id, 'complete').expect(200);

      const report = await t.http
        .get(`${api}/reports/indicators`)
        .set(supervisor.auth)
        .query({ from: localDay(-1), to: localDay(2), procedure: code })
        .expect(200);
      expect(report.body.rows).toEqual([
        expect.objectContaining({ finished: 1, onTime: 1, late: 0, onTimeRate: 1, withdrawn: 1, refused: 1 }),
      ]);
    });
  });

  describe('3. the clock runs until the result is ready for return; states waiting for the agency never stop it', () => {
    it('approving a household business does not stop the clock: paused while the charge is owed, running until the result is returned', async () => {
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'quan1');
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({
            procedureCode: DEMO.householdBusiness,
            formData: {
              businessName: 'Tiệm bánh mì Hoa',
              ownerName: 'Lê Thị Hoa',
              address: '12 Lê Lợi, Quận 1',
              businessLine: 'Bakery',
              capitalVnd: 50_000_000,
            },
          })
          .expect(201)
      ).body;
      await uploadDocument(t, citizen, d.id, 'id_card').expect(201);
      await uploadDocument(t, citizen, d.id, 'premises_proof').expect(201);
      await submit(citizen, d.id).expect(200);
      await act(clerk, d.id, 'receive').expect(200);
      const approved = await act(clerk, d.id, 'approve').expect(200);
      expect(approved.body).toMatchObject({ state: 'awaiting_payment', finishedAt: null, clockPaused: true });
      await payInSandbox(t, citizen, d.id);
      await t.drain();
      const paid = await t.http.get(`${api}/applications/${d.id}`).set(clerk.auth).expect(200);
      expect(paid.body).toMatchObject({ state: 'approved', finishedAt: null, clockPaused: false, standing: 'running' });
      const returned = await act(clerk, d.id, 'return_result').expect(200);
      expect(returned.body.finishedAt).not.toBeNull();
    });

    it('a procedure whose approved state (waiting for the agency) stops or pauses the clock is not published', async () => {
      const wf = simpleWorkflow();
      wf.states.push({ key: 'approved', clock: 'stopped' });
      wf.actions.push({ key: 'approve', from: ['processing'], to: 'approved', by: ['clerk'] });
      wf.actions.push({
        key: 'hand_over',
        from: ['approved'],
        to: 'completed',
        by: ['clerk'],
        effects: ['issueResult'],
      });
      const stopped = await procedureWith(wf);
      expect(stopped.published!.status).toBe(422);
      expect(stopped.published!.body.errors).toEqual([
        expect.objectContaining({ field: 'workflow.states[6].clock', message: expect.stringMatching(/running/) }),
      ]);
      wf.states[6] = { key: 'approved', clock: 'paused' };
      const paused = await procedureWith(wf);
      expect(paused.published!.body.errors).toEqual([
        expect.objectContaining({
          field: 'workflow.states[6].clock',
          message: expect.stringMatching(/waits for the agency/),
        }),
      ]);
    });
  });
});
