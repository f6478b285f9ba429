import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { QUEUES } from '../src/jobs/jobs';
import { OutboxRelay } from '../src/outbox/outbox.relay';
import { createTestApp, TestApp } from './support/app';
import { DEMO, idem, newCitizen, uploadDocument, waitFor } from './support/factories';

/**
 * Every job made from an outbox row marks the row done; the relay's reconciler re-adds a row handed to BullMQ whose
 * job never finished and that Redis no longer holds (a Redis without persistence restarted empty), leaves alone one
 * that Redis still holds, and puts back a job schedule Redis lost. The timer is off here: each pass is called.
 */
describe('outbox completion marks and the reconciler', () => {
  let t: TestApp;
  let relay: OutboxRelay;
  let notifications: Queue;
  let delivery: Queue;

  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOX_RECONCILE_EVERY_MS: '3600000', OUTBOX_RECONCILE_AFTER_MS: '1000' } });
    relay = t.app.get(OutboxRelay, { strict: false });
    notifications = t.app.get<Queue>(getQueueToken(QUEUES.notifications), { strict: false });
    delivery = t.app.get<Queue>(getQueueToken(QUEUES.delivery), { strict: false });
  });
  afterAll(() => t.close());

  const rowsOf = (dossierId: string) =>
    t.db.query<{ id: string; job_name: string; done_at: Date | null; attempts: number; last_error: string | null }[]>(
      `SELECT id, job_name, done_at, attempts, last_error FROM outbox WHERE payload->>'dossierId' = $1 ORDER BY created_at`,
      [dossierId],
    );

  /** Makes a row look handed over an hour ago and never finished (done mark removed). */
  const unfinish = (id: string) =>
    t.db.query(`UPDATE outbox SET done_at = NULL, dispatched_at = now() - interval '1 hour' WHERE id = $1`, [id]);

  async function submitted(): Promise<{ id: string; email: string }> {
    const citizen = await newCitizen(t);
    const d = await t.http
      .post('/api/v1/applications')
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Lê Thị Hoa', dateOfBirth: '1990-01-01', copies: 1 },
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
    await t.http.post(`/api/v1/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await t.drain();
    return { id: d.body.id, email: citizen.email };
  }

  it('a finished job marks its row done', async () => {
    const d = await submitted();
    const rows = await rowsOf(d.id);
    expect(rows.map((r) => r.job_name)).toEqual(['dossier-event']);
    expect(rows[0].done_at).toBeInstanceOf(Date);
    expect(rows[0].last_error).toBeNull();
    expect(t.smtp.to(d.email)).toHaveLength(1);
  });

  it('a job Redis lost runs again under the same job id; one Redis still holds is left alone', async () => {
    const lost = await submitted();
    const held = await submitted();
    const [lostRow] = await rowsOf(lost.id);
    const [heldRow] = await rowsOf(held.id);
    // Lost: the job is gone from Redis and its messages were never sent (as when Redis emptied before the worker ran).
    await notifications.remove(lostRow.id);
    await t.db.query(`DELETE FROM notifications WHERE dossier_id = $1`, [lost.id]);
    await unfinish(lostRow.id);
    // Held: the (completed) job is still in Redis.
    await unfinish(heldRow.id);
    expect(await notifications.getJob(heldRow.id)).toBeDefined();

    const pass = await relay.reconcile();
    expect(pass.readded).toBe(1);
    expect(pass.checked).toBeGreaterThanOrEqual(2);
    await t.drain();

    const [lostAfter] = await rowsOf(lost.id);
    expect(lostAfter).toMatchObject({ id: lostRow.id, attempts: lostRow.attempts + 1, last_error: null });
    expect(lostAfter.done_at).toBeInstanceOf(Date);
    expect(t.smtp.to(lost.email)).toHaveLength(2); // sent again: the rows that said "sent" were deleted above
    const [heldAfter] = await rowsOf(held.id);
    expect(heldAfter.attempts).toBe(heldRow.attempts); // not handed over again
    expect(heldAfter.done_at).toBeNull(); // its job had finished before: BullMQ keeps it, nothing runs again
    expect(t.smtp.to(held.email)).toHaveLength(1);
    // A row done is never looked at again.
    await t.db.query(`UPDATE outbox SET done_at = now() WHERE id = $1`, [heldRow.id]);
    expect((await relay.reconcile()).readded).toBe(0);
  });

  it('a row whose job ran again after finishing changes nothing: handlers are idempotent', async () => {
    const d = await submitted();
    const [row] = await rowsOf(d.id);
    await notifications.remove(row.id);
    await unfinish(row.id);
    expect((await relay.reconcile()).readded).toBe(1);
    await t.drain();
    expect(t.smtp.to(d.email)).toHaveLength(1);
    const [after] = await rowsOf(d.id);
    expect(after.done_at).toBeInstanceOf(Date);
  });

  it('a job BullMQ gives up marks its row done with the reason', async () => {
    const dossierId = randomUUID();
    await t.db.query(`INSERT INTO outbox (queue, job_name, payload) VALUES ('notifications', 'dossier-event', $1)`, [
      JSON.stringify({ dossierId, event: 'submit', sourceId: randomUUID() }),
    ]);
    await t.drain();
    const row = await waitFor(async () => (await rowsOf(dossierId)).find((r) => r.done_at), 'the row given up');
    expect(row.last_error).toBe('dossier not found');
  });

  it('a job schedule Redis lost is put back; one it still has is left alone', async () => {
    expect(await delivery.getJobScheduler('deadline-sweep')).toBeDefined();
    const before = (await delivery.getJobScheduler('deadline-sweep'))!.next;
    expect((await relay.reconcile()).schedules).toEqual([]);
    expect((await delivery.getJobScheduler('deadline-sweep'))!.next).toBe(before);
    await delivery.removeJobScheduler('deadline-sweep');
    expect(await delivery.getJobScheduler('deadline-sweep')).toBeUndefined();
    expect((await relay.reconcile()).schedules).toEqual(['deadline-sweep']);
    expect(await delivery.getJobScheduler('deadline-sweep')).toBeDefined();
  });
});
