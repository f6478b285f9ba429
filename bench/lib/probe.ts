import { readFileSync } from 'node:fs';
import type { Pool } from 'pg';

const TICKS_PER_S = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

export interface ProbeResult {
  /** CPU used during the window, in cores (1.0 = one core busy all the time). */
  cores: Record<string, number>;
  /** CPU seconds per operation, when `ops` is given. */
  cpuMsPerOp?: Record<string, number>;
  /** Share of sampled Postgres backends of the run's database by what they were doing (state or wait event). */
  backends: Record<string, number>;
  backendSamples: number;
}

/**
 * What a measurement window cost: CPU of the named processes and of the
 * Postgres backends serving the run's database, and what those backends were
 * doing (sampled from pg_stat_activity every 50 ms: running, idle in a
 * transaction, waiting on a lock...). Evidence for what bounds a figure.
 */
export class Probe {
  private readonly start0 = new Map<string, number>();
  private readonly backendStart = new Map<number, number>();
  private readonly backendLast = new Map<number, number>();
  private readonly states = new Map<string, number>();
  private samples = 0;
  private timer?: NodeJS.Timeout;
  private t0 = 0;
  private busy = false;

  constructor(
    private readonly pool: Pool,
    private readonly dbName: string,
    private readonly pids: Record<string, number>,
  ) {}

  start(): this {
    this.t0 = Date.now();
    for (const [name, pid] of Object.entries(this.pids)) this.start0.set(name, cpuSeconds(pid));
    this.timer = setInterval(() => void this.sample(), 50);
    return this;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.pool.query(
        `SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        [this.dbName],
      );
      for (const r of rows) {
        const key =
          r.wait_event_type && r.wait_event_type !== 'Client' && r.wait_event_type !== 'Activity'
            ? `${r.state}: waiting ${r.wait_event_type}/${r.wait_event}`
            : String(r.state);
        this.states.set(key, (this.states.get(key) ?? 0) + 1);
        const cpu = cpuSeconds(r.pid);
        if (!this.backendStart.has(r.pid)) this.backendStart.set(r.pid, cpu);
        this.backendLast.set(r.pid, cpu);
      }
      this.samples++;
    } catch {
      /* a sample lost is fine */
    } finally {
      this.busy = false;
    }
  }

  stop(ops?: number): ProbeResult {
    clearInterval(this.timer);
    const seconds = (Date.now() - this.t0) / 1000;
    for (const pid of this.backendLast.keys()) this.backendLast.set(pid, cpuSeconds(pid) || this.backendLast.get(pid)!);
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) used[name] = cpuSeconds(pid) - (this.start0.get(name) ?? 0);
    used.postgres = [...this.backendLast].reduce(
      (s, [pid, last]) => s + (last - (this.backendStart.get(pid) ?? last)),
      0,
    );
    const total = [...this.states.values()].reduce((a, b) => a + b, 0) || 1;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      cores: Object.fromEntries(Object.entries(used).map(([k, v]) => [k, r2(v / seconds)])),
      cpuMsPerOp: ops ? Object.fromEntries(Object.entries(used).map(([k, v]) => [k, r2((v * 1000) / ops)])) : undefined,
      backends: Object.fromEntries([...this.states].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, r2(v / total)])),
      backendSamples: this.samples,
    };
  }
}
