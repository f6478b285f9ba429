import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public, Roles } from '../auth/auth-user';
import { CreateProcedureDto, CreateVersionDto, ProcedureView } from './dto';
import { ProceduresService } from './procedures.service';

@ApiTags('procedures')
@Controller('procedures')
export class ProceduresController {
  constructor(private readonly procedures: ProceduresService) {}

  @Public()
  @Get()
  list(): Promise<ProcedureView[]> {
    return this.procedures.catalog();
  }

  @Public()
  @Get(':code')
  get(@Param('code') code: string): Promise<ProcedureView> {
    return this.procedures.findPublished(code);
  }
}

@ApiTags('admin')
@Roles('admin')
@Controller('admin/procedures')
export class ProceduresAdminController {
  constructor(private readonly procedures: ProceduresService) {}

  @Post()
  create(@Body() dto: CreateProcedureDto) {
    return this.procedures.createProcedure(dto);
  }

  @Get(':code/versions')
  versions(@Param('code') code: string) {
    return this.procedures.listVersions(code);
  }

  @Post(':code/versions')
  addVersion(@Param('code') code: string, @Body() dto: CreateVersionDto) {
    return this.procedures.addVersion(code, dto);
  }

  @Post(':code/versions/:version/publish')
  @HttpCode(200)
  publish(
    @Param('code') code: string,
    @Param('version', new ParseIntPipe({ errorHttpStatusCode: 404 })) version: number,
  ) {
    return this.procedures.publish(code, version);
  }
}
