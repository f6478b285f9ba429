import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../openapi/responses';
import { ProcedureCreatedDto, ProcedureVersionDto, VersionCreatedDto, VersionPublishedDto } from './views.dto';
import { Public, Roles } from '../auth/auth-user';
import { CreateProcedureDto, CreateVersionDto, ProcedureView } from './dto';
import { ProceduresService } from './procedures.service';

@ApiTags('procedures')
@Controller('procedures')
export class ProceduresController {
  constructor(private readonly procedures: ProceduresService) {}

  @ApiOperation({
    summary: 'The catalog',
    description: 'Every procedure with a published version, as its latest version reads.',
    security: [],
  })
  @ApiJson(200, [ProcedureView])
  @Public()
  @Get()
  list(): Promise<ProcedureView[]> {
    return this.procedures.catalog();
  }

  @ApiOperation({ summary: 'One procedure of the catalog', description: 'Its latest published version.', security: [] })
  @ApiJson(200, ProcedureView)
  @ApiProblems(404)
  @Public()
  @Get(':code')
  get(@Param('code') code: string): Promise<ProcedureView> {
    return this.procedures.findPublished(code);
  }
}

@ApiTags('admin')
@ApiProblems(401, 403)
@Roles('admin')
@Controller('admin/procedures')
export class ProceduresAdminController {
  constructor(private readonly procedures: ProceduresService) {}

  @ApiOperation({ summary: 'Create a procedure', description: 'Versions are added and published separately.' })
  @ApiJson(201, ProcedureCreatedDto, 'The procedure was created')
  @ApiProblems(400, [409, 'A procedure has this code'], 422)
  @Post()
  create(@Body() dto: CreateProcedureDto) {
    return this.procedures.createProcedure(dto);
  }

  @ApiOperation({ summary: "A procedure's versions", description: 'Drafts and published ones, oldest first.' })
  @ApiJson(200, [ProcedureVersionDto])
  @ApiProblems(404)
  @Get(':code/versions')
  versions(@Param('code') code: string) {
    return this.procedures.listVersions(code);
  }

  @ApiOperation({
    summary: 'Add a draft version',
    description: 'Numbered after the last one; editable until published.',
  })
  @ApiJson(201, VersionCreatedDto, 'The draft was added')
  @ApiProblems(400, 404)
  @Post(':code/versions')
  addVersion(@Param('code') code: string, @Body() dto: CreateVersionDto) {
    return this.procedures.addVersion(code, dto);
  }

  @ApiOperation({
    summary: 'Publish a version',
    description: 'Checks the whole definition (422 lists every problem); a published version never changes.',
  })
  @ApiJson(200, VersionPublishedDto)
  @ApiProblems(404, [409, 'Already published'], 422)
  @Post(':code/versions/:version/publish')
  @HttpCode(200)
  publish(
    @Param('code') code: string,
    @Param('version', new ParseIntPipe({ errorHttpStatusCode: 404 })) version: number,
  ) {
    return this.procedures.publish(code, version);
  }
}
