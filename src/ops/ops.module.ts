import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { OutboxModule } from '../outbox/outbox.module';
import { CallbackFailuresModule } from '../security/callback-failures';
import { OpsController } from './ops.controller';
import { OpsService } from './ops.service';

@Module({
  imports: [CallbackFailuresModule, NotificationsModule, OutboxModule],
  controllers: [OpsController],
  providers: [OpsService],
  exports: [OpsService],
})
export class OpsModule {}
