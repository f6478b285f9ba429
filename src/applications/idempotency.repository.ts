import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface StoredResponse<T> {
  requestHash: string;
  status: number;
  body: T;
}

/** Answers kept per (account, Idempotency-Key) (idempotency_keys): the only place that reads or writes them. */
@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async find<T>(accountId: string, key: string): Promise<StoredResponse<T> | undefined> {
    const [stored]: { request_hash: string; status: number; body: T }[] = await this.db.query(
      `SELECT request_hash, status, body FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    return stored && { requestHash: stored.request_hash, status: stored.status, body: stored.body };
  }

  /** Keeps a 200 answer, in the transaction that produced it; a concurrent one with the same key fails on the primary key. */
  async save(m: EntityManager, accountId: string, key: string, requestHash: string, body: unknown): Promise<void> {
    await m.query(
      `INSERT INTO idempotency_keys (account_id, key, request_hash, status, body) VALUES ($1, $2, $3, 200, $4)`,
      [accountId, key, requestHash, body],
    );
  }
}

/**
 * A WITH element `<name> AS (INSERT ...)` that keeps a 200 answer as `save` does, for a statement that must be the
 * last of its transaction (DossierRepository.assignCode): `account`, `key`, `requestHash` are SQL expressions (its
 * parameters), `body` a jsonb expression. Only this file writes idempotency_keys; other repositories embed this.
 */
export function saveAnswerCte(
  name: string,
  sql: { account: string; key: string; requestHash: string; body: string; from: string },
): string {
  return `${name} AS (
    INSERT INTO idempotency_keys (account_id, key, request_hash, status, body)
    SELECT ${sql.account}, ${sql.key}, ${sql.requestHash}, 200, ${sql.body} ${sql.from})`;
}
