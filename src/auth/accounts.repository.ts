import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { correlationId } from '../common/correlation';
import { Db, execute, selectRows, updateRows } from '../database/query-result';
import type { AuthUser } from './auth-user';

export interface AccountProfile {
  fullName: string;
  /** None for an account made from eID claims without an address. */
  email: string | null;
  phone: string | null;
  idNumber: string | null;
  idNumberVerified: boolean;
  locale: 'vi' | 'en';
  /** Whether notifications about the citizen's dossiers also go by SMS (to the phone on the account). */
  notifySms: boolean;
  tokenVersion: number;
}

export interface SignInRow {
  id: string;
  role: AuthUser['role'];
  agency_id: string | null;
  password_hash: string;
  disabled_at: Date | null;
}

export interface RefreshTokenRow {
  id: string;
  family_id: string;
  account_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  issued_version: number;
  token_version: number;
  disabled_at: Date | null;
  role: AuthUser['role'];
  agency_id: string | null;
}

export interface AccountStatus {
  id: string;
  email: string;
  role: string;
  disabledAt: Date | null;
}

export interface StaffListEntry {
  id: string;
  email: string;
  fullName: string;
  role: string;
  agencyCode: string | null;
  agencyName: string | null;
  /** Position, shown in the signature block of the results the member approves. */
  title: string | null;
  lastSignInAt: Date | null;
  disabledAt: Date | null;
}

/** A clerk of an agency and their load: open dossiers assigned to them, and how many of those are overdue. */
export interface ClerkLoad {
  id: string;
  email: string;
  fullName: string;
  open: number;
  overdue: number;
}

/** A person a message goes to. */
export interface Recipient {
  id: string;
  /** None for an account made from eID claims without an address. */
  email: string | null;
  phone: string | null;
  fullName: string;
  locale: 'vi' | 'en';
  notifySms: boolean;
}

export interface NewAccount {
  email: string;
  phone: string | null;
  passwordHash: string;
  fullName: string;
  role: AuthUser['role'];
  agencyId?: string | null;
  idNumber?: string | null;
  locale?: string;
  /** Staff position ("Trưởng phòng"). */
  title?: string | null;
}

const STATUS_COLUMNS = `id, email, role, disabled_at AS "disabledAt"`;

/**
 * Accounts and what hangs on them: refresh tokens and password resets. The only place that reads or writes
 * `accounts`, `refresh_tokens` and `password_resets`. Methods taking an EntityManager run in the caller's
 * transaction.
 */
