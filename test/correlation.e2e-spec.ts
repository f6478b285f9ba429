import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import * as logging from '../src/common/logging';
import { MailChannel, OutgoingMail } from '../src/notifications/mail.channel';
import { createTestApp, TestApp } from './support/app';
import { DEMO, idem, newCitizen, payInSandbox, uploadDocument } from './support/factories';

type Line = Record<string, any>;

/**
 * Issue 14: one correlation id from a request to every job it caused. The request's id (its well-formed
 * `x-request-id`, else a new one, echoed in the answer) is on every line of the request (`req.id`), on the outbox
 * rows it wrote (`request_id`), and on every line of the jobs those rows became, including what a processor logs
 * through Nest's Logger; a job that writes outbox rows passes the id on. Read from the real log output (pino with
 * the portal's options, written to a stream this test reads).
 */
describe('correlation id: request -> outbox -> job logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  const realLoggerParams = logging.loggerParams;
  const realSend = MailChannel.prototype.send;

  beforeAll(async () => {
    jest
      .spyOn(logging, 'loggerParams')
      .mockImplementation((level) => realLoggerParams(level, { write: (s: string) => void lines.push(s) }));
    // A processor's own line, logged through Nest's Logger while the job sends its email.
    jest.spyOn(MailChannel.prototype, 'send').mockImplementation(function (this: MailChannel, mail: OutgoingMail) {
      new Logger('MailProbe').log({ notificationId: mail.id }, 'sending email');
      return realSend.call(this, mail);
    });
    t = await createTestApp({ env: { LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await t?.close();
    jest.restoreAllMocks();
  });

  const parsed = (): Line[] => lines.map((l) => JSON.parse(l) as Line);
  async function linesWhere(probe: (e: Line) => boolean, atLeast = 1): Promise<Line[]> {
    for (let i = 0; i < 200; i++) {
      const found = parsed().filter(probe);
      if (found.length >= atLeast) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('no such log line');
  }

  it('a well-formed x-request-id is kept and echoed; a malformed one is replaced by a new id, echoed too', async () => {
    const mine = `corr-${randomUUID()}`;
    const kept = await t.http.get('/api/v1/procedures').set('x-request-id', mine).expect(200);
    expect(kept.headers['x-request-id']).toBe(mine);
    await linesWhere((e) => e.req?.id === mine && e.msg === 'request completed');
    for (const bad of ['short', 'with space and more', 'x'.repeat(65), 'semi;colon-123456']) {
      const res = await t.http.get('/api/v1/procedures').set('x-request-id', bad).expect(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    const none = await t.http.get('/api/v1/procedures').expect(200);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers['x-request-id']).not.toBe(mine);
  });

  it("a submission's id is on its outbox row and on every line of the job that row became; a job passes it on", async () => {
    const citizen = await newCitizen(t);
    const created = await t.http
      .post('/api/v1/applications')
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecord,
        formData: {
          fullName: 'Lê Thị Hoa',
          dateOfBirth: '1990-05-01',
          placeOfBirth: 'TP. Hồ Chí Minh',
          certificateType: 1,
          purpose: 'Xin việc',
        },
      })
      .expect(201);
    const id: string = created.body.id;
    expect((await uploadDocument(t, citizen, id, 'id_card')).status).toBe(201);

    const submitId = `submit-${randomUUID()}`;
    const submitted = await t.http
      .post(`/api/v1/applications/${id}/submit`)
      .set(citizen.auth)
      .set(idem())
      .set('x-request-id', submitId)
      .expect(200);
    expect(submitted.headers['x-request-id']).toBe(submitId);
    await t.drain();

    // The outbox row the submission wrote carries the request's id.
    const rows: { job_name: string; request_id: string | null; payload: any }[] = await t.db.query(
      `SELECT job_name, request_id, payload FROM outbox WHERE payload->>'dossierId' = $1 ORDER BY created_at`,
      [id],
    );
    expect(rows.filter((r) => r.payload.event === 'submit').map((r) => r.request_id)).toEqual([submitId]);

    // The request's own line, and the job's: its end, and what the processor logged while it ran.
    await linesWhere((e) => e.req?.id === submitId && e.msg === 'request completed' && e.res?.statusCode === 200);
    const [done] = await linesWhere(
      (e) => e.req?.id === submitId && e.job?.name === 'dossier-event' && e.msg === 'job completed',
    );
    expect(done.job).toMatchObject({ queue: 'notifications', name: 'dossier-event', attempt: 1 });
    expect(typeof done.durationMs).toBe('number');
    const [probe] = await linesWhere((e) => e.req?.id === submitId && e.context === 'MailProbe');
    expect(probe.job).toMatchObject({ queue: 'notifications', name: 'dossier-event' });
    // Every line of those job runs carries the id (the submission may have told more than one audience).
    const jobIds = new Set(
      parsed()
        .filter((e) => e.req?.id === submitId && e.job)
        .map((e) => e.job.id as string),
    );
    expect(jobIds.has(probe.job.id)).toBe(true);
    const jobLines = parsed().filter((e) => jobIds.has(e.job?.id));
    expect(jobLines.length).toBeGreaterThanOrEqual(2);
    expect(jobLines.filter((e) => e.req?.id !== submitId)).toEqual([]);
    expect(jobLines.filter((e) => e.job.id === probe.job.id).map((e) => e.msg)).toEqual(
      expect.arrayContaining(['sending email', 'job completed']),
    );

    // The payment: the IPN request's id goes into the payment-succeeded job, and on from it into the messages that
    // job's state change wrote (a job's outbox rows carry the id of the request that caused the job).
    await payInSandbox(t, citizen, id);
    await t.drain();
    const after: { job_name: string; request_id: string | null; payload: any }[] = await t.db.query(
      `SELECT job_name, request_id, payload FROM outbox
        WHERE payload->>'dossierId' = $1 AND job_name = 'payment-succeeded'`,
      [id],
    );
    expect(after).toHaveLength(1);
    const ipnId = after[0].request_id!;
    expect(ipnId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ipnId).not.toBe(submitId);
    await linesWhere((e) => e.req?.id === ipnId && String(e.req?.url).includes('/payments/vnpay/ipn'));
    await linesWhere((e) => e.req?.id === ipnId && e.job?.name === 'payment-succeeded' && e.msg === 'job completed');
    const caused: { request_id: string | null; payload: any }[] = await t.db.query(
      `SELECT request_id, payload FROM outbox WHERE payload->>'dossierId' = $1 AND job_name = 'dossier-event'
          AND payload->>'event' = 'payment_confirmed'`,
      [id],
    );
    expect(caused.map((r) => r.request_id)).toEqual([ipnId]);
    await linesWhere((e) => e.req?.id === ipnId && e.job?.name === 'dossier-event' && e.msg === 'job completed');
  });
});
