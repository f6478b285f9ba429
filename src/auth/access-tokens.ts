import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ServiceUnavailable } from '../common/problem';
import { ROLES } from '../workflow/definition';
import { AccountsRepository } from './accounts.repository';
import type { AuthUser } from './auth-user';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `<scheme> <token>`, as passport-jwt read it: the scheme compared case-insensitively. */
const AUTH_HEADER = /(\S+)\s+(\S+)/;

export interface AccessClaims {
  sub: string;
  role: AuthUser['role'];
  agency: string | null;
  typ: 'access';
  /** The account's token_version when the token was issued. */
  ver: number;
}

/** What a verified token says that cannot change while it lives: whose it is, its token_version, its expiry. */
interface Verified {
  sub: string;
  ver: number;
  /** exp in ms (jsonwebtoken: valid while floor(now / 1000) < exp, i.e. now < exp * 1000). */
  expMs: number;
}

/** How many verified tokens are remembered (oldest forgotten first); about 400 bytes each. */
export const VERIFIED_TOKENS_MAX = 10_000;

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const m = AUTH_HEADER.exec(header);
  return m && m[1].toLowerCase() === 'bearer' ? m[2] : null;
}

/**
 * Access tokens, checked on every API request (the global AccessGuard).
 *
 * - The signature (HS256 only, never `none`), the expiry and the claims' shape: the token's own content, the same
 *   for as long as it lives. A token that passed is remembered by its exact text until it expires (at most
 *   VERIFIED_TOKENS_MAX of them), so a client's next request costs a map look-up instead of a base64 decode, two
 *   JSON parses and an HMAC. A token that failed is not remembered: a forgery costs its HMAC every time, as before.
 * - The account: a token is accepted only while its account exists, is not disabled and has not revoked its tokens
 *   since (token_version). That is one primary-key lookup on every request, never remembered, so a revocation holds
 *   on every replica at once. Role and agency are read from the account, so a change to them applies at once too.
 */
@Injectable()
export class AccessTokens {
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly jwt: JwtService,
    private readonly accounts: AccountsRepository,
  ) {}

  /** The caller of a request with this Authorization header, or null (no, bad or expired token, or account gone). */
  async authenticate(authorization: unknown): Promise<AuthUser | null> {
    const token = bearerToken(authorization);
    const claims = token === null ? null : this.verify(token);
    if (!claims) return null;
    const account = await this.accounts
      .sessionAccount(claims.sub, claims.ver)
      // The database away is not a bad token: 503, never a 401 that makes clients sign out.
      .catch(() => {
        throw new ServiceUnavailable();
      });
    if (!account) return null;
    return { id: claims.sub, role: account.role, agencyId: account.agency_id };
  }

  /** The token's signature, expiry and claims; null if any is wrong. */
  verify(token: string, now = Date.now()): Verified | null {
    const known = this.verified.get(token);
    if (known) {
      if (now < known.expMs) return known;
      this.verified.delete(token);
      return null;
    }
    let claims: Partial<AccessClaims> & { exp?: unknown };
    try {
      claims = this.jwt.verify(token, { algorithms: ['HS256'] });
    } catch {
      return null;
    }
    if (claims.typ !== 'access' || !ROLES.includes(claims.role!) || claims.role === ('system' as string)) return null;
    if (typeof claims.sub !== 'string' || !UUID.test(claims.sub) || !Number.isInteger(claims.ver)) return null;
    const verified: Verified = { sub: claims.sub, ver: claims.ver!, expMs: Number(claims.exp) * 1000 };
    // A token without an expiry is accepted (as jsonwebtoken does) but not remembered.
    if (typeof claims.exp !== 'number') return verified;
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, verified);
    return verified;
  }

  /** How many verified tokens are remembered (for tests). */
  get remembered(): number {
    return this.verified.size;
  }
}
