/**
 * Preloaded into the portal processes the benchmark starts (`node -r`).
 * Counts the statements the process sends to Postgres (one per round trip)
 * by statement, with the time each took (sent to answered), and keeps the
 * first full text and parameters of each (the read baseline replays exactly
 * what the API ran). Also times outgoing mail (nodemailer sendMail) and HTTP
 * (fetch), so a job's or a request's wall time can be split by what it waited
 * on. On SIGWINCH it writes what it saw since the last dump to
 * BENCH_QUERY_COUNT_FILE and starts again from zero (not SIGUSR2: Nest's
 * enableShutdownHooks() closes the app on it; SIGWINCH is ignored by
 * default, so it is harmless before this handler is installed).
 * Cost: two Map look-ups and two clock reads per call. The read baseline
 * (bench/baseline-server.ts) is started with it preloaded too, so that both
 * sides of that ratio carry the same instrumentation.
 */
import { writeFileSync } from 'node:fs';

interface Seen {
  count: number;
  ms: number;
  text: string;
  params: unknown[];
}

let seen = new Map<string, Seen>();
const record = (key: string, ms: number, text = key, params?: () => unknown[]) => {
  const s = seen.get(key);
  if (s) {
    s.count++;
    s.ms += ms;
  } else seen.set(key, { count: 1, ms, text, params: params ? params() : [] });
};
const timed = <T>(key: string, p: T, t0: number, text?: string, params?: () => unknown[]): T => {
  if (p && typeof (p as { then?: unknown }).then === 'function') {
    const done = () => record(key, performance.now() - t0, text, params);
    (p as unknown as Promise<unknown>).then(done, done);
  } else record(key, 0, text, params);
  return p;
};

/** A statement's key (whitespace folded, 200 characters), computed once per distinct text. */
const keys = new Map<string, string>();
const keyOf = (text: string): string => {
  let key = keys.get(text);
  if (key === undefined) {
    key = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (keys.size < 10_000) keys.set(text, key);
  }
  return key;
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function patched(this: unknown, ...args: unknown[]) {
  const q = args[0];
  const text = typeof q === 'string' ? q : q && typeof q === 'object' && 'text' in q ? String(q.text) : '';
  if (!text) return query.apply(this, args);
  const key = keyOf(text);
  // Values as the second argument, or inside a query config (a named statement: src/database/prepared-client.ts).
  const values = q && typeof q === 'object' && 'values' in q ? q.values : args[1];
  // The parameters are copied only the first time a statement is seen (the read baseline replays them).
  const params = () => (Array.isArray(values) ? [...(values as unknown[])] : []);
  const t0 = performance.now();
  // Callback style (pg.Pool#query calls the client so): timed when the callback runs.
  const last = args.length - 1;
  const callback = args[last];
  if (last > 0 && typeof callback === 'function') {
    args[last] = function timedCallback(this: unknown, ...r: unknown[]) {
      record(key, performance.now() - t0, text, params);
      return (callback as (...a: unknown[]) => unknown).apply(this, r);
    };
    return query.apply(this, args);
  }
  return timed(key, query.apply(this, args), t0, text, params);
};

try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mailer = require('nodemailer/lib/mailer') as { prototype: { sendMail: (...args: unknown[]) => unknown } };
  const sendMail = Mailer.prototype.sendMail;
  Mailer.prototype.sendMail = function patched(this: unknown, ...args: unknown[]) {
    return timed('(smtp) sendMail', sendMail.apply(this, args), performance.now());
  };
} catch {
  /* no nodemailer: nothing to time */
}

const fetch0 = globalThis.fetch;
globalThis.fetch = function patched(...args: Parameters<typeof fetch>) {
  return timed('(http) fetch', fetch0(...args), performance.now());
};

process.on('SIGWINCH', () => {
  const file = process.env.BENCH_QUERY_COUNT_FILE;
  if (!file) return;
  const dump = [...seen.entries()].map(([key, s]) => ({
    key,
    count: s.count,
    ms: Math.round(s.ms * 10) / 10,
    text: s.text,
    params: s.params,
  }));
  seen = new Map();
  writeFileSync(file, JSON.stringify(dump));
});
