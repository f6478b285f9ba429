import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Db, execute, selectOne, selectRows, updateRows } from '../database/query-result';
import type { AuthUser } from './auth-user';

export interface MfaRow {
  secret_enc: string;
  confirmed_at: Date | null;
  last_step: string | null;
}

export interface PendingRow {
  account_id: string;
  purpose: 'verify' | 'enrol';
  identifier: string;
  next_path: string | null;
  role: AuthUser['role'];
  token_version: number;
  email: string;
}

/**
 * The staff second factor's tables: `staff_mfa` (the encrypted TOTP secret, confirmed or not, and the last
 * accepted time-step), `staff_mfa_recovery_codes` (keyed hashes, single use), `mfa_pending` (the sign-in between
 * the password and the second factor) and `account_events` (administrators' actions on accounts).
 */
@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  find(accountId: string): Promise<MfaRow | undefined> {
    return selectOne<MfaRow>(
      this.db,
      `SELECT secret_enc, confirmed_at, last_step::text AS last_step FROM staff_mfa WHERE account_id = $1`,
      [accountId],
    );
  }

  /** A new, unconfirmed secret; an unconfirmed one is replaced, a confirmed one never (returns false). */
  async saveUnconfirmed(accountId: string, secretEnc: string): Promise<boolean> {
    const rows = await selectRows<{ account_id: string }>(
      this.db,
      `INSERT INTO staff_mfa (account_id, secret_enc) VALUES ($1, $2)
       ON CONFLICT (account_id) DO UPDATE SET secret_enc = EXCLUDED.secret_enc, last_step = NULL, created_at = now()
         WHERE staff_mfa.confirmed_at IS NULL
       RETURNING account_id`,
      [accountId, secretEnc],
    );
    return rows.length === 1;
  }

  /** Replaces every recovery code of the account (in the caller's transaction). */
  async replaceRecoveryCodes(m: Db, accountId: string, hashes: Buffer[]): Promise<void> {
    await execute(m, `DELETE FROM staff_mfa_recovery_codes WHERE account_id = $1`, [accountId]);
    await execute(m, `INSERT INTO staff_mfa_recovery_codes (account_id, code_hash) SELECT $1, unnest($2::bytea[])`, [
      accountId,
      hashes,
    ]);
  }

  /**
   * Accepts the time-step `step` once: only when it is later than the last accepted one (atomic, so two requests
   * with the same code cannot both pass). `confirm` also activates an unconfirmed secret.
   */
  async acceptStep(accountId: string, step: number, confirm: boolean): Promise<boolean> {
    const rows = await updateRows<{ account_id: string }>(
      this.db,
      `UPDATE staff_mfa SET last_step = $2, confirmed_at = CASE WHEN $3 THEN coalesce(confirmed_at, now()) ELSE confirmed_at END
        WHERE account_id = $1 AND (last_step IS NULL OR last_step < $2)
          AND ($3 OR confirmed_at IS NOT NULL)
        RETURNING account_id`,
      [accountId, step, confirm],
    );
    return rows.length === 1;
  }

  /** Spends a recovery code of an active second factor; false when unknown or already used. */
  async spendRecoveryCode(accountId: string, hash: Buffer): Promise<boolean> {
    const rows = await updateRows<{ account_id: string }>(
      this.db,
      `UPDATE staff_mfa_recovery_codes r SET used_at = now()
         FROM staff_mfa f
        WHERE r.account_id = $1 AND r.code_hash = $2 AND r.used_at IS NULL
          AND f.account_id = r.account_id AND f.confirmed_at IS NOT NULL
        RETURNING r.account_id`,
      [accountId, hash],
    );
    return rows.length === 1;
  }

  async unusedRecoveryCodes(accountId: string): Promise<number> {
    const row = await selectOne<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM staff_mfa_recovery_codes WHERE account_id = $1 AND used_at IS NULL`,
      [accountId],
    );
    return row?.n ?? 0;
  }

  /** Removes the account's second factor (secret and recovery codes) in the caller's transaction. */
  async remove(m: Db, accountId: string): Promise<boolean> {
    const rows = await updateRows<{ account_id: string }>(
      m,
      `DELETE FROM staff_mfa WHERE account_id = $1 RETURNING account_id`,
      [accountId],
    );
    await execute(m, `DELETE FROM staff_mfa_recovery_codes WHERE account_id = $1`, [accountId]);
    await execute(m, `DELETE FROM mfa_pending WHERE account_id = $1`, [accountId]);
    return rows.length === 1;
  }

  /** The account of a staff member (for update), or undefined for a citizen or an unknown id. */
  async staffForUpdate(m: Db, accountId: string): Promise<{ id: string } | undefined> {
    const [row] = await selectRows<{ id: string }>(
      m,
      `SELECT id FROM accounts WHERE id = $1 AND role <> 'citizen' FOR UPDATE`,
      [accountId],
    );
    return row;
  }

  async addEvent(m: Db, accountId: string, actorId: string | null, action: string): Promise<void> {
    await execute(m, `INSERT INTO account_events (account_id, actor_id, action) VALUES ($1, $2, $3)`, [
      accountId,
      actorId,
      action,
    ]);
  }

  // --- pending sign-ins

  async createPending(p: {
    idHash: Buffer;
    accountId: string;
    tokenVersion: number;
    purpose: 'verify' | 'enrol';
    identifier: string;
    nextPath: string | null;
    ttlSeconds: number;
  }): Promise<void> {
    await execute(this.db, `DELETE FROM mfa_pending WHERE expires_at <= now()`);
    await execute(
      this.db,
      `INSERT INTO mfa_pending (id_hash, account_id, token_version, purpose, identifier, next_path, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
      [p.idHash, p.accountId, p.tokenVersion, p.purpose, p.identifier, p.nextPath, p.ttlSeconds],
    );
  }

  /** A live pending sign-in whose account is active and has not revoked its sessions since. */
  findPending(idHash: Buffer): Promise<PendingRow | undefined> {
    return selectOne<PendingRow>(
      this.db,
      `SELECT p.account_id, p.purpose, p.identifier, p.next_path, a.role, a.token_version, a.email
         FROM mfa_pending p
         JOIN accounts a ON a.id = p.account_id AND a.token_version = p.token_version AND a.disabled_at IS NULL
        WHERE p.id_hash = $1 AND p.expires_at > now()`,
      [idHash],
    );
  }

  /** Spends a pending sign-in (true once). */
  async deletePending(idHash: Buffer): Promise<boolean> {
    const rows = await updateRows<{ account_id: string }>(
      this.db,
      `DELETE FROM mfa_pending WHERE id_hash = $1 RETURNING account_id`,
      [idHash],
    );
    return rows.length === 1;
  }
}
