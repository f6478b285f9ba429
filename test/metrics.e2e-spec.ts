import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import { QUEUES } from '../src/jobs/jobs';
import { MetricsServer } from '../src/metrics/metrics.server';
import { createTestApp, TestApp } from './support/app';
import { DEMO, idem, newCitizen, payInSandbox, uploadDocument } from './support/factories';

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the sample with this name and these labels (0 when absent: a counter not yet incremented). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((n, s) => n + s.value, 0);
}

function has(samples: Sample[], name: string, labels: Record<string, string> = {}): boolean {
  return samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

const API = '/api/v1';

/**
 * Issue 14: Prometheus metrics. A flow (a judicial record created, submitted and paid in the VNPay sandbox, a
 * deadline sweep) moves the counters a scrape shows, labelled by route template (never an id); the gauges are read
 * when scraped; without the bearer token the answer is 401; /metrics is no part of the OpenAPI document.
 */
describe('metrics at /metrics behind METRICS_TOKEN', () => {
  const TOKEN = `metrics-token-${randomUUID()}`;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN: TOKEN, METRICS_PORT: undefined } });
  });
  afterAll(() => t?.close());

  async function scrape(): Promise<Sample[]> {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(res.text);
  }

  it('401 (problem+json, WWW-Authenticate: Bearer) without the token, with a wrong one, or in another scheme', async () => {
    for (const auth of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const req = t.http.get('/metrics');
      const res = auth === undefined ? await req : await req.set('Authorization', auth);
      expect({ auth, status: res.status }).toEqual({ auth, status: 401 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.text).not.toContain('portal_');
    }
    expect((await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(200);
  });

  it('is not in the OpenAPI document, nor under the API prefix', async () => {
    const doc = await t.http.get('/docs/json').expect(200);
    expect(Object.keys(doc.body.paths as object).filter((p) => p.includes('metrics'))).toEqual([]);
    expect((await t.http.get(`${API}/metrics`).set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
  });

  it('a dossier created, submitted and paid moves the HTTP, outbox, job, payment and notification counters', async () => {
    const before = await scrape();
    const citizen = await newCitizen(t);
    const created = await t.http
      .post(`${API}/applications`)
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
    const submitted = await t.http.post(`${API}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    expect(submitted.body.state).toBe('awaiting_payment');
    const paid = await payInSandbox(t, citizen, id);
    expect(paid.ipnResponse).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    await t.drain();
    // A request no route matches: counted under one label, its URL nowhere.
    const stray = `no-such-${randomUUID()}`;
    await t.http.get(`${API}/${stray}`).expect(404);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    const http = (method: string, route: string, status: string) =>
      moved('portal_http_requests_total', { method, route, status_code: status });

    // HTTP: by route template and status, with the latency histogram beside each.
    expect(http('POST', `${API}/applications`, '201')).toBe(1);
    expect(http('POST', `${API}/applications/:id/submit`, '200')).toBe(1);
    expect(http('POST', `${API}/applications/:id/documents`, '201')).toBe(1);
    expect(http('POST', `${API}/applications/:id/payments`, '201')).toBe(1);
    expect(http('GET', 'unmatched', '404')).toBeGreaterThanOrEqual(1);
    expect(
      moved('portal_http_request_duration_seconds_count', {
        method: 'POST',
        route: `${API}/applications/:id/submit`,
        status_code: '200',
      }),
    ).toBe(1);
    expect(
      moved('portal_http_request_duration_seconds_bucket', {
        method: 'POST',
        route: `${API}/applications/:id/submit`,
        status_code: '200',
        le: '+Inf',
      }),
    ).toBe(1);
    // No id, no raw URL in any label.
    const labelValues = after.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => v.includes(id) || v.includes(stray) || v.includes(paid.txnRef))).toEqual([]);
    expect(
      after
        .filter((s) => s.name === 'portal_http_requests_total')
        .every((s) => !/[0-9a-f]{8}-[0-9a-f]{4}-/.test(s.labels.route)),
    ).toBe(true);

    // Outbox and jobs: the submission's and the payment's messages were relayed and run.
    expect(moved('portal_outbox_relayed_total', { queue: 'notifications' })).toBeGreaterThanOrEqual(2);
    expect(moved('portal_outbox_relayed_total', { queue: 'payments' })).toBeGreaterThanOrEqual(1);
    expect(
      moved('portal_jobs_total', { queue: 'payments', job_name: 'payment-succeeded', status: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('portal_jobs_total', { queue: 'notifications', job_name: 'dossier-event', status: 'completed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      moved('portal_job_duration_seconds_count', { queue: 'notifications', job_name: 'dossier-event' }),
    ).toBeGreaterThanOrEqual(2);
    expect(moved('portal_jobs_total', { status: 'failed' })).toBe(0);

    // The payment, and the messages that told the citizen.
    expect(moved('portal_payments_total', { outcome: 'succeeded' })).toBe(1);
    expect(moved('portal_payments_total', { outcome: 'failed' })).toBe(0);
    expect(moved('portal_notifications_total', { channel: 'email', status: 'sent' })).toBeGreaterThanOrEqual(2);
  });

  it('a deadline sweep counts its run and what it flagged', async () => {
    const before = await scrape();
    const delivery = t.app.get<Queue>(getQueueToken(QUEUES.delivery), { strict: false });
    await delivery.add('deadline-sweep', {}, { jobId: `sweep-${randomUUID()}` });
    await t.drain();
    const after = await scrape();
    expect(value(after, 'portal_deadline_sweeps_total') - value(before, 'portal_deadline_sweeps_total')).toBe(1);
    for (const result of ['due_soon', 'overdue', 'paused_past_due'])
      expect(has(after, 'portal_deadline_sweep_dossiers_total', { result })).toBe(true);
    expect(
      value(after, 'portal_jobs_total', { queue: 'delivery', job_name: 'deadline-sweep', status: 'completed' }) -
        value(before, 'portal_jobs_total', { queue: 'delivery', job_name: 'deadline-sweep', status: 'completed' }),
    ).toBe(1);
  });

  it('queue depths, the outbox backlog and the database pool are read when scraped', async () => {
    const delivery = t.app.get<Queue>(getQueueToken(QUEUES.delivery), { strict: false });
    // A job that waits (delayed an hour): the depth a scrape reads moves, and back when it is gone.
    const job = await delivery.add('deadline-sweep', {}, { jobId: `later-${randomUUID()}`, delay: 3_600_000 });
    const withJob = await scrape();
    await job.remove();
    const without = await scrape();
    const delayed = (s: Sample[]) => value(s, 'portal_queue_jobs', { queue: 'delivery', state: 'delayed' });
    expect(delayed(withJob) - delayed(without)).toBe(1);
    for (const queue of Object.values(QUEUES))
      for (const state of ['waiting', 'active', 'delayed', 'prioritized', 'failed'])
        expect(has(without, 'portal_queue_jobs', { queue, state })).toBe(true);

    // The outbox: drained, then a row the relay cannot hand over (a queue it does not know: its batch rolls back
    // and the row stays), written 90 s ago; gone again once deleted.
    expect(value(without, 'portal_outbox_backlog')).toBe(0);
    expect(value(without, 'portal_outbox_oldest_age_seconds')).toBe(0);
    const [{ id }] = await t.db.query(
      `INSERT INTO outbox (queue, job_name, payload, created_at)
       VALUES ('no-such-queue', 'deadline-sweep', '{}', now() - interval '90 seconds') RETURNING id`,
    );
    try {
      const stuck = await scrape();
      expect(value(stuck, 'portal_outbox_backlog')).toBe(1);
      expect(value(stuck, 'portal_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(90);
    } finally {
      await t.db.query(`DELETE FROM outbox WHERE id = $1`, [id]);
    }
    const cleared = await scrape();
    expect(value(cleared, 'portal_outbox_backlog')).toBe(0);

    // This process's pool: its size, and connections in use or idle.
    expect(value(without, 'portal_db_pool_max')).toBeGreaterThan(0);
    expect(has(without, 'portal_db_pool_connections', { state: 'idle' })).toBe(true);
    expect(has(without, 'portal_db_pool_connections', { state: 'in_use' })).toBe(true);
    expect(has(without, 'portal_db_pool_waiting')).toBe(true);
    // And the process's own (prom-client's defaults, same prefix).
    expect(has(without, 'portal_process_cpu_user_seconds_total')).toBe(true);
    expect(has(without, 'portal_nodejs_eventloop_lag_seconds')).toBe(true);
  });
});

/**
 * METRICS_PORT: every role serves its metrics on a listener of its own (the worker has no other HTTP server);
 * the API's port then has no /metrics; a token set as well is required there too.
 */
describe('metrics on METRICS_PORT (worker role)', () => {
  const TOKEN = `metrics-token-${randomUUID()}`;
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    t = await createTestApp({ role: 'worker', env: { METRICS_TOKEN: TOKEN, METRICS_PORT: String(port) } });
  });
  afterAll(async () => {
    await t?.close();
    delete process.env.METRICS_PORT;
    delete process.env.METRICS_TOKEN;
  });

  it('serves the worker metrics on METRICS_PORT, with the token; nothing at /metrics on the main port', async () => {
    expect(t.app.get(MetricsServer).address()).toEqual({ port });
    const metrics = request(`http://127.0.0.1:${port}`);
    const refused = await metrics.get('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    expect((await metrics.get('/metrics').set('Authorization', 'Bearer nope')).status).toBe(401);
    expect((await metrics.get('/other').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
    const delivery = t.app.get<Queue>(getQueueToken(QUEUES.delivery), { strict: false });
    await delivery.add('deadline-sweep', {}, { jobId: `sweep-${randomUUID()}` });
    await t.drain();
    const res = await metrics.get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    const samples = parse(res.text);
    expect(
      value(samples, 'portal_jobs_total', { queue: 'delivery', job_name: 'deadline-sweep', status: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(has(samples, 'portal_queue_jobs', { queue: 'notifications', state: 'waiting' })).toBe(true);
    expect((await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
