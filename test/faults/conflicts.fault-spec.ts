import { auditDossiers, auditNotifications, sentCount, verifyChains } from './support/audit';
import { describeAnswer, newKey } from './support/http';
import { waitFor } from './support/infra';
import { Citizen, DEMO_CITIZEN, DEMO_CLERK, FaultEnv, pool } from './support/portal';
import { record, since } from './support/report';

/**
 * 100 concurrent conflicting actions on one dossier: 100 clerks press
 * "receive" at the same instant. Exactly one wins (200), the other 99 are
 * told 409 (problem+json), nobody gets a 5xx or waits unbounded; the history
 * has exactly one receive entry, the hash chain links, and the citizen gets
 * one "received" message. Same for 100 submits of one draft with 100
 * different Idempotency-Keys.
 */
describe('100 concurrent conflicting actions on one dossier', () => {
  let env: FaultEnv;
  let citizen: Citizen;
  let clerks: string[] = [];

  beforeAll(async () => {
    env = await FaultEnv.start({ label: 'conflicts' });
    citizen = await env.client.login(DEMO_CITIZEN);
    // Ten clerks of the agency (the demo clerk and nine more), ten requests each.
    const admin = await env.client.login('admin@demo.local');
    const emails = [DEMO_CLERK];
    for (let i = 0; i < 9; i++) {
      const email = `fault-clerk-${i}-${Date.now()}@demo.local`;
      const a = await env.client.call('POST', '/admin/staff', {
        token: admin.token,
        json: { email, password: 'Clerk-pass-1', role: 'clerk', agencyCode: '000.00.01.H56', fullName: `Clerk ${i}` },
      });
      if (a.status !== 201) throw new Error(`create clerk: ${describeAnswer(a)}`);
      emails.push(email);
    }
    clerks = [];
    for (const email of emails)
      clerks.push((await env.client.login(email, email === DEMO_CLERK ? undefined : 'Clerk-pass-1')).token);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('100 clerks receive one dossier at once: one 200, 99 409, one history entry, chain intact, one message', async () => {
    const t0 = Date.now();
    const id = await env.client.readyDraft(citizen);
    const submitted = await env.client.submit(citizen, id, newKey());
    expect(submitted.status).toBe(200);

    const fire = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => env.client.act(clerks[i % clerks.length], id, 'receive', {}, 30_000)),
    );
    const wallMs = Date.now() - fire;
    const byStatus: Record<string, number> = {};
    for (const a of answers) byStatus[a.status || a.error!] = (byStatus[a.status || a.error!] ?? 0) + 1;
    const slowest = Math.max(...answers.map((a) => a.ms));
    const losers = answers.filter((a) => a.status === 409);

    const history: any[] = await env.query(
      `SELECT action, seq FROM dossier_history WHERE dossier_id = $1 ORDER BY seq`,
      [id],
    );
    const [dossier] = await env.query(`SELECT state, version, history_seq FROM dossiers WHERE id = $1`, [id]);
    const outbox = await env.query(
      `SELECT id FROM outbox WHERE payload->>'dossierId' = $1 AND payload->>'event' = 'receive'`,
      [id],
    );
    const chain = await verifyChains(env.db, [id]);
    await waitFor(() => sentCount(env.db, [id], 'receive'), 'the "received" message', 20_000);
    const notes = await auditNotifications(env.db, env.smtp, env.sms, [id], 'receive');

    record('conflicts: 100 x receive', {
      ms: since(t0),
      wallMs,
      slowestMs: slowest,
      answers: byStatus,
      historyActions: history.map((h) => h.action).join('>'),
      chainProblems: chain.length,
    });

    expect(byStatus).toEqual({ 200: 1, 409: 99 });
    for (const a of losers) {
      expect(a.contentType).toMatch(/^application\/problem\+json/);
      expect(a.body.status).toBe(409);
    }
    expect(slowest).toBeLessThan(15_000);
    expect(dossier.state).toBe('processing');
    expect(history.filter((h) => h.action === 'receive')).toHaveLength(1);
    expect(history.map((h) => h.action)).toEqual(['create', 'submit', 'receive']);
    expect(dossier.history_seq).toBe(3);
    expect(outbox).toHaveLength(1);
    expect(chain).toEqual([]);
    expect(notes.problems).toEqual([]);
    expect(notes.emailRepeats + notes.smsRepeats).toBe(0);
  });

  it('100 submits of one draft with 100 different Idempotency-Keys: one 200, 99 409, one code', async () => {
    const t0 = Date.now();
    const id = await env.client.readyDraft(citizen);
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => env.client.submit(citizen, id, newKey(), 30_000)),
    );
    const byStatus: Record<string, number> = {};
    for (const a of answers) byStatus[a.status || a.error!] = (byStatus[a.status || a.error!] ?? 0) + 1;
    const audit = await auditDossiers(env.db, [id]);
    const [counter] = await env.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE body->>'id' = $1`, [id]);
    record('conflicts: 100 x submit', {
      ms: since(t0),
      slowestMs: Math.max(...answers.map((a) => a.ms)),
      answers: byStatus,
    });

    expect(byStatus).toEqual({ 200: 1, 409: 99 });
    expect(audit.problems).toEqual([]);
    expect(audit.submitted).toEqual([id]);
    expect(counter.n).toBe(1);
  });

  it('a burst of conflicting actions on many dossiers at once leaves every one whole', async () => {
    // 20 dossiers, each received by 10 clerks and withdrawn by its owner at the same instant.
    const t0 = Date.now();
    const ids: string[] = [];
    await pool(20, 5, async () => {
      const id = await env.client.readyDraft(citizen);
      const s = await env.client.submit(citizen, id, newKey());
      if (s.status !== 200) throw new Error(`submit: ${describeAnswer(s)}`);
      ids.push(id);
    });
    const answers = await Promise.all(
      ids.flatMap((id) => [
        ...clerks.map((t) => env.client.act(t, id, 'receive', {}, 30_000)),
        env.client.act(citizen.token, id, 'withdraw', {}, 30_000),
      ]),
    );
    const byStatus: Record<string, number> = {};
    for (const a of answers) byStatus[a.status || a.error!] = (byStatus[a.status || a.error!] ?? 0) + 1;
    const states: any[] = await env.query(
      `SELECT d.id, d.state, (SELECT count(*)::int FROM dossier_history h WHERE h.dossier_id = d.id AND h.action IN ('receive','withdraw')) AS moves
         FROM dossiers d WHERE d.id = ANY($1::uuid[])`,
      [ids],
    );
    const chain = await verifyChains(env.db, ids);
    record('conflicts: 20 dossiers x (10 receive + 1 withdraw)', { ms: since(t0), answers: byStatus });

    expect(Object.keys(byStatus).sort()).toEqual(['200', '409']);
    expect(byStatus[200]).toBe(20);
    for (const s of states) {
      expect(['processing', 'withdrawn']).toContain(s.state);
      expect(s.moves).toBe(1);
    }
    expect(chain).toEqual([]);
  });
});
