import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import type { PendingRow } from '../auth/mfa.repository';
import { MfaService, PENDING_TTL_SECONDS } from '../auth/mfa.service';
import type { AppConfig } from '../config/configuration';

/** The cookie of a pending staff sign-in (password given, second factor not yet): never a page session. */
export const MFA_PENDING_COOKIE = 'portal_mfa_pending';

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

export interface Pending extends PendingRow {
  idHash: Buffer;
}

/**
 * The step between a staff member's password and their second factor: a short-lived server-side record
 * (`mfa_pending`, PENDING_TTL_SECONDS) keyed by 32 random bytes in an HttpOnly cookie (only their SHA-256 is
 * stored). It signs nobody in: it only lets /login/mfa ask for the code, or /account/mfa enrol, for that account.
 */
@Injectable()
export class MfaPending {
  private readonly secure: boolean;

  constructor(
    private readonly mfa: MfaService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.secure = (config.get('PUBLIC_BASE_URL', { infer: true }) ?? '').startsWith('https:');
  }

  async start(
    reply: FastifyReply,
    p: { accountId: string; tokenVersion: number; purpose: 'verify' | 'enrol'; identifier: string; next: string },
  ): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.mfa.createPending({
      idHash: sha256(id),
      accountId: p.accountId,
      tokenVersion: p.tokenVersion,
      purpose: p.purpose,
      identifier: p.identifier,
      nextPath: p.next || null,
    });
    reply.setCookie(MFA_PENDING_COOKIE, id, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      maxAge: PENDING_TTL_SECONDS,
    });
  }

  /** The request's live pending sign-in, or undefined. */
  async resolve(req: FastifyRequest): Promise<Pending | undefined> {
    const id = req.cookies[MFA_PENDING_COOKIE];
    if (!id || !B64URL_32.test(id)) return undefined;
    const idHash = sha256(id);
    const row = await this.mfa.findPending(idHash);
    return row ? { ...row, idHash } : undefined;
  }

  /** Spends it (true once: two concurrent right codes cannot both start a session) and clears the cookie. */
  async end(reply: FastifyReply, pending: Pending): Promise<boolean> {
    reply.clearCookie(MFA_PENDING_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure });
    return this.mfa.deletePending(pending.idHash);
  }
}
