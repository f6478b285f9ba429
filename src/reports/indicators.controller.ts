import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
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
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description:
      '{from, to, rows: [{agencyCode, procedureCode, received, finished, onTime, late, onTimeRate, onlineRate, onlinePaymentRate, avgProcessingHours, satisfactionRate, ratings, avgScore}]}',
  })
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
