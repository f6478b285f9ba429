import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiFile, ApiJson, ApiProblems } from '../openapi/responses';
import { PaymentReportDto, PaymentRequestDto, PaymentStartedDto } from './views.dto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { ApplicationsService } from '../applications/applications.service';
import { CurrentUser, Roles } from '../auth/auth-user';
import type { AuthUser } from '../auth/auth-user';
import { Forbidden, ValidationFailed } from '../common/problem';
import { UuidParam } from '../common/uuid.pipe';
import { PaymentReportQuery, StartPaymentDto } from './dto';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@Controller()
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly applications: ApplicationsService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** Starts paying what the dossier owes now: `{provider}` -> `{redirectUrl}`. */
  @ApiOperation({
    summary: 'Start paying what the dossier owes',
    description: 'Opens an attempt with the provider and answers the URL of its payment page; one attempt in flight.',
  })
  @ApiJson(201, PaymentStartedDto, 'Send the browser to redirectUrl')
  @ApiProblems(400, 401, 403, 404, [409, 'Nothing is owed now, or a payment is already in progress'])
  @Roles('citizen')
  @Post('applications/:id/payments')
  start(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: StartPaymentDto,
    @Req() req: FastifyRequest,
  ) {
    return this.payments.start(user, id, dto.provider, req.ip || '127.0.0.1');
  }

  @ApiOperation({ summary: 'A dossier’s payment requests', description: 'Each with its attempts and receipts.' })
  @ApiJson(200, [PaymentRequestDto])
  @ApiProblems(401, 404)
  @Get('applications/:id/payments')
  async list(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    await this.applications.findWithPersonalData(user, id);
    return this.payments.list(id);
  }

  /** The receipt (biên lai) of a succeeded payment, as PDF. */
  @ApiOperation({ summary: 'The receipt of a payment (PDF)', description: 'Of a succeeded attempt (biên lai).' })
  @ApiFile(200, 'application/pdf', 'The receipt')
  @ApiProblems(401, 404)
  @Get('applications/:id/payments/:attemptId/receipt')
  async receipt(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('attemptId', UuidParam) attemptId: string,
    @Res() reply: FastifyReply,
  ) {
    await this.applications.findWithPersonalData(user, id);
    const { pdf, number } = await this.payments.receiptPdf(id, attemptId);
    reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="bien-lai-${number.replace(/\W+/g, '-')}.pdf"`)
      .send(pdf);
  }

  /** Reconciliation for a period: attempts per state and amount, mismatches, stale attempts. */
  @ApiOperation({
    summary: 'Payment reconciliation for a period',
    description: 'Attempts per state with amounts, mismatches, stale attempts; a supervisor sees their agency only.',
  })
  @ApiJson(200, PaymentReportDto)
  @ApiProblems(
    400,
    401,
    403,
    [404, 'No agency you may see has this code'],
    [422, 'A bad period, or (today) an agency you may not see'],
  )
  @Roles('supervisor', 'admin')
  @Get('reports/payments')
  async report(@CurrentUser() user: AuthUser, @Query() q: PaymentReportQuery) {
    let agencyId = user.role === 'supervisor' ? user.agencyId : null;
    if (q.agency) {
      const agency = await this.payments.agencyIdByCode(q.agency);
      // The same rule as the indicators report: a supervisor naming any agency but their own is refused whether or
      // not it exists (403: the role can never see another agency); an agency code nobody has is a bad filter (422).
      if (user.role === 'supervisor' && agency !== user.agencyId)
        throw new Forbidden('Supervisors see the reports of their own agency only.');
      if (!agency) throw new ValidationFailed([{ field: 'agency', message: 'no agency has this code' }]);
      agencyId = agency;
    }
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (!(from < to)) throw new ValidationFailed([{ field: 'to', message: 'to must be after from' }]);
    return this.payments.reconciliationReport(agencyId, from, to);
  }
}
