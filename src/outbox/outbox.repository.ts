import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { correlationId } from '../common/correlation';
import { Db, execute, Queryable, selectRows } from '../database/query-result';
import type { JobName, QueueName } from '../jobs/jobs';

export interface OutboxRow {
  id: string;
  queue: QueueName;
  job_name: JobName;
  payload: object;
  /** The request that wrote the row (src/common/correlation.ts); null outside a request. */
  request_id: string | null;
}

/**
 * The only place that reads or writes `outbox`: rows written in the caller's transaction, the relay's claims, the
 * handlers' done marks and the reconciler's claims of rows whose job never finished.
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Subscribes `listener` (a dedicated connection of its own, not the pool's)
   * to the `outbox` channel: a trigger on the table sends NOTIFY outbox on
   * every committed insert.
   */
  async listen(listener: Queryable): Promise<void> {
    await execute(listener, 'LISTEN outbox');
  }

  /** Adds rows in one statement, inside the caller's transaction, with the correlation id of the work in progress. */
  async insert(m: Db, rows: { queue: QueueName; name: JobName; data: unknown }[]): Promise<void> {
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const requestId = `$${rows.length * 3 + 1}::text`;
    const tuples = rows.map((row, i) => {
      values.push(row.queue, row.name, JSON.stringify(row.data));
      return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb, ${requestId})`;
    });
    values.push(correlationId() ?? null);
    await execute(m, `INSERT INTO outbox (queue, job_name, payload, request_id) VALUES ${tuples.join(', ')}`, values);
  }

  /** The `account-event` of a password reset, in the caller's transaction. */
  async insertPasswordResetEvent(m: Db, queue: QueueName, resetId: string): Promise<void> {
    await execute(
      m,
      `INSERT INTO outbox (queue, job_name, payload, request_id) VALUES ($1, 'account-event', jsonb_build_object('event', 'password_reset', 'sourceId', $2::uuid), $3::text)`,
      [queue, resetId, correlationId() ?? null],
    );
  }

  /**
   * Claims up to `limit` undispatched rows, oldest first, in the caller's transaction; rows another relay has
   * claimed are skipped (FOR UPDATE SKIP LOCKED), so no row is sent by two relays.
   */
  claim(m: Db, limit: number): Promise<OutboxRow[]> {
    return selectRows<OutboxRow>(
      m,
      `SELECT id, queue, job_name, payload, request_id FROM outbox WHERE dispatched_at IS NULL
          ORDER BY created_at LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED`,
    );
  }

  async markDispatched(m: Db, ids: string[]): Promise<void> {
    await execute(m, `UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
  }

  /** What waits to be relayed, for the metrics (read at scrape time): how many rows, and how old the oldest is. */
  async backlog(): Promise<{ rows: number; oldestAgeSeconds: number }> {
    const [row] = await selectRows<{ pending: number; oldest: number | null }>(
      this.db,
      `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM outbox WHERE dispatched_at IS NULL`,
    );
    return { rows: row.pending, oldestAgeSeconds: Math.max(0, row.oldest ?? 0) };
  }

  /** Rows the reconciler found still held by BullMQ: their wait starts again (dispatched_at), nothing re-added. */
  async markStillQueued(m: Db, ids: string[]): Promise<void> {
    await execute(m, `UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Marks the row of a finished job done, in the caller's transaction (a handler's, with its effect) or on its own.
   * A row given up earlier and then finished (an operator retried the job) is done with its error cleared.
   */
  async markDone(id: string, m: Db = this.db): Promise<void> {
    await execute(
      m,
      `UPDATE outbox SET done_at = now(), last_error = NULL WHERE id = $1 AND (done_at IS NULL OR last_error IS NOT NULL)`,
      [id],
    );
  }

  /** Marks the row of a job BullMQ gave up (its last attempt failed) done, with the reason: not re-added. */
  async markGivenUp(id: string, error: string): Promise<void> {
    await execute(this.db, `UPDATE outbox SET done_at = now(), last_error = $2 WHERE id = $1 AND done_at IS NULL`, [
      id,
      error.slice(0, 500),
    ]);
  }

  /**
   * Claims up to `limit` rows handed to BullMQ at least `olderThanMs` ago whose job never finished (no done mark),
   * longest waiting first, in the caller's transaction; rows another reconciler holds are skipped.
   */
  claimUnfinished(m: Db, olderThanMs: number, limit: number): Promise<OutboxRow[]> {
    return selectRows<OutboxRow>(
      m,
      `SELECT id, queue, job_name, payload, request_id FROM outbox
        WHERE dispatched_at IS NOT NULL AND done_at IS NULL AND dispatched_at < now() - make_interval(secs => $1::float8 / 1000)
        ORDER BY dispatched_at LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED`,
      [olderThanMs],
    );
  }

  /** Rows handed to BullMQ whose job has not finished yet (waiting, running, retrying, or lost with Redis). */
  async unfinishedCount(): Promise<number> {
    const [{ unfinished }] = await selectRows<{ unfinished: number }>(
      this.db,
      `SELECT count(*)::int AS unfinished FROM outbox WHERE dispatched_at IS NOT NULL AND done_at IS NULL`,
    );
    return unfinished;
  }

  /** Rows not yet handed to BullMQ. */
  async pendingCount(): Promise<number> {
    const [{ pending }] = await selectRows<{ pending: number }>(
      this.db,
      `SELECT count(*)::int AS pending FROM outbox WHERE dispatched_at IS NULL`,
    );
    return pending;
  }
}
