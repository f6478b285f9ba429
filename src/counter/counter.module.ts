import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { AccountsModule } from '../auth/accounts.module';
import { AgenciesModule } from '../agencies/agencies.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { CounterController } from './counter.controller';
import { CounterService } from './counter.service';

/** Counter intake: POST /counter/applications (src/counter/counter.service.ts). */
@Module({
  imports: [ApplicationsModule, AccountsModule, ProceduresModule, AgenciesModule],
  controllers: [CounterController],
  providers: [CounterService],
  exports: [CounterService],
})
export class CounterModule {}
