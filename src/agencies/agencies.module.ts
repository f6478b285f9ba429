import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgenciesAdminController } from './agencies.controller';
import { AgenciesService } from './agencies.service';

@Module({
  imports: [AuthModule],
  controllers: [AgenciesAdminController],
  providers: [AgenciesService],
  exports: [AgenciesService],
})
export class AgenciesModule {}
