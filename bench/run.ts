/**
 * `npm run bench`: the portal under load, on loopback, every figure a ratio
 * against a baseline measured in the same run (see bench/README.md).
 *
 * One run: a database of its own (bench_<id>, migrated, demo data), a Redis
 * prefix of its own, the API and a worker as child processes (`node
 * dist/src/main.js`), an SMTP and an SMS sink that accept and discard; then
 * submit, read, the dossier page, IPN, workers and queue, in that order; then everything is
 * removed (also on failure and on SIGINT/SIGTERM). Prints a table and writes
 * bench/results.json.
 *
 * Knobs (environment): BENCH_CONNECTIONS (16), BENCH_SUBMIT_S (20), BENCH_SUBMIT_ONE_S (10), BENCH_SUBMIT_ROUNDS (2),
 * BENCH_READ_S (10), BENCH_PAGE_S (8), BENCH_WARMUP_S (3), BENCH_QUEUE_DOSSIERS (1000000),
 * BENCH_WORKER_JOBS (2000), BENCH_WORKER_ROUNDS (4), BENCH_ONLY (comma list of sections),
 * BENCH_DEADLINE_S (840), BENCH_CPU_PROF (1: CPU profiles of the API and
 * worker into dist/bench/profiles/).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import Fastify from 'fastify';
import { environmentValue } from '../src/config/configuration';
import { runMigrations } from '../src/database/migrate';
import { seedDemo } from '../src/database/seed';
import { accessToken, BenchContext, freePort, ROOT, tail } from './lib/context';
import { round } from './lib/load';
import { Env } from './lib/portal';
import { createCitizens, loadDemo, writeSharedDocument } from './lib/seed';
import { SmtpSink } from './lib/smtp-sink';
import { benchIpn } from './sections/ipn';
import { benchQueue } from './sections/queue';
import { benchPage } from './sections/page';
import { benchRead } from './sections/read';
import { benchSubmit } from './sections/submit';
import { benchWorkers, Sinks } from './sections/workers';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const SECTIONS = ['submit', 'read', 'page', 'ipn', 'workers', 'queue'] as const;
type Section = (typeof SECTIONS)[number];

async function main(): Promise<number> {
  const started = Date.now();
  const loadAtStart = loadavg().map((x) => round(x, 2));
  const only = new Set((process.env.BENCH_ONLY ?? SECTIONS.join(',')).split(',').map((s) => s.trim()) as Section[]);
  const connections = num('BENCH_CONNECTIONS', 16);
  const warmupS = num('BENCH_WARMUP_S', 3);
  const deadlineS = num('BENCH_DEADLINE_S', 840);
  const cpuProf = process.env.BENCH_CPU_PROF === '1';
  const ctx = new BenchContext();
  const results: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const timings: Record<string, number> = {};
  // The machine's 1-minute load average when each step started and ended: a busy neighbour shows here.
  const load: Record<string, [number, number]> = {};

  let stopping = false;
  const abort = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\nbench: ${why}; cleaning up`);
    await ctx.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', () => void abort('interrupted'));
  process.once('SIGTERM', () => void abort('terminated'));
  const deadline = setTimeout(() => {
    console.error(`bench: deadline of ${deadlineS} s reached`);
    writeResults(results, errors, timings, load, started, loadAtStart, true);
    void abort('out of time');
  }, deadlineS * 1000);

  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t = Date.now();
    const load0 = round(loadavg()[0], 2);
    process.stdout.write(`- ${name} ... `);
    try {
      const r = await fn();
      timings[name] = round((Date.now() - t) / 1000, 1);
      console.log(`${timings[name]} s`);
      return r;
    } catch (e) {
      timings[name] = round((Date.now() - t) / 1000, 1);
      console.log(`FAILED after ${timings[name]} s`);
      throw e;
    } finally {
      load[name] = [load0, round(loadavg()[0], 2)];
    }
  };

  try {
    // ------------------------------------------------------------ set-up
    const env = (await step('set-up (database, demo data, sinks, API, worker)', async () => {
      await ctx.init();
      await runMigrations(ctx.dbUrl);
      await seedDemo(ctx.dbUrl, 'Demo@2026');
      const demo = await loadDemo(ctx.pool);
      const citizens = await createCitizens(ctx.pool, 1000, ctx.runId);
      mkdirSync(ctx.storageDir, { recursive: true });
      const document = writeSharedDocument(ctx.storageDir);

      // The sinks: SMTP that accepts and discards, SMS gateway that answers an id.
      const smtp = new SmtpSink();
      const smtpUrl = await smtp.start();
      ctx.onCleanup(() => smtp.stop());
      const smsCounts = { messages: 0, connections: 0 };
      const sms = Fastify({ logger: false });
      sms.post('/sms', () => Promise.resolve({ messageId: `sms-${++smsCounts.messages}` }));
      sms.server.on('connection', () => smsCounts.connections++);
      const smsPort = await freePort();
      await sms.listen({ port: smsPort, host: '127.0.0.1' });
      ctx.onCleanup(() => sms.close());
      const smsUrl = `http://127.0.0.1:${smsPort}/sms`;
      const sinks: Sinks = {
        smtpUrl,
        smsUrl,
        smsKey: 'bench-sms-key',
        counts: () => ({
          smtp: smtp.messages,
          smtpBytes: smtp.bytes,
          smtpConnections: smtp.connections,
          sms: smsCounts.messages,
          smsConnections: smsCounts.connections,
        }),
      };

      const apiPort = await freePort();
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      const profDir = join(ROOT, 'dist', 'bench', 'profiles'); // dist/ is git-ignored
      if (cpuProf) mkdirSync(profDir, { recursive: true });
      const prof = (name: string) =>
        cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}-${ctx.runId}.cpuprofile`] : [];
      const api = await ctx.startPortal(
        'api',
        ctx.portalEnv({
          PORTAL_ROLE: 'api',
          PORT: String(apiPort),
          HOST: '127.0.0.1',
          PUBLIC_BASE_URL: apiUrl,
        }),
        async () => (await fetch(`${apiUrl}/api/v1/procedures`)).status === 200,
        prof('api'),
      );
      const worker = await ctx.startPortal(
        'worker',
        ctx.portalEnv({
          PORTAL_ROLE: 'worker',
          PORT: String(apiPort),
          PUBLIC_BASE_URL: apiUrl,
          SMTP_URL: smtpUrl,
          SMS_API_URL: smsUrl,
          SMS_API_KEY: sinks.smsKey,
        }),
        // A promise whose failure (no log file yet) is a rejection the readiness loop treats as "not yet".
        () =>
          new Promise<boolean>((resolve) =>
            resolve(/portal worker running/.test(readFileSync(join(ctx.dir, 'worker.log'), 'utf8'))),
          ),
        prof('worker'),
      );

      const tokens = new Map(
        citizens.map((c) => [c.id, accessToken(ctx.jwtSecret, { id: c.id, role: 'citizen', agencyId: null })]),
      );
      return { env: { ctx, api, apiUrl, worker, demo, citizens, tokens, document, connections } as Env, sinks };
    })) as { env: Env; sinks: Sinks };

    const section = async (name: Section, fn: () => Promise<unknown>) => {
      if (!only.has(name)) return;
      try {
        results[name] = await step(name, fn);
      } catch (e) {
        errors[name] = (e as Error).stack ?? String(e);
        console.error(`  ${name}: ${(e as Error).message}`);
        for (const p of [env.env.api, env.env.worker])
          if (p) console.error(`  --- ${p.name} log (tail):\n${tail(p.log, 15)}`);
      }
    };

    await section('submit', () =>
      benchSubmit(env.env, {
        durationS: num('BENCH_SUBMIT_S', 20),
        warmupS,
        oneAgencyS: num('BENCH_SUBMIT_ONE_S', 10),
        rounds: num('BENCH_SUBMIT_ROUNDS', 2),
      }),
    );
    await section('read', () =>
      benchRead(env.env, { durationS: num('BENCH_READ_S', 10), warmupS: Math.min(warmupS, 2) }),
    );
    await section('page', () =>
      benchPage(env.env, { durationS: num('BENCH_PAGE_S', 8), warmupS: Math.min(warmupS, 2) }),
    );
    await section('ipn', () => benchIpn(env.env, { payments: 1000, copies: 8, forgeries: 2000, connections: 50 }));
    await section('workers', () =>
      benchWorkers(env.env, {
        jobs: num('BENCH_WORKER_JOBS', 2000),
        // The worker's own setting (the bench's environment reaches it; else the portal's default).
        concurrency: environmentValue('NOTIFICATION_CONCURRENCY'),
        rounds: num('BENCH_WORKER_ROUNDS', 4),
        maxS: 60,
        sinks: env.sinks,
      }),
    );
    // The worker stops before the million rows arrive: its deadline sweep would start working through them.
    if (env.env.worker) {
      await ctx.stopPortal(env.env.worker);
      env.env.worker = undefined;
    }
    await section('queue', () =>
      benchQueue(env.env, { dossiers: num('BENCH_QUEUE_DOSSIERS', 1_000_000), depth: 10_000, samples: 15 }),
    );
    if (cpuProf) await ctx.stopPortal(env.env.api); // profiles are written at exit
  } catch (e) {
    errors.setup = (e as Error).stack ?? String(e);
    console.error((e as Error).message);
  } finally {
    clearTimeout(deadline);
    process.stdout.write('- clean-up ... ');
    const t = Date.now();
    await ctx.cleanup();
    timings['clean-up'] = round((Date.now() - t) / 1000, 1);
    console.log(`${timings['clean-up']} s`);
  }
  writeResults(results, errors, timings, load, started, loadAtStart, false);
  return Object.keys(errors).length ? 1 : 0;
}

function writeResults(
  results: Record<string, any>,
  errors: Record<string, string>,
  timings: Record<string, number>,
  load: Record<string, [number, number]>,
  started: number,
  loadAtStart: number[],
  partial: boolean,
): void {
  const s = results.submit;
  const out = {
    figures: figures(results),
    submit: s
      ? {
          rps: s.rps,
          baselineTps: s.baselineTps,
          ratio: s.ratio,
          ...omit(s, ['rps', 'baselineTps', 'ratio', 'memory']),
        }
      : null,
    read: results.read ?? null,
    page: results.page ?? null,
    queue: results.queue
      ? {
          ...omit(results.queue, ['plan', 'countsPlan']),
          plan: results.queue.plan.split('\n'),
          countsPlan: results.queue.countsPlan.split('\n'),
        }
      : null,
    ipn: results.ipn ?? null,
    workers: results.workers ?? null,
    memory: s
      ? {
          apiPeakMb: s.memory.apiPeakMb,
          workerPeakMb: s.memory.workerPeakMb,
          ...omit(s.memory, ['apiPeakMb', 'workerPeakMb']),
        }
      : null,
    targets: {
      submitRatio: '>= 0.5',
      readRatio: '>= 0.6',
      pageOverJson: '>= 0.5',
      queueDeepOverFirst: '<= 1.5',
      queueIndexPlan: true,
      ipnCredits: '== expectedCredits',
      workersRatio: '>= 0.5',
    },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      // 1, 5 and 15-minute load averages when the run started and when it ended (per step: run.loadAverage).
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((x) => round(x, 2)) },
      node: process.version,
      postgres: safe(() =>
        execFileSync('psql', ['-At', '-h', '127.0.0.1', '-U', 'postgres', '-c', 'SHOW server_version'], {
          timeout: 5000,
        })
          .toString()
          .trim(),
      ),
      redis: safe(
        () =>
          /redis_version:(\S+)/.exec(execFileSync('redis-cli', ['INFO', 'server'], { timeout: 5000 }).toString())?.[1],
      ),
      commit: safe(() =>
        execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, timeout: 5000 }).toString().trim(),
      ),
      dirty: safe(
        () =>
          execFileSync('git', ['status', '--porcelain', 'src', 'migrations'], { cwd: ROOT, timeout: 5000 })
            .toString()
            .trim() !== '',
      ),
    },
    run: {
      date: new Date(started).toISOString().slice(0, 10),
      at: new Date(started).toISOString(),
      totalS: round((Date.now() - started) / 1000, 1),
      steps: timings,
      loadAverage: load,
      partial,
    },
    errors,
  };
  writeFileSync(join(ROOT, 'bench', 'results.json'), JSON.stringify(out, null, 2) + '\n');
  printTable(out);
}

/**
 * One entry per figure with a target: its value, the baseline it is a ratio against, the target, whether it was
 * met and what bounds it. A section states what bounds its figure as `bound` (a string) in its result; this list
 * takes it from there (null when the section gives none).
 */
