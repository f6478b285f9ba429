import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgenciesAdminController } from './agencies.controller';
import { AgenciesRepository } from './agencies.repository';
import { AgenciesService } from './agencies.service';
import { CalendarChanges } from './calendar-changes';

@Module({
  imports: [AuthModule],
  controllers: [AgenciesAdminController],
  providers: [AgenciesRepository, AgenciesService, CalendarChanges],
  exports: [AgenciesService, AgenciesRepository, CalendarChanges],
})
export class AgenciesModule {}
