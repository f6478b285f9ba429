import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { jobOptions, QueueName, restoreSchedules } from '../jobs/jobs';
import { JobQueues } from '../jobs/jobs.module';
import { withRequestId } from '../jobs/observed-worker';
import { Metrics } from '../metrics/metrics';
import { OutboxRepository, OutboxRow } from './outbox.repository';

const BATCH = 200;
const ADD_TIMEOUT_MS = 5_000;
/** The reconciler's rows per transaction, and transactions per pass: bounded work per tick. */
const RECONCILE_BATCH = 500;
const RECONCILE_MAX_BATCHES = 10;

/**
 * Moves committed outbox rows into BullMQ. Wakes on `NOTIFY outbox` (sent by
 * a trigger when rows are inserted) and polls as a fallback. Rows are claimed
 * with `FOR UPDATE SKIP LOCKED`, so several workers relay in parallel without
 * sending a row twice; a failed add (Redis down) rolls back and is retried.
 *
 * Every job carries its row's id as job id, and its handler marks the row done
 * (CompletingWorkerHost). A reconciler on a timer of this process (not a
 * repeatable job: that would vanish with Redis) re-adds rows handed over more
 * than OUTBOX_RECONCILE_AFTER_MS ago and not done whose job Redis no longer
 * has: a Redis without persistence that restarts empty loses no work. It also
 * puts back job schedules Redis lost.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  /** When the pending timer fires (ms since the epoch), if one is pending. */
  private dueAt?: number;
  private relisten?: NodeJS.Timeout;
  private reconcileTimer?: NodeJS.Timeout;
  private listener?: Client;
  private running = false;
  private again = false;
  private stopped = false;
  private current?: Promise<void>;
  /** Read once: wake() runs on every NOTIFY. */
  private readonly gatherMs: number;
  private reconciling?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly queues: JobQueues,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly metrics: Metrics,
  ) {
    this.gatherMs = config.get('OUTBOX_GATHER_MS', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listen().catch((e: Error) =>
      this.logger.warn(`listening on the outbox channel failed, polling only: ${e.message}`),
    );
    this.schedule(0);
    this.scheduleReconcile();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.relisten);
    clearTimeout(this.reconcileTimer);
    await this.current;
    await this.reconciling;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Relays until the outbox is empty; returns how many rows were sent. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.relayBatch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.dueAt = Date.now() + delay;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  /**
   * A commit wrote rows (NOTIFY): relay within OUTBOX_GATHER_MS, so that the commits of that moment go out in one
   * claim rather than one claim each (under load the relay would otherwise run a transaction per few rows).
   */
  private wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.dueAt !== undefined && this.dueAt <= Date.now() + this.gatherMs) return;
    this.schedule(this.gatherMs);
  }

  private tick(): void {
    this.dueAt = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.current = this.drain()
      .then(() => undefined)
      .catch((e: Error) => this.logger.warn(`outbox relay paused: ${e.message}`))
      .finally(() => {
        this.running = false;
        const next = this.again ? this.gatherMs : this.config.get('OUTBOX_POLL_MS', { infer: true });
        this.again = false;
        this.schedule(next);
      });
  }

  private async relayBatch(): Promise<number> {
    const relayed = await this.db.transaction(async (m) => {
      const rows = await this.outbox.claim(m, BATCH);
      if (rows.length === 0) return rows;
      await this.handOver(m, rows);
      return rows;
    });
    for (const r of relayed) this.metrics.outboxRelayed(r.queue);
    return relayed.length;
  }

  /**
   * Adds the rows' jobs (job id = row id) and marks them handed over, in the transaction that claimed them.
   * Returns the rows whose job Redis did not have (all of them unless `onlyMissing`).
   */
  private async handOver(m: EntityManager, rows: OutboxRow[], onlyMissing = false): Promise<OutboxRow[]> {
    const byQueue = new Map<QueueName, OutboxRow[]>();
    for (const r of rows) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
    const added: OutboxRow[] = [];
    for (const [name, all] of byQueue) {
      const queue = this.queues.find(name);
      if (!queue) throw new Error(`outbox row for unknown queue ${name}`);
      // Bounded: with Redis away the add would wait for it while this transaction holds the rows.
      await withTimeout(
        (async () => {
          const list = onlyMissing ? await missingJobs(queue, all) : all;
          // A job id that BullMQ still holds is not added again (whatever the job's state).
          if (list.length)
            await queue.addBulk(
              list.map((r) => ({
                name: r.job_name,
                // The correlation id of the request that wrote the row: the job's log lines carry it (src/jobs).
                data: withRequestId(r.payload, r.request_id),
                opts: { ...jobOptions(r.job_name), jobId: r.id },
              })),
            );
          added.push(...list);
        })(),
        ADD_TIMEOUT_MS,
        'Redis did not accept the jobs in time',
      );
    }
    await this.outbox.markDispatched(
      m,
      added.map((r) => r.id),
    );
    // Still held by BullMQ (waiting, running, retrying): looked at again after another wait.
    if (added.length < rows.length)
      await this.outbox.markStillQueued(
        m,
        rows.filter((r) => !added.includes(r)).map((r) => r.id),
      );
    return added;
  }

  // ------------------------------------------------------------ reconciler

  private scheduleReconcile(): void {
    if (this.stopped) return;
    clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(
      () => {
        this.reconciling = this.reconcile()
          .then(({ readded, schedules }) => {
            if (readded > 0) this.logger.warn(`outbox reconciler re-added ${readded} job(s) Redis no longer had`);
            if (schedules.length) this.logger.warn(`job schedules put back: ${schedules.join(', ')}`);
          })
          .catch((e: Error) => this.logger.warn(`outbox reconciler paused: ${e.message}`))
          .finally(() => {
            this.reconciling = undefined;
            this.scheduleReconcile();
          });
      },
      this.config.get('OUTBOX_RECONCILE_EVERY_MS', { infer: true }),
    );
  }

  /**
   * One pass of the reconciler: rows handed to BullMQ at least OUTBOX_RECONCILE_AFTER_MS ago whose job never
   * finished, at most RECONCILE_BATCH x RECONCILE_MAX_BATCHES, longest waiting first. A row whose job Redis still
   * holds (waiting, running, retrying) is only stamped again (it comes back after another wait); a row whose job
   * Redis lost is added again under the same job id. Then the job schedules Redis lost are put back.
   */
  async reconcile(): Promise<{ checked: number; readded: number; schedules: string[] }> {
    const after = this.config.get('OUTBOX_RECONCILE_AFTER_MS', { infer: true });
    let checked = 0;
    let readded = 0;
    for (let i = 0; i < RECONCILE_MAX_BATCHES && !this.stopped; i++) {
      const [n, added] = await this.db.transaction(async (m) => {
        const rows = await this.outbox.claimUnfinished(m, after, RECONCILE_BATCH);
        return [rows.length, rows.length ? (await this.handOver(m, rows, true)).length : 0] as const;
      });
      checked += n;
      readded += added;
      if (n < RECONCILE_BATCH) break;
    }
    const schedules: string[] = [];
    for (const queue of this.queues.all())
      schedules.push(
        ...(await withTimeout(restoreSchedules(queue), ADD_TIMEOUT_MS, 'Redis did not answer about the schedules')),
      );
    return { checked, readded, schedules };
  }

  /** Listens (OutboxRepository.listen) on a dedicated connection, re-established when Postgres goes away and comes back. */
  private async listen(): Promise<void> {
    const opts = this.db.options as { url?: string };
    const client = new Client({ connectionString: opts.url });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      if (!this.stopped) this.relisten = setTimeout(() => this.reconnect(), 1000);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.wake());
    await client.connect();
    await this.outbox.listen(client);
    this.listener = client;
  }

  private reconnect(): void {
    this.listen().then(
      () => this.schedule(0),
      () => {
        if (!this.stopped) this.relisten = setTimeout(() => this.reconnect(), 1000);
      },
    );
  }
}

/** The rows whose job (id = row id) the queue no longer holds (the job's hash is gone); the reads go out together. */
async function missingJobs(queue: Queue, rows: OutboxRow[]): Promise<OutboxRow[]> {
  const client = await queue.client;
  const held = await Promise.all(rows.map((r) => client.hexists(queue.toKey(r.id), 'name')));
  return rows.filter((_, i) => held[i] === 0);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
