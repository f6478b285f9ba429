import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { CurrentUser, Roles } from '../auth/auth-user';
import type { AuthUser } from '../auth/auth-user';
import { NotFound } from '../common/problem';
import { UuidParam } from '../common/uuid.pipe';
import { ApiFile, ApiProblems } from '../openapi/responses';
import type { FormNumber } from '../pdf/forms';
import { DOSSIER_FORMS } from './official-forms';
import { FormFile, FormsService } from './forms.service';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

class TrackingLogQuery {
  @ApiProperty({ description: 'First day of the period (Vietnam time), YYYY-MM-DD', example: '2026-01-01' })
  @IsString()
  @Matches(DAY, { message: 'from must be a date YYYY-MM-DD' })
  from: string;

  @ApiProperty({ description: 'Last day of the period, included (Vietnam time), YYYY-MM-DD', example: '2026-01-31' })
  @IsString()
  @Matches(DAY, { message: 'to must be a date YYYY-MM-DD' })
  to: string;

  @ApiPropertyOptional({ description: "The agency's code: required for an administrator; staff get their own agency" })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  agencyCode?: string;
}

function sendPdf(reply: FastifyReply, file: FormFile): void {
  reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `attachment; filename="${file.fileName}"`)
    .header('cache-control', 'private, no-store')
    .send(file.content);
}

/** The official forms of Circular 01/2018 as PDFs (src/forms/official-forms.ts says which applies when). */
@ApiTags('forms')
@Controller()
export class FormsController {
  constructor(private readonly forms: FormsService) {}

  @ApiOperation({
    summary: 'An official form of the dossier (Circular 01/2018), PDF',
    description:
      '01 receipt and appointment slip (once received), 02 supplementation request (latest round), 03 refusal ' +
      'notice, 04 apology and new return date (latest), 05 processing-control sheet (once received). 404 while ' +
      'the form does not apply to the dossier. The owner and the staff of the dossier’s agency.',
  })
  @ApiParam({ name: 'form', enum: DOSSIER_FORMS, description: 'The form number' })
  @ApiFile(200, 'application/pdf', 'The form')
  @ApiProblems(401, 403, [404, 'Not found, not yours, or the form does not apply (yet)'])
  @Roles('citizen', 'clerk', 'supervisor', 'admin')
  @Get('applications/:id/forms/:form')
  async form(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('form') form: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!(DOSSIER_FORMS as readonly string[]).includes(form)) throw new NotFound('form');
    sendPdf(reply, await this.forms.forDossier(user, id, form as FormNumber));
  }

  @ApiOperation({
    summary: 'Form 06: the agency’s tracking log for a period, PDF',
    description:
      'One row per dossier received in [from, to] (local days): code, procedure, applicant, received, due, ' +
      'returned, state and result, on time or late. Staff of the agency; an administrator names the agency.',
  })
  @ApiFile(200, 'application/pdf', 'The tracking log (SỔ THEO DÕI HỒ SƠ)')
  @ApiProblems(400, 401, 403, [404, 'No agency you may see has this code'], 422)
  @Roles('clerk', 'supervisor', 'admin')
  @Get('reports/tracking-log')
  async trackingLog(
    @CurrentUser() user: AuthUser,
    @Query() q: TrackingLogQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendPdf(reply, await this.forms.trackingLog(user, q.from, q.to, q.agencyCode));
  }
}
