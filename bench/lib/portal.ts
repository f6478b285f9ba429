import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Queue } from 'bullmq';
import { redisOptions } from '../../src/config/redis';
import { BenchContext, bounded, Portal, REDIS_URL, sleep } from './context';
import type { Citizen } from './seed';
import type { Demo } from './seed';

/** What every section gets: the running portal and the people and data it knows. */
export interface Env {
  ctx: BenchContext;
  api: Portal;
  apiUrl: string;
  worker?: Portal;
  demo: Demo;
  citizens: Citizen[];
  /** Access token of each bench citizen, by account id. */
  tokens: Map<string, string>;
  document: { key: string; sha256: string; size: number };
  /** Connections of the HTTP load generators (and clients of pgbench). */
  connections: number;
}

export interface SeenStatement {
  key: string;
  count: number;
  /** Total time from sending to the answer, in ms. */
  ms: number;
  text: string;
  params: unknown[];
}

/**
 * The statements a portal process sent since the last call, in first-seen
 * order, with counts (see lib/query-counter.ts): SIGWINCH, then read the file.
 */
export async function takeStatements(p: Portal): Promise<SeenStatement[]> {
  const file = p.queryFile;
  rmSync(file, { force: true });
  p.child.kill('SIGWINCH');
  const until = Date.now() + 3000;
  while (!existsSync(file)) {
    if (Date.now() > until) return [];
    await sleep(20);
  }
  await sleep(20);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

/** Round trips to Postgres (the timed mail and HTTP calls are not statements). */
export function totalOf(statements: SeenStatement[]): number {
  return statements.filter((s) => !s.key.startsWith('(')).reduce((a, s) => a + s.count, 0);
}

/**
 * Calls per operation and the time they took per operation (ms, summed over
 * concurrent operations, so it is the wait each operation saw), most
 * frequent first (the first 120 characters of each statement).
 */
export function perOperation(
  statements: SeenStatement[],
  per: number,
  top = 20,
): { statement: string; perOp: number; msPerOp: number }[] {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return [...statements]
    .sort((a, b) => b.count - a.count)
    .slice(0, top)
    .map((s) => ({ statement: s.key.slice(0, 120), perOp: r2(s.count / per), msPerOp: r2(s.ms / per) }));
}

/** Time per operation spent waiting on Postgres, mail and HTTP (ms). */
export function waitsPerOperation(
  statements: SeenStatement[],
  per: number,
): { postgres: number; smtp: number; http: number } {
  const sum = (f: (s: SeenStatement) => boolean) =>
    Math.round((statements.filter(f).reduce((a, s) => a + s.ms, 0) / per) * 100) / 100;
  return {
    postgres: sum((s) => !s.key.startsWith('(')),
    smtp: sum((s) => s.key === '(smtp) sendMail'),
    http: sum((s) => s.key === '(http) fetch'),
  };
}

/** A BullMQ queue of the portal under the run's prefix. */
export function portalQueue(env: Env, name: string): Queue {
  const q = new Queue(name, {
    connection: { ...redisOptions(REDIS_URL), maxRetriesPerRequest: null },
    prefix: env.ctx.redisPrefix,
  });
  env.ctx.onCleanup(() => q.close());
  return q;
}

/** Waits until the queues have nothing waiting or active (bounded; delayed jobs, such as the repeatable ones, do not count). */
export async function waitIdle(queues: Queue[], ms: number): Promise<boolean> {
  return bounded(
    'queues idle',
    ms + 1000,
    (async () => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const counts = await Promise.all(
          queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized', 'paused')),
        );
        if (counts.every((c) => c.waiting + c.active + c.prioritized + c.paused === 0)) return true;
        await sleep(200);
      }
      return false;
    })(),
  );
}
