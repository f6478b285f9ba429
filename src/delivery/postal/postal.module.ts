import { Module } from '@nestjs/common';
import { SandboxGuard } from '../../sandbox/sandbox.guard';
import { CallbackFailuresModule } from '../../security/callback-failures';
import { HttpPostalProvider } from './http-postal.provider';
import { POSTAL_PROVIDER } from './postal-provider';
import { PostalController } from './postal.controller';
import { PostalService } from './postal.service';
import { PostalSandboxController } from './sandbox/postal-sandbox.controller';
import { PostalSandboxRepository } from './sandbox/postal-sandbox.repository';
import { PostalSandboxService } from './sandbox/postal-sandbox.service';
import { ShipmentsRepository } from './shipments.repository';

/**
 * Results by post: the operator adapter, the shipment service (used by the
 * delivery worker's 'create-shipment' job and by the dossier view) and the
 * operator's webhook. Needs the global ConfigModule, TypeOrmModule and
 * OutboxModule. Safe to import from both the API and the worker side.
 */
@Module({
  imports: [CallbackFailuresModule],
  providers: [
    HttpPostalProvider,
    { provide: POSTAL_PROVIDER, useExisting: HttpPostalProvider },
    ShipmentsRepository,
    PostalService,
  ],
  controllers: [PostalController],
  exports: [PostalService],
})
export class PostalModule {}

/**
 * The built-in postal operator (development and tests), part of the
 * SandboxModule (src/sandbox). Exports nothing: the portal talks to it over HTTP
 * through POSTAL_API_URL, exactly as to a real operator.
 */
@Module({
  controllers: [PostalSandboxController],
  providers: [PostalSandboxRepository, PostalSandboxService, SandboxGuard],
})
export class PostalSandboxModule {}
