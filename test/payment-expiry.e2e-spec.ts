import { randomUUID } from 'node:crypto';
import { PaymentsService } from '../src/payments/payments.service';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, idem, newCitizen, Session, staff } from './support/factories';

const API = '/api/v1';

/**
 * `payment.expired` has a producer: when the reconciliation gives up an unpaid
 * attempt, the dossier's workflow takes its `payment.expired` system action
 * (here: abandoned, which closes the dossier and voids what it owed).
 */
const EXPIRING_WORKFLOW = {
  states: [
    { key: 'draft', start: true, editableBy: ['citizen'] },
    { key: 'submitted', clock: 'stopped' },
    { key: 'awaiting_payment', clock: 'paused' },
    { key: 'processing', clock: 'running' },
    { key: 'completed', terminal: true },
    { key: 'abandoned', terminal: true },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
    { key: 'request_payment', from: ['submitted'], to: 'awaiting_payment', by: ['clerk'], effects: ['requirePayment'] },
    { key: 'paid', from: ['awaiting_payment'], to: 'processing', by: ['system'], trigger: 'payment.succeeded' },
    { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'], effects: ['issueResult'] },
    { key: 'abandon', from: ['awaiting_payment'], to: 'abandoned', by: ['system'], trigger: 'payment.expired' },
  ],
};

describe('payment.expired: an expired payment attempt moves the dossier', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
  });
  afterAll(() => t.close());

  it('the workflow abandons the dossier when its attempt expires; the open request is voided; once only', async () => {
    const code = `PX-${randomUUID().slice(0, 8)}`;
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
        fees: [{ kind: 'fee', name: 'Lệ phí', amount: 50_000 }],
        feeTiming: 'before_receipt',
        processingDays: 2,
        deliveryOptions: ['online'],
        workflow: EXPIRING_WORKFLOW,
      })
      .expect(201);
    const published = await t.http.post(`${API}/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
    expect([published.status, published.body]).toEqual([200, expect.anything()]);

    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = await t.http
      .post(`${API}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: code, formData: { note: 'x' } })
      .expect(201);
    const id = d.body.id as string;
    await t.http.post(`${API}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await t.http.post(`${API}/applications/${id}/actions/request_payment`).set(clerk.auth).send({}).expect(200);
    const started = await t.http
      .post(`${API}/applications/${id}/payments`)
      .set(citizen.auth)
      .send({ provider: 'vnpay' })
      .expect(201);
    const attemptId = started.body.attemptId as string;

    // Abandoned on the pay page: 20 minutes old, expired 5 minutes ago (TTL 15 minutes).
    const [[row]] = await t.db.query(
      `UPDATE payment_attempts SET created_at = created_at - interval '20 minutes', expires_at = expires_at - interval '20 minutes'
        WHERE id = $1 RETURNING txn_ref, created_at`,
      [attemptId],
    );
    expect(row).toBeDefined();
    await t.app.get(PaymentsService).reconcile();
    expect((await t.db.query(`SELECT state FROM payment_attempts WHERE id = $1`, [attemptId]))[0].state).toBe(
      'expired',
    );
    await t.drain();

    const after = await t.http.get(`${API}/applications/${id}`).set(citizen.auth).expect(200);
    expect(after.body).toMatchObject({ state: 'abandoned', payment: { status: 'void' } });
    const history = await t.http.get(`${API}/applications/${id}/history`).set(citizen.auth).expect(200);
    const last = history.body[history.body.length - 1];
    expect(last).toMatchObject({ action: 'abandon', actorRole: 'system', data: { attemptId } });
    expect(history.body.filter((h: { action: string }) => h.action === 'abandon')).toHaveLength(1);
    const [actor] = await t.db.query(
      `SELECT actor_id FROM dossier_history WHERE dossier_id = $1 ORDER BY seq DESC LIMIT 1`,
      [id],
    );
    expect(actor.actor_id).toBeNull();
  });
});
