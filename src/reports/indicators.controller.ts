import { Controller, Get, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiProblems } from '../openapi/responses';
import { IndicatorsReportDto } from './views.dto';
import type { FastifyReply } from 'fastify';
import { CurrentUser, Roles } from '../auth/auth-user';
import type { AuthUser } from '../auth/auth-user';
import { toCsv } from './csv';
import { INDICATOR_COLUMNS, IndicatorsQueryDto, IndicatorsReport } from './dto';
import { IndicatorsService } from './indicators.service';

@ApiTags('reports')
@ApiBearerAuth()
@Roles('supervisor', 'admin')
@Controller('reports')
export class IndicatorsController {
  constructor(private readonly indicators: IndicatorsService) {}

  /**
   * Indicators per agency and procedure over [from, to) (definitions in
   * IndicatorsService). `format=csv` answers the same rows as RFC 4180 CSV,
   * one column per row key, empty fields for null.
   */
  @Get('indicators')
  @ApiOperation({
    summary: 'Indicators per agency and procedure',
    description:
      'Over [from, to); a supervisor sees their agency only. format=csv answers the same rows as RFC 4180 CSV.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({
    status: 200,
    description: 'The report (JSON), or its rows as CSV',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(IndicatorsReportDto) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @ApiExtraModels(IndicatorsReportDto)
  @ApiProblems(
    400,
    401,
    [403, 'Not a supervisor or admin, or another agency'],
    [404, 'No agency you may see has this code'],
    422,
  )
  async get(
    @CurrentUser() user: AuthUser,
    @Query() query: IndicatorsQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IndicatorsReport | string> {
    const report = await this.indicators.report(user, query);
    reply.header('cache-control', 'private, no-store');
    if (query.format !== 'csv') return report;
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', 'attachment; filename="indicators.csv"');
    return toCsv(INDICATOR_COLUMNS, report.rows);
  }
}
