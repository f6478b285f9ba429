import { randomInt } from 'node:crypto';
import { signBody, SIGNATURE_HEADER } from '../../src/delivery/postal/postal.protocol';
import { formatVnpDate, signParams, VNP_SECURE_HASH } from '../../src/payments/vnpay/vnpay.protocol';
import { auditDossierMessages, auditDossiers, DossierMessagesAudit } from './support/audit';
import { Answer, describeAnswer, newKey } from './support/http';
import { sleep, waitFor } from './support/infra';
import { Citizen, FaultEnv, pool, portalQueue, SHARED_SECRETS } from './support/portal';
import { record, since } from './support/report';

/** Judicial record dossiers by post (2.001417): paid online, received, approved, issued, shipped, delivered. */
const JUDICIAL = '2.001417';
const PAID = 12;
/** Birth extracts filed (and received by the clerk) alongside, by three citizens. */
const FILED = 24;
/** Copies of each IPN sent at once (the gateway's retries racing), and of each tracking webhook. */
const IPN_COPIES = 12;
const WEBHOOK_COPIES = 4;
/** Kill when this many payments have been credited (and a parcel handed over): in full swing, most of it ahead. */
const KILL_AFTER_PAYMENTS = 5;

const JUDICIAL_FORM = {
  fullName: 'Lê Thị Hoa',
  dateOfBirth: '1990-05-01',
  placeOfBirth: 'TP. Hồ Chí Minh',
  certificateType: 1,
  purpose: 'Xin việc',
};
const BY_POST = { method: 'post', recipient: 'Lê Thị Hoa', address: '12 Lê Lợi, Quận 1', phone: '0901234567' };

/** An answer that says nothing about whether the request was applied: no answer, or the balancer's 502. */
const unknown = (a: Answer) => a.status === 0 || a.status === 502 || a.status === 503;

/**
 * Several replicas, each effect once: two API processes behind a load balancer and two worker processes share one
 * PostgreSQL and one Redis, under a mixed load: citizens filing (birth extracts, received by the clerk), and judicial
 * record dossiers by post going the whole way: submitted, paid online (each IPN sent 12 times at once, to both
 * APIs), received, approved, issued (the result rendered and signed, the parcel handed to the postal operator),
 * delivered (each tracking webhook 4 times); every step announced by email and SMS. When five payments are in and a
 * parcel is out, one API and one worker are killed (SIGKILL) at the same instant and not restarted: the survivors
 * finish the work (JOB_LOCK_MS=5000: the dead worker's jobs are taken over within about 10 s).
 * Then every effect happened exactly once: one credit and one receipt per payment, one shipment per dossier (at the
 * portal and at the operator), one email and one SMS per (dossier, event); every dossier whole (submitted with its
 * code, entry, outbox row and idempotency key, or an untouched draft) and its history chain intact.
 */
