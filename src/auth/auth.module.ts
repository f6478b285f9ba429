import { Module } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import type { AppConfig } from '../config/configuration';
import { PassportModule } from '@nestjs/passport';
import { AccessTokens } from './access-tokens';
import { AccessTokenStrategy } from './access-token.strategy';
import { AccessGuard } from './auth.guard';
import { AuthController } from './auth.controller';
import { AccountsModule } from './accounts.module';
import { AuthService } from './auth.service';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { LoginThrottle } from './login-throttle';
import { EidController } from './eid/eid.controller';
import { EidFlowsRepository } from './eid/eid-flows.repository';
import { EidService } from './eid/eid.service';

@Module({
  imports: [
    AccountsModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        secret: createSecretKey(Buffer.from(config.get('JWT_SECRET', { infer: true }))) as never,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, EidController],
  providers: [
    AuthService,
    MfaService,
    MfaRepository,
    AccessTokens,
    AccessTokenStrategy,
    LoginThrottle,
    EidFlowsRepository,
    EidService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [AuthService, MfaService, EidService, AccountsModule],
})
export class AuthModule {}
