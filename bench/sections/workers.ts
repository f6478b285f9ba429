import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { environmentValue } from '../../src/config/configuration';
import { redisOptions } from '../../src/config/redis';
import { jobOptions, QUEUES } from '../../src/jobs/jobs';
import { renderMessage } from '../../src/notifications/templates';
import type { BaselineMessage } from '../baseline-notify';
import { bounded, REDIS_URL, ROOT, RssSampler, sleep } from '../lib/context';
import { round } from '../lib/load';
import {
  Env,
  perOperation,
  portalQueue,
  SeenStatement,
  takeStatements,
  totalOf,
  waitIdle,
  waitsPerOperation,
} from '../lib/portal';
import { Probe, ProbeResult } from '../lib/probe';
import { createDrafts } from '../lib/seed';
import { dropBacklog } from './submit';

export interface WorkersResult {
  jobsPerSec: number;
  /** The bare loop (bench/baseline-notify.ts): the same I/O per message at the same concurrency. */
  baselineJobsPerSec: number;
  ratio: number;
  /** What bounds the figure, from the evidence below. */
  bound: string;
  jobs: number;
  concurrency: number;
  completed: number;
  failed: number;
  baselineCompleted: number;
  baselineFailed: number;
  durationS: number;
  baselineDurationS: number;
  /** A no-op BullMQ worker on the same Redis and prefix, same jobs and concurrency: what the queue alone allows. */
  noop: { jobsPerSec: number; completed: number; durationS: number; probe: ProbeResult };
  messagesSent: { email: number; sms: number };
  sink: { smtpMessages: number; smsMessages: number; smtpConnections: number; smsConnections: number };
  baselineSink: { smtpMessages: number; smsMessages: number; smtpConnections: number; smsConnections: number };
  /** Average size of one email as the SMTP sink received it (DATA bytes), portal and baseline: the same mail. */
  mailBytes: { portal: number | null; baseline: number | null };
  roundTripsPerJob: number | null;
  /** COMMITs per job: statements outside a transaction count one each, a transaction one. */
  commitsPerJob: number | null;
  statementsPerJob: { statement: string; perOp: number; msPerOp: number }[];
  /** Per job: time the worker waited on Postgres, the SMTP relay and the SMS gateway (ms). */
  waitsPerJobMs: { postgres: number; smtp: number; http: number } | null;
  workerPeakMb: number;
  probe: ProbeResult;
  baselineProbe: ProbeResult;
}

export interface SinkCounts {
  smtp: number;
  sms: number;
  smtpBytes: number;
  smtpConnections: number;
  smsConnections: number;
}

/** One turn of the portal or the baseline. */
interface Run {
  completed: number;
  failed: number;
  durationS: number;
  probe: ProbeResult;
  sink: SinkDelta;
}

interface SinkDelta {
  smtpMessages: number;
  smsMessages: number;
  smtpConnections: number;
  smsConnections: number;
  smtpBytes: number;
}

export interface Sinks {
  smtpUrl: string;
  smsUrl: string;
  smsKey: string;
  counts: () => SinkCounts;
}

/**
 * Workers: K `dossier-event` jobs (a citizen told about a submission: one
 * email to the SMTP sink and one SMS to the SMS sink, both no-op servers of
 * the bench) processed by the portal's real worker process, against a bare
 * Node loop (bench/baseline-notify.ts, its own process) doing the same I/O
 * per message (one email of the same text to the same sink, one SMS, one
 * INSERT recording both) at the same concurrency, the two taking turns in
 * `rounds` rounds; and, for information, a no-op BullMQ worker on the same
 * Redis processing as many jobs.
 */
