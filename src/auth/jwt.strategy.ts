import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AppConfig } from '../config/configuration';
import { ROLES } from '../workflow/definition';
import type { AuthUser } from './auth-user';

interface AccessClaims {
  sub: string;
  role: AuthUser['role'];
  agency: string | null;
  typ: 'access';
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(config: ConfigService<AppConfig, true>) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: given a string, jsonwebtoken first tries it as a public key on every verify (~0.7 ms wasted).
      secretOrKey: createSecretKey(Buffer.from(config.get('JWT_SECRET', { infer: true }))) as unknown as string,
      algorithms: ['HS256'], // never `none`, never a key-confusion algorithm
      ignoreExpiration: false,
    });
  }

  validate(claims: AccessClaims): AuthUser | false {
    if (claims.typ !== 'access' || !ROLES.includes(claims.role) || claims.role === ('system' as string)) return false;
    return { id: claims.sub, role: claims.role, agencyId: claims.agency ?? null };
  }
}
