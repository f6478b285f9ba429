import { Module } from '@nestjs/common';
import { IndicatorsController } from './indicators.controller';
import { IndicatorsService } from './indicators.service';

/** Reports for supervisors and admins: the government's indicators per agency and procedure. */
@Module({ controllers: [IndicatorsController], providers: [IndicatorsService], exports: [IndicatorsService] })
export class ReportsModule {}
