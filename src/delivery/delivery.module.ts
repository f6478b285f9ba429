import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { QUEUES } from '../jobs/jobs';
import { DeadlinesService } from './deadlines.service';
import { DeliveryCoreModule } from './delivery-core.module';
import { DeliveryProcessor } from './delivery.processor';
import { PostalModule } from './postal/postal.module';
import { ResultsController } from './results.controller';

/** HTTP side: results (stage, download, links, verification) and the postal operator's webhook. */
@Module({
  imports: [DeliveryCoreModule, ApplicationsModule, PostalModule],
  controllers: [ResultsController],
})
export class DeliveryModule {}

/** Worker side: rendering results, shipments, delivery events, the deadline sweep. */
@Module({
  imports: [DeliveryCoreModule, ApplicationsModule, PostalModule, BullModule.registerQueue({ name: QUEUES.delivery })],
  providers: [DeliveryProcessor, DeadlinesService],
})
export class DeliveryWorkerModule {}
