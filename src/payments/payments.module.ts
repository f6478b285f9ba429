import { PaymentsRepository } from './payments.repository';
import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { CallbackFailuresModule } from '../security/callback-failures';
import { PaymentEffects } from './payment-effects';
import { PAYMENT_PROVIDERS } from './payment-provider';
import { PaymentsController } from './payments.controller';
import { PaymentsProcessor } from './payments.processor';
import { PaymentsService } from './payments.service';
import { VnpayController } from './vnpay/vnpay.controller';
import { VnpayProvider } from './vnpay/vnpay.provider';

/**
 * Payments: the service and provider adapters, the dossier effects they
 * handle (registered with the dossier module's effect port), starting
 * payments, receipts, the VNPay callbacks, the reconciliation report.
 */
@Module({
  imports: [ApplicationsModule, CallbackFailuresModule],
  providers: [
    VnpayProvider,
    { provide: PAYMENT_PROVIDERS, useFactory: (vnpay: VnpayProvider) => [vnpay], inject: [VnpayProvider] },
    PaymentsRepository,
    PaymentsService,
    PaymentEffects,
  ],
  controllers: [PaymentsController, VnpayController],
  exports: [PaymentsService, VnpayProvider],
})
export class PaymentsModule {}

/** Worker side: moving dossiers on confirmed and expired payments, refunds, reconciliation. */
@Module({
  imports: [PaymentsModule, ApplicationsModule],
  providers: [PaymentsProcessor],
})
export class PaymentsWorkerModule {}
