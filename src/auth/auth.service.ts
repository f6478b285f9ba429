import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, Conflict, Unauthorized, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { JOB_QUEUE } from '../jobs/jobs';
import { loginIdentifier } from '../security/rate-limit';
import type { AuthUser } from './auth-user';
import { ChangePasswordDto, LoginDto, normalizePhone, RegisterDto, TokensDto } from './dto';
import { LoginThrottle } from './login-throttle';
import { dummyHash, hashPassword, verifyPassword } from './passwords';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A password-reset link lives this long. */
export const RESET_TTL_MINUTES = 30;
/** At most this many reset links per account per hour (more requests answer the same and send nothing). */
const RESETS_PER_HOUR = 5;

/** The one answer to a forgotten-password request, whether or not an account has the address. */
export const FORGOT_ANSWER = { detail: 'If an account uses this address, a link to reset its password is on its way.' };

const BAD_CREDENTIALS = 'The email/phone or password is not correct.';

class InvalidResetLink extends AppError {
  constructor() {
    super(
      400,
      'reset-link-invalid',
      'Bad Request',
      'The password reset link is not valid, was already used or has expired.',
    );
  }
}

export interface AccountProfile {
  fullName: string;
  email: string;
  phone: string | null;
  idNumber: string | null;
  idNumberVerified: boolean;
  locale: 'vi' | 'en';
  tokenVersion: number;
}

interface SignInRow {
  id: string;
  role: AuthUser['role'];
  agency_id: string | null;
  password_hash: string;
  disabled_at: Date | null;
}

