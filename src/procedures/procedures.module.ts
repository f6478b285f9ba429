import { Module } from '@nestjs/common';
import { AgenciesModule } from '../agencies/agencies.module';
import { ProceduresAdminController, ProceduresController } from './procedures.controller';
import { ProceduresRepository } from './procedures.repository';
import { ProceduresService } from './procedures.service';

@Module({
  imports: [AgenciesModule],
  controllers: [ProceduresController, ProceduresAdminController],
  providers: [ProceduresRepository, ProceduresService],
  exports: [ProceduresService, ProceduresRepository],
})
export class ProceduresModule {}
