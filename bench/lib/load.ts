import autocannon, { Options, Result } from 'autocannon';
import { bounded } from './context';

/** autocannon as a promise, bounded in time (its own duration plus a margin). */
export function cannon(opts: Options, what: string): Promise<Result> {
  const limitMs = ((opts.duration ?? 0) + 60) * 1000;
  let instance: ReturnType<typeof autocannon> | undefined;
  const run = new Promise<Result>((resolve, reject) => {
    instance = autocannon({ timeout: 30, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
    let reported = false;
    instance.on('reqError', (e: Error) => {
      if (!reported) console.warn(`  ${what}: client error: ${e.message}`);
      reported = true;
    });
  });
  return bounded(what, limitMs, run).catch((e) => {
    instance?.stop();
    throw e;
  });
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function mapLimit<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function histogram(values: Iterable<string | number>): Record<string, number> {
  const h: Record<string, number> = {};
  for (const v of values) h[String(v)] = (h[String(v)] ?? 0) + 1;
  return h;
}
