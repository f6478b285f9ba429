import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { PaymentsService } from '../src/payments/payments.service';
import { buildQueryDr, formatVnpDate, signParams, VNP_SECURE_HASH } from '../src/payments/vnpay/vnpay.protocol';
import { createTestApp, TestApp } from './support/app';
import {
  admin as loginAdmin,
  binary,
  DEMO,
  idem,
  newCitizen,
  payInSandbox,
  Session,
  staff,
  uploadDocument,
} from './support/factories';

/**
 * Online payment of fees over HTTP, with the built-in VNPay sandbox as the
 * gateway: the citizen pays, the dossier moves on by itself, and no callback
 * storm, forgery, lost IPN or expiry credits twice, loses a payment or leaves
 * a dossier stuck.
 */
describe('online payment (VNPay protocol, sandbox gateway)', () => {
  let t: TestApp;
  let secret: string;
  let tmnCode: string;
  beforeAll(async () => {
    t = await createTestApp();
    const config = t.app.get(ConfigService);
    secret = config.get('VNPAY_HASH_SECRET')!;
    tmnCode = config.get('VNPAY_TMN_CODE')!;
  });
  afterAll(() => t.close());

  const api = '/api/v1';
  const JUDICIAL_FORM = {
    fullName: 'Lê Thị Hoa',
    dateOfBirth: '1990-05-01',
    placeOfBirth: 'TP. Hồ Chí Minh',
    certificateType: 1,
    purpose: 'Xin việc',
  };
  const BY_POST = {
    method: 'post',
    recipient: 'Lê Thị Hoa',
    address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
    phone: '0901234567',
  };
  const BUSINESS_FORM = {
    businessName: 'Tiệm bánh mì Hoa',
    ownerName: 'Lê Thị Hoa',
    address: '12 Lê Lợi, Quận 1',
    businessLine: 'Bakery',
    capitalVnd: 50_000_000,
  };

  // ------------------------------------------------------------------ helpers

  /** A judicial record dossier submitted by the citizen: awaiting payment of 200,000 VND (+ 30,000 postal fee by post). */
  async function judicialAwaitingPayment(citizen: Session, delivery: 'post' | 'online' = 'post') {
    const created = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecord,
        formData: JUDICIAL_FORM,
        ...(delivery === 'post' ? { delivery: BY_POST } : {}),
      });
    expect(created.status).toBe(201);
    expect((await uploadDocument(t, citizen, created.body.id, 'id_card')).status).toBe(201);
    const submitted = await t.http.post(`${api}/applications/${created.body.id}/submit`).set(citizen.auth).set(idem());
    expect(submitted.status).toBe(200);
    expect(submitted.body.state).toBe('awaiting_payment');
    return submitted.body as { id: string; code: string; state: string; payment: any };
  }

  /** A household business dossier received and approved by the clerk: awaiting payment of the 100,000 VND charge. */
  async function businessAwaitingPayment(citizen: Session, clerk: Session) {
    const created = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: DEMO.householdBusiness, formData: BUSINESS_FORM });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await uploadDocument(t, citizen, id, 'id_card');
    await uploadDocument(t, citizen, id, 'premises_proof');
    await t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    expect((await act(clerk, id, 'receive')).status).toBe(200);
    const approved = await act(clerk, id, 'approve', { comment: 'Đủ điều kiện' });
    expect(approved.status).toBe(200);
    return approved.body as { id: string; code: string; state: string; payment: any };
  }

  function act(who: Session, id: string, action: string, body: object = {}) {
    return t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
  }

  function startPayment(citizen: Session, id: string) {
    return t.http.post(`${api}/applications/${id}/payments`).set(citizen.auth).send({ provider: 'vnpay' });
  }

  async function dossier(who: Session, id: string) {
    const res = await t.http.get(`${api}/applications/${id}`).set(who.auth);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function history(who: Session, id: string) {
    const res = await t.http.get(`${api}/applications/${id}/history`).set(who.auth).expect(200);
    return res.body as { action: string; fromState: string | null; toState: string; actorRole: string }[];
  }

  /** The portal's IPN endpoint, called as the gateway does (GET with the signed parameters). */
  async function ipn(params: Record<string, string>): Promise<{ RspCode: string; Message: string }> {
    const res = await t.http.get(`${api}/payments/vnpay/ipn?${new URLSearchParams(params).toString()}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The IPN parameters with some changed, signed again (with the merchant's secret unless told otherwise). */
  function resign(
    params: Record<string, string>,
    changes: Record<string, string>,
    key = secret,
  ): Record<string, string> {
    const p: Record<string, string> = { ...params, ...changes };
    delete p[VNP_SECURE_HASH];
    return { ...p, [VNP_SECURE_HASH]: signParams(p, key) };
  }

  async function attemptRow(attemptId: string) {
    const [row] = await t.db.query(`SELECT * FROM payment_attempts WHERE id = $1`, [attemptId]);
    return row;
  }

  async function count(sql: string, params: unknown[]): Promise<number> {
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ${sql}`, params);
    return n;
  }

  const receipts = (dossierId: string) =>
    count(`payment_receipts r JOIN payment_attempts a ON a.id = r.attempt_id WHERE a.dossier_id = $1`, [dossierId]);

  async function events(attemptId: string) {
    return t.db.query<{ source: string; outcome: string; from_state: string | null; to_state: string | null }[]>(
      `SELECT source, outcome, from_state, to_state FROM payment_events WHERE attempt_id = $1 ORDER BY id`,
      [attemptId],
    );
  }

  /**
   * Makes an attempt `minutes` older (created_at and expires_at). The gateway finds a transaction by its
   * reference and its creation date (querydr's vnp_TransactionDate), so the sandbox's ledger moves back too.
   */
  async function age(attemptId: string, minutes: number): Promise<void> {
    const [[row]] = await t.db.query(
      `UPDATE payment_attempts SET created_at = created_at - make_interval(mins => $2), expires_at = expires_at - make_interval(mins => $2)
        WHERE id = $1 RETURNING txn_ref, created_at`,
      [attemptId, minutes],
    );
    await t.db.query(`UPDATE sandbox_vnpay_transactions SET create_date = $2 WHERE txn_ref = $1`, [
      row.txn_ref,
      formatVnpDate(new Date(row.created_at)),
    ]);
  }

  function receiptPdf(who: Session, dossierId: string, attemptId: string) {
    return t.http
      .get(`${api}/applications/${dossierId}/payments/${attemptId}/receipt`)
      .set(who.auth)
      .buffer(true)
      .parse(binary);
  }

  // ------------------------------------------------------------------ tests

  it("before receipt (judicial record by post): 230,000 VND with the postal fee, paid, the dossier moves on; the receipt PDF is the owner's", async () => {
    const citizen = await newCitizen(t);
    const other = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen, 'post');
    expect(d.payment).toMatchObject({ stage: 'before_receipt', amountVnd: 230000, status: 'open' });
    expect(d.payment.items).toEqual([
      expect.objectContaining({ kind: 'fee', amount: 200000 }),
      expect.objectContaining({ kind: 'postal', amount: 30000 }),
    ]);

    const paid = await payInSandbox(t, citizen, d.id);
    // The gateway was asked for exactly what is due, in VND x 100.
    expect(new URL(paid.redirectUrl).searchParams.get('vnp_Amount')).toBe('23000000');
    expect(paid.ipnParams.vnp_Amount).toBe('23000000');
    expect(paid.ipnResponse).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    await t.drain();

    const after = await dossier(citizen, d.id);
    expect(after).toMatchObject({ state: 'submitted', payment: { status: 'paid', amountVnd: 230000 } });
    expect(after.payment.paidAt).not.toBeNull();
    const h = await history(citizen, d.id);
    expect(h.map((e) => [e.action, e.fromState, e.toState, e.actorRole])).toEqual([
      ['create', null, 'draft', 'citizen'],
      ['submit', 'draft', 'awaiting_payment', 'citizen'],
      ['payment_confirmed', 'awaiting_payment', 'submitted', 'system'],
    ]);

    const attempt = await attemptRow(paid.attemptId);
    expect(attempt).toMatchObject({
      state: 'succeeded',
      amount_vnd: '230000',
      txn_ref: paid.txnRef,
      provider_txn_no: paid.ipnParams.vnp_TransactionNo,
    });
    expect(await receipts(d.id)).toBe(1);
    expect((await events(paid.attemptId)).map((e) => [e.source, e.outcome, e.from_state, e.to_state])).toEqual([
      ['start', 'created', 'created', 'pending'],
      ['ipn', 'succeeded', 'pending', 'succeeded'],
    ]);

    // The citizen's list shows the attempt with its receipt number.
    const list = await t.http.get(`${api}/applications/${d.id}/payments`).set(citizen.auth).expect(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ stage: 'before_receipt', amountVnd: 230000, status: 'paid' });
    expect(list.body[0].attempts).toEqual([
      expect.objectContaining({
        id: paid.attemptId,
        state: 'succeeded',
        txnRef: paid.txnRef,
        receiptNumber: expect.stringMatching(/^\d{6}\/\d{4}\/BL-[\w.]+$/),
      }),
    ]);

    const pdf = await receiptPdf(citizen, d.id, paid.attemptId);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toContain(list.body[0].attempts[0].receiptNumber.replace(/\W+/g, '-'));
    expect((pdf.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Someone else's receipt does not exist for another citizen.
    expect((await receiptPdf(other, d.id, paid.attemptId)).status).toBe(404);
    expect((await t.http.get(`${api}/applications/${d.id}/payments`).set(other.auth)).status).toBe(404);
  });

  it('after approval (household business): the 100,000 VND charge paid moves the dossier to approved; receipt downloadable', async () => {
    const citizen = await newCitizen(t, { locale: 'en' });
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = await businessAwaitingPayment(citizen, clerk);
    expect(d).toMatchObject({
      state: 'awaiting_payment',
      payment: { stage: 'after_approval', amountVnd: 100000, status: 'open' },
    });
    expect(d.payment.items).toEqual([expect.objectContaining({ kind: 'charge', amount: 100000 })]);

    const paid = await payInSandbox(t, citizen, d.id);
    expect(new URL(paid.redirectUrl).searchParams.get('vnp_Locale')).toBe('en');
    expect(paid.ipnResponse?.RspCode).toBe('00');
    await t.drain();

    expect(await dossier(clerk, d.id)).toMatchObject({
      state: 'approved',
      payment: { status: 'paid' },
      availableActions: ['return_result'],
    });
    expect((await attemptRow(paid.attemptId)).state).toBe('succeeded');
    expect(await receipts(d.id)).toBe(1);
    const pdf = await receiptPdf(citizen, d.id, paid.attemptId);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((pdf.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('cancel, then pay again: the cancelled attempt leaves the fee due, a new attempt is allowed and succeeds', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen, 'online');
    expect(d.payment).toMatchObject({ amountVnd: 200000 });
    expect(d.payment.items.map((i: { kind: string }) => i.kind)).toEqual(['fee']);

    const cancelled = await payInSandbox(t, citizen, d.id, { outcome: 'cancel' });
    expect(cancelled.ipnParams.vnp_ResponseCode).toBe('24');
    expect(cancelled.ipnResponse?.RspCode).toBe('00'); // the result was recorded
    await t.drain();
    expect((await attemptRow(cancelled.attemptId)).state).toBe('cancelled');
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'awaiting_payment', payment: { status: 'open' } });
    expect(await receipts(d.id)).toBe(0);
    // The browser comes back and is told so.
    const back = await t.http
      .get(new URL(cancelled.returnUrl).pathname + new URL(cancelled.returnUrl).search)
      .set('accept', 'application/json');
    expect(back.body).toMatchObject({ status: 'cancelled', dossierId: d.id });

    const paid = await payInSandbox(t, citizen, d.id);
    expect(paid.attemptId).not.toBe(cancelled.attemptId);
    expect(paid.txnRef).not.toBe(cancelled.txnRef);
    expect(paid.ipnResponse?.RspCode).toBe('00');
    await t.drain();
    expect((await attemptRow(paid.attemptId)).state).toBe('succeeded');
    expect((await attemptRow(cancelled.attemptId)).state).toBe('cancelled');
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
    expect(await receipts(d.id)).toBe(1);
  });

  it('starting twice in a hurry gives one attempt; a start when nothing is due is refused with 409', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const starts = await Promise.all(Array.from({ length: 5 }, () => startPayment(citizen, d.id)));
    expect(starts.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(starts.map((r) => r.body.attemptId)).size).toBe(1);
    expect(new Set(starts.map((r) => r.body.redirectUrl)).size).toBe(1);
    expect(starts[0].body).toMatchObject({ amountVnd: 230000 });
    expect(await count(`payment_attempts WHERE dossier_id = $1`, [d.id])).toBe(1);
    expect(await count(`payment_events WHERE attempt_id = $1 AND source = 'start'`, [starts[0].body.attemptId])).toBe(
      1,
    );

    // Someone else cannot pay (or even see) this dossier.
    const other = await newCitizen(t);
    expect((await startPayment(other, d.id)).status).toBe(404);
    // Only a known provider.
    const unknown = await t.http
      .post(`${api}/applications/${d.id}/payments`)
      .set(citizen.auth)
      .send({ provider: 'paypal' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'provider' })]);

    // Once paid, nothing is due.
    const txnRef = new URL(starts[0].body.redirectUrl).searchParams.get('vnp_TxnRef')!;
    expect((await fetch(starts[0].body.redirectUrl)).status).toBe(200);
    const done = await t.http
      .post(`${api}/sandbox/vnpay/transactions/${txnRef}/complete`)
      .send({ outcome: 'pay' })
      .expect(200);
    expect(done.body.ipnResponse.RspCode).toBe('00');
    await t.drain();
    const again = await startPayment(citizen, d.id);
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/nothing-due$/);

    // A dossier with nothing to pay: the birth extract copy has no fee.
    const free = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Lê Thị Hoa', dateOfBirth: '1990-05-01', copies: 1 },
      });
    expect(free.status).toBe(201);
    const none = await startPayment(citizen, free.body.id);
    expect(none.status).toBe(409);
    expect(none.body.type).toMatch(/nothing-due$/);
  });

  it('IPN answers: 97 forged, 01 unknown order, 04 tampered amount, 00 confirmed, 02 replayed; forgeries change nothing', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, d.id, { ipn: 'skip' });
    expect(p.ipnResponse).toBeUndefined();
    expect((await attemptRow(p.attemptId)).state).toBe('pending');
    const rejectedBefore = await count(`payment_events WHERE attempt_id IS NULL`, []);

    // 97: signed with another secret.
    expect(await ipn(resign(p.ipnParams, {}, 'not-the-merchant-secret'))).toEqual({
      RspCode: '97',
      Message: 'Invalid signature',
    });
    // 97: a correctly signed message whose amount was changed afterwards.
    expect((await ipn({ ...p.ipnParams, vnp_Amount: '100' })).RspCode).toBe('97');
    // 01: correctly signed, for an order the portal never made.
    expect((await ipn(resign(p.ipnParams, { vnp_TxnRef: 'UNKNOWN0000001' }))).RspCode).toBe('01');
    // 04: correctly signed, with another amount (1,000 VND instead of 230,000).
    expect((await ipn(resign(p.ipnParams, { vnp_Amount: '100000' }))).RspCode).toBe('04');

    // None of them changed anything.
    await t.drain();
    expect((await attemptRow(p.attemptId)).state).toBe('pending');
    expect(await receipts(d.id)).toBe(0);
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'awaiting_payment', payment: { status: 'open' } });
    // The correctly signed one for an unknown order is kept for the audit; the forgeries are not stored (only counted).
    const rejected = await t.db.query(
      `SELECT outcome, raw->>'vnp_TxnRef' AS "txnRef" FROM payment_events WHERE attempt_id IS NULL ORDER BY id`,
    );
    expect(rejected.slice(rejectedBefore)).toEqual([{ outcome: 'not_found', txnRef: 'UNKNOWN0000001' }]);
    expect((await events(p.attemptId)).map((e) => [e.source, e.outcome, e.from_state, e.to_state])).toEqual([
      ['start', 'created', 'created', 'pending'],
      ['ipn', 'amount_mismatch', 'pending', 'pending'],
    ]);

    // 00: the genuine IPN.
    expect(await ipn(p.ipnParams)).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    // 02: the same IPN again, and a correctly signed cancel for the same order afterwards.
    expect(await ipn(p.ipnParams)).toEqual({ RspCode: '02', Message: 'Order already confirmed' });
    expect((await ipn(resign(p.ipnParams, { vnp_ResponseCode: '24', vnp_TransactionStatus: '02' }))).RspCode).toBe(
      '02',
    );
    // Order of the checks: a wrong amount is 04 even once confirmed; a bad signature is 97 before anything.
    expect((await ipn(resign(p.ipnParams, { vnp_Amount: '100000' }))).RspCode).toBe('04');
    expect((await ipn(resign(p.ipnParams, { vnp_TxnRef: 'UNKNOWN0000002' }, 'wrong'))).RspCode).toBe('97');

    await t.drain();
    expect((await attemptRow(p.attemptId)).state).toBe('succeeded');
    expect(await receipts(d.id)).toBe(1);
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
    expect((await events(p.attemptId)).map((e) => [e.source, e.outcome])).toEqual([
      ['start', 'created'],
      ['ipn', 'amount_mismatch'],
      ['ipn', 'succeeded'],
      ['ipn', 'duplicate'],
      ['ipn', 'duplicate'],
      ['ipn', 'amount_mismatch'],
    ]);
  });

  it('50 concurrent copies of the same valid IPN: one 00 and 49 02, one credit, one receipt, one state change', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, d.id, { ipn: 'skip' });
    const url = `${t.url}${api}/payments/vnpay/ipn?${new URLSearchParams(p.ipnParams).toString()}`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        return ((await res.json()) as { RspCode: string }).RspCode;
      }),
    );
    expect(answers.filter((c) => c === '00')).toHaveLength(1);
    expect(answers.filter((c) => c === '02')).toHaveLength(49);

    await t.drain();
    expect(await count(`payment_attempts WHERE dossier_id = $1 AND state = 'succeeded'`, [d.id])).toBe(1);
    expect(await receipts(d.id)).toBe(1);
    const ev = await events(p.attemptId);
    expect(ev.filter((e) => e.to_state === 'succeeded' && e.from_state === 'pending')).toHaveLength(1);
    expect(ev.filter((e) => e.outcome === 'duplicate')).toHaveLength(49);
    const h = await history(citizen, d.id);
    expect(h.filter((e) => e.action === 'payment_confirmed')).toHaveLength(1);
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
  });

  it('the browser returns before the IPN: the return shows pending and decides nothing; the late IPN confirms', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, d.id, { ipn: 'skip' });
    const ret = new URL(p.returnUrl);
    expect(ret.pathname).toBe(`${api}/payments/vnpay/return`);

    const shown = await t.http.get(ret.pathname + ret.search).set('accept', 'application/json');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ status: 'pending', txnRef: p.txnRef, dossierId: d.id, code: d.code });
    expect((await attemptRow(p.attemptId)).state).toBe('pending');
    expect(await receipts(d.id)).toBe(0);
    // A tampered return is not believed.
    const forged = await t.http
      .get(`${ret.pathname}?${new URLSearchParams({ ...p.ipnParams, vnp_Amount: '100' }).toString()}`)
      .set('accept', 'application/json');
    expect(forged.status).toBe(400);
    expect(forged.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(forged.body.detail).toBe('The payment result could not be verified.');

    // The IPN arrives (the status query the return asked for is delayed by a couple of seconds).
    expect(await ipn(p.ipnParams)).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    await t.drain();
    expect((await attemptRow(p.attemptId)).state).toBe('succeeded');
    expect(await receipts(d.id)).toBe(1);
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
    const again = await t.http.get(ret.pathname + ret.search).set('accept', 'application/json');
    expect(again.body).toMatchObject({ status: 'succeeded', message: 'Payment confirmed.' });
  });

  it('the IPN arrives before the browser: the return then shows succeeded (a browser goes on to the dossier page)', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, d.id);
    expect(p.ipnResponse?.RspCode).toBe('00');
    const ret = new URL(p.returnUrl);
    const shown = await t.http.get(ret.pathname + ret.search).set('accept', 'application/json');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ status: 'succeeded', txnRef: p.txnRef, dossierId: d.id });
    const page = await t.http.get(ret.pathname + ret.search).set('accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(`/dossiers/${d.id}/payment?ref=${p.txnRef}`);
    await t.drain();
    expect((await attemptRow(p.attemptId)).state).toBe('succeeded');
    expect(await receipts(d.id)).toBe(1);
    expect(
      (await events(p.attemptId)).filter((e) => e.to_state === 'succeeded' && e.from_state !== 'succeeded'),
    ).toHaveLength(1);
  });

  it('a lost IPN: reconciliation asks the gateway (querydr) and settles the payment; the dossier moves on', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, d.id, { ipn: 'skip' });
    // Not yet due for a check: a fresh attempt is left alone.
    await t.app.get(PaymentsService).reconcile();
    expect((await attemptRow(p.attemptId)).state).toBe('pending');

    await age(p.attemptId, 5);
    await t.app.get(PaymentsService).reconcile();
    expect((await attemptRow(p.attemptId)).state).toBe('succeeded');
    await t.drain();
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
    expect(await receipts(d.id)).toBe(1);
    const ev = await events(p.attemptId);
    expect(ev.filter((e) => e.to_state === 'succeeded' && e.from_state === 'pending').map((e) => e.source)).toEqual([
      'querydr',
    ]);
    // The IPN turns up after all: already confirmed, nothing more.
    expect((await ipn(p.ipnParams)).RspCode).toBe('02');
    await t.drain();
    expect(await receipts(d.id)).toBe(1);
    expect((await history(citizen, d.id)).filter((e) => e.action === 'payment_confirmed')).toHaveLength(1);
  });

  it('expiry: an attempt never paid is checked with the gateway one last time, then expired; a new attempt is allowed', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const started = await startPayment(citizen, d.id);
    expect(started.status).toBe(201);
    expect((await fetch(started.body.redirectUrl)).status).toBe(200); // the pay page was opened, then abandoned
    // While it is live, another start gives the same attempt.
    expect((await startPayment(citizen, d.id)).body.attemptId).toBe(started.body.attemptId);

    await age(started.body.attemptId, 20); // created 20 min ago, expired 5 min ago (TTL 15 min)
    await t.app.get(PaymentsService).reconcile();
    expect((await attemptRow(started.body.attemptId)).state).toBe('expired');
    // Asked the gateway first (it still said pending), then expired, once. (The scheduled job may have asked too.)
    const ev = (await events(started.body.attemptId)).map((e) => [e.source, e.outcome, e.from_state, e.to_state]);
    expect(ev[0]).toEqual(['start', 'created', 'created', 'pending']);
    expect(ev.slice(1, -1).every(([source, outcome]) => source === 'querydr' && outcome === 'pending')).toBe(true);
    expect(ev.length).toBeGreaterThanOrEqual(3);
    expect(ev[ev.length - 1]).toEqual(['expiry', 'expired', 'pending', 'expired']);
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'awaiting_payment', payment: { status: 'open' } });

    const p = await payInSandbox(t, citizen, d.id);
    expect(p.attemptId).not.toBe(started.body.attemptId);
    expect(p.ipnResponse?.RspCode).toBe('00');
    await t.drain();
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
    expect(await count(`payment_attempts WHERE dossier_id = $1`, [d.id])).toBe(2);
  });

  it('a late success for an expired attempt while a newer one is in flight: credited once, the other payment given back', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const a = await startPayment(citizen, d.id);
    expect((await fetch(a.body.redirectUrl)).status).toBe(200);
    await age(a.body.attemptId, 20);
    await t.app.get(PaymentsService).reconcile();
    expect((await attemptRow(a.body.attemptId)).state).toBe('expired');
    const b = await startPayment(citizen, d.id);
    expect(b.status).toBe(201);
    expect((await fetch(b.body.redirectUrl)).status).toBe(200);

    // The citizen pays in the old tab (A) and then in the new one (B): both took money.
    const txnA = new URL(a.body.redirectUrl).searchParams.get('vnp_TxnRef')!;
    const txnB = new URL(b.body.redirectUrl).searchParams.get('vnp_TxnRef')!;
    const paidA = await t.http
      .post(`${api}/sandbox/vnpay/transactions/${txnA}/complete`)
      .send({ outcome: 'pay' })
      .expect(200);
    expect(paidA.body.ipnResponse.RspCode).toBe('00');
    const paidB = await t.http
      .post(`${api}/sandbox/vnpay/transactions/${txnB}/complete`)
      .send({ outcome: 'pay' })
      .expect(200);
    expect(paidB.body.ipnResponse.RspCode).toBe('00');
    await t.drain();

    expect((await attemptRow(a.body.attemptId)).state).toBe('succeeded');
    expect((await attemptRow(b.body.attemptId)).state).toBe('refunded');
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'submitted', payment: { status: 'paid' } });
    expect((await history(citizen, d.id)).filter((e) => e.action === 'payment_confirmed')).toHaveLength(1);
    expect(await receipts(d.id)).toBe(2); // both payments are documented; one is refunded
    const refunds = await t.db.query(`SELECT state, reason FROM payment_refunds WHERE attempt_id = $1`, [
      b.body.attemptId,
    ]);
    expect(refunds).toEqual([{ state: 'succeeded', reason: expect.stringMatching(/surplus/) }]);
  });

  it('a refund after rejection: the fee is given back through the gateway and tracked to completion', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'sotuphap');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');
    const d = await judicialAwaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, d.id);
    await t.drain();
    expect((await act(clerk, d.id, 'receive')).body.state).toBe('processing');
    const rejected = await act(supervisor, d.id, 'reject', { comment: 'Không đủ điều kiện cấp phiếu' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.state).toBe('rejected');
    await t.drain();

    expect((await attemptRow(p.attemptId)).state).toBe('refunded');
    const refunds = await t.db.query(
      `SELECT amount_vnd, state, reason, completed_at FROM payment_refunds WHERE attempt_id = $1`,
      [p.attemptId],
    );
    expect(refunds).toEqual([
      expect.objectContaining({
        amount_vnd: '230000',
        state: 'succeeded',
        reason: 'reject: Không đủ điều kiện cấp phiếu',
      }),
    ]);
    expect(refunds[0].completed_at).not.toBeNull();
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'rejected', payment: { status: 'refunded' } });
    expect(
      (await events(p.attemptId))
        .filter((e) => e.source === 'refund')
        .map((e) => [e.outcome, e.from_state, e.to_state]),
    ).toEqual([
      ['requested', 'succeeded', 'refund_pending'],
      ['succeeded', 'refund_pending', 'refunded'],
    ]);
    // The receipt of what was paid stays.
    expect(await receipts(d.id)).toBe(1);

    // The gateway agrees: querydr reports the transaction refunded (05).
    const attempt = await attemptRow(p.attemptId);
    const query = buildQueryDr(
      {
        requestId: randomBytes(8).toString('hex'),
        tmnCode,
        txnRef: p.txnRef,
        transactionDate: new Date(attempt.created_at),
        createDate: new Date(),
        ipAddr: '127.0.0.1',
        orderInfo: `Truy van ${p.txnRef}`,
      },
      secret,
    );
    const qdr = await t.http.post(`${api}/sandbox/vnpay/api/transaction`).send(query).expect(200);
    expect(qdr.body).toMatchObject({
      vnp_ResponseCode: '00',
      vnp_TxnRef: p.txnRef,
      vnp_TransactionStatus: '05',
      vnp_Amount: '23000000',
    });
  });

  it('a withdrawal while awaiting payment, with nothing paid, creates no refund', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    // The citizen opened the payment page but never paid.
    const started = await startPayment(citizen, d.id);
    expect(started.status).toBe(201);
    expect((await fetch(started.body.redirectUrl)).status).toBe(200);

    const withdrawn = await act(citizen, d.id, 'withdraw', { comment: 'Không còn nhu cầu' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.state).toBe('withdrawn');
    await t.drain();
    expect(
      await count(`payment_refunds f JOIN payment_attempts a ON a.id = f.attempt_id WHERE a.dossier_id = $1`, [d.id]),
    ).toBe(0);
    expect((await attemptRow(started.body.attemptId)).state).toBe('pending');
    expect(await receipts(d.id)).toBe(0);
    expect((await events(started.body.attemptId)).filter((e) => e.source === 'refund')).toEqual([]);
    expect((await dossier(citizen, d.id)).payment.status).toBe('void');
    // Nothing can be paid for a withdrawn dossier any more.
    const late = await startPayment(citizen, d.id);
    expect(late.status).toBe(409);
  });

  it('a payment completed at the gateway after the dossier was withdrawn is credited, then given back', async () => {
    const citizen = await newCitizen(t);
    const d = await judicialAwaitingPayment(citizen);
    const started = await startPayment(citizen, d.id);
    expect((await fetch(started.body.redirectUrl)).status).toBe(200);
    expect((await act(citizen, d.id, 'withdraw')).body.state).toBe('withdrawn');
    await t.drain();

    // The citizen had the payment page open and pays anyway.
    const txnRef = new URL(started.body.redirectUrl).searchParams.get('vnp_TxnRef')!;
    const done = await t.http
      .post(`${api}/sandbox/vnpay/transactions/${txnRef}/complete`)
      .send({ outcome: 'pay' })
      .expect(200);
    expect(done.body.ipnResponse.RspCode).toBe('00');
    await t.drain();

    // The closed dossier owes nothing (its request was voided at withdrawal); the surplus payment went back.
    expect(await dossier(citizen, d.id)).toMatchObject({ state: 'withdrawn', payment: { status: 'void' } });
    expect((await attemptRow(started.body.attemptId)).state).toBe('refunded');
    expect(await receipts(d.id)).toBe(1);
    const refunds = await t.db.query(`SELECT state, amount_vnd FROM payment_refunds WHERE attempt_id = $1`, [
      started.body.attemptId,
    ]);
    expect(refunds).toEqual([{ state: 'succeeded', amount_vnd: '230000' }]);
    expect((await history(citizen, d.id)).filter((e) => e.action === 'payment_confirmed')).toHaveLength(0);
  });

  it('clerks see the payment status in the queue and on the dossier; a supervisor gets the reconciliation report, a clerk 403', async () => {
    // The period starts now: the attempts of the tests above are not in it.
    const [{ now: from }] = await t.db.query(`SELECT now() AS now`);
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'sotuphap');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');

    // One paid (230,000), one left pending after a tampered IPN (200,000), one cancelled (230,000).
    const paidDossier = await judicialAwaitingPayment(citizen);
    const pendingDossier = await judicialAwaitingPayment(citizen, 'online');
    const cancelledDossier = await judicialAwaitingPayment(citizen);

    const queued = async (id: string) => {
      const res = await t.http
        .get(`${api}/queue`)
        .query({ state: 'awaiting_payment', procedure: DEMO.judicialRecord, limit: 100 })
        .set(clerk.auth);
      expect(res.status).toBe(200);
      return res.body.items.find((i: { id: string }) => i.id === id);
    };
    expect(await queued(paidDossier.id)).toMatchObject({ state: 'awaiting_payment', paymentStatus: 'open' });
    expect(await dossier(clerk, paidDossier.id)).toMatchObject({
      payment: { stage: 'before_receipt', amountVnd: 230000, status: 'open' },
    });

    const paid = await payInSandbox(t, citizen, paidDossier.id);
    const pending = await payInSandbox(t, citizen, pendingDossier.id, { ipn: 'skip' });
    expect((await ipn(resign(pending.ipnParams, { vnp_Amount: '1000000' }))).RspCode).toBe('04');
    await payInSandbox(t, citizen, cancelledDossier.id, { outcome: 'cancel' });
    await t.drain();

    const all = await t.http
      .get(`${api}/queue`)
      .query({ procedure: DEMO.judicialRecord, limit: 100 })
      .set(clerk.auth)
      .expect(200);
    expect(all.body.items.find((i: { id: string }) => i.id === paidDossier.id)).toMatchObject({
      state: 'submitted',
      paymentStatus: 'paid',
    });
    expect(all.body.items.find((i: { id: string }) => i.id === pendingDossier.id)).toMatchObject({
      state: 'awaiting_payment',
      paymentStatus: 'open',
    });
    expect(await dossier(clerk, paidDossier.id)).toMatchObject({
      state: 'submitted',
      payment: { status: 'paid', amountVnd: 230000 },
    });
    expect((await dossier(clerk, paidDossier.id)).payment.paidAt).not.toBeNull();
    // The clerk can see the attempts of a dossier of their agency.
    const list = await t.http.get(`${api}/applications/${paidDossier.id}/payments`).set(clerk.auth).expect(200);
    expect(list.body[0].attempts).toEqual([expect.objectContaining({ id: paid.attemptId, state: 'succeeded' })]);

    const [{ now: to }] = await t.db.query(`SELECT now() + interval '1 minute' AS now`);
    const period = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const report = await t.http.get(`${api}/reports/payments`).query(period).set(supervisor.auth);
    expect(report.status).toBe(200);
    expect(report.body.attempts).toEqual({
      succeeded: { count: 1, amountVnd: 230000 },
      pending: { count: 1, amountVnd: 200000 },
      cancelled: { count: 1, amountVnd: 230000 },
    });
    expect(report.body.amountMismatches).toBe(1);
    expect(report.body.duplicateCallbacks).toBe(0);

    // Another agency's supervisor sees none of it.
    const other = await t.http
      .get(`${api}/reports/payments`)
      .query(period)
      .set((await staff(t, 'supervisor', 'quan1')).auth)
      .expect(200);
    expect(other.body.attempts).toEqual({});
    expect(other.body.amountMismatches).toBe(0);

    expect((await t.http.get(`${api}/reports/payments`).query(period).set(clerk.auth)).status).toBe(403);
    expect((await t.http.get(`${api}/reports/payments`).query(period).set(citizen.auth)).status).toBe(403);
    expect(
      (await t.http.get(`${api}/reports/payments`).query({ from: period.to, to: period.from }).set(supervisor.auth))
        .status,
    ).toBe(422);
    // One rule with the indicators report: another agency (or one that does not exist) named by a supervisor is 403;
    // an unknown agency named by an admin is a bad filter.
    const named = (agency: string, auth: Record<string, string>) =>
      t.http
        .get(`${api}/reports/payments`)
        .query({ ...period, agency })
        .set(auth);
    expect((await named('000.00.20.H56', supervisor.auth)).status).toBe(403);
    expect((await named('999.99.99.X99', supervisor.auth)).status).toBe(403);
    const admin = await loginAdmin(t);
    expect((await named('999.99.99.X99', admin.auth)).status).toBe(422);
    expect((await named('000.00.20.H56', admin.auth)).status).toBe(200);
  });
});
