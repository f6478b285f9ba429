import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QUEUES } from '../jobs/jobs';
import { OpsController } from './ops.controller';

@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.notifications }, { name: QUEUES.payments }, { name: QUEUES.delivery })],
  controllers: [OpsController],
})
export class OpsModule {}
