import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { dossierCode } from '../../src/applications/dossier';
import { DEFAULT_CALENDAR, localDateOf } from '../../src/workflow/calendar';
import { QUEUES } from '../../src/jobs/jobs';
import { bounded, ROOT, RssSampler, sleep } from '../lib/context';
import { cannon, histogram, median, round } from '../lib/load';
import {
  Env,
  perOperation,
  portalQueue,
  SeenStatement,
  takeStatements,
  totalOf,
  waitsPerOperation,
} from '../lib/portal';
import { Probe, ProbeResult } from '../lib/probe';
import { BenchProcedure, createAgencies, createDrafts, Draft } from '../lib/seed';

/** One load (the API, then pgbench on the same kind of drafts): spread over agencies, or at one agency. */
export interface SubmitRun {
  agencies: number;
  rps: number;
  baselineTps: number;
  ratio: number;
  durationS: number;
  /** Each round's figures (the API, then pgbench): how much the machine moved during the measurement. */
  rounds: { rps: number; baselineTps: number }[];
  submitted: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p99: number };
  clientErrors: { errors: number; timeouts: number };
  roundTripsPerSubmit: number | null;
  statementsPerSubmit: { statement: string; perOp: number; msPerOp: number }[];
  /** Per submit: time the API waited on Postgres (ms, summed over its statements). */
  waitsPerSubmitMs: { postgres: number; smtp: number; http: number } | null;
  baselineRoundTrips: number;
  pgbench: PgbenchResult;
  /**
   * The same pgbench script with `-M prepared` (each statement parsed and planned once per connection, as the portal's
   * pool does: src/database/prepared-client.ts), run after the `-M extended` baseline in each round; spread load only.
   */
  preparedBaseline?: { tps: number; ratio: number; rounds: number[]; failed: number };
  /** CPU (cores, ms per submit) and what the database backends were doing, during each run. */
  probe: ProbeResult;
  baselineProbe: ProbeResult;
  /**
   * One agency: what one commit costs here, alone (ms, median of sequential one-statement transactions that write
   * a commit record, from this process): the floor of a submission that must commit before the next may take the
   * counter.
   */
  serialCommitMs?: number;
  /**
   * The API's JavaScript thread during the API rounds (/proc/<pid>/schedstat): the share of the time it ran on a
   * CPU, and the share it was ready to run but waited for one (other work had the cores).
   */
  apiThread: { ran: number; waitedForCpu: number };
  /** The machine's 1-minute load average when the API run started and ended (other work shows here). */
  loadAverage: [number, number];
  /** What bounds the figure, from the evidence above. */
  bound: string;
}

/** The spread load's figures at the top (the target's), the one-agency load beside them. */
export interface SubmitResult extends SubmitRun {
  connections: number;
  oneAgency: SubmitRun;
  memory: { apiPeakMb: number; workerPeakMb: number; apiHwmMb: number; workerHwmMb: number; samples: number };
}

const BIRTH_EXTRACT = '1.004884';
const FORM = { fullName: 'Nguyễn Văn Bench', dateOfBirth: '1990-01-01', copies: 1 };
/** Agencies of the spread load (copies of the demo agency and its birth-extract procedure). */
const AGENCIES = 20;
/** The pgbench statements of one transaction, BEGIN and END included (bench/submit.pgbench.sql). */
const PGBENCH_ROUND_TRIPS = 9;

/**
 * Submit: `POST /applications/:id/submit` on fresh, complete drafts (a new
 * dossier and Idempotency-Key per request), against pgbench running the same
 * writes as one transaction of plain statements (bench/submit.pgbench.sql) on
 * fresh drafts of its own, same clients, same duration. Two loads: spread over
 * 20 agencies (the figure; the drafts' agencies interleaved) and all at one
 * agency (every submission takes the same code counter row: the worst case).
 * Peak RSS of the API and the worker is sampled during the spread API run. The
 * worker relays the outbox as usual, but the notifications queue is paused:
 * sending (measured by the workers section) would otherwise compete for the
 * CPU with whichever run it happens to lag behind.
 */
