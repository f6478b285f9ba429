import { auditDossiers, auditNotifications, sentCount } from './support/audit';
import { Answer, describeAnswer } from './support/http';
import { sleep, waitFor } from './support/infra';
import { Citizen, DEMO_CITIZEN, FaultEnv } from './support/portal';
import { record, since } from './support/report';

const OUTAGE_MS = 10_000;
/** An answer must come within this long, whatever the database does (the pool's connect timeout is 5 s). */
const ANSWER_BOUND_MS = 8_000;

interface Shot {
  kind: 'submit' | 'read' | 'create' | 'health';
  dossierId?: string;
  answer: Answer;
}

/**
 * PostgreSQL stopped (fast shutdown) for 10 s under a stream of submissions,
 * reads and new drafts. While it is down every request is answered, quickly,
 * with 503 application/problem+json (never a 500, a dropped connection or a
 * hang); when it is back the API and the worker recover by themselves (same
 * processes); the submissions refused during the outage succeed when retried
 * with their Idempotency-Key; no dossier is half-written; every citizen gets
 * one "submitted" message; and the outbox relay listens again (LISTEN outbox).
 */
describe('PostgreSQL stopped for 10 s', () => {
  let env: FaultEnv;
  let citizens: Citizen[];

  beforeAll(async () => {
    env = await FaultEnv.start({ label: 'pg-outage' });
    citizens = [await env.client.login(DEMO_CITIZEN), await env.client.newCitizen(), await env.client.newCitizen()];
    record('pg-outage: setup', env.bootMs);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('503 problem+json while it is down, recovery by itself, nothing half-written', async () => {
    const t0 = Date.now();
    const drafts = await env.client.readyDrafts(citizens, 150, 8);
    await env.waitHealthy();
    const listenersBefore = await listeners(env);
    const apiPid = env.api.pid;
    const workerPid = env.worker.pid;

    // The stream: three citizens submitting, one reading and starting drafts, one operator polling health.
    const shots: Shot[] = [];
    let stop = false;
    const streamStart = Date.now();
    // A refused submission goes to the back of the line and is tried again later with the same key, as a client would.
    const line = [...drafts];
    const submitter = async () => {
      while (!stop && line.length) {
        const d = line.shift()!;
        const answer = await env.client.submit(d.owner, d.id, d.key, 15_000);
        shots.push({ kind: 'submit', dossierId: d.id, answer });
        if (!answer.ok) line.push(d);
        await sleep(300);
      }
    };
    const reader = async () => {
      for (let i = 0; !stop; i++) {
        const d = drafts[i % drafts.length];
        shots.push({
          kind: 'read',
          dossierId: d.id,
          answer: await env.client.get(`/applications/${d.id}`, { token: d.owner.token }, 15_000),
        });
        const c = citizens[i % citizens.length];
        shots.push({ kind: 'create', answer: await env.client.createDraft(c, 15_000) });
        await sleep(300);
      }
    };
    const operator = async () => {
      while (!stop) {
        shots.push({ kind: 'health', answer: await env.client.get('/health', {}, 15_000) });
        await sleep(500);
      }
    };
    const stream = Promise.all([submitter(), submitter(), submitter(), reader(), operator()]);

    let stopBegin = 0,
      down = 0,
      startBegin = 0,
      up = 0;
    let recovered = true;
    try {
      await sleep(4_000);
      stopBegin = Date.now();
      await env.pg.stop();
      down = Date.now();
      await sleep(OUTAGE_MS - (down - stopBegin));
      startBegin = Date.now();
      await env.pg.start();
      up = Date.now();
      // Recovery: the first submission that succeeds after Postgres is back.
      recovered = await waitFor(
        () => shots.some((s) => s.kind === 'submit' && s.answer.ok && s.answer.startedAt >= up),
        'recovery',
        30_000,
        50,
      ).then(
        () => true,
        () => false,
      );
      await sleep(4_000);
    } finally {
      stop = true;
      await stream;
    }
    const recoveredAt = recovered
      ? Math.min(
          ...shots
            .filter((s) => s.kind === 'submit' && s.answer.ok && s.answer.startedAt >= up)
            .map((s) => s.answer.startedAt + s.answer.ms),
        )
      : Infinity;

    // What the users saw.
    const during = shots.filter(
      (s) => s.answer.startedAt >= down + 200 && s.answer.startedAt + s.answer.ms <= startBegin,
    );
    const unexpected = shots.filter(
      (s) =>
        !s.answer.ok &&
        !(
          s.answer.status === 503 &&
          /^application\/problem\+json/.test(s.answer.contentType) &&
          s.answer.body?.status === 503
        ),
    );
    const slow = shots.filter((s) => s.answer.ms > ANSWER_BOUND_MS);
    const duringBad = during.filter((s) => s.kind !== 'health' && s.answer.ok === false && s.answer.status !== 503);
    const tail = shots.filter((s) => s.answer.startedAt > recoveredAt + 1_000 && s.kind !== 'health');
    const tailFailures = tail.filter((s) => !s.answer.ok);
    const healthAfter: number = await waitFor(
      async () => ((await env.client.get('/health', {}, 5_000)).status === 200 ? Date.now() : 0),
      'health 200 after the restart',
      20_000,
      200,
    ).catch(() => Infinity);
    const tally = (list: Shot[]) =>
      list.reduce<Record<string, number>>((m, s) => {
        const k = `${s.kind}:${s.answer.status || s.answer.error}`;
        return { ...m, [k]: (m[k] ?? 0) + 1 };
      }, {});

    // The refused submissions, retried with their keys, go through once.
    const last = new Map<string, Answer>();
    for (const s of shots) if (s.kind === 'submit') last.set(s.dossierId!, s.answer);
    const refused = drafts.filter((d) => last.has(d.id) && !last.get(d.id)!.ok);
    const retries = await Promise.all(refused.map((d) => env.client.submit(d.owner, d.id, d.key, 15_000)));
    const submittedIds = [...last.keys()];
    const audit = await auditDossiers(env.db);
    await waitFor(
      async () => (await sentCount(env.db, submittedIds, 'submit')) === submittedIds.length,
      'a "submitted" message for every submission',
      60_000,
      250,
    ).catch(() => undefined); // the audit below says which are missing
    const notes = await auditNotifications(env.db, env.smtp, env.sms, submittedIds, 'submit');
    const listenersAfter = await listeners(env);

    record('pg-outage: 10 s', {
      ms: since(t0),
      streamMs: Date.now() - streamStart,
      stopMs: down - stopBegin,
      startMs: up - startBegin,
      recoveredAfterMs: recoveredAt - up,
      healthyAfterMs: healthAfter - up,
      answers: tally(shots),
      duringOutage: tally(during),
      slowestMs: Math.max(...shots.map((s) => s.answer.ms)),
      stillRefusedAtEnd: refused.length,
      submissions: submittedIds.length,
      emailRepeats: notes.emailRepeats,
      smsRepeats: notes.smsRepeats,
      listenOutboxBefore: listenersBefore,
      listenOutboxAfter: listenersAfter,
    });

    expect(env.api.pid).toBe(apiPid);
    expect(env.worker.pid).toBe(workerPid);
    expect(env.api.running && env.worker.running).toBe(true);
    expect(during.filter((s) => s.kind !== 'health' && s.answer.status === 503).length).toBeGreaterThanOrEqual(10);
    expect(unexpected.map((s) => `${s.kind} ${describeAnswer(s.answer)}`)).toEqual([]);
    expect(duringBad).toEqual([]);
    expect(slow.map((s) => `${s.kind} took ${s.answer.ms} ms: ${describeAnswer(s.answer)}`)).toEqual([]);
    expect(recovered).toBe(true);
    expect(recoveredAt - up).toBeLessThan(15_000);
    expect(healthAfter - up).toBeLessThan(20_000);
    expect(tailFailures.map((s) => `${s.kind} ${describeAnswer(s.answer)}`)).toEqual([]);
    expect(retries.filter((a) => a.status !== 200).map(describeAnswer)).toEqual([]);
    expect(audit.problems).toEqual([]);
    expect(notes.problems).toEqual([]);
    // The relay wakes on NOTIFY again, not only on its fallback poll.
    expect(listenersBefore).toBe(1);
    expect(listenersAfter).toBe(1);
  });
});

/** Sessions whose last statement was `LISTEN outbox`: the outbox relay's listener. */
async function listeners(env: FaultEnv): Promise<number> {
  const [r] = await env.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN outbox%' AND pid <> pg_backend_pid()`,
  );
  return r.n;
}
