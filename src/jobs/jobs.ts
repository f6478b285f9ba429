import type { JobsOptions } from 'bullmq';

/**
 * The one place that declares every queue, job name, job data type and job
 * options. Job data carries ids only: Redis keeps it in plain text.
 * Checked at start (`assertOneHandlerPerJob`): every job name has a handler.
 */
export const QUEUES = {
  notifications: 'notifications',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobDataByName {
  /** Tell the citizen about a step of their dossier (one history entry). */
  'dossier-event': { dossierId: string; historyId: string; event: string };
}
export type JobName = keyof JobDataByName;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'dossier-event': QUEUES.notifications,
};

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

export const JOB_OPTIONS: Partial<Record<JobName, JobsOptions>> = {};

export function jobOptions(name: JobName): JobsOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...(JOB_OPTIONS[name] ?? {}) };
}
