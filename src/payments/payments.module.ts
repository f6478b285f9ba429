import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { QUEUES } from '../jobs/jobs';
import { CallbackFailuresModule } from '../security/callback-failures';
import { PaymentsCoreModule } from './payments-core.module';
import { PaymentsController } from './payments.controller';
import { PaymentsProcessor } from './payments.processor';
import { VnpayController } from './vnpay/vnpay.controller';

/** HTTP side: starting payments, receipts, the VNPay callbacks, the reconciliation report. */
@Module({
  imports: [PaymentsCoreModule, ApplicationsModule, CallbackFailuresModule],
  controllers: [PaymentsController, VnpayController],
})
export class PaymentsModule {}

/** Worker side: moving dossiers on confirmed payments, refunds, reconciliation. */
@Module({
  imports: [PaymentsCoreModule, ApplicationsModule, BullModule.registerQueue({ name: QUEUES.payments })],
  providers: [PaymentsProcessor],
})
export class PaymentsWorkerModule {}
