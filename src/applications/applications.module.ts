import { Module } from '@nestjs/common';
import { DeliveryCoreModule } from '../delivery/delivery-core.module';
import { PaymentsCoreModule } from '../payments/payments-core.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { ApplicationsController, LookupController, QueueController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { DocumentsService } from './documents.service';
import { QueueService } from './queue.service';

@Module({
  imports: [ProceduresModule, PaymentsCoreModule, DeliveryCoreModule],
  controllers: [ApplicationsController, QueueController, LookupController],
  providers: [ApplicationsService, DocumentsService, QueueService],
  exports: [ApplicationsService],
})
export class ApplicationsModule {}
