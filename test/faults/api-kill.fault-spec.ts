import { auditDossiers, auditNotifications, sentCount } from './support/audit';
import { Answer, describeAnswer } from './support/http';
import { waitFor } from './support/infra';
import { Citizen, DEMO_CITIZEN, FaultEnv, pool } from './support/portal';
import { record, since } from './support/report';

const DOSSIERS = 150;

/**
 * The API killed (SIGKILL) in the middle of submissions: 150 ready drafts are
 * submitted 24 at a time and the API process is killed after the 40th answer.
 * Every dossier is then either whole (submitted, code, history entry, outbox
 * row, idempotency key) or an untouched draft; retrying each submission with
 * its Idempotency-Key after the restart answers exactly what was answered
 * before (or what was committed but never answered), and each citizen gets one
 * "submitted" message.
 */
describe('API killed (SIGKILL) in the middle of submissions', () => {
  let env: FaultEnv;
  let citizens: Citizen[];

  beforeAll(async () => {
    env = await FaultEnv.start({ label: 'api-kill' });
    citizens = [
      await env.client.login(DEMO_CITIZEN),
      await env.client.newCitizen(),
      await env.client.newCitizen(),
      await env.client.newCitizen(),
    ];
    record('api-kill: setup', env.bootMs);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('every dossier is whole or untouched; the same Idempotency-Key answers the same after the restart', async () => {
    const t0 = Date.now();
    const drafts = await env.client.readyDrafts(citizens, DOSSIERS, 8);
    const ids = drafts.map((d) => d.id);
    const firstPid = env.api.pid;

    // Submit 24 at a time; SIGKILL the API when the 40th answer is in.
    const answers = new Map<string, Answer>();
    let killed: Promise<unknown> | undefined;
    let killedAt = 0;
    const fireAt = Date.now();
    await pool(DOSSIERS, 24, async (i) => {
      const d = drafts[i];
      const a = await env.client.submit(d.owner, d.id, d.key, 15_000);
      answers.set(d.id, a);
      if (!killed && [...answers.values()].filter((x) => x.status).length >= 40) {
        killedAt = Date.now();
        killed = env.api.kill();
      }
    });
    const exit = await killed;
    const before = [...answers.entries()];
    const answered = before.filter(([, a]) => a.status === 200);
    const unanswered = before.filter(([, a]) => a.status === 0);
    const otherStatus = before.filter(([, a]) => a.status !== 0 && a.status !== 200);
    const errorCodes: Record<string, number> = {};
    for (const [, a] of unanswered) errorCodes[a.error!] = (errorCodes[a.error!] ?? 0) + 1;

    // Restart; everything in the database is whole or untouched.
    const restartAt = Date.now();
    await env.api.start();
    const restartMs = since(restartAt);
    const audit = await auditDossiers(env.db, ids);
    const committed = new Map<string, string>(
      (await env.query(`SELECT id, code FROM dossiers WHERE id = ANY($1::uuid[]) AND code IS NOT NULL`, [ids])).map(
        (r: any) => [r.id, r.code],
      ),
    );

    // The same keys again: the same answers.
    const retries = new Map<string, Answer>();
    await pool(DOSSIERS, 8, async (i) => {
      const d = drafts[i];
      retries.set(d.id, await env.client.submit(d.owner, d.id, d.key, 15_000));
    });
    const mismatches: string[] = [];
    for (const d of drafts) {
      const first = answers.get(d.id)!;
      const again = retries.get(d.id)!;
      if (again.status !== 200) {
        mismatches.push(`${d.id}: retry answered ${describeAnswer(again)}`);
        continue;
      }
      if (first.status === 200) {
        const diff = differences(first.body, again.body);
        if (diff.length) mismatches.push(`${d.id}: retry answer differs from the first in ${diff.join('; ')}`);
      }
      const code = committed.get(d.id);
      if (code && again.body.code !== code)
        mismatches.push(`${d.id}: committed as ${code} before the restart, retry says ${again.body.code}`);
    }
    const after = await auditDossiers(env.db, ids);
    await waitFor(
      async () => (await sentCount(env.db, ids, 'submit')) === DOSSIERS,
      'a "submitted" message for every dossier',
      60_000,
      250,
    );
    const notes = await auditNotifications(env.db, env.smtp, env.sms, ids, 'submit');

    record('api-kill: SIGKILL mid-submissions', {
      ms: since(t0),
      killAfterMs: killedAt - fireAt,
      exit,
      answered200: answered.length,
      unanswered: unanswered.length,
      errorCodes,
      otherStatus: otherStatus.map(([, a]) => a.status),
      committedBeforeRetry: committed.size,
      committedButUnanswered: unanswered.filter(([id]) => committed.has(id)).length,
      restartMs,
      auditProblems: audit.problems.length,
      retryMismatches: mismatches.length,
      emailRepeats: notes.emailRepeats,
    });

    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(env.api.pid).not.toBe(firstPid);
    expect(answered.length).toBeGreaterThanOrEqual(40);
    expect(unanswered.length).toBeGreaterThan(0); // the kill really hit submissions in flight
    expect(otherStatus.map(([id, a]) => `${id}: ${describeAnswer(a)}`)).toEqual([]);
    expect(audit.problems).toEqual([]);
    expect(audit.total).toBe(DOSSIERS);
    for (const [id] of answered) expect(committed.has(id)).toBe(true);
    expect(mismatches).toEqual([]);
    expect(after.problems).toEqual([]);
    expect(after.submitted).toHaveLength(DOSSIERS);
    expect(notes.problems).toEqual([]);
    expect(notes.emailRepeats + notes.smsRepeats).toBe(0);
  });
});

/** Fields whose values differ between two JSON answers (key order ignored). */
function differences(a: any, b: any, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [`${path || '(root)'}: ${JSON.stringify(a)} then ${JSON.stringify(b)}`];
}
