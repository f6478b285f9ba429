import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QUEUES } from '../jobs/jobs';
import { HealthController } from './health.controller';

@Module({
  imports: [
    TerminusModule,
    BullModule.registerQueue({ name: QUEUES.notifications }, { name: QUEUES.payments }, { name: QUEUES.delivery }),
  ],
  controllers: [HealthController],
})
export class HealthModule {}