export async function benchSubmit(
  env: Env,
  o: { durationS: number; warmupS: number; oneAgencyS: number; rounds: number },
): Promise<SubmitResult> {
  const { ctx, demo } = env;
  const procedure = demo.procedures[BIRTH_EXTRACT];
  const C = env.connections;
  const spreadProcedures = await createAgencies(ctx.pool, AGENCIES, procedure);
  const oneWarmupS = Math.min(o.warmupS, 2);
  // Enough drafts for ~1500 submits/s (spread) and ~800/s (one agency) through warm-up and measurement; running out is reported.
  const spreadCount = Number(process.env.BENCH_SUBMIT_DRAFTS ?? 1500 * (o.durationS + o.warmupS));
  const oneCount = Number(process.env.BENCH_SUBMIT_ONE_DRAFTS ?? 800 * (o.oneAgencyS + oneWarmupS));
  const draftsOf = (p: BenchProcedure, count: number) =>
    createDrafts(ctx.pool, {
      procedure: p,
      citizens: env.citizens,
      count,
      formData: FORM,
      documentKeys: ['id_card'],
      document: env.document,
    });
  const perAgency = await Promise.all(
    spreadProcedures.map((p) => draftsOf(p, Math.ceil(spreadCount / spreadProcedures.length))),
  );
  // Interleaved: consecutive requests go to different agencies.
  const spreadDrafts = perAgency[0].flatMap((_, i) => perAgency.map((ds) => ds[i]).filter(Boolean));
  const oneDrafts = await draftsOf(procedure, oneCount);
  // pgbench: its drafts are numbered; the spread ones first (agency n % 20), then the one agency's.
  const perClient = Math.ceil(Number(process.env.BENCH_PGBENCH_DRAFTS ?? 4000 * (o.durationS + o.warmupS)) / C);
  const perClientOne = Math.ceil(
    Number(process.env.BENCH_PGBENCH_ONE_DRAFTS ?? 1000 * (o.oneAgencyS + oneWarmupS)) / C,
  );
  await seedPgbenchDrafts(env, spreadProcedures, 0, C * perClient);
  await seedPgbenchDrafts(env, [procedure], C * perClient, C * perClientOne);
  await ctx.pool.query('VACUUM ANALYZE dossiers, dossier_documents, dossier_history');
  const notifications = portalQueue(env, QUEUES.notifications);
  await notifications.pause();

  const apiRss = new RssSampler(env.api.pid);
  const workerRss = env.worker ? new RssSampler(env.worker.pid) : undefined;
  const spread = await measure(env, {
    rounds: o.rounds,
    label: 'spread',
    agencies: AGENCIES,
    drafts: spreadDrafts,
    durationS: o.durationS,
    warmupS: o.warmupS,
    pgbench: { base: 0, perClient },
    preparedBaseline: true,
    during: {
      start: () => {
        apiRss.start();
        workerRss?.start();
      },
      stop: () => {
        apiRss.stop();
        workerRss?.stop();
      },
    },
  });
  const apiPeakKb = apiRss.peakKb;
  const workerPeakKb = workerRss?.peakKb ?? 0;
  const serialCommitMs = await serialCommit(env, 300);
  const oneAgency = await measure(env, {
    rounds: o.rounds,
    serialCommitMs,
    label: 'one',
    agencies: 1,
    drafts: oneDrafts,
    durationS: o.oneAgencyS,
    warmupS: oneWarmupS,
    pgbench: { base: C * perClient, perClient: perClientOne },
  });

  // The notifications of all runs (one per submit) are not what the next sections measure: dropped.
  await dropBacklog(env);
  await notifications.resume();

  const MB = 1024;
  return {
    ...spread,
    connections: C,
    oneAgency,
    memory: {
      apiPeakMb: round(apiPeakKb / MB, 1),
      workerPeakMb: round(workerPeakKb / MB, 1),
      apiHwmMb: round(RssSampler.read(env.api.pid, 'VmHWM') / MB, 1),
      workerHwmMb: env.worker ? round(RssSampler.read(env.worker.pid, 'VmHWM') / MB, 1) : 0,
      samples: apiRss.samples,
    },
  };
}

