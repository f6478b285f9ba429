import { Module } from '@nestjs/common';
import { AgenciesModule } from '../agencies/agencies.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { IndicatorsController } from './indicators.controller';
import { IndicatorsRepository } from './indicators.repository';
import { IndicatorsService } from './indicators.service';

/** Reports for supervisors and admins: the government's indicators per agency and procedure. */
@Module({
  imports: [AgenciesModule, ProceduresModule],
  controllers: [IndicatorsController],
  providers: [IndicatorsRepository, IndicatorsService],
  exports: [IndicatorsService],
})
export class ReportsModule {}
