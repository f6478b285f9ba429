import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { dossierCode } from '../../src/applications/dossier';
import { DEFAULT_CALENDAR, localDateOf } from '../../src/workflow/calendar';
import { QUEUES } from '../../src/jobs/jobs';
import { bounded, ROOT, RssSampler, sleep } from '../lib/context';
import { cannon, histogram, round } from '../lib/load';
import { Env, perOperation, portalQueue, takeStatements, totalOf, waitsPerOperation } from '../lib/portal';
import { Probe, ProbeResult } from '../lib/probe';
import { createDrafts, Draft } from '../lib/seed';

export interface SubmitResult {
  rps: number;
  baselineTps: number;
  ratio: number;
  connections: number;
  durationS: number;
  submitted: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p99: number };
  clientErrors: { errors: number; timeouts: number };
  roundTripsPerSubmit: number | null;
  statementsPerSubmit: { statement: string; perOp: number; msPerOp: number }[];
  /** Per submit: time the API waited on Postgres (ms, summed over its statements). */
  waitsPerSubmitMs: { postgres: number; smtp: number; http: number } | null;
  baselineRoundTrips: number;
  pgbench: { tps: number; transactions: number; failed: number; latencyMs: number | null };
  memory: { apiPeakMb: number; workerPeakMb: number; apiHwmMb: number; workerHwmMb: number; samples: number };
  /** CPU (cores, ms per submit) and what the database backends were doing, during each run. */
  probe: ProbeResult;
  baselineProbe: ProbeResult;
}

const BIRTH_EXTRACT = '1.004884';
const FORM = { fullName: 'Nguyễn Văn Bench', dateOfBirth: '1990-01-01', copies: 1 };

/**
 * Submit: `POST /applications/:id/submit` on fresh, complete drafts (a new
 * dossier and Idempotency-Key per request), against pgbench running the same
 * writes as one transaction of plain statements (bench/submit.pgbench.sql) on
 * fresh drafts of its own, same clients, same duration. Peak RSS of the API
 * and the worker is sampled during the API run. The worker relays the outbox
 * as usual during both runs, but the notifications queue is paused: sending
 * (measured by the workers section) would otherwise compete for the CPU with
 * whichever run it happens to lag behind.
 */
export async function benchSubmit(env: Env, o: { durationS: number; warmupS: number }): Promise<SubmitResult> {
  const { ctx, demo } = env;
  const procedure = demo.procedures[BIRTH_EXTRACT];
  const C = env.connections;
  // Enough drafts for ~1500 submits/s through warm-up and measurement; running out is reported.
  const appDrafts = Number(process.env.BENCH_SUBMIT_DRAFTS ?? 1500 * (o.durationS + o.warmupS));
  const perClient = Math.ceil(Number(process.env.BENCH_PGBENCH_DRAFTS ?? 4000 * (o.durationS + o.warmupS)) / C);
  const drafts = await createDrafts(ctx.pool, {
    procedure,
    citizens: env.citizens,
    count: appDrafts,
    formData: FORM,
    documentKeys: ['id_card'],
    document: env.document,
  });
  await seedPgbenchDrafts(env, procedure, C * perClient);
  await ctx.pool.query('VACUUM ANALYZE dossiers, dossier_documents, dossier_history');
  const notifications = portalQueue(env, QUEUES.notifications);
  await notifications.pause();
  const pids: Record<string, number> = { api: env.api.pid, ...(env.worker ? { worker: env.worker.pid } : {}) };

  // ---- the API
  let next = 0;
  let exhausted = false;
  const statuses: number[] = [];
  let sampleBody = '';
  const requests = (record: boolean) => [
    {
      method: 'POST',
      setupRequest: (req: { path?: string; headers?: Record<string, string> }) => {
        const i = next++;
        if (i >= drafts.length) exhausted = true;
        const d: Draft = drafts[i % drafts.length];
        req.path = `/api/v1/applications/${d.id}/submit`;
        req.headers = {
          authorization: `Bearer ${env.tokens.get(d.applicantId)}`,
          'idempotency-key': `bench-${ctx.runId}-${i}`,
        };
        return req;
      },
      onResponse: (status: number, body: string) => {
        if (record) statuses.push(status);
        if (status === 200 && !sampleBody) sampleBody = body;
      },
    },
  ];
  await cannon({ url: env.apiUrl, connections: C, duration: o.warmupS, requests: requests(false) }, 'submit warm-up');
  await takeStatements(env.api);
  const apiRss = new RssSampler(env.api.pid).start();
  const workerRss = env.worker ? new RssSampler(env.worker.pid).start() : undefined;
  const probe = new Probe(ctx.pool, ctx.dbName, pids).start();
  const t0 = process.hrtime.bigint();
  const result = await cannon(
    { url: env.apiUrl, connections: C, duration: o.durationS, requests: requests(true) },
    'submit',
  );
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  const apiPeakKb = apiRss.stop();
  const workerPeakKb = workerRss?.stop() ?? 0;
  const ok = statuses.filter((s) => s === 200).length;
  const probed = probe.stop(ok);
  const statements = await takeStatements(env.api);
  if (exhausted) console.warn(`  submit: ran out of drafts (${drafts.length}); raise BENCH_SUBMIT_DRAFTS`);
  const rps = ok / elapsedS;

  // ---- pgbench: the same writes, same database, same clients, same duration
  const now = new Date();
  const day = localDateOf(DEFAULT_CALENDAR, now);
  const code = dossierCode('X', day, 1); // X-YYMMDD-0001
  const pgArgs = (seconds: number, label: string) => [
    '-n',
    '-M',
    'extended',
    '-c',
    String(C),
    '-j',
    '2',
    '-T',
    String(seconds),
    '-f',
    join(ROOT, 'bench', 'submit.pgbench.sql'),
    '-D',
    `clients=${C}`,
    '-D',
    `per_client=${perClient}`,
    '-D',
    'i=0',
    '-D',
    `agency_id=${procedure.agencyId}`,
    '-D',
    `day=${day}`,
    '-D',
    `yymmdd=${code.split('-')[1]}`,
    '-D',
    `run=${ctx.runId}-${label}`,
    '-D',
    `body=${sampleBody || '{}'}`,
    ctx.dbUrl,
  ];
  // The warm-up uses the first drafts of each client; the measured run starts over them (a dossier may be submitted twice: same writes).
  await pgbench(pgArgs(o.warmupS, 'warm-up'));
  const baselineProbe = new Probe(ctx.pool, ctx.dbName, env.worker ? { worker: env.worker.pid } : {}).start();
  const pg = await pgbench(pgArgs(o.durationS, 'run'));
  const baselineProbed = baselineProbe.stop(pg.transactions);

  // The notifications of both runs (one per submit) are not what the next sections measure: dropped.
  await dropBacklog(env);
  await notifications.resume();

  const MB = 1024;
  return {
    rps: round(rps, 1),
    baselineTps: round(pg.tps, 1),
    ratio: round(rps / pg.tps, 3),
    connections: C,
    durationS: round(elapsedS, 1),
    submitted: ok,
    statuses: histogram(statuses),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    clientErrors: { errors: result.errors, timeouts: result.timeouts },
    roundTripsPerSubmit: ok ? round(totalOf(statements) / ok, 2) : null,
    statementsPerSubmit: ok ? perOperation(statements, ok) : [],
    waitsPerSubmitMs: ok ? waitsPerOperation(statements, ok) : null,
    baselineRoundTrips: 8,
    pgbench: pg,
    memory: {
      apiPeakMb: round(apiPeakKb / MB, 1),
      workerPeakMb: round(workerPeakKb / MB, 1),
      apiHwmMb: round(RssSampler.read(env.api.pid, 'VmHWM') / MB, 1),
      workerHwmMb: env.worker ? round(RssSampler.read(env.worker.pid, 'VmHWM') / MB, 1) : 0,
      samples: apiRss.samples,
    },
    probe: probed,
    baselineProbe: baselineProbed,
  };
}

