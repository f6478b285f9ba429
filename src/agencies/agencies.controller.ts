import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth-user';
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
}
