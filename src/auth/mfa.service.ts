import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { toDataURL } from 'qrcode';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, NotFound } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import type { AuthUser } from './auth-user';
import { LoginThrottle } from './login-throttle';
import { MfaRepository, PendingRow } from './mfa.repository';

/** What the API answers a staff sign-in whose second factor is missing, wrong, or not set up (`code`). */
export type MfaCode = 'mfa_required' | 'mfa_invalid' | 'mfa_enrolment_required';

const MFA_DETAIL: Record<MfaCode, string> = {
  mfa_required:
    'This staff account needs a second factor: send `otp`, the 6-digit code of the authenticator app or a recovery code.',
  mfa_invalid: 'The email/phone, password or second-factor code is not correct.',
  mfa_enrolment_required:
    'This staff account must set up its second factor first: sign in on the portal pages (/login) to enrol.',
};

export class MfaProblem extends AppError {
  constructor(readonly code: MfaCode) {
    super(401, code.replace(/_/g, '-'), 'Unauthorized', MFA_DETAIL[code], undefined, { code });
  }
}

/** How the second factor stands for an account at sign-in: not asked, asked for a code, or to be set up first. */
export type MfaState = 'none' | 'verify' | 'enrol';

export interface Enrolment {
  secret: string;
  uri: string;
  /** A data: URL (PNG) of the QR code of `uri`. */
  qr: string;
  recoveryCodes: string[];
}

/** Ten recovery codes per account; each is 10 characters of a 31-symbol alphabet (about 49 bits). */
export const RECOVERY_CODES = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** A pending sign-in (between the password and the code, or during the enrolment it forces) lives this long. */
export const PENDING_TTL_SECONDS = 10 * 60;
/** TOTP codes one 30-second step either side of now are accepted (clock drift), each at most once. */
const EPOCH_TOLERANCE_SECONDS = 30;
const ISSUER = 'Cổng dịch vụ công';
const TOTP = /^\d{6}$/;

/**
 * The staff second factor (TOTP, RFC 6238, with otplib): enrolment (a secret shown as a QR code and as text,
 * active once a first code confirms it), verification (a code is accepted once: the last accepted time-step is
 * kept), ten single-use recovery codes, and an administrator's reset. Secrets are stored encrypted with
 * AES-256-GCM (the account id as associated data, so a ciphertext cannot be moved to another account) under a key
 * derived (HKDF) from MFA_ENCRYPTION_KEY, or from JWT_SECRET outside production when it is unset.
 */
