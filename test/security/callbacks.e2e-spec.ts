import { ConfigService } from '@nestjs/config';
import { signBody } from '../../src/delivery/postal/postal.protocol';
import { PostalService } from '../../src/delivery/postal/postal.service';
import { signParams, VNP_SECURE_HASH } from '../../src/payments/vnpay/vnpay.protocol';
import { createTestApp, TestApp } from '../support/app';
import { admin, DEMO, idem, newCitizen, payInSandbox, Session, uploadDocument } from '../support/factories';
import { API, JUDICIAL_FORM } from './support';

/**
 * Unauthenticated callbacks with a bad signature (VNPay IPN and return, the
 * postal webhook) replayed as an attacker would: each is answered as the
 * protocol says (97 / 400 / 401) without writing a row anywhere, counted per
 * client address (told apart by X-Forwarded-For, TRUST_PROXY=true), and past
 * CALLBACK_FAILURE_RATE_LIMIT that address gets 429 without any work done,
 * while a genuine callback from another address goes through.
 */
const LIMIT = 5;
const BY_POST = {
  method: 'post',
  recipient: 'Lê Thị Hoa',
  address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
  phone: '0901234567',
};

describe('signed callbacks: bad signatures are rate-limited per address, counted, and never stored', () => {
  let t: TestApp;
  let vnpaySecret: string;
  let postalSecret: string;
  let operator: Session;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'true', CALLBACK_FAILURE_RATE_LIMIT: String(LIMIT) } });
    operator = await admin(t);
    vnpaySecret = t.app.get(ConfigService).get('VNPAY_HASH_SECRET')!;
    postalSecret = t.app.get(ConfigService).get('POSTAL_WEBHOOK_SECRET')!;
  });
  afterAll(() => t?.close());

  /** Row counts of every table of the schema (a forged callback must not add to any). */
  async function everyTable(): Promise<Record<string, number>> {
    const tables: { name: string }[] = await t.db.query(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const rows: { t: string; n: number }[] = await t.db.query(
      tables.map((tb) => `SELECT '${tb.name}' AS t, count(*)::int AS n FROM "${tb.name}"`).join(' UNION ALL '),
    );
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }

  async function awaitingPayment(citizen: Session, delivery?: typeof BY_POST): Promise<string> {
    const created = await t.http
      .post(`${API}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: DEMO.judicialRecord, formData: JUDICIAL_FORM, ...(delivery ? { delivery } : {}) })
      .expect(201);
    await uploadDocument(t, citizen, created.body.id, 'id_card').expect(201);
    const submitted = await t.http
      .post(`${API}/applications/${created.body.id}/submit`)
      .set(citizen.auth)
      .set(idem())
      .expect(200);
    expect(submitted.body.state).toBe('awaiting_payment');
    return created.body.id;
  }

  const resign = (params: Record<string, string>, changes: Record<string, string>, key: string) => {
    const p: Record<string, string> = { ...params, ...changes };
    delete p[VNP_SECURE_HASH];
    return { ...p, [VNP_SECURE_HASH]: signParams(p, key) };
  };
  const ipn = (from: string, params: Record<string, string>) =>
    t.http.get(`${API}/payments/vnpay/ipn?${new URLSearchParams(params).toString()}`).set('X-Forwarded-For', from);

  async function totals() {
    const res = await t.http.get(`${API}/admin/queues`).set(operator.auth).expect(200);
    return res.body.rejectedCallbacks as Record<string, { badSignatures: number; rateLimited: number }>;
  }

  function expect429(res: { status: number; headers: Record<string, string>; body: { status?: number } }) {
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }

  it(`VNPay IPN: ${LIMIT} forged IPNs answer 97 and write nothing; the next gets 429; a genuine IPN from another address confirms`, async () => {
    const citizen = await newCitizen(t);
    const dossierId = await awaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, dossierId, { ipn: 'skip' });
    await t.drain();
    const before = await everyTable();
    const counted = await totals();
    const attacker = '203.0.113.7';

    // Signed with another key, tampered after signing, unsigned, a made-up hash: the first LIMIT answer 97 as VNPay expects.
    const forgeries = [
      resign(p.ipnParams, { vnp_Amount: '100' }, 'not-the-merchant-secret'),
      { ...p.ipnParams, vnp_Amount: '100' },
      Object.fromEntries(Object.entries(p.ipnParams).filter(([k]) => k !== VNP_SECURE_HASH)),
      { ...p.ipnParams, [VNP_SECURE_HASH]: 'ab'.repeat(64) },
      resign(p.ipnParams, { vnp_TxnRef: 'FORGED000001' }, 'wrong'),
    ];
    expect(forgeries).toHaveLength(LIMIT);
    for (const forged of forgeries) {
      const res = await ipn(attacker, forged);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { RspCode: '97', Message: 'Invalid signature' },
      });
    }
    // Over the limit: 429 without checking anything, even for a message that would have been genuine.
    expect429(await ipn(attacker, forgeries[0]));
    expect429(await ipn(attacker, p.ipnParams));

    expect(await everyTable()).toEqual(before);
    expect((await t.db.query(`SELECT state FROM payment_attempts WHERE id = $1`, [p.attemptId]))[0].state).toBe(
      'pending',
    );

    // VNPay's server, at another address, is not affected.
    const genuine = await ipn('198.51.100.20', p.ipnParams);
    expect(genuine.body).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    expect((await t.db.query(`SELECT state FROM payment_attempts WHERE id = $1`, [p.attemptId]))[0].state).toBe(
      'succeeded',
    );

    // Counted for the operator.
    const now = await totals();
    expect(now['vnpay-ipn']).toEqual({
      badSignatures: counted['vnpay-ipn'].badSignatures + LIMIT,
      rateLimited: counted['vnpay-ipn'].rateLimited + 2,
    });
  });

  it(`VNPay return: ${LIMIT} forged returns answer 400 and write nothing; the next gets 429; another address still gets its answer`, async () => {
    const citizen = await newCitizen(t);
    const dossierId = await awaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, dossierId, { ipn: 'skip' });
    await t.drain();
    const before = await everyTable();
    const counted = await totals();
    const browser = '203.0.113.8';
    const ret = (from: string, params: Record<string, string>) =>
      t.http
        .get(`${API}/payments/vnpay/return?${new URLSearchParams(params).toString()}`)
        .set('X-Forwarded-For', from)
        .set('accept', 'application/json');

    for (let i = 0; i < LIMIT; i++) {
      const res = await ret(
        browser,
        resign(p.ipnParams, { vnp_Amount: String(100 * (i + 1)) }, 'not-the-merchant-secret'),
      );
      expect(res.status).toBe(400);
    }
    expect429(await ret(browser, p.ipnParams));
    expect(await everyTable()).toEqual(before);

    const ok = await ret('198.51.100.21', p.ipnParams);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ txnRef: p.txnRef, dossierId });
    expect((await totals())['vnpay-return']).toEqual({
      badSignatures: counted['vnpay-return'].badSignatures + LIMIT,
      rateLimited: counted['vnpay-return'].rateLimited + 1,
    });
  });

  it(`postal webhook: ${LIMIT} forged events answer 401 and write nothing; the next gets 429; the operator's genuine event is taken`, async () => {
    const citizen = await newCitizen(t);
    const dossierId = await awaitingPayment(citizen, BY_POST);
    const created = await t.app.get(PostalService).createShipment(dossierId);
    if (!('waybill' in created)) throw new Error(`no shipment: ${created.outcome}`);
    await t.drain();
    const before = await everyTable();
    const counted = await totals();
    const post = (from: string, raw: string, signature?: string) => {
      const req = t.http
        .post(`${API}/postal/webhook`)
        .set('content-type', 'application/json')
        .set('X-Forwarded-For', from);
      if (signature !== undefined) req.set('x-postal-signature', signature);
      return req.send(raw);
    };
    const event = (eventId: string, status: string) =>
      JSON.stringify({ eventId, waybill: created.waybill, status, at: new Date().toISOString() });
    const attacker = '2001:db8:1:2::7';

    for (let i = 0; i < LIMIT; i++) {
      const body = event(`EV-forged-${i}`, 'delivered');
      const res = await post(attacker, body, i % 2 ? undefined : signBody('not-the-operator-secret-at-all', body));
      expect(res.status).toBe(401);
    }
    // Another address in the same /64 is the same client.
    const genuineBody = event('EV-real-1', 'picked_up');
    expect429(await post('2001:db8:1:2::99', genuineBody, signBody(postalSecret, genuineBody)));
    expect(await everyTable()).toEqual(before);

    const ok = await post('198.51.100.22', genuineBody, signBody(postalSecret, genuineBody));
    expect(ok.status).toBe(200);
    expect((await t.db.query(`SELECT status FROM shipments WHERE dossier_id = $1`, [dossierId]))[0].status).toBe(
      'picked_up',
    );
    expect((await totals())['postal-webhook']).toEqual({
      badSignatures: counted['postal-webhook'].badSignatures + LIMIT,
      rateLimited: counted['postal-webhook'].rateLimited + 1,
    });
  });

  it('a signed IPN that is merely wrong (unknown order) is not a failure: it never leads to 429', async () => {
    const citizen = await newCitizen(t);
    const dossierId = await awaitingPayment(citizen);
    const p = await payInSandbox(t, citizen, dossierId, { ipn: 'skip' });
    const from = '203.0.113.9';
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await ipn(
        from,
        resign(p.ipnParams, { vnp_TxnRef: `UNKNOWN${String(i).padStart(7, '0')}` }, vnpaySecret),
      );
      expect(res.body.RspCode).toBe('01');
    }
  });
});
