import { Module } from '@nestjs/common';
import { CallbackFailuresModule } from '../security/callback-failures';
import { OpsController } from './ops.controller';

@Module({
  imports: [CallbackFailuresModule],
  controllers: [OpsController],
})
export class OpsModule {}
