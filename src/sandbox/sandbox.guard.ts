import { applyDecorators, CanActivate, Controller, Injectable, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth-user';
import { NotFound } from '../common/problem';
import type { AppConfig } from '../config/configuration';

/**
 * The one switch of the built-in provider sandboxes: every sandbox route
 * answers like an unknown route (404 problem+json) unless the validated
 * SANDBOX_ENABLED is 'true'. Defence in depth: AppModule does not even mount
 * the SandboxModule when it is off; this guard holds if it is mounted anyway.
 */
@Injectable()
export class SandboxGuard implements CanActivate {
  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  canActivate(): boolean {
    if (this.config.get('SANDBOX_ENABLED', { infer: true }) !== 'true') throw new NotFound('route');
    return true;
  }
}

/**
 * Declares a sandbox controller under `/sandbox/<path>`: public (its callers
 * are a provider's customers or the portal's own server, never a portal user)
 * and always behind the SandboxGuard. Every sandbox controller uses this, so
 * no sandbox route can exist without the guard.
 */
export function SandboxController(path: string): ClassDecorator {
  return applyDecorators(ApiTags('sandbox'), Public(), UseGuards(SandboxGuard), Controller(`sandbox/${path}`));
}
