import { Module } from '@nestjs/common';
import { PAYMENT_PROVIDERS } from './payment-provider';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import { VnpayProvider } from './vnpay/vnpay.provider';

/** The payment core (service and provider adapters), used by dossier transitions; no HTTP, no jobs. */
@Module({
  providers: [
    VnpayProvider,
    { provide: PAYMENT_PROVIDERS, useFactory: (vnpay: VnpayProvider) => [vnpay], inject: [VnpayProvider] },
    PaymentsRepository,
    PaymentsService,
  ],
  exports: [PaymentsService, VnpayProvider],
})
export class PaymentsCoreModule {}