export async function benchWorkers(
  env: Env,
  o: { jobs: number; concurrency: number; rounds: number; maxS: number; sinks: Sinks },
): Promise<WorkersResult> {
  const { ctx } = env;
  if (!env.worker) throw new Error('no worker process');
  const load0 = round(loadavg()[0], 2);
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
  /** What the sinks received since `before` (plus `earlier`, another such window). */
  const sinkDelta = (before: SinkCounts, earlier?: SinkDelta): SinkDelta => {
    const after = o.sinks.counts();
    return {
      smtpMessages: after.smtp - before.smtp + (earlier?.smtpMessages ?? 0),
      smsMessages: after.sms - before.sms + (earlier?.smsMessages ?? 0),
      smtpConnections: after.smtpConnections - before.smtpConnections + (earlier?.smtpConnections ?? 0),
      smsConnections: after.smsConnections - before.smsConnections + (earlier?.smsConnections ?? 0),
      smtpBytes: after.smtpBytes - before.smtpBytes + (earlier?.smtpBytes ?? 0),
    };
  };

  // ---- the bare loop (its own process): the same messages, rendered here with the portal's templates, at the
  // same concurrency; then both take turns, a share of the messages each per round (B P, P B, B P, P B), so a
  // change of the machine's load during the section weighs on both sides alike.
  const rounds = o.rounds;
  const share = Math.ceil(o.jobs / rounds);
  const messagesFile = join(ctx.dir, 'baseline-messages.json');
  writeFileSync(
    messagesFile,
    JSON.stringify(
      await baselineMessages(
        env,
        jobs.map((j) => j.data.dossierId),
      ),
    ),
  );
  const baseline = await ctx.startProcess(
    'baseline-notify',
    join(ROOT, 'dist', 'bench', 'baseline-notify.js'),
    {
      ...process.env,
      DATABASE_URL: ctx.dbUrl,
      SMTP_URL: o.sinks.smtpUrl,
      SMS_API_URL: o.sinks.smsUrl,
      SMS_API_KEY: o.sinks.smsKey,
      CONCURRENCY: String(o.concurrency),
      DB_POOL_MAX: String(environmentValue('DB_POOL_MAX')),
      BENCH_MESSAGES: messagesFile,
      BENCH_ROUNDS: String(rounds),
    },
    // A promise whose failure (no log file yet) is a rejection the readiness loop treats as "not yet".
    () =>
      new Promise<boolean>((resolve) =>
        resolve(/baseline ready/.test(readFileSync(join(ctx.dir, 'baseline-notify.log'), 'utf8'))),
      ),
  );
  ctx.onCleanup(() => ctx.stopPortal(baseline));
  const baseRuns: Run[] = [];
  const baseRound = async (n: number): Promise<void> => {
    const before = o.sinks.counts();
    const probe = new Probe(ctx.pool, ctx.dbName, { baseline: baseline.pid, bench: process.pid }).start();
    baseline.child.kill('SIGUSR2');
    const r = await bounded(
      'baseline',
      o.maxS * 1000,
      (async () => {
        for (;;) {
          const lines = readFileSync(baseline.log, 'utf8').match(/^\{.*\}$/gm) ?? [];
          if (lines.length >= n)
            return JSON.parse(lines[n - 1]) as { completed: number; failed: number; durationS: number };
          await sleep(20);
        }
      })(),
    );
    baseRuns.push({ ...r, probe: probe.stop(r.completed), sink: sinkDelta(before, baseRuns.at(-1)?.sink) });
  };

  // ---- the portal's worker: a share of the jobs per round, the queue paused in between
  const realRuns: Run[] = [];
  await notifications.pause();
  const rss = new RssSampler(env.worker.pid).start();
  await takeStatements(env.worker);
  const portalRound = async (n: number): Promise<void> => {
    const slice = jobs.slice((n - 1) * share, n * share);
    for (let i = 0; i < slice.length; i += 500) await notifications.addBulk(slice.slice(i, i + 500));
    const before = o.sinks.counts();
    const done = realRuns.reduce((a, r) => a + r.completed + r.failed, 0);
    const probe = new Probe(ctx.pool, ctx.dbName, { worker: env.worker!.pid, bench: process.pid }).start();
    const t0 = process.hrtime.bigint();
    await notifications.resume();
    const r = await untilDone(notifications, done + slice.length, o.maxS / 2);
    const durationS = Number(process.hrtime.bigint() - t0) / 1e9;
    await notifications.pause();
    const completed = r.completed - realRuns.reduce((a, x) => a + x.completed, 0);
    const failed = r.failed - realRuns.reduce((a, x) => a + x.failed, 0);
    realRuns.push({
      completed,
      failed,
      durationS,
      probe: probe.stop(completed),
      sink: sinkDelta(before, realRuns.at(-1)?.sink),
    });
  };

  for (let n = 1; n <= rounds; n++) {
    if (n % 2 === 1) {
      await baseRound(n);
      await portalRound(n);
    } else {
      await portalRound(n);
      await baseRound(n);
    }
  }
  await ctx.stopPortal(baseline);
  const workerPeakKb = rss.stop();
  const statements = await takeStatements(env.worker);
  const total = (runs: Run[]) => ({
    completed: runs.reduce((a, r) => a + r.completed, 0),
    failed: runs.reduce((a, r) => a + r.failed, 0),
    durationS: runs.reduce((a, r) => a + r.durationS, 0),
  });
  const real = total(realRuns);
  const realS = real.durationS;
  const probed = mergeProbes(realRuns);
  const { smtpBytes, ...sink } = realRuns.at(-1)!.sink;
  const base = total(baseRuns);
  const baseProbed = mergeProbes(baseRuns);
  const { smtpBytes: baseBytes, ...baseSink } = baseRuns.at(-1)!.sink;
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
  const baselineJobsPerSec = base.completed / base.durationS;
  const commits = commitsOf(statements);
  return {
    jobsPerSec: round(jobsPerSec, 1),
    baselineJobsPerSec: round(baselineJobsPerSec, 1),
    ratio: round(jobsPerSec / baselineJobsPerSec, 3),
    bound: boundOf(probed, baseProbed, jobsPerSec / baselineJobsPerSec, o.concurrency, [load0, round(loadavg()[0], 2)]),
    jobs: o.jobs,
    concurrency: o.concurrency,
    completed: real.completed,
    failed: real.failed,
    baselineCompleted: base.completed,
    baselineFailed: base.failed,
    durationS: round(realS, 2),
    baselineDurationS: round(base.durationS, 2),
    noop: {
      jobsPerSec: round(noop.completed / noopS, 1),
      completed: noop.completed,
      durationS: round(noopS, 2),
      probe: noopProbed,
    },
    messagesSent: sent,
    sink,
    baselineSink: baseSink,
    mailBytes: {
      portal: sink.smtpMessages ? Math.round(smtpBytes / sink.smtpMessages) : null,
      baseline: baseSink.smtpMessages ? Math.round(baseBytes / baseSink.smtpMessages) : null,
    },
    roundTripsPerJob: real.completed ? round(totalOf(statements) / real.completed, 2) : null,
    commitsPerJob: real.completed ? round(commits / real.completed, 2) : null,
    statementsPerJob: real.completed ? perOperation(statements, real.completed, 12) : [],
    waitsPerJobMs: real.completed ? waitsPerOperation(statements, real.completed) : null,
    workerPeakMb: round(workerPeakKb / 1024, 1),
    probe: probed,
    baselineProbe: baseProbed,
  };
}

