import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../lib/context';
import { cannon, histogram, mapLimit, round } from '../lib/load';
import { Env, SeenStatement, takeStatements, totalOf, waitsPerOperation } from '../lib/portal';
import { Probe, ProbeResult } from '../lib/probe';
import { createDrafts } from '../lib/seed';

export interface ReadResult {
  rps: number;
  baselineRps: number;
  ratio: number;
  connections: number;
  durationS: number;
  statuses: Record<string, number>;
  baselineStatuses: Record<string, number>;
  latencyMs: { p50: number; p99: number };
  baselineLatencyMs: { p50: number; p99: number };
  /** What the API ran for one read (and the baseline replays). */
  statements: string[];
  roundTripsPerRead: number | null;
  baselineRoundTripsPerRead: number | null;
  /** Whether the baseline sent the same statements as the API, as often per read (both counted in process). */
  sameStatements: boolean;
  /** Per read: time the API waited on Postgres (ms). */
  waitsPerReadMs: { postgres: number; smtp: number; http: number } | null;
  probe: ProbeResult;
  baselineProbe: ProbeResult;
  /** The machine's 1-minute load average when each run started: [API, baseline]. */
  loadAverage: [number, number];
  /** What limits the figure, read from the probes (CPU per read, cores used, Postgres backends) and the load. */
  bound: string;
}

/**
 * What bounds the read, from what the run measured: the API's one event loop when it keeps a core busy; the
 * machine's cores when the API, Postgres and the load generator (this process) together use them all or other
 * work crowds them (load above the core count); Postgres when its backends wait; otherwise the round trips.
 */
export function readBound(api: ProbeResult, baseline: ProbeResult, cores: number, load: number): string {
  const ms = (p: ProbeResult, k: string) => p.cpuMsPerOp?.[k] ?? 0;
  const perRead =
    `per read the API spends ${ms(api, 'api')} ms of CPU (the baseline ${ms(baseline, 'baseline')} ms) ` +
    `and Postgres ${ms(api, 'postgres')} ms (${ms(baseline, 'postgres')} ms for the baseline)`;
  const used = (api.cores.api ?? 0) + (api.cores.postgres ?? 0) + (api.cores.client ?? 0);
  const waiting = Object.entries(api.backends)
    .filter(([k]) => k.includes('waiting'))
    .reduce((a, [, v]) => a + v, 0);
  if ((api.cores.api ?? 0) >= 0.85) return `the API's event loop (one core, ${api.cores.api} busy): ${perRead}`;
  if (used >= 0.85 * cores || load > cores)
    return (
      `the machine's ${cores} cores, shared by the API (${api.cores.api}), Postgres (${api.cores.postgres}), ` +
      `the load generator (${api.cores.client}) and other work (load ${load}): ${perRead}`
    );
  if (waiting >= 0.2) return `Postgres: ${Math.round(waiting * 100)} % of sampled backends waiting; ${perRead}`;
  return `round trips (${api.cores.api} cores for the API, ${used.toFixed(2)} of ${cores} in all): ${perRead}`;
}