@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A citizen; undefined when the email or phone is taken (one answer, whichever it is). */
  async insertCitizen(
    a: Required<Omit<NewAccount, 'role' | 'agencyId' | 'title'>>,
  ): Promise<{ id: string } | undefined> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, role, locale)
       VALUES ($1, $2, $3, $4, $5, 'citizen', $6)
       ON CONFLICT DO NOTHING RETURNING id`,
      [a.email, a.phone, a.passwordHash, a.fullName, a.idNumber, a.locale],
    );
    return row;
  }

  /** An account with this email exists (any role). */
  async emailTaken(email: string): Promise<boolean> {
    return (await selectRows(this.db, 'SELECT 1 FROM accounts WHERE email = $1', [email])).length > 0;
  }

  /**
   * An administrator (no agency, no phone), as `npm run admin:create` makes
   * one; undefined when an account with the email exists (nothing changed).
   */
  async insertAdminIfAbsent(a: {
    email: string;
    passwordHash: string;
    fullName: string;
  }): Promise<{ id: string } | undefined> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO accounts (email, password_hash, full_name, role) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [a.email, a.passwordHash, a.fullName],
    );
    return row;
  }

  /** A staff account (clerk, supervisor, admin); undefined when the email or phone is taken. */
  async insertStaff(a: NewAccount, db: Db = this.db): Promise<{ id: string } | undefined> {
    const [row] = await selectRows<{ id: string }>(
      db,
      `INSERT INTO accounts (email, phone, password_hash, full_name, role, agency_id, title)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
      [a.email, a.phone, a.passwordHash, a.fullName, a.role, a.agencyId ?? null, a.title ?? null],
    );
    return row;
  }

  async findForSignIn(login: string): Promise<SignInRow | undefined> {
    const [row] = await selectRows<SignInRow>(
      this.db,
      `SELECT id, role, agency_id, password_hash, disabled_at FROM accounts WHERE email = $1 OR phone = $1`,
      [login],
    );
    return row;
  }

  async findForSignInById(id: string): Promise<SignInRow | undefined> {
    const [row] = await selectRows<SignInRow>(
      this.db,
      `SELECT id, role, agency_id, password_hash, disabled_at FROM accounts WHERE id = $1`,
      [id],
    );
    return row;
  }

  /**
   * The account behind an access token, while it exists, is not disabled and has not revoked its tokens since
   * (`version`). Straight on the driver's pool (every request runs this): no TypeORM query runner around one
   * indexed read.
   */
  async sessionAccount(
    id: string,
    version: number,
  ): Promise<{ role: AuthUser['role']; agency_id: string | null } | undefined> {
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    const { rows } = await pool.query<{ role: AuthUser['role']; agency_id: string | null }>(
      `SELECT role, agency_id FROM accounts WHERE id = $1 AND token_version = $2 AND disabled_at IS NULL`,
      [id, version],
    );
    return rows[0];
  }

  /** What the account page shows, with the token_version a new page session is to carry; undefined if disabled. */
  async profile(id: string): Promise<AccountProfile | undefined> {
    const [row] = await selectRows<AccountProfile>(
      this.db,
      `SELECT full_name AS "fullName", email, phone, id_number AS "idNumber", id_number_verified AS "idNumberVerified",
              locale, notify_sms AS "notifySms", token_version AS "tokenVersion"
         FROM accounts WHERE id = $1 AND disabled_at IS NULL`,
      [id],
    );
    return row;
  }

  async setLocale(id: string, locale: 'vi' | 'en'): Promise<void> {
    await execute(this.db, `UPDATE accounts SET locale = $2 WHERE id = $1`, [id, locale]);
  }

  async setNotifySms(id: string, on: boolean): Promise<void> {
    await execute(this.db, `UPDATE accounts SET notify_sms = $2 WHERE id = $1`, [id, on]);
  }

  /** Records a sign-in; the token version, or undefined when the account was disabled meanwhile. */
  async markSignedIn(m: Db, id: string): Promise<number | undefined> {
    const [row] = await updateRows<{ token_version: number }>(
      m,
      `UPDATE accounts SET last_sign_in_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING token_version`,
      [id],
    );
    return row?.token_version;
  }

  async setPasswordHash(m: Db, id: string, hash: string): Promise<void> {
    await execute(m, `UPDATE accounts SET password_hash = $2 WHERE id = $1`, [id, hash]);
  }

  /** Sets the password of an account that is not disabled; false when it is (or is gone). */
  async setPasswordHashIfActive(m: Db, id: string, hash: string): Promise<boolean> {
    const rows = await updateRows<{ id: string }>(
      m,
      `UPDATE accounts SET password_hash = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id`,
      [id, hash],
    );
    return rows.length > 0;
  }

  /**
   * Ends every session of an account, in the caller's transaction: bumps token_version, revokes the refresh
   * tokens and spends the pending reset links. Returns the new version.
   */
  async revokeSessions(m: Db, accountId: string): Promise<number> {
    const [row] = await updateRows<{ token_version: number }>(
      m,
      `UPDATE accounts SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version`,
      [accountId],
    );
    await execute(m, `UPDATE refresh_tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL`, [
      accountId,
    ]);
    await execute(m, `UPDATE password_resets SET used_at = now() WHERE account_id = $1 AND used_at IS NULL`, [
      accountId,
    ]);
    return row?.token_version ?? 0;
  }

  // --- refresh tokens

  async insertRefreshToken(
    m: Db,
    t: { accountId: string; familyId: string; tokenHash: string; ttlSeconds: number; version: number },
  ): Promise<void> {
    await execute(
      m,
      `INSERT INTO refresh_tokens (account_id, family_id, token_hash, expires_at, token_version)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`,
      [t.accountId, t.familyId, t.tokenHash, t.ttlSeconds, t.version],
    );
  }

  /** The refresh token with its account, locked (FOR UPDATE OF the token) in the caller's transaction. */
  async refreshTokenForUpdate(m: Db, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [row] = await selectRows<RefreshTokenRow>(
      m,
      `SELECT r.id, r.family_id, r.account_id, r.expires_at, r.used_at, r.revoked_at, r.token_version AS issued_version,
              a.token_version, a.disabled_at, a.role, a.agency_id
         FROM refresh_tokens r JOIN accounts a ON a.id = r.account_id
        WHERE r.token_hash = $1 FOR UPDATE OF r`,
      [tokenHash],
    );
    return row;
  }

  async markRefreshTokenUsed(m: Db, id: string): Promise<void> {
    await execute(m, `UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [id]);
  }

  async revokeFamily(m: Db, familyId: string): Promise<void> {
    await execute(m, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [
      familyId,
    ]);
  }

  /** Sign-out: revokes the family of the token with this hash (nothing when unknown). */
  async revokeFamilyOfToken(tokenHash: string): Promise<void> {
    await execute(
      this.db,
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [tokenHash],
    );
  }

  // --- password resets

  /**
   * Forgotten password, in one statement whether or not an active account has the address: when one does (and
   * it has had fewer than `perHour` links in the last hour), a reset row and its outbox row. The outbox row is
   * written here, in the same statement, on purpose: one round trip and the same work for a known and an
   * unknown address.
   */
  async requestResetByEmail(email: string, perHour: number, ttlMinutes: number, queue: string): Promise<void> {
    await execute(
      this.db,
      `WITH account AS (
         SELECT a.id FROM accounts a
          WHERE a.email = $1 AND a.disabled_at IS NULL
            AND (SELECT count(*) FROM password_resets r WHERE r.account_id = a.id AND r.created_at > now() - interval '1 hour') < $2
       ), reset AS (
         INSERT INTO password_resets (account_id, expires_at)
         SELECT id, now() + make_interval(mins => $3) FROM account RETURNING id
       )
       INSERT INTO outbox (queue, job_name, payload, request_id)
       SELECT $4, 'account-event', jsonb_build_object('event', 'password_reset', 'sourceId', reset.id), $5::text FROM reset`,
      [email, perHour, ttlMinutes, queue, correlationId() ?? null],
    );
  }

  async insertReset(
    m: Db,
    accountId: string,
    requestedBy: string,
    ttlMinutes: number,
  ): Promise<{ id: string; expires_at: Date }> {
    const [reset] = await selectRows<{ id: string; expires_at: Date }>(
      m,
      `INSERT INTO password_resets (account_id, requested_by, expires_at) VALUES ($1, $2, now() + make_interval(mins => $3))
       RETURNING id, expires_at`,
      [accountId, requestedBy, ttlMinutes],
    );
    return reset;
  }

  /** Whether a link with this hash is unused, unexpired, and its account not disabled. */
  async isResetLive(tokenHash: string): Promise<boolean> {
    const rows = await selectRows<unknown>(
      this.db,
      `SELECT 1 FROM password_resets r JOIN accounts a ON a.id = r.account_id
        WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND a.disabled_at IS NULL`,
      [tokenHash],
    );
    return rows.length > 0;
  }

  /** Spends a live link; its account, or undefined when it was used, expired or unknown. */
  async spendReset(m: Db, tokenHash: string): Promise<string | undefined> {
    const [reset] = await updateRows<{ account_id: string }>(
      m,
      `UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING account_id`,
      [tokenHash],
    );
    return reset?.account_id;
  }

  /** Stores the hash of a reset's token; the link's lifetime in minutes, or undefined when used or expired. */
  async setResetToken(id: string, tokenHash: string): Promise<{ minutes: number } | undefined> {
    const [live] = await updateRows<{ minutes: number }>(
      this.db,
      `UPDATE password_resets SET token_hash = $2
        WHERE id = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING ceil(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes`,
      [id, tokenHash],
    );
    return live;
  }

  // --- recipients (notifications)

  async recipient(id: string): Promise<Recipient[]> {
    return selectRows<Recipient>(
      this.db,
      `SELECT id, email, phone, full_name AS "fullName", locale, notify_sms AS "notifySms" FROM accounts WHERE id = $1`,
      [id],
    );
  }

  /** The assignee when there is one, else the agency's clerks and supervisors (no SMS to staff). */
  async staffRecipients(assigneeId: string | null, agencyId: string): Promise<Recipient[]> {
    return selectRows<Recipient>(
      this.db,
      `SELECT id, email, phone, full_name AS "fullName", locale, false AS "notifySms" FROM accounts
            WHERE ($1::uuid IS NOT NULL AND id = $1) OR ($1::uuid IS NULL AND agency_id = $2 AND role IN ('clerk','supervisor'))`,
      [assigneeId, agencyId],
    );
  }

  /** The agency's supervisors (active accounts), by email only. */
  async supervisorRecipients(agencyId: string): Promise<Recipient[]> {
    return selectRows<Recipient>(
      this.db,
      `SELECT id, email, phone, full_name AS "fullName", locale, false AS "notifySms" FROM accounts
            WHERE agency_id = $1 AND role = 'supervisor' AND disabled_at IS NULL`,
      [agencyId],
    );
  }

  async resetRecipient(resetId: string): Promise<Recipient | undefined> {
    const [row] = await selectRows<Recipient>(
      this.db,
      `SELECT a.id, a.email, a.phone, a.full_name AS "fullName", a.locale, false AS "notifySms"
         FROM password_resets p JOIN accounts a ON a.id = p.account_id WHERE p.id = $1`,
      [resetId],
    );
    return row;
  }

  // --- administration

  async listStaff(agencyCode?: string): Promise<StaffListEntry[]> {
    return selectRows<StaffListEntry>(
      this.db,
      `SELECT a.id, a.email, a.full_name AS "fullName", a.role, g.code AS "agencyCode", g.name AS "agencyName", a.title,
              a.last_sign_in_at AS "lastSignInAt", a.disabled_at AS "disabledAt"
         FROM accounts a LEFT JOIN agencies g ON g.id = a.agency_id
        WHERE a.role <> 'citizen' AND ($1::text IS NULL OR g.code = $1) ORDER BY g.code, a.email`,
      [agencyCode ?? null],
    );
  }

  /**
   * The active clerks of one agency with their load: open dossiers (in the queue: submitted, not closed) of that
   * agency assigned to them, and those past their due date (clock paused: at the pause), as the queue counts them.
   */
  async clerkLoads(agencyId: string): Promise<ClerkLoad[]> {
    return selectRows<ClerkLoad>(
      this.db,
      `SELECT a.id, a.email, a.full_name AS "fullName", count(d.id)::int AS open,
              count(d.id) FILTER (WHERE d.due_at IS NOT NULL AND d.finished_at IS NULL
                                    AND d.due_at < coalesce(d.paused_at, now()))::int AS overdue
         FROM accounts a
         LEFT JOIN dossiers d ON d.assignee_id = a.id AND d.agency_id = a.agency_id AND d.attention_at IS NOT NULL
        WHERE a.agency_id = $1 AND a.role = 'clerk' AND a.disabled_at IS NULL
        GROUP BY a.id ORDER BY a.full_name, a.email`,
      [agencyId],
    );
  }

  /** Disables an account (already disabled: unchanged); undefined when there is none. */
  async disable(m: Db, id: string, by: string): Promise<AccountStatus | undefined> {
    const [row] = await updateRows<AccountStatus>(
      m,
      `UPDATE accounts SET disabled_at = coalesce(disabled_at, now()), disabled_by = coalesce(disabled_by, $2)
          WHERE id = $1 RETURNING ${STATUS_COLUMNS}`,
      [id, by],
    );
    return row;
  }

  async enable(id: string): Promise<AccountStatus | undefined> {
    const [row] = await updateRows<AccountStatus>(
      this.db,
      `UPDATE accounts SET disabled_at = NULL, disabled_by = NULL WHERE id = $1 RETURNING ${STATUS_COLUMNS}`,
      [id],
    );
    return row;
  }

  /** A staff account (not a citizen), locked in the caller's transaction. */
  async staffForUpdate(
    m: Db,
    id: string,
  ): Promise<{ id: string; email: string; disabled_at: Date | null } | undefined> {
    const [row] = await selectRows<{ id: string; email: string; disabled_at: Date | null }>(
      m,
      `SELECT id, email, disabled_at FROM accounts WHERE id = $1 AND role <> 'citizen' FOR UPDATE`,
      [id],
    );
    return row;
  }

  // --- national eID (src/auth/eid)

  /**
   * Counter intake: the name of the citizen whose verified ID number this is (the account a counter filing goes
   * to), undefined when there is none or it is not a citizen's.
   */
  async counterCitizenName(idNumber: string): Promise<string | undefined> {
    const [row] = await selectRows<{ fullName: string }>(
      this.db,
      `SELECT full_name AS "fullName" FROM accounts WHERE id_number = $1 AND id_number_verified AND role = 'citizen'`,
      [idNumber],
    );
    return row?.fullName;
  }

  /** The account whose verified ID number this is (at most one: accounts_verified_id_number). */
  async findByVerifiedIdNumber(idNumber: string): Promise<EidAccountRow | undefined> {
    const [row] = await selectRows<EidAccountRow>(
      this.db,
      `SELECT id, role, disabled_at AS "disabledAt" FROM accounts WHERE id_number = $1 AND id_number_verified`,
      [idNumber],
    );
    return row;
  }

  /** A citizen account with a password that typed this ID number without it being verified (most recent sign-in). */
  async findUnverifiedByIdNumber(idNumber: string): Promise<{ id: string; email: string | null } | undefined> {
    const [row] = await selectRows<{ id: string; email: string | null }>(
      this.db,
      `SELECT id, email FROM accounts
        WHERE id_number = $1 AND NOT id_number_verified AND role = 'citizen' AND disabled_at IS NULL
        ORDER BY last_sign_in_at DESC NULLS LAST, created_at DESC LIMIT 1`,
      [idNumber],
    );
    return row;
  }

  /**
   * A citizen made from eID claims, its ID number verified; undefined when a unique key is taken (the verified
   * ID number: another sign-in made it first; or the phone: the caller retries without it).
   */
  async insertVerifiedCitizen(a: {
    idNumber: string;
    fullName: string;
    phone: string | null;
    birthdate: string | null;
    passwordHash: string;
    locale: 'vi' | 'en';
  }): Promise<{ id: string } | undefined> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, id_number_verified, birthdate, role, locale)
       VALUES (NULL, $1, $2, $3, $4, true, $5::date, 'citizen', $6) ON CONFLICT DO NOTHING RETURNING id`,
      [a.phone, a.passwordHash, a.fullName, a.idNumber, a.birthdate, a.locale],
    );
    return row;
  }

  /**
   * The citizen of a verified ID number, found or made, in the caller's transaction (counter intake: the clerk
   * checked the ID card in person, so a new account's ID number is verified, and the citizen's later eID sign-in
   * lands on it). Only a verified number is matched: anyone can type an ID number when registering online, and a
   * counter dossier must not go to whoever did. The email and phone go with a new account unless another account
   * holds them (then it is made without them). `staff` when the number is a staff account's.
   */
  async findOrCreateCounterCitizen(
    m: Db,
    c: CounterCitizen,
  ): Promise<{ id: string; created: boolean } | { staff: true }> {
    const find = async () => {
      const [row] = await selectRows<{ id: string; role: string }>(
        m,
        `SELECT id, role FROM accounts WHERE id_number = $1 AND id_number_verified`,
        [c.idNumber],
      );
      return row;
    };
    const attempts: [string | null, string | null][] = [[c.email, c.phone]];
    if (c.email || c.phone) attempts.push([null, null]);
    for (const [email, phone] of attempts) {
      const existing = await find();
      if (existing) return existing.role === 'citizen' ? { id: existing.id, created: false } : { staff: true };
      const [created] = await selectRows<{ id: string }>(
        m,
        `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, id_number_verified, role, locale)
         VALUES ($1, $2, $3, $4, $5, true, 'citizen', 'vi') ON CONFLICT DO NOTHING RETURNING id`,
        [email, phone, c.passwordHash, c.fullName, c.idNumber],
      );
      if (created) return { id: created.id, created: true };
    }
    const winner = await find();
    if (winner) return winner.role === 'citizen' ? { id: winner.id, created: false } : { staff: true };
    throw new Error('the counter citizen could be neither found nor made');
  }

  /**
   * Marks the account's ID number verified (it must still be this number, unverified); false when it changed.
   * Throws the unique violation when another account verified the number meanwhile.
   */
  async verifyIdNumber(m: Db, accountId: string, idNumber: string): Promise<boolean> {
    const rows = await updateRows<{ id: string }>(
      m,
      `UPDATE accounts SET id_number_verified = true
        WHERE id = $1 AND id_number = $2 AND NOT id_number_verified AND disabled_at IS NULL RETURNING id`,
      [accountId, idNumber],
    );
    return rows.length > 0;
  }
}

/** A walk-in citizen as the clerk records them at the counter. */
export interface CounterCitizen {
  idNumber: string;
  fullName: string;
  phone: string | null;
  email: string | null;
  /** A hash of a random password nobody knows: the citizen signs in with eID, or sets a password by a reset. */
  passwordHash: string;
}

export interface EidAccountRow {
  id: string;
  role: AuthUser['role'];
  disabledAt: Date | null;
}
