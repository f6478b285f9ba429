import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';

/** A live page session, as a page request sees it. */
export interface WebSessionRow {
  accountId: string;
  role: AuthUser['role'];
  agencyId: string | null;
  fullName: string;
  locale: 'vi' | 'en';
  /** When it was last touched (the idle clock). */
  lastSeenAt: Date;
}

/** The table `web_sessions` (page sessions: only the SHA-256 of the cookie's id is stored). */
@Injectable()
export class WebSessionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Straight on the driver's pool, like the JWT check (every page request runs `find`). */
  private get pool(): Pool {
    return (this.db.driver as unknown as { master: Pool }).master;
  }

  async create(
    idHash: Buffer,
    accountId: string,
    tokenVersion: number,
    absoluteSeconds: number,
    idToken: string | null = null,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO web_sessions (id_hash, account_id, token_version, expires_at, id_token)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`,
      [idHash, accountId, tokenVersion, absoluteSeconds, idToken],
    );
  }

  async idToken(idHash: Buffer): Promise<string | null> {
    const { rows } = await this.pool.query<{ id_token: string | null }>(
      `SELECT id_token FROM web_sessions WHERE id_hash = $1`,
      [idHash],
    );
    return rows[0]?.id_token ?? null;
  }

  /**
   * One query per page request: the session is live (neither idle past `idleSeconds` nor past its absolute
   * expiry) and its account exists, is not disabled and has not revoked its sessions since (token_version).
   */
  async find(idHash: Buffer, idleSeconds: number): Promise<WebSessionRow | null> {
    const { rows } = await this.pool.query<WebSessionRow>(
      `SELECT s.account_id AS "accountId", a.role, a.agency_id AS "agencyId", a.full_name AS "fullName", a.locale,
              s.last_seen_at AS "lastSeenAt"
         FROM web_sessions s
         JOIN accounts a ON a.id = s.account_id AND a.token_version = s.token_version AND a.disabled_at IS NULL
        WHERE s.id_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)`,
      [idHash, idleSeconds],
    );
    return rows[0] ?? null;
  }

  /** Restarts the idle clock. */
  async touch(idHash: Buffer): Promise<void> {
    await this.pool.query(`UPDATE web_sessions SET last_seen_at = now() WHERE id_hash = $1`, [idHash]);
  }

  async delete(idHash: Buffer): Promise<void> {
    await this.pool.query(`DELETE FROM web_sessions WHERE id_hash = $1`, [idHash]);
  }

  /** The account's sessions that can no longer be used (expired, idle, or from before a revocation). */
  async deleteDead(accountId: string, idleSeconds: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM web_sessions s USING accounts a
        WHERE s.account_id = $1 AND a.id = s.account_id
          AND (s.expires_at <= now() OR s.last_seen_at <= now() - make_interval(secs => $2)
               OR s.token_version <> a.token_version)`,
      [accountId, idleSeconds],
    );
  }
}
