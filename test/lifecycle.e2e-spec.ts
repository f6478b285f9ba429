import { DEFAULT_CALENDAR, workingTimeBetween, addWorkingTime } from '../src/workflow/calendar';
import { HOLIDAYS_VN } from '../src/database/demo-data';
import { createTestApp, TestApp } from './support/app';
import { binary, DEMO, idem, newCitizen, payInSandbox, Session, staff, uploadDocument } from './support/factories';

/** Messages are sent by concurrent jobs: compare them as sets. */
const sorted = (xs: string[]) => [...xs].sort();

/** Each demo procedure walked from draft to its final state over HTTP, with the emails it sends. */
describe('dossier lifecycle (demo procedures)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const api = '/api/v1';

  async function draft(citizen: Session, procedureCode: string, formData: object, delivery?: object) {
    const res = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode, formData, ...(delivery ? { delivery } : {}) });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function act(who: Session, id: string, action: string, body: object = {}) {
    return t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
  }

  async function history(who: Session, id: string) {
    const res = await t.http.get(`${api}/applications/${id}/history`).set(who.auth).expect(200);
    return res.body as {
      action: string;
      fromState: string | null;
      toState: string;
      actorRole: string;
      comment: string | null;
      at: string;
      data: any;
    }[];
  }

  it('birth extract copy: draft, edit, document, submit, receipt with due date, completion; one email per step', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const d = await draft(citizen, DEMO.birthExtract, { fullName: 'Lê Thị Hoa' });
    expect(d).toMatchObject({
      state: 'draft',
      code: null,
      procedureCode: DEMO.birthExtract,
      procedureVersion: 1,
      availableActions: ['submit'],
    });

    // Submitting an incomplete dossier names each missing field and document, and changes nothing.
    const incomplete = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem());
    expect(incomplete.status).toBe(422);
    expect(incomplete.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = incomplete.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['formData.dateOfBirth', 'formData.copies', 'documents.id_card']));
    expect((await t.http.get(`${api}/applications/${d.id}`).set(citizen.auth)).body.state).toBe('draft');

    // A wrong type is refused on edit too, per field.
    const bad = await t.http
      .patch(`${api}/applications/${d.id}`)
      .set(citizen.auth)
      .send({ formData: { copies: 'two' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'formData.copies' })]);

    await t.http
      .patch(`${api}/applications/${d.id}`)
      .set(citizen.auth)
      .send({ formData: { dateOfBirth: '1990-05-01', copies: 2 } })
      .expect(200);
    const up = await uploadDocument(t, citizen, d.id, 'id_card');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ documentKey: 'id_card', contentType: 'application/pdf' });

    const key = idem();
    const submitted = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(key).expect(200);
    expect(submitted.body.state).toBe('submitted');
    expect(submitted.body.code).toMatch(/^000\.00\.01\.H56-\d{6}-\d{4}$/);
    expect(submitted.body.submittedAt).not.toBeNull();
    expect(submitted.body.receivedAt).toBeNull();
    expect(submitted.body.availableActions).toEqual(['withdraw']);

    const received = await act(clerk, d.id, 'receive');
    expect(received.status).toBe(200);
    expect(received.body).toMatchObject({ state: 'processing', code: submitted.body.code });
    const receivedAt = new Date(received.body.receivedAt);
    const dueAt = new Date(received.body.dueAt);
    // One working day (8 working hours) on the agency's calendar, counted from receipt.
    const calendar = { ...DEFAULT_CALENDAR, holidays: HOLIDAYS_VN };
    expect(dueAt.toISOString()).toBe(addWorkingTime(calendar, receivedAt, 8 * 3600_000).toISOString());
    expect(received.body.availableActions).toEqual(['complete']);

    const done = await act(clerk, d.id, 'complete');
    expect(done.body).toMatchObject({ state: 'completed', availableActions: [] });
    expect(done.body.finishedAt).not.toBeNull();

    const h = await history(citizen, d.id);
    expect(h.map((e) => [e.action, e.fromState, e.toState, e.actorRole])).toEqual([
      ['create', null, 'draft', 'citizen'],
      ['submit', 'draft', 'submitted', 'citizen'],
      ['receive', 'submitted', 'processing', 'clerk'],
      ['complete', 'processing', 'completed', 'clerk'],
    ]);
    // The receipt and appointment slip: code, date received, due date.
    expect(h[2].data.receipt).toEqual({
      code: submitted.body.code,
      receivedAt: receivedAt.toISOString(),
      dueAt: dueAt.toISOString(),
    });

    await t.drain();
    const mails = t.smtp.to(citizen.email);
    expect(mails.map((m) => m.subject).sort()).toEqual(
      sorted([
        `Đã nộp hồ sơ ${submitted.body.code}`,
        `Tiếp nhận hồ sơ ${submitted.body.code}`,
        `Cập nhật hồ sơ ${submitted.body.code}`,
        `Đã có kết quả hồ sơ ${submitted.body.code}`,
      ]),
    );
    expect(mails.find((m) => m.subject.startsWith('Tiếp nhận'))!.text).toContain('Ngày hẹn trả kết quả: '); // the receipt's due date, in Vietnamese

    // BullMQ delivers at least once: the same event relayed again (a new outbox row, a new job id) sends nothing more.
    await t.db.query(
      `INSERT INTO outbox (queue, job_name, payload) SELECT queue, job_name, payload FROM outbox WHERE payload->>'dossierId' = $1`,
      [d.id],
    );
    await t.drain();
    expect(t.smtp.to(citizen.email)).toHaveLength(4);
    const sent = await t.db.query(
      `SELECT event, channel, status, attempts FROM notifications WHERE dossier_id = $1 ORDER BY created_at, channel`,
      [d.id],
    );
    expect(sent).toHaveLength(8);
    expect(sent).toEqual(
      expect.arrayContaining(
        ['submit', 'receive', 'complete', 'result_available'].flatMap((event) => [
          { event, channel: 'email', status: 'sent', attempts: 1 },
          { event, channel: 'sms', status: 'sent', attempts: 1 },
        ]),
      ),
    );
    // The SMS gateway (the built-in sandbox, over HTTP) got one message per event too.
    const [{ phone }] = await t.db.query(`SELECT phone FROM accounts WHERE email = $1`, [citizen.email]);
    const sms = await t.http.get('/api/v1/sandbox/sms/messages').query({ phone }).expect(200);
    expect(sms.body.map((m: { text: string }) => m.text.split('. ')[0]).sort()).toEqual(
      [
        `Cập nhật hồ sơ ${submitted.body.code}`,
        `Tiếp nhận hồ sơ ${submitted.body.code}`,
        `Đã nộp hồ sơ ${submitted.body.code}`,
        `Đã có kết quả hồ sơ ${submitted.body.code}`,
      ].sort(),
    );
    // The result was generated from the procedure's template and can be downloaded by the owner.
    const withResult = await t.http.get(`${api}/applications/${d.id}`).set(citizen.auth).expect(200);
    expect(withResult.body.result).toMatchObject({
      verificationCode: expect.stringMatching(/^[A-Z2-9]{10}$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const pdf = await t.http
      .get(`${api}/applications/${d.id}/result`)
      .set(citizen.auth)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('household business: supplementation round pauses the clock and keeps the code; approval and result', async () => {
    const citizen = await newCitizen(t, { locale: 'en' });
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = await draft(citizen, DEMO.householdBusiness, {
      businessName: 'Tiệm bánh mì Hoa',
      ownerName: 'Lê Thị Hoa',
      address: '12 Lê Lợi, Quận 1',
      businessLine: 'Bakery',
      capitalVnd: 50_000_000,
    });
    await uploadDocument(t, citizen, d.id, 'id_card');
    await uploadDocument(t, citizen, d.id, 'premises_proof');
    const submitted = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    const code = submitted.body.code;
    const received = await act(clerk, d.id, 'receive');
    expect(received.status).toBe(200);

    // A supplementation request needs a comment.
    const noComment = await act(clerk, d.id, 'request_supplement', {});
    expect(noComment.status).toBe(422);
    expect(noComment.body.errors).toEqual([expect.objectContaining({ field: 'comment' })]);
    const blank = await act(clerk, d.id, 'request_supplement', { comment: '   ' });
    expect(blank.status).toBe(422);

    const asked = await act(clerk, d.id, 'request_supplement', {
      comment: 'Thiếu hợp đồng thuê mặt bằng có công chứng',
    });
    expect(asked.body).toMatchObject({ state: 'supplement_requested', clockPaused: true, availableActions: [] });
    const seen = await t.http.get(`${api}/applications/${d.id}`).set(citizen.auth).expect(200);
    expect(seen.body.availableActions).toEqual(['resubmit', 'withdraw']);

    // Simulate that the citizen took ten calendar days to answer (longer than any holiday run): the paused working time moves the due date.
    await t.db.query(`UPDATE dossiers SET paused_at = paused_at - interval '10 days' WHERE id = $1`, [d.id]);
    const [{ paused_at }] = await t.db.query(`SELECT paused_at FROM dossiers WHERE id = $1`, [d.id]);
    await t.http
      .patch(`${api}/applications/${d.id}`)
      .set(citizen.auth)
      .send({ formData: { employees: 3 } })
      .expect(200);
    await uploadDocument(t, citizen, d.id, 'premises_proof', undefined, 'lease-notarised.pdf');
    const back = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    expect(back.body).toMatchObject({ state: 'processing', code, clockPaused: false });
    const calendar = { ...DEFAULT_CALENDAR, holidays: HOLIDAYS_VN };
    const [{ updated_at }] = await t.db.query(`SELECT updated_at FROM dossiers WHERE id = $1`, [d.id]);
    const paused = workingTimeBetween(calendar, new Date(paused_at), new Date(updated_at));
    expect(paused).toBeGreaterThan(0);
    expect(new Date(back.body.dueAt).toISOString()).toBe(
      addWorkingTime(calendar, new Date(received.body.dueAt), paused).toISOString(),
    );

    // Approval opens the charge (paid after approval); the confirmed payment moves the dossier on by itself.
    const approved = await act(clerk, d.id, 'approve', { comment: 'Đủ điều kiện' });
    expect(approved.body).toMatchObject({
      state: 'awaiting_payment',
      payment: { stage: 'after_approval', amountVnd: 100000, status: 'open' },
    });
    // The appointment is for the result, not the approval: the clock only pauses while the charge is owed.
    expect(approved.body).toMatchObject({ finishedAt: null, clockPaused: true });
    const paid = await payInSandbox(t, citizen, d.id);
    expect(paid.ipnResponse).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    await t.drain();
    const after = await t.http.get(`${api}/applications/${d.id}`).set(clerk.auth).expect(200);
    expect(after.body).toMatchObject({
      state: 'approved',
      payment: { status: 'paid' },
      availableActions: ['return_result'],
    });
    const final = await act(clerk, d.id, 'return_result');
    expect(final.body.state).toBe('completed');
    expect(final.body.finishedAt).not.toBeNull();

    const h = await history(clerk, d.id);
    expect(h.map((e) => e.action)).toEqual([
      'create',
      'submit',
      'receive',
      'request_supplement',
      'edit',
      'resubmit',
      'approve',
      'payment_confirmed',
      'return_result',
    ]);
    expect(h[7]).toMatchObject({ actorRole: 'system', fromState: 'awaiting_payment', toState: 'approved' });
    expect(h[3].comment).toBe('Thiếu hợp đồng thuê mặt bằng có công chứng');

    await t.drain();
    expect(
      t.smtp
        .to(citizen.email)
        .map((m) => m.subject)
        .sort(),
    ).toEqual(
      sorted([
        `Dossier ${code} submitted`,
        `Dossier ${code} received`,
        `Dossier ${code}: documents requested`,
        `Dossier ${code} supplemented`,
        `Dossier ${code} approved`,
        `Dossier ${code}: payment needed`,
        `Dossier ${code}: payment confirmed`,
        `Dossier ${code} updated`,
        `Dossier ${code}: result available`,
      ]),
    );
  });

  it('judicial record: a refusal with its reason, and the citizen notified', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'sotuphap');
    const d = await draft(
      citizen,
      DEMO.judicialRecord,
      {
        fullName: 'Lê Thị Hoa',
        dateOfBirth: '1990-05-01',
        placeOfBirth: 'TP. Hồ Chí Minh',
        certificateType: 1,
        purpose: 'Xin việc',
      },
      { method: 'post', recipient: 'Lê Thị Hoa', address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh', phone: '0901234567' },
    );
    expect(d.delivery).toEqual({
      method: 'post',
      recipient: 'Lê Thị Hoa',
      address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
      phone: '0901234567',
    });
    await uploadDocument(t, citizen, d.id, 'id_card');
    const s = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    // The fee is paid before receipt; with delivery by post, the postal fee is added.
    expect(s.body).toMatchObject({ state: 'awaiting_payment', payment: { amountVnd: 230000, status: 'open' } });
    expect(s.body.payment.items.map((i: { kind: string }) => i.kind)).toEqual(['fee', 'postal']);
    await payInSandbox(t, citizen, d.id);
    await t.drain();

    // The citizen cannot take a clerk's action; the clerk cannot take an action the state does not allow.
    expect((await act(citizen, d.id, 'refuse', { comment: 'x' })).status).toBe(403);
    expect((await act(clerk, d.id, 'approve')).status).toBe(409);
    expect((await act(clerk, d.id, 'no_such_action')).status).toBe(404);

    const refused = await act(clerk, d.id, 'refuse', { comment: 'Hồ sơ không thuộc thẩm quyền' });
    expect(refused.body).toMatchObject({ state: 'refused', availableActions: [] });
    // Terminal: nothing more happens to it.
    expect((await act(citizen, d.id, 'withdraw')).status).toBe(409);
    await t.drain();
    const mails = t.smtp.to(citizen.email);
    expect(mails.map((m) => m.subject).sort()).toEqual(
      sorted([
        `Đã nộp hồ sơ ${s.body.code}`,
        `Hồ sơ ${s.body.code}: cần nộp phí, lệ phí`,
        `Đã nhận thanh toán hồ sơ ${s.body.code}`,
        `Từ chối tiếp nhận hồ sơ ${s.body.code}`,
      ]),
    );
    expect(mails.find((m) => m.subject.startsWith('Từ chối'))!.text).toContain('Lý do: Hồ sơ không thuộc thẩm quyền');
  });

  it('judicial record: asked to complete before receipt, then received, supplemented and approved by the supervisor', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'sotuphap');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');
    const d = await draft(citizen, DEMO.judicialRecord, {
      fullName: 'Lê Thị Hoa',
      dateOfBirth: '1990-05-01',
      placeOfBirth: 'Huế',
      certificateType: 2,
      purpose: 'Định cư',
    });
    await uploadDocument(t, citizen, d.id, 'id_card');
    const s = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await payInSandbox(t, citizen, d.id);
    await t.drain();
    await act(clerk, d.id, 'ask_to_complete', { comment: 'Bổ sung giấy tờ cư trú' }).then((r) =>
      expect(r.body.state).toBe('incomplete'),
    );
    await uploadDocument(t, citizen, d.id, 'residence_proof');
    const again = await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    expect(again.body).toMatchObject({ state: 'submitted', code: s.body.code, receivedAt: null });
    await act(clerk, d.id, 'receive').then((r) => expect(r.body.state).toBe('processing'));
    // Approval is the supervisor's: the clerk may not.
    expect((await act(clerk, d.id, 'approve')).status).toBe(403);
    await act(supervisor, d.id, 'approve', { data: { finding: 'Không có án tích.' } }).then((r) =>
      expect(r.body.state).toBe('approved'),
    );
    await act(clerk, d.id, 'issue_result').then((r) => expect(r.body.state).toBe('result_issued'));
    // Online delivery: no parcel; the clerk hands it over (the citizen downloads it).
    await act(clerk, d.id, 'hand_over').then((r) =>
      expect(r.body).toMatchObject({ state: 'completed', shipment: null }),
    );
  });

  it('withdrawal by the citizen while processing; a supervisor can stop a household business dossier', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'quan1');
    const supervisor = await staff(t, 'supervisor', 'quan1');
    const form = {
      businessName: 'Quán cà phê An',
      ownerName: 'Lê Thị Hoa',
      address: '1 Nguyễn Huệ, Quận 1',
      businessLine: 'Cafe',
      capitalVnd: 0,
    };
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const d = await draft(citizen, DEMO.householdBusiness, form);
      await uploadDocument(t, citizen, d.id, 'id_card');
      await uploadDocument(t, citizen, d.id, 'premises_proof');
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      await act(clerk, d.id, 'receive').then((r) => expect(r.status).toBe(200));
      ids.push(d.id);
    }
    const withdrawn = await act(citizen, ids[0], 'withdraw', { comment: 'Không còn nhu cầu' });
    expect(withdrawn.body).toMatchObject({ state: 'withdrawn', availableActions: [] });
    expect(withdrawn.body.finishedAt).not.toBeNull();

    expect((await act(clerk, ids[1], 'stop', { comment: 'x' })).status).toBe(403);
    const stopped = await act(supervisor, ids[1], 'stop', { comment: 'Cơ sở kinh doanh nằm trong khu vực cấm' });
    expect(stopped.body.state).toBe('stopped');
    // Terminal dossiers leave the clerks' queue.
    const queue = await t.http.get(`${api}/queue`).set(clerk.auth).query({ limit: 100 }).expect(200);
    expect(queue.body.items.map((i: { id: string }) => i.id)).not.toEqual(expect.arrayContaining([ids[0]]));
    expect(queue.body.items.map((i: { id: string }) => i.id)).not.toEqual(expect.arrayContaining([ids[1]]));
  });

  it('the submit is idempotent: the same key returns the first answer and changes nothing; a reused key on another request is refused', async () => {
    const citizen = await newCitizen(t);
    const form = { fullName: 'Lê Thị Hoa', dateOfBirth: '1990-05-01', copies: 1 };
    const a = await draft(citizen, DEMO.birthExtract, form);
    const b = await draft(citizen, DEMO.birthExtract, form);
    await uploadDocument(t, citizen, a.id, 'id_card');
    await uploadDocument(t, citizen, b.id, 'id_card');
    const key = idem();
    const first = await t.http.post(`${api}/applications/${a.id}/submit`).set(citizen.auth).set(key).expect(200);
    const again = await Promise.all(
      [1, 2, 3].map(() => t.http.post(`${api}/applications/${a.id}/submit`).set(citizen.auth).set(key)),
    );
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual(first.body);
    }
    const h = await history(citizen, a.id);
    expect(h.filter((e) => e.action === 'submit')).toHaveLength(1);
    const reused = await t.http.post(`${api}/applications/${b.id}/submit`).set(citizen.auth).set(key);
    expect(reused.status).toBe(422);
    expect(reused.body.errors[0].field).toBe('Idempotency-Key');
    expect((await t.http.get(`${api}/applications/${b.id}`).set(citizen.auth)).body.state).toBe('draft');
    const missing = await t.http.post(`${api}/applications/${b.id}/submit`).set(citizen.auth);
    expect(missing.status).toBe(400);
    await t.drain();
    expect(t.smtp.to(citizen.email).filter((m) => m.subject === `Đã nộp hồ sơ ${first.body.code}`)).toHaveLength(1);
  });

  it('concurrent submits with the same key make one dossier code and one history entry', async () => {
    const citizen = await newCitizen(t);
    const d = await draft(citizen, DEMO.birthExtract, { fullName: 'Lê Thị Hoa', dateOfBirth: '1990-05-01', copies: 1 });
    await uploadDocument(t, citizen, d.id, 'id_card');
    const key = idem();
    const all = await Promise.all(
      Array.from({ length: 8 }, () => t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(key)),
    );
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(new Set(all.map((r) => r.body.code)).size).toBe(1);
    expect((await history(citizen, d.id)).filter((e) => e.action === 'submit')).toHaveLength(1);
  });
});
