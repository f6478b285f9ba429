import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgenciesAdminController } from './agencies.controller';
import { AgenciesRepository } from './agencies.repository';
import { AgenciesService } from './agencies.service';

@Module({
  imports: [AuthModule],
  controllers: [AgenciesAdminController],
  providers: [AgenciesRepository, AgenciesService],
  exports: [AgenciesService, AgenciesRepository],
})
export class AgenciesModule {}