@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jwt: JwtService,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly throttle: LoginThrottle,
  ) {}

  /** The dummy hash an unknown identifier is verified against, made before the first sign-in (not during it). */
  onModuleInit(): void {
    void dummyHash();
  }

  /**
   * A citizen account. Email and phone are unique (one answer whichever is taken: no enumeration by field);
   * the ID number is not: it stays unverified (anyone may type any number), and only a verified ID number is
   * unique. Registering with a number another account has verified is allowed and stays unverified.
   */
  async register(dto: RegisterDto): Promise<{ id: string; email: string; fullName: string }> {
    const hash = await hashPassword(dto.password);
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, role, locale)
       VALUES ($1, $2, $3, $4, $5, 'citizen', $6)
       ON CONFLICT DO NOTHING RETURNING id`,
      [dto.email.trim().toLowerCase(), dto.phone, hash, dto.fullName.trim(), dto.idNumber, dto.locale ?? 'vi'],
    );
    if (rows.length === 0) throw new Conflict('An account with these details already exists.', 'account-exists');
    return { id: rows[0].id, email: dto.email.trim().toLowerCase(), fullName: dto.fullName.trim() };
  }

  /**
   * Sign-in. The same steps whatever the identifier: the throttle (per identifier + client address, in Redis),
   * one lookup, one argon2 verification (against a dummy hash when no account matches), and for a wrong
   * password, an unknown identifier or a disabled account the same 401.
   */
  async login(dto: LoginDto, address: string): Promise<TokensDto> {
    const login = normalizePhone(dto.email.trim().toLowerCase());
    const identifier = loginIdentifier({ email: dto.email });
    await this.throttle.attempt(identifier, address);
    const [account]: SignInRow[] = await this.db.query(
      `SELECT id, role, agency_id, password_hash, disabled_at FROM accounts WHERE email = $1 OR phone = $1`,
      [login],
    );
    const ok = await verifyPassword(account?.password_hash ?? (await dummyHash()), dto.password);
    if (!account || !ok || account.disabled_at) throw new Unauthorized(BAD_CREDENTIALS);
    await this.throttle.succeeded(identifier, address);
    return this.db.transaction(async (m) => {
      const [[row]]: [{ token_version: number }[], number] = await m.query(
        `UPDATE accounts SET last_sign_in_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING token_version`,
        [account.id],
      );
      if (!row) throw new Unauthorized(BAD_CREDENTIALS);
      return this.issueTokens(
        m,
        { id: account.id, role: account.role, agencyId: account.agency_id },
        row.token_version,
        randomUUID(),
      );
    });
  }

  /**
   * Rotating refresh tokens: each is single-use; presenting a used one revokes its whole family. A token issued
   * before the account revoked its tokens (token_version), or of a disabled account, is refused.
   */
  async refresh(token: string): Promise<TokensDto> {
    const reused = await this.db.transaction(async (m) => {
      const rows: {
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
      }[] = await m.query(
        `SELECT r.id, r.family_id, r.account_id, r.expires_at, r.used_at, r.revoked_at, r.token_version AS issued_version,
                a.token_version, a.disabled_at, a.role, a.agency_id
           FROM refresh_tokens r JOIN accounts a ON a.id = r.account_id
          WHERE r.token_hash = $1 FOR UPDATE OF r`,
        [sha256(token)],
      );
      const row = rows[0];
      if (
        !row ||
        row.revoked_at ||
        row.expires_at < new Date() ||
        row.disabled_at ||
        row.issued_version !== row.token_version
      ) {
        throw new Unauthorized('The refresh token is not valid.');
      }
      if (row.used_at) {
        await m.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [
          row.family_id,
        ]);
        return true;
      }
      await m.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [row.id]);
      return this.issueTokens(
        m,
        { id: row.account_id, role: row.role, agencyId: row.agency_id },
        row.token_version,
        row.family_id,
      );
    });
    if (reused === true)
      throw new Unauthorized('The refresh token was already used; every session of this sign-in is revoked.');
    return reused;
  }

  async logout(token: string): Promise<void> {
    await this.db.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [sha256(token)],
    );
  }

  /** Sign out everywhere: every refresh token and every access token of the account stop working now. */
  async logoutAll(user: AuthUser): Promise<void> {
    await this.db.transaction((m) => this.revokeSessions(m, user.id));
  }

  /**
   * Change password: the current one is required (a wrong one is throttled like a sign-in, per account and
   * address); every other session ends (refresh tokens and access tokens), the caller gets fresh tokens.
   */
  async changePassword(user: AuthUser, dto: ChangePasswordDto, address: string): Promise<TokensDto> {
    const identifier = `account:${user.id}`;
    await this.throttle.attempt(identifier, address);
    const [account]: SignInRow[] = await this.db.query(
      `SELECT id, role, agency_id, password_hash, disabled_at FROM accounts WHERE id = $1`,
      [user.id],
    );
    if (!account || account.disabled_at) throw new Unauthorized('A valid access token is required.');
    if (!(await verifyPassword(account.password_hash, dto.currentPassword))) {
      throw new ValidationFailed(
        [{ field: 'currentPassword', message: 'currentPassword is not correct' }],
        'The current password is not correct.',
        400,
      );
    }
    await this.throttle.succeeded(identifier, address);
    const hash = await hashPassword(dto.newPassword);
    return this.db.transaction(async (m) => {
      await m.query(`UPDATE accounts SET password_hash = $2 WHERE id = $1`, [user.id, hash]);
      const version = await this.revokeSessions(m, user.id);
      return this.issueTokens(
        m,
        { id: account.id, role: account.role, agencyId: account.agency_id },
        version,
        randomUUID(),
      );
    });
  }

  /**
   * Forgotten password: one statement whether or not an active account has the address (the same work and the
   * same answer either way); when one does, a reset row and an outbox row are written together, and the
   * notifications worker makes the token and mails the link. At most RESETS_PER_HOUR links per account per hour.
   */
  async forgotPassword(email: string): Promise<typeof FORGOT_ANSWER> {
    await this.db.query(
      `WITH account AS (
         SELECT a.id FROM accounts a
          WHERE a.email = $1 AND a.disabled_at IS NULL
            AND (SELECT count(*) FROM password_resets r WHERE r.account_id = a.id AND r.created_at > now() - interval '1 hour') < $2
       ), reset AS (
         INSERT INTO password_resets (account_id, expires_at)
         SELECT id, now() + make_interval(mins => $3) FROM account RETURNING id
       )
       INSERT INTO outbox (queue, job_name, payload)
       SELECT $4, 'account-event', jsonb_build_object('event', 'password_reset', 'sourceId', reset.id) FROM reset`,
      [email.trim().toLowerCase(), RESETS_PER_HOUR, RESET_TTL_MINUTES, JOB_QUEUE['account-event']],
    );
    return FORGOT_ANSWER;
  }

  /** An admin sends a staff member a reset link (the admin never sees or sets the password). */
  async requestReset(m: EntityManager, accountId: string, requestedBy: string): Promise<{ expiresAt: Date }> {
    const [reset]: { id: string; expires_at: Date }[] = await m.query(
      `INSERT INTO password_resets (account_id, requested_by, expires_at) VALUES ($1, $2, now() + make_interval(mins => $3))
       RETURNING id, expires_at`,
      [accountId, requestedBy, RESET_TTL_MINUTES],
    );
    await m.query(
      `INSERT INTO outbox (queue, job_name, payload) VALUES ($1, 'account-event', jsonb_build_object('event', 'password_reset', 'sourceId', $2::uuid))`,
      [JOB_QUEUE['account-event'], reset.id],
    );
    return { expiresAt: reset.expires_at };
  }

  /**
   * Uses a reset link once: sets the password and ends every session of the account. The link is spent in the
   * same transaction (a second use, a used, expired or unknown link, or a disabled account: the same 400).
   */
  async resetPassword(token: string, password: string): Promise<void> {
    const tokenHash = sha256(token);
    const [live] = await this.db.query(
      `SELECT 1 FROM password_resets r JOIN accounts a ON a.id = r.account_id
        WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND a.disabled_at IS NULL`,
      [tokenHash],
    );
    if (!live) throw new InvalidResetLink();
    const hash = await hashPassword(password);
    await this.db.transaction(async (m) => {
      const [[reset]]: [{ account_id: string }[], number] = await m.query(
        `UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING account_id`,
        [tokenHash],
      );
      if (!reset) throw new InvalidResetLink();
      const [[account]]: [{ id: string }[], number] = await m.query(
        `UPDATE accounts SET password_hash = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id`,
        [reset.account_id, hash],
      );
      if (!account) throw new InvalidResetLink();
      await this.revokeSessions(m, account.id);
    });
  }

  /**
   * Ends every session of an account, in the caller's transaction: bumps token_version (every access token and
   * refresh token carries the version it was issued under), revokes the refresh tokens and spends the pending
   * reset links. Returns the new version.
   */
  async revokeSessions(m: EntityManager, accountId: string): Promise<number> {
    const [[row]]: [{ token_version: number }[], number] = await m.query(
      `UPDATE accounts SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version`,
      [accountId],
    );
    await m.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL`, [
      accountId,
    ]);
    await m.query(`UPDATE password_resets SET used_at = now() WHERE account_id = $1 AND used_at IS NULL`, [accountId]);
    return row?.token_version ?? 0;
  }

  /**
   * Sign-in for a page session (src/web): the same steps and answers as `login` (throttle, one lookup, one argon2
   * verification, the same 401), without issuing tokens. Returns the account and its token_version, which the
   * page session carries.
   */
  async verifyCredentials(
    dto: LoginDto,
    address: string,
  ): Promise<{ id: string; role: AuthUser['role']; tokenVersion: number }> {
    const login = normalizePhone(dto.email.trim().toLowerCase());
    const identifier = loginIdentifier({ email: dto.email });
    await this.throttle.attempt(identifier, address);
    const [account]: SignInRow[] = await this.db.query(
      `SELECT id, role, agency_id, password_hash, disabled_at FROM accounts WHERE email = $1 OR phone = $1`,
      [login],
    );
    const ok = await verifyPassword(account?.password_hash ?? (await dummyHash()), dto.password);
    if (!account || !ok || account.disabled_at) throw new Unauthorized(BAD_CREDENTIALS);
    await this.throttle.succeeded(identifier, address);
    const [[row]]: [{ token_version: number }[], number] = await this.db.query(
      `UPDATE accounts SET last_sign_in_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING token_version`,
      [account.id],
    );
    if (!row) throw new Unauthorized(BAD_CREDENTIALS);
    return { id: account.id, role: account.role, tokenVersion: row.token_version };
  }

  /** What the account page shows (src/web), with the token_version a new page session is to carry. */
  async profile(accountId: string): Promise<AccountProfile | null> {
    const [row]: AccountProfile[] = await this.db.query(
      `SELECT full_name AS "fullName", email, phone, id_number AS "idNumber", id_number_verified AS "idNumberVerified",
              locale, token_version AS "tokenVersion"
         FROM accounts WHERE id = $1 AND disabled_at IS NULL`,
      [accountId],
    );
    return row ?? null;
  }

  /** The language of the account's notifications (and of its pages). */
  async setLocale(accountId: string, locale: 'vi' | 'en'): Promise<void> {
    await this.db.query(`UPDATE accounts SET locale = $2 WHERE id = $1`, [accountId, locale]);
  }

  private async issueTokens(m: EntityManager, user: AuthUser, version: number, familyId: string): Promise<TokensDto> {
    const ttl = this.config.get('JWT_ACCESS_TTL_SECONDS', { infer: true });
    const accessToken = await this.jwt.signAsync(
      { sub: user.id, role: user.role, agency: user.agencyId, typ: 'access', ver: version },
      { expiresIn: ttl, algorithm: 'HS256' },
    );
    const refreshToken = randomBytes(32).toString('base64url');
    await m.query(
      `INSERT INTO refresh_tokens (account_id, family_id, token_hash, expires_at, token_version)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`,
      [user.id, familyId, sha256(refreshToken), this.config.get('JWT_REFRESH_TTL_SECONDS', { infer: true }), version],
    );
    return { accessToken, refreshToken, expiresIn: ttl, role: user.role };
  }
}