/** The API on `drafts` (autocannon), then pgbench on its own drafts of the same agencies: same clients and duration. */
async function measure(
  env: Env,
  o: {
    label: string;
    agencies: number;
    drafts: Draft[];
    durationS: number;
    warmupS: number;
    pgbench: { base: number; perClient: number };
    during?: { start: () => void; stop: () => void };
    /** The floor of a serialised submission: one commit (see serialCommit). */
    serialCommitMs?: number;
    /** The API and pgbench measured in turn, this many times each (durationS split between them). */
    rounds: number;
    /** Also pgbench -M prepared after -M extended in each round (reported beside the figure). */
    preparedBaseline?: boolean;
  },
): Promise<SubmitRun> {
  const { ctx } = env;
  const C = env.connections;
  const pids: Record<string, number> = {
    api: env.api.pid,
    ...(env.worker ? { worker: env.worker.pid } : {}),
    'load generator': process.pid,
  };

  // ---- the API's requests and pgbench's arguments
  const drafts = o.drafts;
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
          'idempotency-key': `bench-${ctx.runId}-${o.label}-${i}`,
        };
        return req;
      },
      onResponse: (status: number, body: string) => {
        if (record) statuses.push(status);
        if (status === 200 && !sampleBody) sampleBody = body;
      },
    },
  ];
  const day = localDateOf(DEFAULT_CALENDAR, new Date());
  const code = dossierCode('X', day, 1); // X-YYMMDD-0001
  const pgArgs = (seconds: number, label: string, mode = 'extended') => [
    '-n',
    '-M',
    mode,
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
    `per_client=${o.pgbench.perClient}`,
    '-D',
    `base=${o.pgbench.base}`,
    '-D',
    'i=0',
    '-D',
    `day=${day}`,
    '-D',
    `yymmdd=${code.split('-')[1]}`,
    '-D',
    `run=${ctx.runId}-${o.label}-${label}`,
    '-D',
    `body=${sampleBody || '{}'}`,
    ctx.dbUrl,
  ];

  // Warm-ups, then the API and pgbench in turn, `rounds` times (ABAB...): a neighbour's load that comes or goes
  // during the measurement weighs on both sides alike.
  await cannon(
    { url: env.apiUrl, connections: C, duration: o.warmupS, requests: requests(false) },
    `submit ${o.label} warm-up`,
  );
  // pgbench's warm-up uses the first drafts of each client; its rounds start over them (a dossier may be submitted twice: same writes).
  await pgbench(pgArgs(o.warmupS, 'warm-up'));
  const sliceS = Math.max(1, Math.round(o.durationS / o.rounds));
  const api: {
    ok: number;
    s: number;
    p50: number;
    p99: number;
    errors: number;
    timeouts: number;
    probe: ProbeResult;
  }[] = [];
  const pgs: { r: PgbenchResult; s: number; probe: ProbeResult }[] = [];
  const prepared: PgbenchResult[] = [];
  const statements: SeenStatement[][] = [];
  const apiThread = { ranS: 0, waitedS: 0 };
  const load0 = round(loadavg()[0], 2);
  o.during?.start();
  for (let round_ = 0; round_ < o.rounds; round_++) {
    await takeStatements(env.api);
    const before = statuses.length;
    const probe = new Probe(ctx.pool, ctx.dbName, pids).start();
    const sched0 = schedstat(env.api.pid);
    const t0 = process.hrtime.bigint();
    const result = await cannon(
      { url: env.apiUrl, connections: C, duration: sliceS, requests: requests(true) },
      `submit ${o.label}`,
    );
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const sched1 = schedstat(env.api.pid);
    apiThread.ranS += sched1.ranS - sched0.ranS;
    apiThread.waitedS += sched1.waitedS - sched0.waitedS;
    const ok = statuses.slice(before).filter((x) => x === 200).length;
    api.push({
      ok,
      s,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors,
      timeouts: result.timeouts,
      probe: probe.stop(ok),
    });
    statements.push(await takeStatements(env.api));

    const baselineProbe = new Probe(ctx.pool, ctx.dbName, env.worker ? { worker: env.worker.pid } : {}).start();
    const r = await pgbench(pgArgs(sliceS, `run${round_}`));
    pgs.push({ r, s: sliceS, probe: baselineProbe.stop(r.transactions) });
    if (o.preparedBaseline) prepared.push(await pgbench(pgArgs(sliceS, `run${round_}-prepared`, 'prepared')));
  }
  o.during?.stop();
  const loadAverage: [number, number] = [load0, round(loadavg()[0], 2)];
  if (exhausted) console.warn(`  submit ${o.label}: ran out of drafts (${drafts.length}); raise BENCH_SUBMIT_DRAFTS`);
  const ok = api.reduce((a, x) => a + x.ok, 0);
  const elapsedS = api.reduce((a, x) => a + x.s, 0);
  const rps = ok / elapsedS;
  const seen = mergeStatements(statements);
  const transactions = pgs.reduce((a, x) => a + x.r.transactions, 0);
  const pg: PgbenchResult = {
    tps: transactions / pgs.reduce((a, x) => a + x.s, 0),
    transactions,
    failed: pgs.reduce((a, x) => a + x.r.failed, 0),
    latencyMs: pgs.every((x) => x.r.latencyMs !== null)
      ? round(pgs.reduce((a, x) => a + x.r.latencyMs! * x.r.transactions, 0) / Math.max(1, transactions), 3)
      : null,
  };

  const run: Omit<SubmitRun, 'bound'> = {
    agencies: o.agencies,
    rps: round(rps, 1),
    baselineTps: round(pg.tps, 1),
    ratio: round(rps / pg.tps, 3),
    durationS: round(elapsedS, 1),
    rounds: api.map((x, k) => ({ rps: round(x.ok / x.s, 1), baselineTps: round(pgs[k].r.tps, 1) })),
    submitted: ok,
    statuses: histogram(statuses),
    latencyMs: { p50: Math.max(...api.map((x) => x.p50)), p99: Math.max(...api.map((x) => x.p99)) },
    clientErrors: {
      errors: api.reduce((a, x) => a + x.errors, 0),
      timeouts: api.reduce((a, x) => a + x.timeouts, 0),
    },
    roundTripsPerSubmit: ok ? round(totalOf(seen) / ok, 2) : null,
    statementsPerSubmit: ok ? perOperation(seen, ok) : [],
    waitsPerSubmitMs: ok ? waitsPerOperation(seen, ok) : null,
    baselineRoundTrips: PGBENCH_ROUND_TRIPS,
    pgbench: pg,
    probe: mergeProbes(api.map((x) => ({ p: x.probe, ops: x.ok }))),
    baselineProbe: mergeProbes(pgs.map((x) => ({ p: x.probe, ops: x.r.transactions }))),
    loadAverage,
    apiThread: {
      ran: round(apiThread.ranS / elapsedS, 2),
      waitedForCpu: round(apiThread.waitedS / elapsedS, 2),
    },
    ...(o.serialCommitMs !== undefined ? { serialCommitMs: o.serialCommitMs } : {}),
    ...(prepared.length ? { preparedBaseline: preparedFigures(prepared, sliceS, rps) } : {}),
  };
  return { ...run, bound: boundOf(run) };
}