/** `count` drafts whose ids pgbench derives from n (…-4000-8000-<n in hex>), so it needs no lookup. */
async function seedPgbenchDrafts(
  env: Env,
  procedure: { id: string; agencyId: string; versionId: string },
  count: number,
): Promise<void> {
  const { pool } = env.ctx;
  const CHUNK = 20_000;
  for (let from = 0; from < count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK) - 1;
    const cits = env.citizens.map((c) => c.id);
    await pool.query(
      `WITH x AS (
         SELECT n, ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS id, ($4::uuid[])[1 + n % array_length($4::uuid[], 1)] AS applicant,
                md5(n::text) || md5(n::text) AS hash
           FROM generate_series($1::int, $2::int) n
       ), d AS (
         INSERT INTO dossiers (id, agency_id, procedure_id, procedure_version_id, applicant_id, state, form_data, history_seq, history_hash)
         SELECT id, $3, $5, $6, applicant, 'draft', $7::jsonb, 1, hash FROM x
       ), h AS (
         INSERT INTO dossier_history (dossier_id, seq, action, to_state, actor_id, actor_role, hash)
         SELECT id, 1, 'create', 'draft', applicant, 'citizen', hash FROM x
       )
       INSERT INTO dossier_documents (dossier_id, document_key, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_role)
       SELECT id, 'id_card', 'scan.pdf', 'application/pdf', $8, $9, $10, applicant, 'citizen' FROM x`,
      [
        from,
        to,
        procedure.agencyId,
        cits,
        procedure.id,
        procedure.versionId,
        JSON.stringify(FORM),
        env.document.size,
        env.document.sha256,
        env.document.key,
      ],
    );
  }
}

interface PgbenchResult {
  tps: number;
  transactions: number;
  failed: number;
  latencyMs: number | null;
}

function pgbench(args: string[]): Promise<PgbenchResult> {
  const seconds = Number(args[args.indexOf('-T') + 1]);
  return bounded(
    'pgbench',
    (seconds + 30) * 1000,
    new Promise<PgbenchResult>((resolve, reject) => {
      const child = spawn(process.env.BENCH_PGBENCH ?? 'pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 25) * 1000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(killer);
        const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
        const processed = /number of transactions actually processed: (\d+)/.exec(out);
        const failed = /number of failed transactions: (\d+)/.exec(out);
        const latency = /latency average = ([\d.]+) ms/.exec(out);
        if (code !== 0 || !tps)
          return reject(new Error(`pgbench failed (exit ${code}):\n${out.split('\n').slice(-15).join('\n')}`));
        resolve({
          tps: Number(tps[1]),
          transactions: Number(processed?.[1] ?? 0),
          failed: Number(failed?.[1] ?? 0),
          latencyMs: latency ? Number(latency[1]) : null,
        });
      });
    }),
  );
}

/** Marks undelivered outbox rows sent and empties the notifications queue (waiting and delayed jobs). */
export async function dropBacklog(env: Env): Promise<void> {
  await env.ctx.pool.query(`UPDATE outbox SET dispatched_at = now() WHERE dispatched_at IS NULL`);
  const q = portalQueue(env, QUEUES.notifications);
  await bounded('drain notifications', 60_000, q.drain(true));
  await sleep(500);
}
