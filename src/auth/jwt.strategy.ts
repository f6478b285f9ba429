import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { InjectDataSource } from '@nestjs/typeorm';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ServiceUnavailable } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { ROLES } from '../workflow/definition';
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
    @InjectDataSource() private readonly db: DataSource,
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
    // Straight on the driver's pool (every request runs this): no TypeORM query runner around one indexed read.
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    const { rows } = await pool
      .query<{ role: AuthUser['role']; agency_id: string | null }>(
        `SELECT role, agency_id FROM accounts WHERE id = $1 AND token_version = $2 AND disabled_at IS NULL`,
        [claims.sub, claims.ver],
      )
      // The database away is not a bad token: 503 (the guard passes it on), never a 401 that makes clients sign out.
      .catch(() => {
        throw new ServiceUnavailable();
      });
    if (!rows[0]) return false;
    return { id: claims.sub, role: rows[0].role, agencyId: rows[0].agency_id };
  }
}
