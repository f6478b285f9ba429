import type { JobsOptions, Queue } from 'bullmq';
import { environmentValue } from '../config/configuration';

/**
 * The one place that declares every queue, job name, job data type and job
 * options. Job data carries ids only: Redis keeps it in plain text.
 * Each processor lists the job names it handles; jobs.spec.ts checks that every job name has
 * exactly one handler, on the queue this registry assigns it.
 */
export const QUEUES = {
  notifications: 'notifications',
  payments: 'payments',
  delivery: 'delivery',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobDataByName {
  /**
   * Tell people about an event of a dossier: the citizen (default) or the agency's staff.
   * `sourceId` names the occurrence (a history entry, a result, a shipment): one message per
   * (dossier, event, source, channel, recipient).
   */
  'dossier-event': {
    dossierId: string;
    event: string;
    sourceId: string;
    /** Who is told: the citizen (default), the agency's staff (the assignee, else clerks and supervisors), its supervisors. */
    audience?: 'citizen' | 'staff' | 'supervisors';
  };
  /**
   * Tell an account holder about their account (no dossier): `password_reset` mails a reset link (`sourceId`:
   * the password_resets row; the worker makes the token, only its hash is stored). One message per
   * (event, source, channel, recipient).
   */
  'account-event': { event: 'password_reset'; sourceId: string };
  /** A confirmed payment moves its dossier on (the workflow's `payment.succeeded` system action). */
  'payment-succeeded': { dossierId: string; attemptId: string };
  /** An unpaid attempt was given up (expired): the workflow's `payment.expired` system action, if its state has one. */
  'payment-expired': { dossierId: string; attemptId: string };
  /** Ask the provider to refund a payment, until it answers. */
  refund: { refundId: string };
  /** Query the provider about one attempt now (after the browser came back). */
  'check-attempt': { attemptId: string };
  /** Scheduled: settle pending attempts with the provider, expire the abandoned ones. */
  'reconcile-payments': Record<string, never>;
  /** Render (when generated), store and hash an issued result, then tell the citizen. */
  'issue-result': { resultId: string };
  /** Hand the result to the postal operator: never twice for one dossier. */
  'create-shipment': { dossierId: string };
  /** The operator reported the parcel delivered or returned: the workflow's system action. */
  'shipment-delivered': { dossierId: string; shipmentId: string };
  'shipment-returned': { dossierId: string; shipmentId: string };
  /** Scheduled: flag dossiers coming due and overdue, and warn their staff once per level. */
  'deadline-sweep': Record<string, never>;
}
export type JobName = keyof JobDataByName;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'dossier-event': QUEUES.notifications,
  'account-event': QUEUES.notifications,
  'payment-succeeded': QUEUES.payments,
  'payment-expired': QUEUES.payments,
  refund: QUEUES.payments,
  'check-attempt': QUEUES.payments,
  'reconcile-payments': QUEUES.payments,
  'issue-result': QUEUES.delivery,
  'create-shipment': QUEUES.delivery,
  'shipment-delivered': QUEUES.delivery,
  'shipment-returned': QUEUES.delivery,
  'deadline-sweep': QUEUES.delivery,
};

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

export const JOB_OPTIONS: Partial<Record<JobName, JobsOptions>> = {
  refund: { attempts: 12, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 } },
  'check-attempt': { attempts: 3, delay: 2_000 },
  'reconcile-payments': { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
  'create-shipment': { attempts: 12, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 } },
  'deadline-sweep': { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
};

/** Repeating jobs, upserted at worker start (safe on every deploy). */
export const SCHEDULES: { id: string; name: JobName; everyMs: number }[] = [
  { id: 'reconcile-payments', name: 'reconcile-payments', everyMs: environmentValue('RECONCILE_EVERY_MS') },
  { id: 'deadline-sweep', name: 'deadline-sweep', everyMs: environmentValue('DEADLINE_SWEEP_EVERY_MS') },
];

/**
 * The BullMQ worker options of every processor: its concurrency, and the job lock (JOB_LOCK_MS) whose lapse hands
 * the jobs of a worker that died to another worker (the stalled-job check runs as often).
 */
export function workerOptions(concurrency: number): {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
} {
  const lock = environmentValue('JOB_LOCK_MS');
  return { concurrency, lockDuration: lock, stalledInterval: lock };
}

export function jobOptions(name: JobName): JobsOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...(JOB_OPTIONS[name] ?? {}) };
}

/** The schedules whose jobs run on this queue. */
export function schedulesOf(queue: Pick<Queue, 'name'>) {
  return SCHEDULES.filter((x) => JOB_QUEUE[x.name] === queue.name);
}

/**
 * Upserts the schedules whose jobs run on this queue: safe on every deploy and
 * every replica (a scheduler id is unique). Redis being away only delays it.
 */
export async function upsertSchedules(queue: Queue, warn: (message: string) => void): Promise<void> {
  for (const s of schedulesOf(queue)) {
    await queue
      .upsertJobScheduler(s.id, { every: s.everyMs }, { name: s.name, data: {}, opts: jobOptions(s.name) })
      .catch((e: Error) => warn(`could not schedule ${s.id}: ${e.message}`));
  }
}

/**
 * Puts back the schedules of this queue that Redis no longer has (a Redis without persistence restarted empty),
 * leaving existing ones alone (their next run stays where it is). Returns the ids put back.
 */
export async function restoreSchedules(queue: Queue): Promise<string[]> {
  const restored: string[] = [];
  for (const s of schedulesOf(queue)) {
    if (await queue.getJobScheduler(s.id)) continue;
    await queue.upsertJobScheduler(s.id, { every: s.everyMs }, { name: s.name, data: {}, opts: jobOptions(s.name) });
    restored.push(s.id);
  }
  return restored;
}