/** The `-M prepared` rounds as one figure: transactions per second over all of them, and the API's ratio to it. */
function preparedFigures(rounds: PgbenchResult[], sliceS: number, rps: number): SubmitRun['preparedBaseline'] {
  const tps = rounds.reduce((a, x) => a + x.transactions, 0) / (sliceS * rounds.length);
  return {
    tps: round(tps, 1),
    ratio: round(rps / tps, 3),
    rounds: rounds.map((x) => round(x.tps, 1)),
    failed: rounds.reduce((a, x) => a + x.failed, 0),
  };
}

/**
 * What one commit costs on this machine now: `n` sequential autocommit one-row inserts into a table of the bench's
 * own (WAL written, so a flush at each commit), median in ms, round trip included.
 */
async function serialCommit(env: Env, n: number): Promise<number> {
  const client = await env.ctx.pool.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_commits (at timestamptz NOT NULL DEFAULT now())');
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await client.query('INSERT INTO bench_commits DEFAULT VALUES');
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return round(median(ms), 2);
  } finally {
    client.release();
  }
}

/** Time a process's main thread ran and waited on a run queue so far, in seconds (zeros when unreadable). */
function schedstat(pid: number): { ranS: number; waitedS: number } {
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { ranS: ran / 1e9, waitedS: waited / 1e9 };
  } catch {
    return { ranS: 0, waitedS: 0 };
  }
}

