import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, Conflict, Unauthorized, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { JOB_QUEUE } from '../jobs/jobs';
import { OutboxService } from '../outbox/outbox.service';
import { loginIdentifier } from '../security/rate-limit';
import { AccountProfile, AccountsRepository, SignInRow } from './accounts.repository';
import type { AuthUser } from './auth-user';
import { ChangePasswordDto, LoginDto, normalizePhone, RegisterDto, TokensDto } from './dto';
import { LoginThrottle } from './login-throttle';
import { MfaService, MfaState } from './mfa.service';
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

@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly outbox: OutboxService,
    private readonly jwt: JwtService,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly throttle: LoginThrottle,
    private readonly mfa: MfaService,
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
    const created = await this.accounts.insertCitizen({
      email: dto.email.trim().toLowerCase(),
      phone: dto.phone,
      passwordHash: hash,
      fullName: dto.fullName.trim(),
      idNumber: dto.idNumber,
      locale: dto.locale ?? 'vi',
    });
    if (!created) throw new Conflict('An account with these details already exists.', 'account-exists');
    return { id: created.id, email: dto.email.trim().toLowerCase(), fullName: dto.fullName.trim() };
  }

  /**
   * Sign-in. The same steps whatever the identifier: the throttle (per identifier + client address, in Redis),
   * one lookup, one argon2 verification (against a dummy hash when no account matches), and for a wrong
   * password, an unknown identifier or a disabled account the same 401.
   */
  async login(dto: LoginDto, address: string): Promise<TokensDto> {
    const account = await this.authenticate(dto, address, (a) => this.apiSecondFactor(a, dto.otp));
    return this.db.transaction(async (m) => {
      const version = await this.accounts.markSignedIn(m, account.id);
      if (version === undefined) throw new Unauthorized(BAD_CREDENTIALS);
      return this.issueTokens(
        m,
        { id: account.id, role: account.role, agencyId: account.agency_id },
        version,
        randomUUID(),
      );
    });
  }

  /**
   * The credential check of every sign-in (API and pages): throttled per (identifier + address) before anything
   * is looked up; one argon2 verification whether or not the account exists; a disabled account answers like a
   * wrong password. `secondFactor` runs after a right password and before the throttle is cleared: it throws (the
   * attempt stays counted) or says whether the sign-in is complete (false: the page's second step clears it).
   */
  private async authenticate(
    dto: LoginDto,
    address: string,
    secondFactor: (account: SignInRow) => Promise<boolean> = () => Promise.resolve(true),
  ): Promise<SignInRow> {
    const login = normalizePhone(dto.email.trim().toLowerCase());
    const identifier = loginIdentifier({ email: dto.email });
    await this.throttle.attempt(identifier, address);
    const account = await this.accounts.findForSignIn(login);
    const ok = await verifyPassword(account?.password_hash ?? (await dummyHash()), dto.password);
    if (!account || !ok || account.disabled_at) throw new Unauthorized(BAD_CREDENTIALS);
    if (await secondFactor(account)) await this.throttle.succeeded(identifier, address);
    return account;
  }

  /** The staff second factor of an API sign-in (`otp`: a TOTP code or a recovery code); throws its 401. */
  private async apiSecondFactor(account: SignInRow, otp: string | undefined): Promise<boolean> {
    await this.mfa.checkForApi(account.id, account.role, otp);
    return true;
  }

  /**
   * Rotating refresh tokens: each is single-use; presenting a used one revokes its whole family. A token issued
   * before the account revoked its tokens (token_version), or of a disabled account, is refused.
   */
  async refresh(token: string): Promise<TokensDto> {
    const reused = await this.db.transaction(async (m) => {
      const row = await this.accounts.refreshTokenForUpdate(m, sha256(token));
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
        await this.accounts.revokeFamily(m, row.family_id);
        return true;
      }
      await this.accounts.markRefreshTokenUsed(m, row.id);
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
    await this.accounts.revokeFamilyOfToken(sha256(token));
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
    const account = await this.accounts.findForSignInById(user.id);
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
      await this.accounts.setPasswordHash(m, user.id, hash);
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
    await this.accounts.requestResetByEmail(
      email.trim().toLowerCase(),
      RESETS_PER_HOUR,
      RESET_TTL_MINUTES,
      JOB_QUEUE['account-event'],
    );
    return FORGOT_ANSWER;
  }

  /** An admin sends a staff member a reset link (the admin never sees or sets the password). */
  async requestReset(m: EntityManager, accountId: string, requestedBy: string): Promise<{ expiresAt: Date }> {
    const reset = await this.accounts.insertReset(m, accountId, requestedBy, RESET_TTL_MINUTES);
    await this.outbox.addPasswordReset(m, reset.id);
    return { expiresAt: reset.expires_at };
  }

  /** Whether a reset link can still be used (a page shows a clear answer before asking for the new password). */
  isResetLinkLive(token: string): Promise<boolean> {
    return this.accounts.isResetLive(sha256(token));
  }

  /**
   * Uses a reset link once: sets the password and ends every session of the account. The link is spent in the
   * same transaction (a second use, a used, expired or unknown link, or a disabled account: the same 400).
   */
  async resetPassword(token: string, password: string): Promise<void> {
    const tokenHash = sha256(token);
    if (!(await this.accounts.isResetLive(tokenHash))) throw new InvalidResetLink();
    const hash = await hashPassword(password);
    await this.db.transaction(async (m) => {
      const accountId = await this.accounts.spendReset(m, tokenHash);
      if (!accountId) throw new InvalidResetLink();
      if (!(await this.accounts.setPasswordHashIfActive(m, accountId, hash))) throw new InvalidResetLink();
      await this.revokeSessions(m, accountId);
    });
  }

  /**
   * Ends every session of an account, in the caller's transaction: bumps token_version (every access token and
   * refresh token carries the version it was issued under), revokes the refresh tokens and spends the pending
   * reset links. Returns the new version.
   */
  revokeSessions(m: EntityManager, accountId: string): Promise<number> {
    return this.accounts.revokeSessions(m, accountId);
  }

  /**
   * Sign-in for a page session (src/web): the same steps and answers as `login` (throttle, one lookup, one argon2
   * verification, the same 401), without issuing tokens. Returns the account and its token_version, which the
   * page session carries.
   */
  async verifyCredentials(
    dto: LoginDto,
    address: string,
  ): Promise<{ id: string; role: AuthUser['role']; tokenVersion: number; mfa: MfaState; identifier: string }> {
    // A staff member with a second step to go keeps the attempt counted until that step succeeds.
    let mfa: MfaState = 'none';
    const account = await this.authenticate(dto, address, async (a) => {
      mfa = await this.mfa.state(a.id, a.role);
      return mfa === 'none';
    });
    const version = await this.accounts.markSignedIn(this.db, account.id);
    if (version === undefined) throw new Unauthorized(BAD_CREDENTIALS);
    return {
      id: account.id,
      role: account.role,
      tokenVersion: version,
      mfa,
      identifier: loginIdentifier({ email: dto.email }),
    };
  }

  /** What the account page shows (src/web), with the token_version a new page session is to carry. */
  profile(accountId: string): Promise<AccountProfile | undefined> {
    return this.accounts.profile(accountId);
  }

  /** The language of the account's notifications (and of its pages). */
  setLocale(accountId: string, locale: 'vi' | 'en'): Promise<void> {
    return this.accounts.setLocale(accountId, locale);
  }

  /** Whether the account's dossier notifications also go by SMS. */
  setNotifySms(accountId: string, on: boolean): Promise<void> {
    return this.accounts.setNotifySms(accountId, on);
  }

  // ------------------------------------------------------------------ national eID (src/auth/eid)

  /**
   * An eID sign-in reached this account (the provider proved the person): records the sign-in and returns the
   * token_version a page session carries; undefined when the account is disabled.
   */
  markEidSignIn(accountId: string): Promise<number | undefined> {
    return this.accounts.markSignedIn(this.db, accountId);
  }

  /** The same tokens as `login`, for an account an eID sign-in reached (the mobile handoff). */
  async tokensAfterEid(accountId: string): Promise<TokensDto> {
    const account = await this.accounts.findForSignInById(accountId);
    if (!account || account.disabled_at) throw new Unauthorized('The sign-in is not valid.');
    return this.db.transaction(async (m) => {
      const version = await this.accounts.markSignedIn(m, account.id);
      if (version === undefined) throw new Unauthorized('The sign-in is not valid.');
      return this.issueTokens(
        m,
        { id: account.id, role: account.role, agencyId: account.agency_id },
        version,
        randomUUID(),
      );
    });
  }

  /**
   * Linking an eID to a password account: the account's password, throttled like a sign-in (per account and
   * address). False when it is wrong.
   */
  async checkPasswordOf(accountId: string, password: string, address: string): Promise<boolean> {
    const identifier = `account:${accountId}`;
    await this.throttle.attempt(identifier, address);
    const account = await this.accounts.findForSignInById(accountId);
    const ok = await verifyPassword(account?.password_hash ?? (await dummyHash()), password);
    if (!account || !ok || account.disabled_at) return false;
    await this.throttle.succeeded(identifier, address);
    return true;
  }

  private async issueTokens(m: EntityManager, user: AuthUser, version: number, familyId: string): Promise<TokensDto> {
    const ttl = this.config.get('JWT_ACCESS_TTL_SECONDS', { infer: true });
    const accessToken = await this.jwt.signAsync(
      { sub: user.id, role: user.role, agency: user.agencyId, typ: 'access', ver: version },
      { expiresIn: ttl, algorithm: 'HS256' },
    );
    const refreshToken = randomBytes(32).toString('base64url');
    await this.accounts.insertRefreshToken(m, {
      accountId: user.id,
      familyId,
      tokenHash: sha256(refreshToken),
      ttlSeconds: this.config.get('JWT_REFRESH_TTL_SECONDS', { infer: true }),
      version,
    });
    return { accessToken, refreshToken, expiresIn: ttl, role: user.role };
  }
}
