import { Module } from '@nestjs/common';
import { PostalSandboxModule } from '../delivery/postal/postal.module';
import { SmsSandboxController } from '../notifications/sandbox/sms-sandbox.controller';
import { SmsSandboxRepository } from '../notifications/sandbox/sms-sandbox.repository';
import { SandboxVnpayModule } from '../payments/sandbox/sandbox.module';
import { EidSandbox } from './eid/eid-sandbox';
import { EidSandboxPages } from './eid/eid-sandbox.page';
import { SandboxGuard } from './sandbox.guard';

/**
 * The portal's own stand-ins for its outside providers (development and
 * tests): the VNPay gateway (src/payments/sandbox), the postal operator
 * (src/delivery/postal/sandbox) and the SMS gateway
 * (src/notifications/sandbox), and the national eID provider (src/sandbox/eid, OpenID Connect). One module
 * behind one guard and one switch:
 * AppModule mounts it only when the validated SANDBOX_ENABLED is 'true', and
 * every route of it answers 404 otherwise (SandboxGuard). Exports nothing:
 * the portal talks to the sandboxes over HTTP, as to the real providers.
 */
@Module({
  imports: [SandboxVnpayModule.register(), PostalSandboxModule],
  controllers: [SmsSandboxController],
  providers: [SandboxGuard, SmsSandboxRepository, EidSandbox, EidSandboxPages],
})
export class SandboxModule {}
