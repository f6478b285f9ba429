import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QUEUES } from '../jobs/jobs';
import { CallbackFailuresModule } from '../security/callback-failures';
import { OpsController } from './ops.controller';

@Module({
  imports: [
    BullModule.registerQueue({ name: QUEUES.notifications }, { name: QUEUES.payments }, { name: QUEUES.delivery }),
    CallbackFailuresModule,
  ],
  controllers: [OpsController],
})
export class OpsModule {}
