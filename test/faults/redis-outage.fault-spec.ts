import type { Queue } from 'bullmq';
import { auditDossiers, auditNotifications, sentCount } from './support/audit';
import { Answer, describeAnswer, newKey } from './support/http';
import { sleep, waitFor } from './support/infra';
import { Citizen, DEMO_CITIZEN, DEMO_PASSWORD, FaultEnv, notificationsQueue } from './support/portal';
import { record, since } from './support/report';

interface Filed {
  id?: string;
  answers: Answer[];
  submitted: boolean;
}

/**
 * Redis stopped for 20 s under a stream of citizens filing (create a draft,
 * upload the ID card, submit), and someone signing in every second. Nothing a
 * citizen does needs Redis: no request fails or hangs. The work waits in the outbox; once Redis is back, every
 * submission's messages (email and SMS) go out exactly once.
 *
 * Twice: Redis coming back with its data after 20 s (an append-only file, as
 * docker-compose.yml runs it), and Redis coming back empty after 10 s (run
 * without persistence, as on this machine and in CI, or a failover to an
 * empty replica) while a backlog of jobs waited in it.
 */
describe('Redis stopped during a stream of submissions', () => {
  let env: FaultEnv;
  let queue: Queue;
  let citizens: Citizen[];

  beforeAll(async () => {
    env = await FaultEnv.start({ label: 'redis-outage', persistentRedis: true });
    queue = notificationsQueue(env.redis.url);
    citizens = [
      await env.client.login(DEMO_CITIZEN),
      await env.client.newCitizen(),
      await env.client.newCitizen(),
      await env.client.newCitizen(),
    ];
    record('redis-outage: setup', env.bootMs);
  });

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    await env?.close();
  });

  /** Four citizens filing in a loop until `stop()`: every answer kept. */
  function fileStream() {
    const filed: Filed[] = [];
    let stopped = false;
    const loop = async (c: Citizen) => {
      while (!stopped) {
        const f: Filed = { answers: [], submitted: false };
        filed.push(f);
        const d = await env.client.createDraft(c, 15_000);
        f.answers.push(d);
        if (d.status === 201) {
          f.id = d.body.id;
          const u = await env.client.upload(c, f.id!, { timeoutMs: 15_000 });
          f.answers.push(u);
          if (u.status === 201) {
            const s = await env.client.submit(c, f.id!, newKey(), 15_000);
            f.answers.push(s);
            f.submitted = s.status === 200;
          }
        }
        await sleep(250);
      }
    };
    const running = Promise.all(citizens.map(loop));
    return {
      filed,
      stop: async () => {
        stopped = true;
        await running;
      },
    };
  }

  async function outage(
    label: string,
    opts: { outageMs: number; wipe: boolean; before: () => Promise<Record<string, unknown>> },
  ) {
    const t0 = Date.now();
    const stream = fileStream();
    let down = 0,
      up = 0;
    let beforeFigures: Record<string, unknown> = {};
    const health: Answer[] = [];
    const logins: Answer[] = [];
    try {
      await sleep(5_000);
      beforeFigures = await opts.before();
      await env.redis.stop();
      down = Date.now();
      if (opts.wipe) env.redis.wipe();
      while (Date.now() - down < opts.outageMs) {
        health.push(await env.client.get('/health', {}, 10_000));
        // Signing in uses Redis (rate limits), and must not need it.
        logins.push(
          await env.client.call('POST', '/auth/login', {
            json: { email: DEMO_CITIZEN, password: DEMO_PASSWORD },
            timeoutMs: 10_000,
          }),
        );
        await sleep(1_000);
      }
      await env.redis.start();
      up = Date.now();
      await sleep(5_000);
    } finally {
      await stream.stop();
    }
    const answers = stream.filed.flatMap((f) => f.answers);
    const failed = answers.filter((a) => !a.ok);
    const submittedIds = stream.filed.filter((f) => f.submitted).map((f) => f.id!);
    const duringOutage = stream.filed.filter(
      (f) => f.submitted && f.answers[2].startedAt >= down && f.answers[2].startedAt < up,
    ).length;

    env.smtp.delayMs = 0;
    env.sms.delayMs = 0;
    // Every 5 s until caught up: seconds since Redis returned, outbox rows not yet relayed, relay transactions open, messages sent.
    const timeline: string[] = [];
    let lastSample = 0;
    const caughtUp = await waitFor(
      async () => {
        const sent = await sentCount(env.db, submittedIds, 'submit');
        if (Date.now() - lastSample >= 5_000) {
          lastSample = Date.now();
          const [o] = await env.query(
            `SELECT (SELECT count(*)::int FROM outbox WHERE dispatched_at IS NULL) AS pending,
                  (SELECT count(*)::int FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%FROM outbox%') AS stuck`,
          );
          timeline.push(
            `${Math.round((Date.now() - up) / 1000)}s:pending=${o.pending},stuckTx=${o.stuck},sent=${sent}`,
          );
        }
        return sent === submittedIds.length ? Date.now() : 0;
      },
      'a "submitted" email and SMS for every submission',
      60_000,
      250,
    ).catch(() => 0);
    const notes = await auditNotifications(env.db, env.smtp, env.sms, submittedIds, 'submit');
    const audit = await auditDossiers(env.db, submittedIds);
    const missing: any[] = await env.query(
      `SELECT o.id, o.dispatched_at FROM outbox o
        WHERE o.payload->>'event' = 'submit' AND o.payload->>'dossierId' = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dossier_id::text = o.payload->>'dossierId' AND n.event = 'submit' AND n.status = 'sent' AND n.channel = 'email')`,
      [submittedIds],
    );
    const lostDispatchedBeforeOutage = missing.filter(
      (m) => m.dispatched_at && m.dispatched_at.getTime() < down,
    ).length;
    const missingUndispatched = missing.filter((m) => !m.dispatched_at).length;
    const jobsAtEnd = await queue
      .getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')
      .catch((e) => (e as Error).message);
    const workersAtEnd = await queue.getWorkersCount().catch(() => -1);
    record(label, {
      ms: since(t0),
      outageMs: up - down,
      ...beforeFigures,
      requests: answers.length,
      failed: failed.length,
      slowestMs: Math.max(...answers.map((a) => a.ms)),
      submissions: submittedIds.length,
      submittedDuringOutage: duringOutage,
      healthDuringOutage: [...new Set(health.map((h) => h.status || h.error))].join('/'),
      loginsDuringOutage: [...new Set(logins.map((h) => h.status || h.error))].join('/'),
      slowestLoginMs: Math.max(...logins.map((a) => a.ms)),
      caughtUpAfterRedisMs: caughtUp ? caughtUp - up : 'never (60 s)',
      notificationsMissing: missing.length,
      lostDispatchedBeforeOutage,
      missingUndispatched,
      jobsAtEnd,
      workersAtEnd,
      timeline: timeline.join(' '),
      emailRepeats: notes.emailRepeats,
      smsRepeats: notes.smsRepeats,
    });

    expect(failed.map(describeAnswer)).toEqual([]);
    expect(logins.filter((a) => a.status !== 200 || a.ms > 5_000).map(describeAnswer)).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(5_000);
    expect(duringOutage).toBeGreaterThanOrEqual(10);
    expect(health.every((h) => h.status === 503 && /problem\+json/.test(h.contentType) && h.ms < 5_000)).toBe(true);
    // The worker process came back to work: the relay moved every outbox row, a BullMQ worker is attached again.
    expect({ outboxRowsNotRelayed: missingUndispatched, workersAttached: workersAtEnd >= 1 }).toEqual({
      outboxRowsNotRelayed: 0,
      workersAttached: true,
    });
    expect(audit.problems).toEqual([]);
    // Every submission's messages went out, once.
    expect({ notificationsMissing: missing.length, lostDispatchedBeforeOutage }).toEqual({
      notificationsMissing: 0,
      lostDispatchedBeforeOutage: 0,
    });
    expect(notes.problems).toEqual([]);
    expect(notes.emailRepeats + notes.smsRepeats).toBe(0);
    expect(caughtUp).toBeGreaterThan(0);
  }

  it('20 s, Redis comes back with its data: no request fails; every message goes out exactly once', async () => {
    await env.waitHealthy();
    await outage('redis-outage: 20 s, data kept', {
      outageMs: 20_000,
      wipe: false,
      before: async () => ({ jobsAtStop: await queue.getJobCounts('waiting', 'active') }),
    });
  });

  // 10 s is enough here: what is lost is what Redis held at the stop, however long it stays away. The jobs Redis
  // lost come back through the relay's reconciler (outbox rows handed over and never marked done, re-added after
  // OUTBOX_RECONCILE_AFTER_MS, 30 s by default).
  it('10 s, Redis comes back empty with a backlog lost: every message still goes out exactly once', async () => {
    await env.waitHealthy();
    // A slow mail relay: jobs pile up in Redis (as on a deadline day), then Redis loses them.
    env.smtp.delayMs = 2_000;
    await outage('redis-outage: 10 s, back empty', {
      outageMs: 10_000,
      wipe: true,
      before: async () => {
        // There is a backlog to lose (on a busy machine the filings may come slower than the worker sends).
        const jobs = await waitFor(
          async () => {
            const counts = await queue.getJobCounts('waiting', 'active');
            return counts.waiting > 0 ? counts : undefined;
          },
          'jobs waiting in Redis',
          20_000,
          100,
        ).catch(() => queue.getJobCounts('waiting', 'active'));
        expect(jobs.waiting).toBeGreaterThan(0);
        return { jobsAtStop: jobs };
      },
    });
  });
});
