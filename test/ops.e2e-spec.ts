import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, idem, newCitizen, staff, uploadDocument, waitFor } from './support/factories';

/** What an operator sees: health with workers, queue depths, failed deliveries and jobs. */
describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A mail relay that refuses connections: every email fails and is retried.
    t = await createTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:9' } });
  });
  afterAll(() => t.close());

  it('health tells the public only up; the details (database, Redis, a worker on every queue) are for admins', async () => {
    expect((await t.http.get('/api/v1/health').expect(200)).body).toEqual({ status: 'ok' });
    expect((await t.http.get('/api/v1/health/details')).status).toBe(401);
    expect(
      (await t.http.get('/api/v1/health/details').set((await staff(t, 'supervisor', 'bennghe')).auth)).status,
    ).toBe(403);
    const res = await t.http
      .get('/api/v1/health/details')
      .set((await admin(t)).auth)
      .expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    for (const q of ['notifications', 'payments', 'delivery'])
      expect(res.body.details.queues.queues[q].workers).toBeGreaterThanOrEqual(1);
  });

  it('undelivered messages are visible to the admin with their error; queues show their depth; others get 403', async () => {
    const citizen = await newCitizen(t);
    const d = await t.http
      .post('/api/v1/applications')
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Lý Thường Kiệt', dateOfBirth: '1990-01-01', copies: 1 },
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
    await t.http.post(`/api/v1/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    const a = await admin(t);
    const failed = await waitFor(async () => {
      const res = await t.http.get('/api/v1/admin/notifications').set(a.auth).query({ status: 'failed' }).expect(200);
      return res.body.find(
        (n: { dossierId: string; channel: string }) => n.dossierId === d.body.id && n.channel === 'email',
      );
    }, 'a failed email');
    expect(failed).toMatchObject({
      event: 'submit',
      status: 'failed',
      attempts: 1,
      lastError: expect.stringMatching(/ECONNREFUSED|connect/),
    });
    expect(JSON.stringify(failed)).not.toContain(citizen.email);
    // The SMS went out; the job waits to retry the email (backoff), so nothing is lost.
    const queues = await t.http.get('/api/v1/admin/queues').set(a.auth).expect(200);
    // The submission's job is handed to BullMQ and not finished (its email waits to be retried).
    expect(queues.body.outboxUnfinished).toBeGreaterThanOrEqual(1);
    const notifications = queues.body.queues.find((q: { name: string }) => q.name === 'notifications');
    expect(notifications.workers).toBeGreaterThanOrEqual(1);
    expect(notifications.counts.delayed).toBeGreaterThanOrEqual(1);
    expect((await t.http.get('/api/v1/admin/queues/notifications/failed').set(a.auth).expect(200)).body).toEqual([]);
    expect((await t.http.post('/api/v1/admin/queues/notifications/jobs/nope/retry').set(a.auth)).status).toBe(404);
    expect((await t.http.get('/api/v1/admin/queues/nope/failed').set(a.auth)).status).toBe(404);
    for (const who of [citizen, await staff(t, 'supervisor', 'bennghe')]) {
      expect((await t.http.get('/api/v1/admin/queues').set(who.auth)).status).toBe(403);
      expect((await t.http.get('/api/v1/admin/notifications').set(who.auth)).status).toBe(403);
    }
  });
});