interface Figure {
  figure: string;
  value: number | boolean | null;
  portal: string;
  baseline: string | null;
  target: string;
  met: boolean | null;
  bound: string | null;
}

function figures(r: Record<string, any>): Figure[] {
  const out: Figure[] = [];
  const add = (f: Omit<Figure, 'met' | 'bound'>, met: boolean | null, bound: unknown) =>
    out.push({ ...f, met, bound: typeof bound === 'string' ? bound : null });
  const { submit, read, page, queue, ipn, workers } = r;
  if (submit) {
    add(
      {
        figure: `submit, spread over ${submit.agencies} agencies (API / pgbench)`,
        value: submit.ratio,
        portal: `${submit.rps} req/s`,
        baseline: `pgbench ${submit.baselineTps} tps`,
        target: '>= 0.5',
      },
      submit.ratio >= 0.5,
      submit.bound,
    );
    const prep = submit.preparedBaseline;
    if (prep)
      add(
        {
          figure: `submit, spread over ${submit.agencies} agencies (API / pgbench -M prepared)`,
          value: prep.ratio,
          portal: `${submit.rps} req/s`,
          baseline: `pgbench -M prepared ${prep.tps} tps`,
          target: 'reported',
        },
        null,
        'the same load against pgbench planning each statement once per connection, as the portal does',
      );
    const one = submit.oneAgency;
    if (one)
      add(
        {
          figure: 'submit, one agency (API / pgbench)',
          value: one.ratio,
          portal: `${one.rps} req/s`,
          baseline: `pgbench ${one.baselineTps} tps`,
          target: 'reported',
        },
        null,
        one.bound,
      );
  }
  if (read)
    add(
      {
        figure: 'read (API / bare Fastify + pg)',
        value: read.ratio,
        portal: `${read.rps} req/s`,
        baseline: `${read.baselineRps} req/s`,
        target: '>= 0.6',
      },
      read.ratio >= 0.6,
      read.bound,
    );
  if (page)
    add(
      {
        figure: 'dossier page (HTML / JSON read)',
        value: page.ratio,
        portal: `${page.rps} req/s`,
        baseline: `${page.jsonRps} req/s`,
        target: '>= 0.5',
      },
      page.ratio >= 0.5,
      page.bound ??
        `the same round trips as the JSON read (${page.roundTripsPerPage} against ${page.roundTripsPerJson} per request: the session with its account, then the dossier with its history and documents in one statement); the rest is rendering ${page.pageBytes} bytes of HTML on the same cores`,
    );
  if (queue) {
    add(
      {
        figure: 'queue, deep page / first page without the counts',
        value: queue.deepOverFirst,
        portal: `${queue.deepMs} ms`,
        baseline: `${queue.firstNoCountsMs} ms`,
        target: '<= 1.5',
      },
      queue.deepOverFirst <= 1.5,
      queue.pagingBound,
    );
    add(
      {
        figure: "queue, the clerk's first page: with the counts / without",
        value: queue.countsOverhead,
        portal: `${queue.firstMs} ms`,
        baseline: `${queue.firstNoCountsMs} ms`,
        target: 'reported',
      },
      null,
      queue.bound,
    );
    add(
      {
        figure: 'queue, deep page plan: a queue index, no sort',
        value: queue.indexPlan,
        portal: queue.indexPlan ? 'index, no sort' : 'not index-only order',
        baseline: null,
        target: 'true',
      },
      queue.indexPlan === true,
      'the plan of the deep page as the API runs it (EXPLAIN ANALYZE, printed): keyset order read off dossiers_queue',
    );
  }
  if (ipn)
    add(
      {
        figure: 'ipn credits',
        value: ipn.credits,
        portal: `${ipn.rps} req/s`,
        baseline: null,
        target: `== ${ipn.expectedCredits}`,
      },
      ipn.credits === ipn.expectedCredits,
      ipn.bound ??
        `a count, not a speed: every genuine IPN credited once however many copies race, forgeries refused (RspCode 97); ${ipn.rps} IPN/s with 50 connections on the same cores`,
    );
  if (workers)
    add(
      {
        figure: 'workers (portal worker / bare Node loop, same I/O per message)',
        value: workers.ratio,
        portal: `${workers.jobsPerSec} jobs/s`,
        baseline: `${workers.baselineJobsPerSec} jobs/s`,
        target: '>= 0.5',
      },
      workers.ratio >= 0.5,
      workers.bound,
    );
  return out;
}

