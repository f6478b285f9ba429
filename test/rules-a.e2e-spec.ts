import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, idem, newCitizen, Session, staff } from './support/factories';

/**
 * One-stop-shop rules 4-7 (issue 13), each named as a clerk would say it. Every test makes its own data; the
 * procedures it needs are created through the admin API.
 */
describe('one-stop-shop rules (4-7)', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
  });
  afterAll(() => t.close());

  const api = '/api/v1';
  const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

  /**
   * submit -> receive (clock) -> processing; a supplementation round (clock paused); two states of the agency's
   * own (one labelled, one not) before completing.
   */
  const workflow = () => ({
    states: [
      { key: 'draft', start: true, editableBy: ['citizen'] },
      { key: 'submitted', clock: 'stopped' },
      { key: 'processing', clock: 'running' },
      { key: 'supplement_requested', clock: 'paused', editableBy: ['citizen'], resubmit: 'supplement' },
      { key: 'tham_dinh', clock: 'running', label: 'Thẩm định hồ sơ' },
      { key: 'kiem_tra', clock: 'running' },
      { key: 'completed', terminal: true },
      { key: 'withdrawn', terminal: true },
    ],
    actions: [
      { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
      { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
      {
        key: 'request_supplement',
        from: ['processing'],
        to: 'supplement_requested',
        by: ['clerk'],
        requires: ['comment'],
      },
      { key: 'supplement', from: ['supplement_requested'], to: 'processing', by: ['citizen'] },
      { key: 'review', from: ['processing'], to: 'tham_dinh', by: ['clerk'] },
      { key: 'check', from: ['tham_dinh'], to: 'kiem_tra', by: ['clerk'] },
      { key: 'complete', from: ['processing', 'tham_dinh', 'kiem_tra'], to: 'completed', by: ['clerk'] },
      { key: 'withdraw', from: ['submitted', 'supplement_requested'], to: 'withdrawn', by: ['citizen'] },
    ],
  });

  /** A published procedure at Quận 1 with the workflow above; no fee, no required document. */
  async function procedure(processingDays = 5) {
    const code = `RA-${uid()}`;
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
        processingDays,
        deliveryOptions: ['online'],
        workflow: workflow(),
      })
      .expect(201);
    await t.http.post(`${api}/admin/procedures/${code}/versions/1/publish`).set(adm.auth).expect(200);
    return code;
  }

  const act = (who: Session, id: string, action: string, body: Record<string, unknown> = {}) =>
    t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
  const submit = (who: Session, id: string) =>
    t.http.post(`${api}/applications/${id}/submit`).set(who.auth).set(idem());

  /** A new citizen's dossier, submitted and received by a Quận 1 clerk. */
  async function received(locale: 'vi' | 'en' = 'vi', processingDays = 5) {
    const code = await procedure(processingDays);
    const citizen = await newCitizen(t, { locale });
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = (
      await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { fullName: 'Ngô Văn Bình' } })
        .expect(201)
    ).body;
    await submit(citizen, d.id).expect(200);
    const r = await act(clerk, d.id, 'receive').expect(200);
    return { citizen, clerk, id: d.id as string, code: r.body.code as string, dueAt: r.body.dueAt as string };
  }

  describe('4. notifications show the state’s label in the citizen’s language, never a raw key', () => {
    it('an English-speaking citizen is told the dossier is “Being processed”, then the agency’s own step by its name', async () => {
      const { citizen, clerk, id, code } = await received('en');
      await t.drain();
      const receipt = t.smtp.to(citizen.email).find((m) => m.subject === `Dossier ${code} received`)!;
      expect(receipt.text).toContain('Dossier status: Being processed.');
      expect(receipt.text).not.toMatch(/\bprocessing\b|Đang giải quyết/);

      await act(clerk, id, 'review').expect(200);
      await act(clerk, id, 'check').expect(200);
      await t.drain();
      const updates = t.smtp.to(citizen.email).filter((m) => m.subject === `Dossier ${code} updated`);
      expect(updates.map((m) => /moved to: (.*)\./.exec(m.text)?.[1])).toEqual(['Thẩm định hồ sơ', 'In progress']);
      expect(updates.map((m) => m.text).join()).not.toMatch(/tham_dinh|kiem_tra/);
    });

    it('a Vietnamese-speaking citizen reads the state in Vietnamese', async () => {
      const { citizen, code } = await received('vi');
      await t.drain();
      const receipt = t.smtp.to(citizen.email).find((m) => m.subject === `Tiếp nhận hồ sơ ${code}`)!;
      expect(receipt.text).toContain('Trạng thái hồ sơ: Đang giải quyết.');
    });
  });
});
