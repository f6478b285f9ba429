import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { JobQueues } from '../jobs/jobs.module';
import type { JobStatus } from '../jobs/observed-worker';
import { OutboxRepository } from '../outbox/outbox.repository';
import { HttpMetrics } from './http-metrics';

/** The route label of a request that matched no route (never the raw URL: no ids, no unbounded label values). */
export const UNMATCHED_ROUTE = 'unmatched';

/** How long a scrape waits for Redis or Postgres before it leaves a gauge out (the scrape itself must answer). */
const SCRAPE_WAIT_MS = 2_000;

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** The payment attempts' ends (src/payments/payments.service.ts), counted once committed. */
export type PaymentOutcome = 'succeeded' | 'failed' | 'cancelled' | 'expired';

/** What a job returns that the metrics read: the deadline sweep's counts (src/applications/deadlines.service.ts). */
interface SweepResult {
  dueSoon: number;
  overdue: number;
  pausedPastDue: number;
}

interface PgPoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/**
 * The portal's Prometheus metrics (prom-client, one registry per app), every metric named `portal_*`:
 * - counted where things happen: HTTP requests (one Fastify onResponse hook, src/metrics/metrics.http.ts), job
 *   runs (src/jobs/observed-worker.ts), outbox rows relayed, payments settled, notifications sent, deadline sweeps;
 * - read when scraped (collect()): queue depths, the outbox backlog and its oldest row's age, the database pool.
 * Served only when METRICS_TOKEN or METRICS_PORT is set (`enabled`), never publicly; counting is always on (a
 * counter increment), the per-request hook and the process metrics only when served.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly enabled: boolean;
  /** Metrics on a port of their own (every role) instead of `/metrics` on the API's port. */
  readonly port: number | undefined;
  private readonly tokenDigest: Buffer | undefined;

  /** Requests by (method, route template, status): plain numbers, made into samples when scraped (http-metrics.ts). */
  private readonly http = new HttpMetrics();

  private readonly jobs = new Counter({
    name: 'portal_jobs_total',
    help: 'Job runs by queue, job name and status (completed; retry: failed, will be retried; failed: for good)',
    labelNames: ['queue', 'job_name', 'status'],
    registers: [this.registry],
  });
  private readonly jobDuration = new Histogram({
    name: 'portal_job_duration_seconds',
    help: 'Job run duration by queue and job name (every status)',
    labelNames: ['queue', 'job_name'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly relayed = new Counter({
    name: 'portal_outbox_relayed_total',
    help: 'Outbox rows handed to BullMQ, by queue',
    labelNames: ['queue'],
    registers: [this.registry],
  });
  private readonly payments = new Counter({
    name: 'portal_payments_total',
    help: 'Payment attempts settled, by outcome (succeeded, failed, cancelled, expired)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: 'portal_notifications_total',
    help: 'Messages handed to a channel, by channel (email, sms) and status (sent, failed)',
    labelNames: ['channel', 'status'],
    registers: [this.registry],
  });
  private readonly sweeps = new Counter({
    name: 'portal_deadline_sweeps_total',
    help: 'Deadline sweeps run to the end',
    registers: [this.registry],
  });
  private readonly swept = new Counter({
    name: 'portal_deadline_sweep_dossiers_total',
    help: 'Dossiers flagged by the deadline sweeps, by result (due_soon, overdue, paused_past_due)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly queues: JobQueues,
    private readonly outbox: OutboxRepository,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    const token = config.get('METRICS_TOKEN', { infer: true });
    this.port = config.get('METRICS_PORT', { infer: true });
    this.tokenDigest = token ? digest(token) : undefined;
    this.enabled = token !== undefined || this.port !== undefined;
    // Zero values for the known label sets: a rate() has a start, a dashboard shows 0 rather than nothing.
    for (const outcome of ['succeeded', 'failed', 'cancelled', 'expired']) this.payments.inc({ outcome }, 0);
    for (const result of ['due_soon', 'overdue', 'paused_past_due']) this.swept.inc({ result }, 0);
    this.http.register(this.registry);
    this.scrapeTimeGauges();
    if (this.enabled) collectDefaultMetrics({ register: this.registry, prefix: 'portal_' });
  }

  // ------------------------------------------------------------------ serving

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Whether an `Authorization` header may read the metrics: `Bearer <METRICS_TOKEN>`, compared in constant time
   * (digests of equal length); anything goes when no token is configured (only on METRICS_PORT).
   */
  authorized(header: string | undefined): boolean {
    if (!this.tokenDigest) return true;
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    return timingSafeEqual(digest(match?.[1] ?? ''), this.tokenDigest) && match !== null;
  }

  // ------------------------------------------------------------------ counting

  /**
   * The Fastify onResponse hook: the route template (`routeOptions.url`, never the URL), the status, the latency
   * Fastify measured. Constant work, no string built, no label validated (HttpMetrics.record).
   */
  readonly onResponse = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    this.http.record(
      request.method,
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  };

  /** A job run ended (src/jobs/observed-worker.ts); what some jobs return is read too (the deadline sweep's counts). */
  jobFinished(queue: string, name: string, status: JobStatus, seconds: number, result?: unknown): void {
    this.jobs.inc({ queue, job_name: name, status });
    this.jobDuration.observe({ queue, job_name: name }, seconds);
    if (name === 'deadline-sweep' && status === 'completed' && isSweepResult(result)) {
      this.sweeps.inc();
      this.swept.inc({ result: 'due_soon' }, result.dueSoon);
      this.swept.inc({ result: 'overdue' }, result.overdue);
      this.swept.inc({ result: 'paused_past_due' }, result.pausedPastDue);
    }
  }

  outboxRelayed(queue: string, rows = 1): void {
    this.relayed.inc({ queue }, rows);
  }

  payment(outcome: PaymentOutcome): void {
    this.payments.inc({ outcome });
  }

  notification(channel: 'email' | 'sms', status: 'sent' | 'failed'): void {
    this.notifications.inc({ channel, status });
  }

  // ------------------------------------------------------------------ read when scraped

  private scrapeTimeGauges(): void {
    const registers = [this.registry];
    const queueJobs = new Gauge({
      name: 'portal_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, prioritized, failed), read when scraped',
      labelNames: ['queue', 'state'],
      registers,
      collect: async () => {
        queueJobs.reset();
        await Promise.all(
          this.queues.all().map(async (q) => {
            const counts = await within(q.getJobCounts(...QUEUE_STATES));
            if (counts) for (const state of QUEUE_STATES) queueJobs.set({ queue: q.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });

    // One query for both outbox gauges, shared by the two collect() calls of a scrape.
    let backlog: Promise<{ rows: number; oldestAgeSeconds: number } | undefined> | undefined;
    const readBacklog = () => {
      backlog ??= within(this.outbox.backlog()).finally(() => setImmediate(() => (backlog = undefined)));
      return backlog;
    };
    const outboxBacklog = new Gauge({
      name: 'portal_outbox_backlog',
      help: 'Outbox rows not yet relayed to BullMQ, read when scraped',
      registers,
      collect: async () => {
        const b = await readBacklog();
        if (b) outboxBacklog.set(b.rows);
        else outboxBacklog.reset();
      },
    });
    const outboxAge = new Gauge({
      name: 'portal_outbox_oldest_age_seconds',
      help: 'Age of the oldest outbox row not yet relayed (0 when none), read when scraped',
      registers,
      collect: async () => {
        const b = await readBacklog();
        if (b) outboxAge.set(b.oldestAgeSeconds);
        else outboxAge.reset();
      },
    });

    const pool = () => (this.db.driver as unknown as { master?: PgPoolStats }).master;
    const poolConnections = new Gauge({
      name: 'portal_db_pool_connections',
      help: "This process's database pool: connections in use and idle, read when scraped",
      labelNames: ['state'],
      registers,
      collect: () => {
        const p = pool();
        if (!p) return;
        poolConnections.set({ state: 'in_use' }, p.totalCount - p.idleCount);
        poolConnections.set({ state: 'idle' }, p.idleCount);
      },
    });
    const poolWaiting = new Gauge({
      name: 'portal_db_pool_waiting',
      help: 'Queries waiting for a free database connection in this process, read when scraped',
      registers,
      collect: () => {
        const p = pool();
        if (p) poolWaiting.set(p.waitingCount);
      },
    });
    const poolMax = new Gauge({
      name: 'portal_db_pool_max',
      help: "The pool's size (DB_POOL_MAX)",
      registers,
      collect: () => {
        const max = pool()?.options?.max;
        if (max !== undefined) poolMax.set(max);
      },
    });
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isSweepResult(v: unknown): v is SweepResult {
  const r = v as Partial<SweepResult> | null;
  return !!r && typeof r.dueSoon === 'number' && typeof r.overdue === 'number' && typeof r.pausedPastDue === 'number';
}

/** The value, or undefined when it failed or took longer than a scrape may wait (Redis or Postgres away). */
async function within<T>(p: Promise<T>, ms = SCRAPE_WAIT_MS): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