@Injectable()
export class MfaService {
  private readonly encKey: Buffer;
  private readonly codeKey: Buffer;
  private readonly requiredForStaff: boolean;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repo: MfaRepository,
    private readonly throttle: LoginThrottle,
    config: ConfigService<AppConfig, true>,
  ) {
    const ikm = config.get('MFA_ENCRYPTION_KEY', { infer: true }) ?? config.get('JWT_SECRET', { infer: true }) ?? '';
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, 'portal staff mfa', info, 32));
    this.encKey = derive('totp secret encryption v1');
    this.codeKey = derive('recovery code hash v1');
    this.requiredForStaff = config.get('STAFF_MFA_REQUIRED', { infer: true }) === 'true';
  }

  /** Whether STAFF_MFA_REQUIRED asks this role for a second factor. */
  required(role: AuthUser['role']): boolean {
    return this.requiredForStaff && role !== 'citizen';
  }

  /** What a sign-in of this account needs after its password. Citizens: nothing (their factor is issue 12 part 1). */
  async state(accountId: string, role: AuthUser['role']): Promise<MfaState> {
    if (role === 'citizen') return 'none';
    const row = await this.repo.find(accountId);
    if (row?.confirmed_at) return 'verify';
    return this.required(role) ? 'enrol' : 'none';
  }

  /** The API's check after a right password: throws the 401 the account's state calls for, or returns. */
  async checkForApi(accountId: string, role: AuthUser['role'], otp: string | undefined): Promise<void> {
    const state = await this.state(accountId, role);
    if (state === 'none') return;
    if (state === 'enrol') throw new MfaProblem('mfa_enrolment_required');
    if (!otp) throw new MfaProblem('mfa_required');
    if (!(await this.verifyCode(accountId, otp))) throw new MfaProblem('mfa_invalid');
  }

  /**
   * The second step of a page sign-in: counted by the same throttle as the password (identifier + address; the
   * password step did not clear it), so wrong codes lead to the same doubling waits; a right code clears it.
   */
  async completeSignIn(pending: PendingRow, address: string, code: string): Promise<boolean> {
    await this.throttle.attempt(pending.identifier, address);
    const ok =
      pending.purpose === 'enrol'
        ? await this.confirm(pending.account_id, code)
        : await this.verifyCode(pending.account_id, code);
    if (ok) await this.throttle.succeeded(pending.identifier, address);
    return ok;
  }

  /** A TOTP code (accepted once) or an unused recovery code (spent) of an active second factor. */
  async verifyCode(accountId: string, code: string): Promise<boolean> {
    const value = code.replace(/[\s-]/g, '').toLowerCase();
    const row = await this.repo.find(accountId);
    if (!row?.confirmed_at) return false;
    if (TOTP.test(value)) return this.acceptTotp(accountId, row.secret_enc, value, false);
    if (value.length !== 10) return false;
    return this.repo.spendRecoveryCode(accountId, this.hashCode(value));
  }

  /**
   * Starts (or shows again) the enrolment of an account without an active second factor: the same secret until
   * it is confirmed (the QR code a member scanned stays valid), and ten new recovery codes at each showing (the
   * ones shown before are replaced: each set is shown once). Undefined when a second factor is already active.
   */
  async beginEnrolment(accountId: string, email: string): Promise<Enrolment | undefined> {
    const row = await this.repo.find(accountId);
    if (row?.confirmed_at) return undefined;
    let secret: string;
    if (row) secret = this.decrypt(accountId, row.secret_enc);
    else {
      secret = generateSecret();
      if (!(await this.repo.saveUnconfirmed(accountId, this.encrypt(accountId, secret)))) return undefined;
    }
    const recoveryCodes = await this.newRecoveryCodes(accountId);
    const uri = generateURI({ issuer: ISSUER, label: email, secret });
    const qr = await toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 232 });
    return { secret, uri, qr, recoveryCodes };
  }

  /** Activates the pending secret with a first code from the app. */
  async confirm(accountId: string, code: string): Promise<boolean> {
    const value = code.replace(/\s/g, '');
    const row = await this.repo.find(accountId);
    if (!row || row.confirmed_at || !TOTP.test(value)) return false;
    return this.acceptTotp(accountId, row.secret_enc, value, true);
  }

  /** Whether the account's second factor is active, and how many recovery codes are left. */
  async status(accountId: string): Promise<{ active: boolean; recoveryCodesLeft: number }> {
    const row = await this.repo.find(accountId);
    const active = !!row?.confirmed_at;
    return { active, recoveryCodesLeft: active ? await this.repo.unusedRecoveryCodes(accountId) : 0 };
  }

  /** Ten new recovery codes (the old ones stop working), with a current TOTP code; undefined when it is wrong. */
  async regenerateRecoveryCodes(accountId: string, code: string): Promise<string[] | undefined> {
    const value = code.replace(/\s/g, '');
    const row = await this.repo.find(accountId);
    if (!row?.confirmed_at || !TOTP.test(value)) return undefined;
    if (!(await this.acceptTotp(accountId, row.secret_enc, value, false))) return undefined;
    return this.newRecoveryCodes(accountId);
  }

  /**
   * An administrator resets a staff member's second factor, in the caller's transaction: the secret and the
   * recovery codes (and any pending sign-in) are removed and the action is written to `account_events`; the
   * caller ends the sessions. The same whether or not one was set up (the member enrols at the next sign-in).
   * 404 for a citizen or an unknown account.
   */
  async reset(m: EntityManager, accountId: string, adminId: string): Promise<void> {
    if (!(await this.repo.staffForUpdate(m, accountId))) throw new NotFound('account');
    await this.repo.remove(m, accountId);
    await this.repo.addEvent(m, accountId, adminId, 'mfa.reset');
  }

  // --- pending sign-ins (the page layer keeps the cookie; only the SHA-256 of its value is stored)

  createPending(p: {
    idHash: Buffer;
    accountId: string;
    tokenVersion: number;
    purpose: 'verify' | 'enrol';
    identifier: string;
    nextPath: string | null;
  }): Promise<void> {
    return this.repo.createPending({ ...p, ttlSeconds: PENDING_TTL_SECONDS });
  }

  findPending(idHash: Buffer): Promise<PendingRow | undefined> {
    return this.repo.findPending(idHash);
  }

  deletePending(idHash: Buffer): Promise<boolean> {
    return this.repo.deletePending(idHash);
  }

  // --- internals

  private async acceptTotp(accountId: string, secretEnc: string, token: string, confirm: boolean): Promise<boolean> {
    const secret = this.decrypt(accountId, secretEnc);
    const result = await verify({ strategy: 'totp', secret, token, epochTolerance: EPOCH_TOLERANCE_SECONDS });
    if (!result.valid || !('timeStep' in result)) return false;
    // Atomic: only a time-step later than the last accepted one passes (a code is never accepted twice).
    return this.repo.acceptStep(accountId, result.timeStep, confirm);
  }

  private async newRecoveryCodes(accountId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODES }, () =>
      Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join(''),
    );
    await this.db.transaction((m) =>
      this.repo.replaceRecoveryCodes(
        m,
        accountId,
        codes.map((c) => this.hashCode(c)),
      ),
    );
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
  }

  /**
   * Recovery codes are stored as HMAC-SHA-256 under a server key, not with a slow password hash: each code is
   * random with about 49 bits of entropy (not a human-chosen secret a dictionary could guess), so a fast keyed
   * hash already makes a stolen table useless without the key, and lets a sign-in find the code in one indexed
   * lookup instead of ten argon2 verifications. Online guessing is held back by the sign-in throttle.
   */
  private hashCode(code: string): Buffer {
    return createHmac('sha256', this.codeKey).update(code).digest();
  }

  private encrypt(accountId: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    cipher.setAAD(Buffer.from(accountId));
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ct]
      .map((x) => (typeof x === 'string' ? x : x.toString('base64url')))
      .join(':');
  }

  private decrypt(accountId: string, stored: string): string {
    const [version, iv, tag, ct] = stored.split(':');
    if (version !== 'v1') throw new Error('unknown staff_mfa secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(accountId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
