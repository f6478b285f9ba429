import { Module } from '@nestjs/common';
import { PaymentsCoreModule } from '../payments/payments-core.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { ApplicationsController, LookupController, QueueController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { DocumentsService } from './documents.service';
import { QueueService } from './queue.service';

@Module({
  imports: [ProceduresModule, PaymentsCoreModule],
  controllers: [ApplicationsController, QueueController, LookupController],
  providers: [ApplicationsService, DocumentsService, QueueService],
  exports: [ApplicationsService],
})
export class ApplicationsModule {}
