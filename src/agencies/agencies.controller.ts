import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Roles } from '../auth/auth-user';
import { UuidParam } from '../common/uuid.pipe';
import { AgenciesService } from './agencies.service';
import { CreateAgencyDto, CreateStaffDto, UpdateAgencyDto } from './dto';

@ApiTags('admin')
@Roles('admin')
@Controller('admin')
export class AgenciesAdminController {
  constructor(private readonly agencies: AgenciesService) {}

  @Get('agencies')
  list() {
    return this.agencies.list();
  }

  @Post('agencies')
  create(@Body() dto: CreateAgencyDto) {
    return this.agencies.create(dto);
  }

  @Patch('agencies/:code')
  update(@Param('code') code: string, @Body() dto: UpdateAgencyDto) {
    return this.agencies.update(code, dto);
  }

  @Post('staff')
  createStaff(@Body() dto: CreateStaffDto) {
    return this.agencies.createStaff(dto);
  }

  @Get('staff')
  staff(@Query('agencyCode') agencyCode?: string) {
    return this.agencies.listStaff(typeof agencyCode === 'string' ? agencyCode : undefined);
  }

  /** Sends the staff member a single-use reset link (30 minutes); the admin never sees or sets the password. */
  @Post('staff/:id/password-reset')
  @HttpCode(202)
  resetStaffPassword(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.agencies.resetStaffPassword(user, id);
  }

  /** Disables a staff or citizen account: it cannot sign in or refresh, and its tokens stop working now. */
  @Post('accounts/:id/disable')
  @HttpCode(200)
  disable(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.agencies.disableAccount(user, id);
  }

  /** Enables it again (the user signs in anew: the sessions ended when it was disabled stay ended). */
  @Post('accounts/:id/enable')
  @HttpCode(200)
  enable(@Param('id', UuidParam) id: string) {
    return this.agencies.enableAccount(id);
  }
}
