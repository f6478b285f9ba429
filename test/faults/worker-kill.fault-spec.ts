import type { Queue } from 'bullmq';
import { auditNotifications, sentCount } from './support/audit';
import { describeAnswer } from './support/http';
import { sleep, waitFor } from './support/infra';
import { Citizen, DEMO_CITIZEN, FaultEnv, notificationsQueue, pool } from './support/portal';
import { record, since } from './support/report';

const DOSSIERS = 200;

/**
 * The worker killed with SIGKILL in the middle of a batch: 200 submissions
 * wait in the outbox while no worker runs; the worker starts, relays them
 * into BullMQ and sends (to a slow-ish mail relay and SMS gateway), and is
 * killed when about a third is out. After a restart every citizen has
 * exactly one notification row per channel, sent, and the mail relay and the
 * SMS gateway got exactly one distinct message for each (a message caught
 * mid-send, accepted by the relay but not yet recorded, is repeated under
 * the same Message-ID / client reference, which receivers drop: counted).
 */
describe('worker killed (SIGKILL) in the middle of a batch of jobs', () => {
  let env: FaultEnv;
  let queue: Queue;
  let citizens: Citizen[];

  beforeAll(async () => {
    env = await FaultEnv.start({
      label: 'worker-kill',
      worker: false,
      smtpDelayMs: 150,
      smsDelayMs: 50,
      // The jobs the killed worker held come back once their lock lapses: 5 to 10 s here (30 to 60 s by default).
      env: { JOB_LOCK_MS: '5000' },
    });
    queue = notificationsQueue(env.redis.url);
    citizens = [
      await env.client.login(DEMO_CITIZEN),
      await env.client.newCitizen(),
      await env.client.newCitizen(),
      await env.client.newCitizen(),
    ];
    record('worker-kill: setup', env.bootMs);
  });

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    await env?.close();
  });

  it('after SIGKILL and restart, each of 200 notifications is sent exactly once', async () => {
    const t0 = Date.now();
    // 200 submissions while no worker runs: they wait in the outbox.
    const ids: string[] = [];
    await pool(DOSSIERS, 8, async (i) => {
      const c = citizens[i % citizens.length];
      const id = await env.client.readyDraft(c);
      const s = await env.client.submit(c, id, `batch-${id}`);
      if (s.status !== 200) throw new Error(`submit: ${describeAnswer(s)}`);
      ids.push(id);
    });
    const submitMs = since(t0);
    const [pending] = await env.query(
      `SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL AND payload->>'event' = 'submit'`,
    );
    expect(pending.n).toBe(DOSSIERS);

    // The worker starts, relays the batch and sends; killed when about a third is out.
    const started = Date.now();
    await env.worker.start();
    await waitFor(() => env.smtp.messages.length >= DOSSIERS / 3, 'a third of the emails', 60_000, 20);
    const exit = await env.worker.kill();
    const killedAt = Date.now();
    const emailsAtKill = env.smtp.messages.length;
    const [atKill] = await env.query(
      `SELECT count(*) FILTER (WHERE status = 'sending')::int AS sending, count(*) FILTER (WHERE status = 'sent')::int AS sent
         FROM notifications WHERE event = 'submit'`,
    );
    const jobsAtKill = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
    expect(exit.signal).toBe('SIGKILL');
    expect(jobsAtKill.active + jobsAtKill.waiting).toBeGreaterThan(0); // really in the middle
    await sleep(500);

    // Restart: the waiting jobs go on at once; the ones killed mid-flight come back when BullMQ finds them stalled
    // (their lock lapsed: JOB_LOCK_MS).
    const restartAt = Date.now();
    await env.worker.start();
    await waitFor(
      async () => (await sentCount(env.db, ids, 'submit')) === DOSSIERS,
      'every notification sent after the restart',
      150_000,
      250,
    );
    const recoveredMs = since(restartAt);
    await waitFor(
      async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return c.waiting + c.active + c.delayed + c.prioritized === 0;
      },
      'the queue to empty',
      90_000,
      250,
    );
    const jobsAfter = await queue.getJobCounts('completed', 'failed');
    const notes = await auditNotifications(env.db, env.smtp, env.sms, ids, 'submit');

    record('worker-kill: SIGKILL mid-batch', {
      ms: since(t0),
      submitMs,
      untilKillMs: killedAt - started,
      emailsAtKill,
      rowsAtKill: atKill,
      jobsAtKill,
      recoveredMs,
      jobsAfter,
      emailRepeats: notes.emailRepeats,
      smsRepeats: notes.smsRepeats,
      emailsReceived: notes.emailsReceived,
      smsReceived: notes.smsReceived,
    });

    expect(notes.problems).toEqual([]);
    expect(notes.sent).toBe(DOSSIERS * 2);
    // Repeats only for what was caught mid-send: at most the jobs in flight at the kill.
    expect(notes.emailRepeats + notes.smsRepeats).toBeLessThanOrEqual(atKill.sending + jobsAtKill.active);
    expect(jobsAfter.failed).toBe(0);
    expect(jobsAfter.completed).toBeGreaterThanOrEqual(DOSSIERS);
  });
});