describe('two APIs and two workers, one of each killed under a mixed load', () => {
  let env: FaultEnv;
  let citizens: Citizen[];
  let clerk: string;
  let supervisor: string;
  let counterClerk: string;

  beforeAll(async () => {
    env = await FaultEnv.start({
      label: 'replicas',
      apis: 2,
      workers: 2,
      smtpDelayMs: 40,
      smsDelayMs: 20,
      // A worker's jobs are taken over 5 to 10 s after it died (30 to 60 s with BullMQ's default lock).
      env: { JOB_LOCK_MS: '5000' },
    });
    citizens = [];
    for (let i = 0; i < 6; i++) citizens.push(await env.client.newCitizen());
    clerk = (await env.client.login('clerk.sotuphap@demo.local')).token;
    supervisor = (await env.client.login('supervisor.sotuphap@demo.local')).token;
    counterClerk = (await env.client.login('clerk.bennghe@demo.local')).token;
    record('replicas: setup', env.bootMs);
  });

  afterAll(async () => {
    await env?.close();
  });

  /** The dossier's state, from the database. */
  async function stateOf(id: string): Promise<string | undefined> {
    const [row] = await env.query(`SELECT state FROM dossiers WHERE id = $1`, [id]);
    return row?.state;
  }

  async function untilState(id: string, state: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await stateOf(id)) === state, `dossier ${id} in state ${state}`, timeoutMs, 150);
  }

  /**
   * A request retried while its answer says nothing (no answer, 502) and `applied()` says it has not taken effect;
   * any other answer outside `ok` fails the test.
   */
  async function until(
    what: string,
    send: () => Promise<Answer>,
    ok: (a: Answer) => boolean,
    applied: () => Promise<boolean> = () => Promise.resolve(false),
  ): Promise<Answer | undefined> {
    for (let i = 0; i < 40; i++) {
      const a = await send();
      if (ok(a)) return a;
      if (!unknown(a) && a.status !== 409) throw new Error(`${what}: ${describeAnswer(a)}`);
      if (await applied()) return undefined;
      if (a.status === 409) throw new Error(`${what}: ${describeAnswer(a)}`);
      await sleep(250);
    }
    throw new Error(`${what}: no answer after 40 tries`);
  }

  /** A clerk's or supervisor's action, done once: a retry whose first try was applied finds the dossier moved. */
  async function act(token: string, id: string, action: string, to: string, body: Record<string, unknown> = {}) {
    await until(
      `${action} ${id}`,
      () => env.client.act(token, id, action, body, 15_000),
      (a) => a.status === 200,
      async () => (await stateOf(id)) === to,
    );
  }

  /** A draft ready to submit; a draft made by a try whose answer was lost stays behind as an untouched draft. */
  async function draft(c: Citizen, procedureCode: string, extra: Record<string, unknown>): Promise<string> {
    const created = await until(
      'create draft',
      () => env.client.call('POST', '/applications', { token: c.token, json: { procedureCode, ...extra } }),
      (a) => a.status === 201,
    );
    const id: string = created!.body.id;
    await until(
      `upload ${id}`,
      () => env.client.upload(c, id, { timeoutMs: 15_000 }),
      (a) => a.status === 201,
    );
    return id;
  }

  /** Submitted with one Idempotency-Key, however often the answer is lost. */
  async function submit(c: Citizen, id: string): Promise<void> {
    const key = newKey();
    await until(
      `submit ${id}`,
      () => env.client.submit(c, id, key, 15_000),
      (a) => a.status === 200,
    );
  }

  /** The gateway's IPN for the dossier's pending attempt, signed as VNPay signs it (the merchant's secret). */
  async function ipnFor(id: string): Promise<{ txnRef: string; query: string }> {
    const attempt = await waitFor(
      async () =>
        (
          await env.query(`SELECT txn_ref, amount_vnd, redirect_url FROM payment_attempts WHERE dossier_id = $1`, [id])
        ).find((a) => a.redirect_url),
      `a payment attempt for ${id}`,
      20_000,
      100,
    );
    const params: Record<string, string> = {
      vnp_Amount: String(BigInt(attempt.amount_vnd) * 100n),
      vnp_BankCode: 'NCB',
      vnp_BankTranNo: `VNP${randomInt(10 ** 7, 10 ** 8)}`,
      vnp_CardType: 'ATM',
      vnp_OrderInfo: new URL(attempt.redirect_url).searchParams.get('vnp_OrderInfo') ?? 'Thanh toan',
      vnp_PayDate: formatVnpDate(new Date()),
      vnp_ResponseCode: '00',
      vnp_TmnCode: 'DEMO0001',
      vnp_TransactionNo: String(randomInt(10 ** 7, 10 ** 8)),
      vnp_TransactionStatus: '00',
      vnp_TxnRef: attempt.txn_ref,
    };
    params[VNP_SECURE_HASH] = signParams(params, SHARED_SECRETS.VNPAY_HASH_SECRET);
    return { txnRef: attempt.txn_ref, query: new URLSearchParams(params).toString() };
  }

  it('every effect once: one credit per payment, one shipment per dossier, one email and SMS per event, every dossier whole', async () => {
    const t0 = Date.now();
    const judicial: string[] = [];
    const filed: string[] = [];
    const ipnCodes: Record<string, string[]> = {};
    const webhookStatus: Record<string, number> = {};

    // Judicial record dossiers, 6 at a time, the whole way.
    const paidRun = pool(PAID, 6, async (i) => {
      const c = citizens[i % citizens.length];
      const id = await draft(c, JUDICIAL, { formData: JUDICIAL_FORM, delivery: BY_POST });
      judicial.push(id);
      await submit(c, id);
      await until(
        `pay ${id}`,
        () => env.client.call('POST', `/applications/${id}/payments`, { token: c.token, json: { provider: 'vnpay' } }),
        // 409: a payment already in flight (this one, whose answer was lost).
        (a) => a.status === 201 || a.status === 409,
      );
      const { txnRef, query } = await ipnFor(id);
      const storm = async () =>
        Promise.all(
          Array.from({ length: IPN_COPIES }, () => env.client.get(`/payments/vnpay/ipn?${query}`, {}, 15_000)),
        );
      let answers = await storm();
      while (!answers.some((a) => a.status === 200)) answers = await storm();
      ipnCodes[txnRef] = answers.map((a) => (a.status === 200 ? String(a.body.RspCode) : `http ${a.status}`));
      await untilState(id, 'submitted');
      await act(clerk, id, 'receive', 'processing');
      await act(supervisor, id, 'approve', 'approved', { data: { finding: 'Không có án tích.' } });
      await act(clerk, id, 'issue_result', 'result_issued');
      const shipment = await waitFor(
        async () => (await env.query(`SELECT waybill FROM shipments WHERE dossier_id = $1`, [id]))[0],
        `the shipment of ${id}`,
        60_000,
        150,
      );
      const raw = JSON.stringify({
        eventId: `op-${shipment.waybill}-delivered`,
        waybill: shipment.waybill,
        status: 'delivered',
        at: new Date().toISOString(),
      });
      const hook = () =>
        env.client.call('POST', '/postal/webhook', {
          body: Buffer.from(raw),
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signBody(SHARED_SECRETS.POSTAL_WEBHOOK_SECRET, raw),
          },
          timeoutMs: 15_000,
        });
      let hooks = await Promise.all(Array.from({ length: WEBHOOK_COPIES }, hook));
      while (!hooks.some((a) => a.status === 200)) hooks = await Promise.all([hook()]);
      for (const h of hooks) webhookStatus[h.status] = (webhookStatus[h.status] ?? 0) + 1;
      await untilState(id, 'completed');
    });

    // Citizens filing birth extracts, each received by the commune's clerk, three at a time.
    const filing = pool(FILED, 3, async (i) => {
      const c = citizens[i % 3];
      const id = await draft(c, '1.004884', {
        formData: { fullName: 'Nguyễn Văn An', dateOfBirth: '1990-01-01', copies: 1 },
      });
      filed.push(id);
      await submit(c, id);
      await act(counterClerk, id, 'receive', 'processing');
      await sleep(300);
    });

    // The kill: one API and one worker at the same instant, once five payments are in and a parcel is out.
    await waitFor(
      async () => {
        const [n] = await env.query(
          `SELECT (SELECT count(*)::int FROM payment_attempts WHERE state = 'succeeded') AS paid,
                  (SELECT count(*)::int FROM shipments) AS shipped`,
        );
        return n.paid >= KILL_AFTER_PAYMENTS && n.shipped >= 1;
      },
      `${KILL_AFTER_PAYMENTS} payments credited and a parcel handed over`,
      90_000,
      100,
    );
    const killedAt = Date.now();
    const [apiExit, workerExit] = await Promise.all([env.apis[1].kill(), env.workers[0].kill()]);
    const [atKill] = await env.query(
      `SELECT (SELECT count(*)::int FROM notifications WHERE status = 'sending') AS sending,
              (SELECT count(*)::int FROM payment_attempts WHERE state = 'succeeded') AS paid,
              (SELECT count(*)::int FROM shipments) AS shipped,
              (SELECT count(*)::int FROM dossiers WHERE state = 'completed') AS completed`,
    );

    await Promise.all([paidRun, filing]);
    const loadMs = since(t0);

    // The survivors finish: every outbox row handed over and done, every message out.
    const ids = [...judicial, ...filed];
    let messages: DossierMessagesAudit | undefined;
    const settledAt = await waitFor(
      async () => {
        const [o] = await env.query(
          `SELECT count(*)::int AS n FROM outbox WHERE done_at IS NULL AND payload->>'dossierId' = ANY($1::text[])`,
          [ids],
        );
        if (o.n > 0) return 0;
        messages = await auditDossierMessages(env.db, env.smtp, env.sms, ids);
        return messages.problems.length === 0 ? Date.now() : 0;
      },
      'every outbox row done and every message out',
      90_000,
      500,
    ).catch(() => 0);
    messages ??= await auditDossierMessages(env.db, env.smtp, env.sms, ids);

    const effects: any[] = await env.query(
      `SELECT d.id, d.state,
              (SELECT count(*)::int FROM payment_attempts a WHERE a.dossier_id = d.id AND a.state = 'succeeded') AS credited,
              (SELECT count(*)::int FROM payment_events e JOIN payment_attempts a ON a.id = e.attempt_id
                WHERE a.dossier_id = d.id AND e.from_state = 'pending' AND e.to_state = 'succeeded') AS credits,
              (SELECT count(*)::int FROM payment_receipts r JOIN payment_attempts a ON a.id = r.attempt_id WHERE a.dossier_id = d.id) AS receipts,
              (SELECT count(*)::int FROM shipments s WHERE s.dossier_id = d.id) AS shipments,
              (SELECT count(*)::int FROM sandbox_postal_shipments p WHERE p.reference = d.id::text) AS at_operator,
              (SELECT count(*)::int FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
                WHERE s.dossier_id = d.id AND e.status = 'delivered' AND e.applied) AS delivered_events,
              (SELECT count(*)::int FROM dossier_results r WHERE r.dossier_id = d.id AND r.sha256 IS NOT NULL) AS results,
              (SELECT string_agg(h.action, '>' ORDER BY h.seq) FROM dossier_history h WHERE h.dossier_id = d.id) AS actions
         FROM dossiers d WHERE d.id = ANY($1::uuid[])`,
      [judicial],
    );
    const once = {
      credited: 1,
      credits: 1,
      receipts: 1,
      shipments: 1,
      at_operator: 1,
      delivered_events: 1,
      results: 1,
    };
    const notOnce = effects
      .map((e) => ({
        id: e.id,
        wrong: Object.entries(once)
          .filter(([k, v]) => e[k] !== v)
          .map(([k]) => `${k}=${e[k]}`),
      }))
      .filter((e) => e.wrong.length > 0);
    const expectedActions = 'create>submit>payment_confirmed>receive>approve>issue_result>parcel_delivered';
    const wrongPath = effects.filter((e) => e.state !== 'completed' || e.actions !== expectedActions);
    // Every dossier these citizens have, drafts left by a try whose answer was lost included.
    const all: string[] = (
      await env.query(`SELECT id FROM dossiers WHERE applicant_id = ANY($1::uuid[])`, [citizens.map((c) => c.id)])
    ).map((r) => r.id);
    const audit = await auditDossiers(env.db, all);
    const [outbox] = await env.query(
      `SELECT count(*) FILTER (WHERE dispatched_at IS NULL)::int AS undispatched,
              count(*) FILTER (WHERE done_at IS NULL)::int AS unfinished,
              count(*) FILTER (WHERE last_error IS NOT NULL)::int AS given_up,
              count(*)::int AS total
         FROM outbox`,
    );
    const jobsAtEnd: Record<string, unknown> = {};
    for (const name of ['notifications', 'payments', 'delivery']) {
      const q = portalQueue(name, env.redis.url);
      jobsAtEnd[name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed').catch((e: Error) => e.message);
      await q.close().catch(() => undefined);
    }
    const ipnAnswers = Object.values(ipnCodes).flat();
    const confirmedTwice = Object.entries(ipnCodes).filter(([, codes]) => codes.filter((c) => c === '00').length > 1);
    const survivors = {
      api: env.apis[0].running,
      worker: env.workers[1].running,
    };

    record('replicas: 2 APIs + 2 workers, one of each SIGKILLed', {
      ms: since(t0),
      loadMs,
      killAfterMs: killedAt - t0,
      atKill,
      judicial: judicial.length,
      filed: filed.length,
      settledAfterLoadMs: settledAt ? settledAt - t0 - loadMs : 'never (90 s)',
      ipnAnswers: countBy(ipnAnswers),
      webhookAnswers: webhookStatus,
      balancer: {
        served: Object.fromEntries(env.balancer!.served),
        failedOver: env.balancer!.failedOver,
        badGateway: env.balancer!.badGateway,
      },
      announcements: messages.events,
      messageRows: messages.rows,
      emailRepeats: messages.emailRepeats,
      smsRepeats: messages.smsRepeats,
      outbox,
      jobsAtEnd,
      dossiers: audit.total,
      drafts: audit.drafts.length,
    });

    expect({ apiExit, workerExit }).toEqual({
      apiExit: { code: null, signal: 'SIGKILL' },
      workerExit: { code: null, signal: 'SIGKILL' },
    });
    expect(survivors).toEqual({ api: true, worker: true });
    expect(atKill.paid).toBeLessThan(PAID); // killed mid-run: payments still to come
    expect(judicial).toHaveLength(PAID);
    expect(filed).toHaveLength(FILED);
    // One credit, receipt, result, shipment (at the portal and the operator) and delivery per dossier.
    expect(notOnce).toEqual([]);
    expect(wrongPath.map((e) => `${e.id} ${e.state}: ${e.actions}`)).toEqual([]);
    expect(confirmedTwice).toEqual([]);
    expect(ipnAnswers.every((c) => ['00', '02'].includes(c) || c === 'http 502' || c === 'http 0')).toBe(true);
    // One email and one SMS per (dossier, event); repeats only of a message caught mid-send by the kill.
    expect(messages.problems).toEqual([]);
    expect(messages.emailRepeats + messages.smsRepeats).toBeLessThanOrEqual(atKill.sending);
    // Every dossier whole (submitted with its code, entry, outbox row and key; or an untouched draft), chains intact.
    expect(audit.problems).toEqual([]);
    expect(outbox).toMatchObject({ undispatched: 0, unfinished: 0, given_up: 0 });
    expect(settledAt).toBeGreaterThan(0);
  });
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
