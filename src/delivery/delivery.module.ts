import { ResultsRepository } from './results.repository';
import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { DeliveryProcessor } from './delivery.processor';
import { PostalModule } from './postal/postal.module';
import { ResultEffects } from './result-effects';
import { ResultsController } from './results.controller';
import { ResultsService } from './results.service';

/**
 * Delivery: results (stage, issue, download, links, verification), the
 * dossier effects it handles (registered with the dossier module's effect
 * port) and the postal operator's webhook.
 */
@Module({
  imports: [ApplicationsModule, PostalModule],
  providers: [ResultsRepository, ResultsService, ResultEffects],
  controllers: [ResultsController],
  exports: [ResultsService],
})
export class DeliveryModule {}

/** Worker side: rendering results, shipments, delivery events, the deadline sweep. */
@Module({
  imports: [DeliveryModule, ApplicationsModule, PostalModule],
  providers: [DeliveryProcessor],
})
export class DeliveryWorkerModule {}
