import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { jobOptions, QueueName } from '../jobs/jobs';
import { JobQueues } from '../jobs/jobs.module';
import { withRequestId } from '../jobs/observed-worker';
import { Metrics } from '../metrics/metrics';
import { OutboxRepository, OutboxRow } from './outbox.repository';

const BATCH = 200;
const ADD_TIMEOUT_MS = 5_000;

/**
 * Moves committed outbox rows into BullMQ. Wakes on `NOTIFY outbox` (sent by
 * a trigger when rows are inserted) and polls as a fallback. Rows are claimed
 * with `FOR UPDATE SKIP LOCKED`, so several workers relay in parallel without
 * sending a row twice; a failed add (Redis down) rolls back and is retried.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private relisten?: NodeJS.Timeout;
  private listener?: Client;
  private running = false;
  private again = false;
  private stopped = false;
  private current?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly queues: JobQueues,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen().catch((e: Error) =>
      this.logger.warn(`listening on the outbox channel failed, polling only: ${e.message}`),
    );
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.relisten);
    await this.current;
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
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
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
        const next = this.again ? 0 : this.config.get('OUTBOX_POLL_MS', { infer: true });
        this.again = false;
        this.schedule(next);
      });
  }

  private async relayBatch(): Promise<number> {
    const relayed = await this.db.transaction(async (m) => {
      const rows = await this.outbox.claim(m, BATCH);
      if (rows.length === 0) return rows;
      const byQueue = new Map<QueueName, OutboxRow[]>();
      for (const r of rows) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
      for (const [name, list] of byQueue) {
        const queue = this.queues.find(name);
        if (!queue) throw new Error(`outbox row for unknown queue ${name}`);
        // Bounded: with Redis away the add would wait for it while this transaction holds the rows.
        await withTimeout(
          queue.addBulk(
            list.map((r) => ({
              name: r.job_name,
              // The correlation id of the request that wrote the row: the job's log lines carry it (src/jobs).
              data: withRequestId(r.payload, r.request_id),
              opts: { ...jobOptions(r.job_name), jobId: r.id },
            })),
          ),
          ADD_TIMEOUT_MS,
          'Redis did not accept the jobs in time',
        );
      }
      await this.outbox.markDispatched(
        m,
        rows.map((r) => r.id),
      );
      return rows;
    });
    for (const r of relayed) this.metrics.outboxRelayed(r.queue);
    return relayed.length;
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
    client.on('notification', () => this.schedule(0));
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

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