/** The statements of several captures, counts and times added up by statement. */
function mergeStatements(captures: SeenStatement[][]): SeenStatement[] {
  const by = new Map<string, SeenStatement>();
  for (const s of captures.flat()) {
    const had = by.get(s.key);
    if (had) {
      had.count += s.count;
      had.ms += s.ms;
    } else by.set(s.key, { ...s });
  }
  return [...by.values()];
}

/** Probes of equally long windows as one: cores averaged, CPU per operation over all operations, states by samples. */
function mergeProbes(parts: { p: ProbeResult; ops: number }[]): ProbeResult {
  const names = [...new Set(parts.flatMap((x) => Object.keys(x.p.cores)))];
  const ops = parts.reduce((a, x) => a + x.ops, 0);
  const samples = parts.reduce((a, x) => a + x.p.backendSamples, 0);
  const states = [...new Set(parts.flatMap((x) => Object.keys(x.p.backends)))];
  return {
    cores: Object.fromEntries(
      names.map((n) => [n, round(parts.reduce((a, x) => a + (x.p.cores[n] ?? 0), 0) / parts.length, 2)]),
    ),
    cpuMsPerOp: ops
      ? Object.fromEntries(
          names.map((n) => [n, round(parts.reduce((a, x) => a + (x.p.cpuMsPerOp?.[n] ?? 0) * x.ops, 0) / ops, 2)]),
        )
      : undefined,
    backends: Object.fromEntries(
      states
        .map(
          (k) =>
            [
              k,
              round(
                parts.reduce((a, x) => a + (x.p.backends[k] ?? 0) * x.p.backendSamples, 0) / Math.max(1, samples),
                2,
              ),
            ] as const,
        )
        .sort((a, b) => b[1] - a[1]),
    ),
    backendSamples: samples,
  };
}

