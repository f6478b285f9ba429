import { createTestApp, TestApp } from './support/app';
import {
  admin,
  binary,
  DEMO,
  idem,
  newCitizen,
  payInSandbox,
  Session,
  staff,
  uploadDocument,
} from './support/factories';

// pdf-parse's index runs a self-test when required directly; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ text: string }> = require('pdf-parse/lib/pdf-parse.js');

const api = '/api/v1';
const flat = (s: string) => s.replace(/\s+/g, ' ');

/**
 * Transfer between agencies (liên thông): the judicial record with a verification by the police. The Department
 * of Justice receives it, hands it to the city police for 40 working hours, the police send it back.
 */
describe('transfer between agencies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const act = (who: Session, id: string, action: string, body: object = {}) =>
    t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
  const read = (who: Session, id: string) => t.http.get(`${api}/applications/${id}`).set(who.auth);
  const queueIds = async (who: Session): Promise<string[]> =>
    (await t.http.get(`${api}/queue`).set(who.auth).query({ limit: 100 }).expect(200)).body.items.map(
      (i: { id: string }) => i.id,
    );

  /** A paid judicial record with verification, by post (an address and a phone), waiting for receipt. */
  async function submitted(citizen: Session): Promise<string> {
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecordTransfer,
        formData: {
          fullName: 'Lê Thị Hoa',
          dateOfBirth: '1990-05-01',
          placeOfBirth: 'Huế',
          certificateType: 2,
          purpose: 'Xin việc',
        },
        delivery: { method: 'post', recipient: 'Lê Thị Hoa', address: '12 Lê Lợi, Quận 1', phone: '0912345678' },
      })
      .expect(201);
    expect((await uploadDocument(t, citizen, d.body.id, 'id_card')).status).toBe(201);
    await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await payInSandbox(t, citizen, d.body.id);
    await t.drain();
    return d.body.id;
  }

  it('the department hands the dossier to the police and gets it back; each side acts only while it works it', async () => {
    const citizen = await newCitizen(t);
    const justice = await staff(t, 'clerk', 'sotuphap');
    const police = await staff(t, 'clerk', 'congan');
    const id = await submitted(citizen);

    const received = (await act(justice, id, 'receive').expect(200)).body;
    expect(received.currentAgencyCode).toBeNull();
    expect(await queueIds(police)).not.toContain(id);
    expect((await read(police, id)).status).toBe(404);

    const handed = (await act(justice, id, 'request_verification').expect(200)).body;
    expect(handed).toMatchObject({ state: 'police_verification', currentAgencyCode: DEMO.agencies.congan });
    expect(handed.agencyCode).toBe(DEMO.agencies.sotuphap);
    expect(handed.availableActions).toEqual([]);

    // With the police: in their queue, not in the department's; the department reads it but cannot act.
    expect(await queueIds(police)).toContain(id);
    expect(await queueIds(justice)).not.toContain(id);
    const asJustice = (await read(justice, id).expect(200)).body;
    expect(asJustice.availableActions).toEqual([]);
    expect(asJustice.delivery).toMatchObject({ address: '12 Lê Lợi, Quận 1' });
    const blocked = await act(justice, id, 'return_verification', { comment: 'Tự trả' });
    expect(blocked.status).toBe(403);
    expect((await read(justice, id).expect(200)).body.state).toBe('police_verification');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');
    expect((await act(supervisor, id, 'approve')).status).toBe(403);

    // The police see only what the step needs: no address or phone, no payment.
    const asPolice = (await read(police, id).expect(200)).body;
    expect(asPolice.availableActions).toEqual(['return_verification']);
    expect(asPolice.delivery).toEqual({ method: 'post' });
    expect(asPolice.payment).toBeNull();
    expect(JSON.stringify(asPolice)).not.toContain('0912345678');
    expect((await t.http.get(`${api}/applications/${id}/payments`).set(police.auth)).status).toBe(404);
    expect((await t.http.get(`${api}/applications/${id}/forms/01`).set(police.auth)).status).toBe(404);

    const back = (await act(police, id, 'return_verification', { comment: 'Không có án tích' }).expect(200)).body;
    expect(back).toMatchObject({ state: 'processing', currentAgencyCode: null });

    // Back with the department: the police lose access; the department acts again.
    expect((await read(police, id)).status).toBe(404);
    expect(await queueIds(police)).not.toContain(id);
    expect(await queueIds(justice)).toContain(id);
    expect((await read(justice, id).expect(200)).body.availableActions).toContain('request_supplement');
  });

  it("every handover is in the history with its allotment and on form 05; the citizen's due date does not move", async () => {
    const citizen = await newCitizen(t);
    const justice = await staff(t, 'clerk', 'sotuphap');
    const police = await staff(t, 'clerk', 'congan');
    const id = await submitted(citizen);
    const dueAt = (await act(justice, id, 'receive').expect(200)).body.dueAt;
    expect(dueAt).toEqual(expect.any(String));
    expect((await act(justice, id, 'request_verification').expect(200)).body.dueAt).toBe(dueAt);
    expect((await act(police, id, 'return_verification', { comment: 'Đã xác minh' }).expect(200)).body.dueAt).toBe(
      dueAt,
    );

    const history = (await t.http.get(`${api}/applications/${id}/history`).set(citizen.auth).expect(200)).body;
    const handovers = history.filter((h: { data: { handover?: unknown } | null }) => h.data?.handover);
    expect(handovers.map((h: { action: string; data: { handover: unknown } }) => [h.action, h.data.handover])).toEqual([
      ['request_verification', { from: DEMO.agencies.sotuphap, to: DEMO.agencies.congan, allotmentHours: 40 }],
      ['return_verification', { from: DEMO.agencies.congan, to: DEMO.agencies.sotuphap, allotmentHours: null }],
    ]);
    // Steps with no change of agency carry no handover.
    expect(history.find((h: { action: string }) => h.action === 'receive').data.handover).toBeUndefined();

    const res = await t.http.get(`${api}/applications/${id}/forms/05`).set(justice.auth).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    const text = flat((await pdfParse(res.body as Buffer)).text);
    expect(text).toContain(
      'Liên thông: Sở Tư pháp TP. Hồ Chí Minh chuyển Công an TP. Hồ Chí Minh (thời gian giao: 40 giờ làm việc)',
    );
    expect(text).toContain('Liên thông: Công an TP. Hồ Chí Minh chuyển Sở Tư pháp TP. Hồ Chí Minh');
    // The police's step: its allotted time beside the time taken.
    expect(text).toContain('40 giờ làm việc');
  });

  it('publishing refuses a workflow naming an unknown agency, with the path of the state', async () => {
    const adm = await admin(t);
    const code = `TP-LT-${Date.now().toString(36)}`;
    await t.http
      .post(`${api}/admin/procedures`)
      .set(adm.auth)
      .send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.sotuphap, level: 'full' })
      .expect(201);
    const v = (await t.http.get(`${api}/admin/procedures/${DEMO.judicialRecordTransfer}/versions`).set(adm.auth))
      .body[0];
    const workflow = structuredClone(v.workflow);
    const i = workflow.states.findIndex((s: { key: string }) => s.key === 'police_verification');
    workflow.states[i].agency = '999.99.99.H99';
    const body = {
      formSchema: v.formSchema,
      requiredDocuments: v.requiredDocuments,
      fees: v.fees,
      feeTiming: v.feeTiming,
      processingDays: v.processingDays,
      deliveryOptions: v.deliveryOptions,
      postalFee: v.postalFeeVnd,
      workflow,
    };
    await t.http.post(`${api}/admin/procedures/${code}/versions`).set(adm.auth).send(body).expect(201);
    const refused = await t.http.post(`${api}/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { field: `workflow.states[${i}].agency`, message: 'no agency has the code 999.99.99.H99' },
    ]);

    // The same version naming an agency that exists publishes.
    workflow.states[i].agency = DEMO.agencies.congan;
    workflow.states[i].allotmentHours = 16;
    await t.http.post(`${api}/admin/procedures/${code}/versions`).set(adm.auth).send(body).expect(201);
    await t.http.post(`${api}/admin/procedures/${code}/versions/2/publish`).set(adm.auth).expect(200);
  });
});