/**
 * Commits that write, from the statements the worker sent: a write statement outside a transaction commits on
 * its own, a transaction once (its writes + COMMIT - BEGIN: exact for transactions with one write, an upper
 * bound otherwise; the notification path uses none). Reads are not counted: they flush no WAL.
 */
function commitsOf(statements: SeenStatement[]): number {
  const count = (re: RegExp) => statements.filter((s) => re.test(s.key)).reduce((a, s) => a + s.count, 0);
  return count(/^(INSERT|UPDATE|DELETE|WITH)\b/i) + count(/^COMMIT\b/i) - count(/^(START TRANSACTION|BEGIN)\b/i);
}

/** Probes of several windows as one: cores weighted by time, CPU per operation by operations, states by samples. */
function mergeProbes(parts: { probe: ProbeResult; completed: number; durationS: number }[]): ProbeResult {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const weighted = (
    pick: (p: ProbeResult) => Record<string, number> | undefined,
    weight: (x: (typeof parts)[0]) => number,
  ) => {
    const total = parts.reduce((a, x) => a + weight(x), 0) || 1;
    const out: Record<string, number> = {};
    for (const x of parts)
      for (const [k, v] of Object.entries(pick(x.probe) ?? {})) out[k] = (out[k] ?? 0) + (v * weight(x)) / total;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, r2(v)]));
  };
  return {
    cores: weighted(
      (p) => p.cores,
      (x) => x.durationS,
    ),
    cpuMsPerOp: weighted(
      (p) => p.cpuMsPerOp,
      (x) => x.completed,
    ),
    backends: weighted(
      (p) => p.backends,
      (x) => x.probe.backendSamples,
    ),
    backendSamples: parts.reduce((a, x) => a + x.probe.backendSamples, 0),
  };
}

