import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { redisOptions } from '../../src/config/redis';
import { jobOptions, QUEUES } from '../../src/jobs/jobs';
import { bounded, REDIS_URL, RssSampler, sleep } from '../lib/context';
import { round } from '../lib/load';
import { Env, perOperation, portalQueue, takeStatements, totalOf, waitIdle, waitsPerOperation } from '../lib/portal';
import { Probe, ProbeResult } from '../lib/probe';
import { createDrafts } from '../lib/seed';
import { dropBacklog } from './submit';

export interface WorkersResult {
  jobsPerSec: number;
  baselineJobsPerSec: number;
  ratio: number;
  jobs: number;
  concurrency: number;
  completed: number;
  failed: number;
  baselineCompleted: number;
  durationS: number;
  baselineDurationS: number;
  messagesSent: { email: number; sms: number };
  sink: { smtpMessages: number; smsMessages: number };
  roundTripsPerJob: number | null;
  statementsPerJob: { statement: string; perOp: number; msPerOp: number }[];
  /** Per job: time the worker waited on Postgres, the SMTP relay and the SMS gateway (ms). */
  waitsPerJobMs: { postgres: number; smtp: number; http: number } | null;
  workerPeakMb: number;
  probe: ProbeResult;
  baselineProbe: ProbeResult;
}

/**
 * Workers: K `dossier-event` jobs (a citizen told about a submission: one
 * email to the SMTP sink and one SMS to the SMS sink, both no-op servers of
 * the bench) processed by the portal's real worker process, against a no-op
 * BullMQ worker on the same Redis (same prefix, same job data and options,
 * same concurrency) processing as many.
 */
export async function benchWorkers(
  env: Env,
  o: { jobs: number; concurrency: number; maxS: number; sinkCounts: () => { smtp: number; sms: number } },
): Promise<WorkersResult> {
  const { ctx } = env;
  if (!env.worker) throw new Error('no worker process');
  const notifications = portalQueue(env, QUEUES.notifications);
  // What earlier sections left: payment confirmations finish; the messages still queued are dropped, so the queue starts empty.
  await waitIdle([portalQueue(env, QUEUES.payments), portalQueue(env, QUEUES.delivery)], 30_000);
  await dropBacklog(env);
  await notifications.pause();
  await waitIdle([notifications], 20_000);
  await bounded('obliterate', 30_000, notifications.obliterate({ force: true }));

  let { rows: dossiers } = await ctx.pool.query(
    `SELECT id FROM dossiers WHERE state = 'submitted' AND code IS NOT NULL AND applicant_id = ANY($1::uuid[]) LIMIT $2`,
    [env.citizens.map((c) => c.id), o.jobs],
  );
  if (dossiers.length === 0) {
    dossiers = (
      await createDrafts(ctx.pool, {
        procedure: env.demo.procedures['1.004884'],
        citizens: env.citizens,
        count: 200,
        formData: {},
        documentKeys: [],
        document: env.document,
      })
    ).map((d) => ({ id: d.id }));
  }
  const jobs = Array.from({ length: o.jobs }, (_, i) => ({
    name: 'dossier-event',
    // A new occurrence each time (sourceId), so every job really sends.
    data: { dossierId: dossiers[i % dossiers.length].id, event: 'submit', sourceId: randomUUID() },
    opts: { ...jobOptions('dossier-event'), jobId: randomUUID() },
  }));

  // ---- the portal's worker
  await notifications.pause();
  for (let i = 0; i < jobs.length; i += 500) await notifications.addBulk(jobs.slice(i, i + 500));
  const sinkBefore = o.sinkCounts();
  await takeStatements(env.worker);
  const rss = new RssSampler(env.worker.pid).start();
  const probe = new Probe(ctx.pool, ctx.dbName, { worker: env.worker.pid }).start();
  const t0 = process.hrtime.bigint();
  await notifications.resume();
  const real = await untilDone(notifications, o.jobs, o.maxS);
  const realS = Number(process.hrtime.bigint() - t0) / 1e9;
  const probed = probe.stop(real.completed);
  const workerPeakKb = rss.stop();
  const statements = await takeStatements(env.worker);
  const sinkAfter = o.sinkCounts();
  const {
    rows: [sent],
  } = await ctx.pool.query(
    `SELECT count(*) FILTER (WHERE channel = 'email')::int AS email, count(*) FILTER (WHERE channel = 'sms')::int AS sms
       FROM notifications WHERE status = 'sent' AND source_id = ANY($1::uuid[])`,
    [jobs.map((j) => j.data.sourceId)],
  );

  // ---- a no-op worker, same Redis, same prefix, same jobs
  const noopName = `bench-noop-${ctx.runId}`;
  const connection = { ...redisOptions(REDIS_URL), maxRetriesPerRequest: null };
  const noopQueue = new Queue(noopName, { connection, prefix: ctx.redisPrefix });
  ctx.onCleanup(() => noopQueue.close());
  for (let i = 0; i < jobs.length; i += 500) {
    await noopQueue.addBulk(jobs.slice(i, i + 500).map((j) => ({ ...j, opts: { ...j.opts, jobId: randomUUID() } })));
  }
  const noopProbe = new Probe(ctx.pool, ctx.dbName, { bench: process.pid }).start();
  const t1 = process.hrtime.bigint();
  const worker = new Worker(noopName, () => Promise.resolve(undefined), {
    connection,
    prefix: ctx.redisPrefix,
    concurrency: o.concurrency,
  });
  ctx.onCleanup(() => worker.close(true));
  const noop = await untilDone(noopQueue, o.jobs, o.maxS);
  const noopS = Number(process.hrtime.bigint() - t1) / 1e9;
  const noopProbed = noopProbe.stop(noop.completed);
  await worker.close();
  await noopQueue.obliterate({ force: true }).catch(() => undefined);

  const jobsPerSec = real.completed / realS;
  const baselineJobsPerSec = noop.completed / noopS;
  return {
    jobsPerSec: round(jobsPerSec, 1),
    baselineJobsPerSec: round(baselineJobsPerSec, 1),
    ratio: round(jobsPerSec / baselineJobsPerSec, 3),
    jobs: o.jobs,
    concurrency: o.concurrency,
    completed: real.completed,
    failed: real.failed,
    baselineCompleted: noop.completed,
    durationS: round(realS, 2),
    baselineDurationS: round(noopS, 2),
    messagesSent: sent,
    sink: { smtpMessages: sinkAfter.smtp - sinkBefore.smtp, smsMessages: sinkAfter.sms - sinkBefore.sms },
    roundTripsPerJob: real.completed ? round(totalOf(statements) / real.completed, 2) : null,
    statementsPerJob: real.completed ? perOperation(statements, real.completed, 12) : [],
    waitsPerJobMs: real.completed ? waitsPerOperation(statements, real.completed) : null,
    workerPeakMb: round(workerPeakKb / 1024, 1),
    probe: probed,
    baselineProbe: noopProbed,
  };
}

/** Polls until `n` jobs completed or failed for good (or `maxS` passed); a job retrying counts as not done. */
async function untilDone(q: Queue, n: number, maxS: number): Promise<{ completed: number; failed: number }> {
  const until = Date.now() + maxS * 1000;
  for (;;) {
    const c = await q.getJobCounts('completed', 'failed');
    if (c.completed + c.failed >= n || Date.now() > until) return { completed: c.completed, failed: c.failed };
    await sleep(20);
  }
}
