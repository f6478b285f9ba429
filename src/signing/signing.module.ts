import { Global, Module } from '@nestjs/common';
import { SigningRepository } from './signing.repository';
import { SigningService } from './signing.service';

/** PDF signatures of results and receipts, and checks of signed uploads (global: delivery, payments, pages). */
@Global()
@Module({
  providers: [SigningRepository, SigningService],
  exports: [SigningService],
})
export class SigningModule {}