/** Up to 2,000 submitted dossiers of the bench citizens (submitting 500 first when run on its own). */
export async function submittedDossiers(env: Env): Promise<{ id: string; applicant_id: string }[]> {
  const { ctx } = env;
  const submitted = () =>
    ctx.pool.query(
      `SELECT d.id, d.applicant_id FROM dossiers d WHERE d.state = 'submitted' AND d.applicant_id = ANY($1::uuid[]) LIMIT 2000`,
      [env.citizens.map((c) => c.id)],
    );
  let { rows: targets } = await submitted();
  if (targets.length === 0) {
    // Run on its own (BENCH_ONLY=read): submit some dossiers first.
    const drafts = await createDrafts(ctx.pool, {
      procedure: env.demo.procedures['1.004884'],
      citizens: env.citizens,
      count: 500,
      formData: { fullName: 'Nguyễn Văn Đọc', dateOfBirth: '1990-01-01', copies: 1 },
      documentKeys: ['id_card'],
      document: env.document,
    });
    await mapLimit(drafts, 16, async (d, i) => {
      const res = await fetch(`${env.apiUrl}/api/v1/applications/${d.id}/submit`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${env.tokens.get(d.applicantId)}`,
          'idempotency-key': `read-${ctx.runId}-${i}`,
        },
      });
      if (res.status !== 200) throw new Error(`submit for read: HTTP ${res.status}`);
    });
    ({ rows: targets } = await submitted());
  }
  return targets;
}

/**
 * Read: a citizen's `GET /applications/:id` (JWT, scope, the queries, the
 * view) over their own submitted dossiers, against a bare Fastify + pg route
 * in its own process running the same statements; same connections, same
 * duration, same dossiers.
 */
export async function benchRead(env: Env, o: { durationS: number; warmupS: number }): Promise<ReadResult> {
  const { ctx } = env;
  const targets = await submittedDossiers(env);

  // What the API runs for one read, captured in its process.
  await takeStatements(env.api);
  const sample = await fetch(`${env.apiUrl}/api/v1/applications/${targets[0].id}`, {
    headers: { authorization: `Bearer ${env.tokens.get(targets[0].applicant_id)}` },
  });
  if (sample.status !== 200) throw new Error(`read sample: HTTP ${sample.status} ${await sample.text()}`);
  const captured = (await takeStatements(env.api)).filter((s) => !s.key.startsWith('('));
  if (captured.length === 0) throw new Error('read probe: no statements captured');
  const statements = captured.map((s) => ({
    text: s.text,
    params: s.params.map((p) =>
      p === targets[0].id ? { ref: 'id' } : p === targets[0].applicant_id ? { ref: 'user' } : { value: p },
    ),
  }));
  const file = join(ctx.dir, 'read-statements.json');
  writeFileSync(file, JSON.stringify(statements));

  const port = await freePort();
  const baselineUrl = `http://127.0.0.1:${port}`;
  const baseline = await ctx.startProcess(
    'baseline',
    join(ROOT, 'dist', 'bench', 'baseline-server.js'),
    {
      ...process.env,
      DATABASE_URL: ctx.dbUrl,
      PORT: String(port),
      BENCH_STATEMENTS: file,
      DB_POOL_MAX: '20',
    },
    async () =>
      (await fetch(`${baselineUrl}/dossiers/${targets[0].id}`, { headers: { 'x-user': targets[0].applicant_id } }))
        .status === 200,
    // The same statement counter as the API's, so both sides carry the same instrumentation.
    ['-r', join(ROOT, 'dist', 'bench', 'lib', 'query-counter.js')],
  );

  const run = async (
    url: string,
    path: (id: string) => string,
    headers: (applicant: string) => Record<string, string>,
    seconds: number,
    statuses?: number[],
  ) => {
    let next = 0;
    const t0 = process.hrtime.bigint();
    const result = await cannon(
      {
        url,
        connections: env.connections,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const t = targets[next++ % targets.length];
              req.path = path(t.id);
              req.headers = headers(t.applicant_id);
              return req;
            },
            onResponse: (status) => statuses?.push(status),
          },
        ],
      },
      'read',
    );
    return { result, elapsedS: Number(process.hrtime.bigint() - t0) / 1e9 };
  };
  const api = (seconds: number, s?: number[]) =>
    run(
      env.apiUrl,
      (id) => `/api/v1/applications/${id}`,
      (a) => ({ authorization: `Bearer ${env.tokens.get(a)}` }),
      seconds,
      s,
    );
  const bare = (seconds: number, s?: number[]) =>
    run(
      baselineUrl,
      (id) => `/dossiers/${id}`,
      (a) => ({ 'x-user': a }),
      seconds,
      s,
    );

  const apiStatuses: number[] = [];
  const bareStatuses: number[] = [];
  await api(o.warmupS);
  await takeStatements(env.api);
  const apiLoad = round(loadavg()[0], 2);
  let probe = new Probe(ctx.pool, ctx.dbName, { api: env.api.pid, client: process.pid });
  probe.start();
  const a = await api(o.durationS, apiStatuses);
  const apiOk = apiStatuses.filter((s) => s === 200).length;
  const probed = probe.stop(apiOk);
  const during = await takeStatements(env.api);
  await bare(o.warmupS);
  await takeStatements(baseline);
  const bareLoad = round(loadavg()[0], 2);
  probe = new Probe(ctx.pool, ctx.dbName, { baseline: baseline.pid, client: process.pid });
  probe.start();
  const b = await bare(o.durationS, bareStatuses);
  const bareOk = bareStatuses.filter((s) => s === 200).length;
  const baselineProbed = probe.stop(bareOk);
  const bareDuring = await takeStatements(baseline);
  await ctx.stopPortal(baseline);
  // The baseline ran what the API ran, no more, no less (the same texts, as often per read; what the API ran
  // less than once per ten reads, such as a background statement, is not the read's).
  const perRead = (seen: SeenStatement[], n: number) =>
    Object.fromEntries(
      seen.filter((s) => !s.key.startsWith('(') && s.count / n >= 0.1).map((s) => [s.key, round(s.count / n, 2)]),
    );
  const apiPerRead = perRead(during, apiOk);
  const barePerRead = perRead(bareDuring, bareOk);
  const sameStatements =
    Object.keys(apiPerRead).length === Object.keys(barePerRead).length &&
    Object.entries(apiPerRead).every(([k, n]) => Math.abs((barePerRead[k] ?? 0) - n) < 0.05);

  const rps = apiOk / a.elapsedS;
  const baselineRps = bareOk / b.elapsedS;
  return {
    rps: round(rps, 1),
    baselineRps: round(baselineRps, 1),
    ratio: round(rps / baselineRps, 3),
    connections: env.connections,
    durationS: round(a.elapsedS, 1),
    statuses: histogram(apiStatuses),
    baselineStatuses: histogram(bareStatuses),
    latencyMs: { p50: a.result.latency.p50, p99: a.result.latency.p99 },
    baselineLatencyMs: { p50: b.result.latency.p50, p99: b.result.latency.p99 },
    statements: captured.map((s) => s.key.slice(0, 120)),
    roundTripsPerRead: apiOk ? round(totalOf(during) / apiOk, 2) : null,
    baselineRoundTripsPerRead: bareOk ? round(totalOf(bareDuring) / bareOk, 2) : null,
    sameStatements,
    waitsPerReadMs: apiOk ? waitsPerOperation(during, apiOk) : null,
    probe: probed,
    baselineProbe: baselineProbed,
    loadAverage: [apiLoad, bareLoad],
    bound: readBound(probed, baselineProbed, cpus().length, Math.max(apiLoad, bareLoad)),
  };
}
