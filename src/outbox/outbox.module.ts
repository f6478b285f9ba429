import { Global, Module } from '@nestjs/common';
import { OutboxCompletion } from './completion';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

@Global()
@Module({
  providers: [OutboxRepository, OutboxService, OutboxCompletion],
  exports: [OutboxService, OutboxRepository, OutboxCompletion],
})
export class OutboxModule {}