/** Share of the sampled Postgres backends that were waiting on a lock (row or transaction). */
const lockShare = (p: ProbeResult) =>
  Object.entries(p.backends)
    .filter(([k]) => /waiting Lock\//.test(k))
    .reduce((a, [, v]) => a + v, 0);

/**
 * What bounds a submit figure, in words and numbers from the run: at one agency the code counter's row lock
 * (submissions commit one at a time, each holding it for its last statement and COMMIT); spread, the CPU of the
 * machine or of the API's one thread, else the lock.
 */
function boundOf(r: Omit<SubmitRun, 'bound'>): string {
  const c = r.probe.cores;
  const busy = round(
    Object.values(c).reduce((a, b) => a + b, 0),
    2,
  );
  const cores = cpus().length;
  const locks = Math.round(lockShare(r.probe) * 100);
  const commit = r.statementsPerSubmit.find((s) => s.statement === 'COMMIT');
  const last = r.statementsPerSubmit.find((s) => s.statement.includes('dossier_code_counters'));
  const cpu =
    `CPU of the run's processes ${busy} of ${cores} cores (API ${c.api ?? 0}, Postgres ${c.postgres ?? 0}, ` +
    `load generator ${c['load generator'] ?? 0}, worker ${c.worker ?? 0}), API ${r.probe.cpuMsPerOp?.api ?? '?'} ms ` +
    `CPU per submit; machine load average ${r.loadAverage[0]} to ${r.loadAverage[1]}`;
  const waits =
    `${locks} % of sampled backends waiting on a lock; per submit the API waited ${r.waitsPerSubmitMs?.postgres ?? '?'} ms ` +
    `on Postgres in ${r.roundTripsPerSubmit ?? '?'} round trips, of which the last statement (counter, code, ` +
    `idempotency key) ${last?.msPerOp ?? '?'} ms and COMMIT ${commit?.msPerOp ?? '?'} ms`;
  const t = r.apiThread;
  const thread =
    `the API's JavaScript thread ran ${Math.round(t.ran * 100)} % of the time and waited for a CPU ` +
    `${Math.round(t.waitedForCpu * 100)} %, at ${r.probe.cpuMsPerOp?.api ?? '?'} ms CPU per submit`;
  if (r.agencies === 1) {
    const serialMs = round(1000 / r.rps, 2);
    return (
      `the agency's code counter row: its submissions commit one at a time, each holding the row from its last ` +
      `statement to the end of its COMMIT (a WAL flush each, no group commit): ${serialMs} ms per submission, ` +
      `so ${r.rps}/s (pgbench, same order, no Node between the statements: ${round(1000 / r.baselineTps, 2)} ms; ` +
      `one commit alone: ${r.serialCommitMs ?? '?'} ms); ` +
      `${waits}; ${cpu}; ${thread}`
    );
  }
  const verdict =
    t.waitedForCpu >= 0.25
      ? `the CPU the API gets on a shared machine (${thread}: other work had the cores)`
      : busy >= 0.85 * cores
        ? "the machine's CPU"
        : t.ran >= 0.9
          ? `the API's Node thread (${thread})`
          : locks >= 30
            ? 'lock waits'
            : 'waits on Postgres (round trips and commits)';
  return `${verdict}; ${waits}; ${cpu}`;
}

/**
 * `count` drafts numbered from `from`, whose ids pgbench derives from n (…-4000-8000-<n in hex>), so it needs no
 * lookup; draft n is of `procedures[n % procedures.length]`.
 */
async function seedPgbenchDrafts(env: Env, procedures: BenchProcedure[], from0: number, count: number): Promise<void> {
  const { pool } = env.ctx;
  const CHUNK = 20_000;
  const cits = env.citizens.map((c) => c.id);
  for (let from = from0; from < from0 + count; from += CHUNK) {
    const to = Math.min(from0 + count, from + CHUNK) - 1;
    await pool.query(
      `WITH x AS (
         SELECT n, ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS id, ($4::uuid[])[1 + n % array_length($4::uuid[], 1)] AS applicant,
                md5(n::text) || md5(n::text) AS hash, 1 + n % array_length($3::uuid[], 1) AS k
           FROM generate_series($1::int, $2::int) n
       ), d AS (
         INSERT INTO dossiers (id, agency_id, procedure_id, procedure_version_id, applicant_id, state, form_data, history_seq, history_hash)
         SELECT id, ($3::uuid[])[k], ($5::uuid[])[k], ($6::uuid[])[k], applicant, 'draft', $7::jsonb, 1, hash FROM x
       ), h AS (
         INSERT INTO dossier_history (dossier_id, seq, action, to_state, actor_id, actor_role, hash)
         SELECT id, 1, 'create', 'draft', applicant, 'citizen', hash FROM x
       )
       INSERT INTO dossier_documents (dossier_id, document_key, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_role)
       SELECT id, 'id_card', 'scan.pdf', 'application/pdf', $8, $9, $10, applicant, 'citizen' FROM x`,
      [
        from,
        to,
        procedures.map((p) => p.agencyId),
        cits,
        procedures.map((p) => p.id),
        procedures.map((p) => p.versionId),
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

/** pgbench, tried again (up to 3 times, 5 s apart) when the server has no connection slot left: a shared server. */
async function pgbench(args: string[]): Promise<PgbenchResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pgbenchOnce(args);
    } catch (e) {
      if (attempt >= 3 || !/too many clients/.test((e as Error).message)) throw e;
      console.warn(`  pgbench: the server had no connection slot left; again in 5 s`);
      await sleep(5000);
    }
  }
}

function pgbenchOnce(args: string[]): Promise<PgbenchResult> {
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