function printTable(r: any): void {
  const rows: [string, string, string, string, string][] = [];
  const pass = (ok: boolean | undefined) => (ok === undefined ? '-' : ok ? 'ok' : 'MISSED');
  if (r.submit)
    rows.push([
      `submit, ${r.submit.agencies} agencies`,
      `${r.submit.rps} req/s`,
      `pgbench ${r.submit.baselineTps} tps`,
      `${r.submit.ratio}`,
      `>= 0.5 ${pass(r.submit.ratio >= 0.5)}`,
    ]);
  if (r.submit?.preparedBaseline)
    rows.push([
      `submit, ${r.submit.agencies} agencies`,
      `${r.submit.rps} req/s`,
      `pgbench -M prepared ${r.submit.preparedBaseline.tps} tps`,
      `${r.submit.preparedBaseline.ratio}`,
      'reported',
    ]);
  if (r.submit?.oneAgency)
    rows.push([
      'submit, one agency',
      `${r.submit.oneAgency.rps} req/s`,
      `pgbench ${r.submit.oneAgency.baselineTps} tps`,
      `${r.submit.oneAgency.ratio}`,
      'reported',
    ]);
  if (r.read)
    rows.push([
      'read',
      `${r.read.rps} req/s`,
      `bare ${r.read.baselineRps} req/s`,
      `${r.read.ratio}`,
      `>= 0.6 ${pass(r.read.ratio >= 0.6)}`,
    ]);
  if (r.page)
    rows.push([
      'dossier page',
      `${r.page.rps} req/s`,
      `JSON read ${r.page.jsonRps} req/s`,
      `${r.page.ratio}`,
      `>= 0.5 ${pass(r.page.ratio >= 0.5)}`,
    ]);
  if (r.queue) {
    rows.push([
      'queue',
      `first ${r.queue.firstMs} ms (${r.queue.firstNoCountsMs} without counts), deep ${r.queue.deepMs} ms`,
      `${r.queue.openDossiers} open of ${r.queue.dossiers}`,
      `${r.queue.deepOverFirst}`,
      `<= 1.5 ${pass(r.queue.deepOverFirst <= 1.5)}`,
    ]);
    rows.push([
      'queue plan',
      r.queue.indexPlan ? 'index, no sort' : 'NOT index-only order',
      '',
      '',
      pass(r.queue.indexPlan),
    ]);
  }
  if (r.ipn)
    rows.push([
      'ipn',
      `${r.ipn.rps} req/s`,
      `${r.ipn.sent} sent`,
      `${r.ipn.credits} credits`,
      `== ${r.ipn.expectedCredits} ${pass(r.ipn.credits === r.ipn.expectedCredits)}`,
    ]);
  if (r.workers)
    rows.push([
      'workers',
      `${r.workers.jobsPerSec} jobs/s`,
      `bare loop ${r.workers.baselineJobsPerSec} jobs/s`,
      `${r.workers.ratio}`,
      `>= 0.5 ${pass(r.workers.ratio >= 0.5)}`,
    ]);
  if (r.memory)
    rows.push([
      'memory',
      `API ${r.memory.apiPeakMb} MB`,
      `worker ${r.memory.workerPeakMb} MB`,
      'peak RSS',
      'under submit load',
    ]);
  const head: [string, string, string, string, string] = ['benchmark', 'portal', 'baseline', 'ratio', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('');
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  rows.forEach((row) => console.log(line(row)));
  if (r.queue?.plan) console.log(`\nqueue, deep page, EXPLAIN (ANALYZE, BUFFERS):\n${r.queue.plan.join('\n')}`);
  if (r.ipn)
    console.log(
      `\nipn RspCode: ${JSON.stringify(r.ipn.rspCodes)} (expected ${JSON.stringify(r.ipn.expectedRspCodes)})`,
    );
  const bounds = r.figures.filter((f: Figure) => f.bound);
  if (bounds.length)
    console.log(`\nwhat bounds them:\n${bounds.map((f: Figure) => `- ${f.figure}: ${f.bound}`).join('\n')}`);
  console.log(
    `\n${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}, Redis ${r.machine.redis}; load average ${r.machine.loadAverage.atStart.join(' ')} at the start, ${r.machine.loadAverage.atEnd.join(' ')} at the end`,
  );
  console.log(
    `total ${r.run.totalS} s; results in bench/results.json${Object.keys(r.errors).length ? `; FAILED: ${Object.keys(r.errors).join(', ')}` : ''}`,
  );
}

function omit<T extends Record<string, unknown>>(o: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
