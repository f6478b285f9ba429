import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { ServiceUnavailable } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { ROLES } from '../workflow/definition';
import { AccountsRepository } from './accounts.repository';
import type { AuthUser } from './auth-user';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  sub: string;
  role: AuthUser['role'];
  agency: string | null;
  typ: 'access';
  /** The account's token_version when the token was issued. */
  ver: number;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly accounts: AccountsRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: given a string, jsonwebtoken first tries it as a public key on every verify (~0.7 ms wasted).
      secretOrKey: createSecretKey(Buffer.from(config.get('JWT_SECRET', { infer: true }))) as unknown as string,
      algorithms: ['HS256'], // never `none`, never a key-confusion algorithm
      ignoreExpiration: false,
    });
  }

  /**
   * A signed, unexpired token is accepted only while its account exists, is not disabled, and has not revoked
   * its tokens since (token_version): one primary-key lookup per request, nothing kept in process memory, so
   * a revocation holds on every replica at once. Role and agency are read from the account, so a change to
   * them applies at once too.
   */
  async validate(claims: AccessClaims): Promise<AuthUser | false> {
    if (claims.typ !== 'access' || !ROLES.includes(claims.role) || claims.role === ('system' as string)) return false;
    if (typeof claims.sub !== 'string' || !UUID.test(claims.sub) || !Number.isInteger(claims.ver)) return false;
    const account = await this.accounts
      .sessionAccount(claims.sub, claims.ver)
      // The database away is not a bad token: 503 (the guard passes it on), never a 401 that makes clients sign out.
      .catch(() => {
        throw new ServiceUnavailable();
      });
    if (!account) return false;
    return { id: claims.sub, role: account.role, agencyId: account.agency_id };
  }
}
