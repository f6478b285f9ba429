import { Module } from '@nestjs/common';
import { ProceduresAdminController, ProceduresController } from './procedures.controller';
import { ProceduresService } from './procedures.service';

@Module({
  controllers: [ProceduresController, ProceduresAdminController],
  providers: [ProceduresService],
  exports: [ProceduresService],
})
export class ProceduresModule {}
