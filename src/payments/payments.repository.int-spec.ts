import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { dataSourceOptions } from '../database/data-source';
import { PaymentsRepository } from './payments.repository';

/**
 * The payment invariants on real Postgres, without HTTP: at most one attempt
 * in flight per request (a unique index), a request credited once (a
 * compare-and-set on its status), attempt and refund moves that only one
 * writer wins.
 */
describe('PaymentsRepository (Postgres)', () => {
  let dbName: string;
  let ds: DataSource;
  let repo: PaymentsRepository;

  beforeAll(async () => {
    const db = await createSuiteDatabase();
    dbName = db.name;
    ds = await new DataSource(dataSourceOptions(db.url, { extra: { max: 6 } })).initialize();
    repo = new PaymentsRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    if (dbName) await dropDatabase(dbName);
  });

  /** A dossier of a demo citizen on a published procedure version (its state does not matter here). */
  async function newDossier(): Promise<string> {
    const [row] = await ds.query(
      `INSERT INTO dossiers (agency_id, procedure_id, procedure_version_id, applicant_id, state)
       SELECT a.id, v.procedure_id, v.id, c.id, 'awaiting_payment'
         FROM procedure_versions v, (SELECT id FROM agencies ORDER BY code LIMIT 1) a,
              (SELECT id FROM accounts WHERE role = 'citizen' ORDER BY email LIMIT 1) c
        WHERE v.published_at IS NOT NULL LIMIT 1
       RETURNING id`,
    );
    return row.id;
  }

  async function openRequest(dossierId: string, amountVnd = 50_000): Promise<{ id: string; amount_vnd: string }> {
    await ds.transaction((m) =>
      repo.openRequest(m, {
        dossierId,
        stage: 'before_receipt',
        items: [{ kind: 'fee', name: 'Lệ phí', amount: amountVnd }],
        amountVnd,
      }),
    );
    const request = await ds.transaction((m) => repo.lockOpenRequest(m, dossierId));
    return request!;
  }

  function attemptInput(request: { id: string; amount_vnd: string }, dossierId: string) {
    const now = new Date();
    return {
      requestId: request.id,
      dossierId,
      provider: 'vnpay',
      txnRef: randomBytes(8).toString('hex').toUpperCase(),
      amountVnd: request.amount_vnd,
      expiresAt: new Date(now.getTime() + 15 * 60_000),
      createdAt: now,
    };
  }

  async function newAttempt(request: { id: string; amount_vnd: string }, dossierId: string): Promise<string> {
    const attempt = await ds.transaction((m) => repo.insertAttempt(m, attemptInput(request, dossierId)));
    return attempt!.id;
  }

  /** A transaction held open after `work` until `release` is called: what the other writer has to wait for. */
  function heldTransaction<T>(work: (m: EntityManager) => Promise<T>) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let done!: (value: T) => void;
    const did = new Promise<T>((r) => (done = r));
    const committed = ds.transaction(async (m) => {
      const value = await work(m);
      done(value);
      await released;
      return value;
    });
    // A failing `work` rejects `did` too, instead of leaving the test waiting.
    return { did: Promise.race([did, committed]), release, committed };
  }

  /** Whether a promise is still pending after a moment (a writer waiting on a row lock). */
  async function stillWaiting(p: Promise<unknown>, ms = 300): Promise<boolean> {
    const waiting = Symbol('waiting');
    return (await Promise.race([p, new Promise((r) => setTimeout(() => r(waiting), ms))])) === waiting;
  }

  it('opens one request per dossier and stage', async () => {
    const dossierId = await newDossier();
    await openRequest(dossierId);
    await openRequest(dossierId, 99_000);
    const requests = await repo.listForDossier(dossierId);
    expect(requests).toEqual([
      expect.objectContaining({ stage: 'before_receipt', amountVnd: 50_000, status: 'open', attempts: [] }),
    ]);
  });

  it('keeps one attempt in flight per request: two concurrent starts give one attempt', async () => {
    const dossierId = await newDossier();
    const request = await openRequest(dossierId);
    const [a, b] = await Promise.all([
      ds.transaction((m) => repo.insertAttempt(m, attemptInput(request, dossierId))),
      ds.transaction((m) => repo.insertAttempt(m, attemptInput(request, dossierId))),
    ]);
    const won = [a, b].filter((x) => x !== undefined);
    expect(won).toHaveLength(1);
    const live = await ds.transaction((m) => repo.liveAttempt(m, request.id));
    expect(live).toMatchObject({ id: won[0].id, state: 'created' });

    // Once that attempt is no longer in flight, a new one may start.
    expect(await ds.transaction((m) => repo.expireAttempt(m, won[0].id))).toBe(true);
    expect(await ds.transaction((m) => repo.insertAttempt(m, attemptInput(request, dossierId)))).toBeDefined();
  });

  it('moves an attempt once: of two concurrent settles, the second waits and then loses', async () => {
    const dossierId = await newDossier();
    const request = await openRequest(dossierId);
    const attemptId = await newAttempt(request, dossierId);
    const provider = { providerTxnNo: '14000001', bankCode: 'NCB', paidAt: new Date() };

    const first = heldTransaction((m) =>
      repo.settleAttempt(m, attemptId, 'succeeded', ['created', 'pending'], provider),
    );
    expect(await first.did).toBe(true);
    const second = ds.transaction((m) =>
      repo.settleAttempt(m, attemptId, 'cancelled', ['created', 'pending'], {
        providerTxnNo: null,
        bankCode: null,
        paidAt: null,
      }),
    );
    expect(await stillWaiting(second)).toBe(true);
    first.release();
    await first.committed;
    expect(await second).toBe(false);
    expect(await repo.attemptById(attemptId)).toMatchObject({ state: 'succeeded', provider_txn_no: '14000001' });
  });

  it('credits a request once: two attempts succeed concurrently, exactly one credit wins', async () => {
    const dossierId = await newDossier();
    const request = await openRequest(dossierId);
    // An attempt expired, then paid late in an old tab, while a newer attempt was paid too.
    const old = await newAttempt(request, dossierId);
    expect(await ds.transaction((m) => repo.expireAttempt(m, old))).toBe(true);
    const newer = await newAttempt(request, dossierId);

    const credit = (attemptId: string, txnNo: string, from: ('created' | 'pending' | 'expired')[]) => {
      return async (m: EntityManager) => {
        expect(
          await repo.settleAttempt(m, attemptId, 'succeeded', from, {
            providerTxnNo: txnNo,
            bankCode: 'NCB',
            paidAt: new Date(),
          }),
        ).toBe(true);
        const attempt = (await repo.attemptById(attemptId, m))!;
        await repo.issueReceipt(m, attempt, txnNo, new Date());
        return repo.creditRequest(m, request.id);
      };
    };
    const first = heldTransaction(credit(newer, '14000011', ['created', 'pending']));
    expect(await first.did).toBe(true);
    const second = ds.transaction(credit(old, '14000012', ['created', 'pending', 'expired']));
    expect(await stillWaiting(second)).toBe(true);
    first.release();
    await first.committed;
    expect(await second).toBe(false);

    const [view] = await repo.listForDossier(dossierId);
    expect(view.status).toBe('paid');
    // Both payments are kept, each with its receipt: the surplus is refunded by the service, never lost.
    expect(view.attempts.map((a) => a.state).sort()).toEqual(['succeeded', 'succeeded']);
    expect(view.attempts.every((a) => /^\d{6}\/\d{4}\/BL-[\w.]+$/.test(a.receiptNumber ?? ''))).toBe(true);
  });

  it('starts and settles a refund once', async () => {
    const dossierId = await newDossier();
    const request = await openRequest(dossierId);
    const attemptId = await newAttempt(request, dossierId);
    const provider = { providerTxnNo: '14000021', bankCode: 'NCB', paidAt: new Date() };
    await ds.transaction(async (m) => {
      await repo.settleAttempt(m, attemptId, 'succeeded', ['created'], provider);
      await repo.creditRequest(m, request.id);
    });

    const [a, b] = await Promise.all([
      ds.transaction((m) => repo.startAttemptRefund(m, attemptId)),
      ds.transaction((m) => repo.startAttemptRefund(m, attemptId)),
    ]);
    expect([a, b].filter((x) => x !== undefined)).toEqual(['50000']);
    const refundId = await ds.transaction(async (m) => {
      await repo.markRequestRefundPending(m, request.id);
      return repo.insertRefund(m, attemptId, '50000', 'withdrawn');
    });
    expect(await repo.refundToProcess(refundId)).toMatchObject({
      state: 'requested',
      amount_vnd: '50000',
      paid: '50000',
      attempt_id: attemptId,
    });

    const settled = await Promise.all([
      ds.transaction((m) => repo.settleRefund(m, refundId, 'succeeded', 'R1', null)),
      ds.transaction((m) => repo.settleRefund(m, refundId, 'failed', null, 'provider code 91')),
    ]);
    expect(settled.filter(Boolean)).toHaveLength(1);
    if (settled[0]) {
      await ds.transaction(async (m) => {
        await repo.markAttemptRefunded(m, attemptId);
        await repo.markRequestRefunded(m, attemptId);
      });
      const [view] = await repo.listForDossier(dossierId);
      expect(view).toMatchObject({ status: 'refunded', attempts: [expect.objectContaining({ state: 'refunded' })] });
    }
  });

  it('voids only open requests', async () => {
    const dossierId = await newDossier();
    await openRequest(dossierId);
    await ds.transaction((m) => repo.voidOpenRequests(m, dossierId));
    expect((await repo.listForDossier(dossierId))[0].status).toBe('void');
    expect(await ds.transaction((m) => repo.lockOpenRequest(m, dossierId))).toBeUndefined();
  });
});