/** What bounds the figure, in words, from the probes of both sides. */
function boundOf(
  portal: ProbeResult,
  baseline: ProbeResult,
  measured: number,
  concurrency: number,
  load: [number, number],
): string {
  const cores = (p: ProbeResult) =>
    round(
      Object.values(p.cores).reduce((a, b) => a + b, 0),
      2,
    );
  const ms = (p: ProbeResult, name: string) => p.cpuMsPerOp?.[name] ?? 0;
  const total = (p: ProbeResult, own: string) => round(ms(p, own) + ms(p, 'postgres') + ms(p, 'bench'), 2);
  const [portalMs, baselineMs] = [total(portal, 'worker'), total(baseline, 'baseline')];
  return (
    `CPU: a message costs the portal ${portalMs} ms of CPU (worker ${ms(portal, 'worker')}, Postgres ` +
    `${ms(portal, 'postgres')}, sinks ${ms(portal, 'bench')}) and the bare loop ${baselineMs} ms ` +
    `(${ms(baseline, 'baseline')}, ${ms(baseline, 'postgres')}, ${ms(baseline, 'bench')}): a ratio of ` +
    `${portalMs ? round(baselineMs / portalMs, 2) : '-'}, against ${round(measured, 2)} measured. The portal's extra cost: ` +
    `BullMQ, Nest, the context and recipient reads, the claim before sending. Concurrency ${concurrency}; the ` +
    `processes had ${cores(portal)} cores (portal's turns) and ${cores(baseline)} (bare loop's) of ${cpus().length}, ` +
    `load average ${load[0]}-${load[1]} (other work on the machine)`
  );
}

/** The messages the bare loop sends: each job's dossier and citizen, rendered with the portal's templates. */
async function baselineMessages(env: Env, dossierIds: string[]): Promise<BaselineMessage[]> {
  const { rows } = await env.ctx.pool.query(
    `SELECT d.id, d.code, d.state, d.due_at AS "dueAt", p.name AS "procedureName",
            a.id AS "recipientId", a.email, a.phone, a.full_name AS "fullName", a.locale
       FROM dossiers d JOIN procedures p ON p.id = d.procedure_id JOIN accounts a ON a.id = d.applicant_id
      WHERE d.id = ANY($1::uuid[])`,
    [[...new Set(dossierIds)]],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return dossierIds.map((id) => {
    const r = byId.get(id)!;
    const m = renderMessage('submit', r.locale, {
      code: r.code,
      procedureName: r.procedureName,
      fullName: r.fullName,
      state: r.state,
      dueAt: r.dueAt,
      comment: null,
      baseUrl: env.apiUrl,
      dossierId: id,
    });
    return {
      dossierId: id,
      recipientId: r.recipientId,
      sourceId: randomUUID(),
      to: r.email,
      phone: r.phone,
      subject: m.subject,
      text: m.text,
      sms: m.sms,
    };
  });
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
