import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { OutboxModule } from '../outbox/outbox.module';
import { CallbackFailuresModule } from '../security/callback-failures';
import { OpsController } from './ops.controller';

@Module({
  imports: [CallbackFailuresModule, NotificationsModule, OutboxModule],
  controllers: [OpsController],
})
export class OpsModule {}
