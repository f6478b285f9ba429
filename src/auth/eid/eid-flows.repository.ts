import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { execute, selectRows, updateRows } from '../../database/query-result';

/** What a callback needs of the sign-in it ends (the row is spent as it is read). */
export interface EidFlowRow {
  id: string;
  nonce: string;
  codeVerifier: string;
  browserHash: Buffer | null;
  handoff: boolean;
  next: string | null;
}

/** The claims a citizen is linking to a password account, kept until they prove its password. */
export interface LinkClaims {
  idNumber: string;
  fullName: string;
}

export interface PendingLink {
  id: string;
  accountId: string;
  email: string | null;
  claims: LinkClaims;
  idToken: string;
  handoff: boolean;
  next: string | null;
}

/** The table `eid_flows`: eID sign-ins started, single use (src/auth/eid/eid.service.ts). */
@Injectable()
export class EidFlowsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(f: {
    state: string;
    nonce: string;
    codeVerifier: string;
    browserHash: Buffer | null;
    handoff: boolean;
    next: string | null;
    ttlSeconds: number;
  }): Promise<string> {
    // Expired flows go as new ones come (they are small and short-lived).
    await execute(this.db, `DELETE FROM eid_flows WHERE expires_at < now() - interval '1 day'`);
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO eid_flows (state, nonce, code_verifier, browser_hash, handoff, next, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING id`,
      [f.state, f.nonce, f.codeVerifier, f.browserHash, f.handoff, f.next, f.ttlSeconds],
    );
    return row.id;
  }

  /** Spends the flow of this state (once: a replayed state finds nothing), if it is live. */
  async spend(state: string): Promise<EidFlowRow | undefined> {
    const [row] = await updateRows<EidFlowRow>(
      this.db,
      `UPDATE eid_flows SET used_at = now() WHERE state = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING id, nonce, code_verifier AS "codeVerifier", browser_hash AS "browserHash", handoff, next`,
      [state],
    );
    return row;
  }

  /** The citizen is to prove the password of `accountId`; the link is found again by the hash of its cookie. */
  async awaitLink(id: string, linkHash: Buffer, accountId: string, claims: LinkClaims, idToken: string) {
    await execute(
      this.db,
      `UPDATE eid_flows SET link_hash = $2, link_account_id = $3, link_claims = $4, id_token = $5,
              expires_at = now() + interval '10 minutes' WHERE id = $1`,
      [id, linkHash, accountId, JSON.stringify(claims), idToken],
    );
  }

  async pendingLink(linkHash: Buffer): Promise<PendingLink | undefined> {
    const [row] = await selectRows<PendingLink>(
      this.db,
      `SELECT f.id, f.link_account_id AS "accountId", a.email, f.link_claims AS claims, f.id_token AS "idToken",
              f.handoff, f.next
         FROM eid_flows f JOIN accounts a ON a.id = f.link_account_id
        WHERE f.link_hash = $1 AND f.expires_at > now() AND f.account_id IS NULL`,
      [linkHash],
    );
    return row;
  }

  /** Ends a pending link (used or abandoned). */
  async closeLink(id: string): Promise<void> {
    await execute(this.db, `UPDATE eid_flows SET link_hash = NULL, expires_at = now() WHERE id = $1`, [id]);
  }

  /** A mobile sign-in reached its account: the app may trade this code (by its hash) for tokens, once. */
  async setHandoffCode(id: string, accountId: string, codeHash: Buffer, ttlSeconds: number): Promise<void> {
    await execute(
      this.db,
      `UPDATE eid_flows SET account_id = $2, code_hash = $3, code_expires_at = now() + make_interval(secs => $4)
        WHERE id = $1 AND handoff`,
      [id, accountId, codeHash, ttlSeconds],
    );
  }

  /** Spends the handoff code of a flow (right or wrong: one try); its hash and account when it was live. */
  async spendHandoffCode(id: string): Promise<{ codeHash: Buffer; accountId: string } | undefined> {
    const [row] = await updateRows<{ codeHash: Buffer; accountId: string }>(
      this.db,
      `UPDATE eid_flows SET code_used_at = now()
        WHERE id = $1 AND handoff AND account_id IS NOT NULL AND code_used_at IS NULL AND code_expires_at > now()
        RETURNING code_hash AS "codeHash", account_id AS "accountId"`,
      [id],
    );
    return row;
  }
}
