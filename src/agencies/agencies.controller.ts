import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiNoBody, ApiProblems } from '../openapi/responses';
import { AccountStatusDto, AgencyDto, PasswordResetSentDto, StaffCreatedDto, StaffMemberDto } from './views.dto';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user';
import { UuidParam } from '../common/uuid.pipe';
import { AgenciesService } from './agencies.service';
import { CreateAgencyDto, CreateStaffDto, UpdateAgencyDto } from './dto';

@ApiTags('admin')
@ApiProblems(401, 403)
@Roles('admin')
@Controller('admin')
export class AgenciesAdminController {
  constructor(private readonly agencies: AgenciesService) {}

  @ApiOperation({ summary: 'List agencies', description: 'Every agency with its work calendar, by code.' })
  @ApiJson(200, [AgencyDto])
  @Get('agencies')
  list() {
    return this.agencies.list();
  }

  @ApiOperation({ summary: 'Create an agency', description: 'The calendar defaults to the national one.' })
  @ApiJson(201, AgencyDto, 'The agency was created')
  @ApiProblems(400, [409, 'An agency has this code'], 422)
  @Post('agencies')
  create(@Body() dto: CreateAgencyDto) {
    return this.agencies.create(dto);
  }

  @ApiOperation({
    summary: 'Update an agency',
    description:
      'Its name or calendar; the code never changes. A changed calendar recomputes the due dates of the agency’s open dossiers (recorded in their history as due_recalculated).',
  })
  @ApiJson(200, AgencyDto, 'The agency as saved')
  @ApiProblems(400, 404, 422)
  @Patch('agencies/:code')
  update(@CurrentUser() user: AuthUser, @Param('code') code: string, @Body() dto: UpdateAgencyDto) {
    return this.agencies.update(code, dto, user);
  }

  @ApiOperation({ summary: 'Create a staff account', description: 'Clerks and supervisors belong to an agency.' })
  @ApiJson(201, StaffCreatedDto, 'The account was created')
  @ApiProblems(400, [409, 'The email or phone is already registered'], 422)
  @Post('staff')
  createStaff(@Body() dto: CreateStaffDto) {
    return this.agencies.createStaff(dto);
  }

  @ApiOperation({ summary: 'List staff accounts', description: 'Optionally of one agency.' })
  @ApiQuery({ name: 'agencyCode', required: false, description: 'Only the staff of this agency' })
  @ApiJson(200, [StaffMemberDto])
  @ApiProblems(400)
  @Get('staff')
  staff(@Query('agencyCode') agencyCode?: string) {
    return this.agencies.listStaff(typeof agencyCode === 'string' ? agencyCode : undefined);
  }

  /** Sends the staff member a single-use reset link (30 minutes); the admin never sees or sets the password. */
  @ApiOperation({
    summary: 'Send a staff member a password reset link',
    description: 'A single-use link (30 minutes) by email; the admin never sees or sets the password.',
  })
  @ApiJson(202, PasswordResetSentDto, 'The link was sent')
  @ApiProblems(404, 409)
  @Post('staff/:id/password-reset')
  @HttpCode(202)
  resetStaffPassword(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.agencies.resetStaffPassword(user, id);
  }

  /** Disables a staff or citizen account: it cannot sign in or refresh, and its tokens stop working now. */
  @ApiOperation({
    summary: 'Disable an account',
    description: 'It cannot sign in or refresh and its tokens stop working; an admin cannot disable their own (409).',
  })
  @ApiJson(200, AccountStatusDto)
  @ApiProblems(404, [409, 'Your own account'])
  @Post('accounts/:id/disable')
  @HttpCode(200)
  disable(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.agencies.disableAccount(user, id);
  }

  /** Resets a staff member's second factor (audited); their sessions and tokens end; they enrol again. */
  @ApiOperation({
    summary: "Reset a staff member's second factor",
    description:
      'Removes the TOTP secret and recovery codes, records the action (account_events) and ends every session ' +
      'and token of the member; they set up a new second factor at their next sign-in. 404 for a citizen.',
  })
  @ApiNoBody(204, 'The second factor was reset')
  @ApiProblems(404)
  @Post('accounts/:id/mfa/reset')
  @HttpCode(204)
  async resetMfa(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string): Promise<void> {
    await this.agencies.resetStaffMfa(user, id);
  }

  /** Enables it again (the user signs in anew: the sessions ended when it was disabled stay ended). */
  @ApiOperation({
    summary: 'Enable an account again',
    description: 'The sessions ended when it was disabled stay ended.',
  })
  @ApiJson(200, AccountStatusDto)
  @ApiProblems(404)
  @Post('accounts/:id/enable')
  @HttpCode(200)
  enable(@Param('id', UuidParam) id: string) {
    return this.agencies.enableAccount(id);
  }
}
