import { Body, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../../../openapi/responses';
import { SandboxShipmentDto } from './views.dto';
import { Public } from '../../../auth/auth-user';
import { SandboxController } from '../../../sandbox/sandbox.guard';
import { API_KEY_HEADER } from '../postal.protocol';
import {
  SandboxCreateShipmentDto,
  SandboxEventDto,
  SandboxEventResultDto,
  SandboxLedgerQuery,
  SandboxShipmentCreatedDto,
} from './dto';
import { PostalSandboxService } from './postal-sandbox.service';

/**
 * The built-in postal operator, served by the portal itself outside
 * production: its API (POSTAL_API_URL points here by default), a test API to
 * make it report tracking events to the portal's webhook, and its ledger.
 * Every route answers 404 unless SANDBOX_ENABLED is 'true'.
 */
@SandboxController('postal')
export class PostalSandboxController {
  constructor(private readonly sandbox: PostalSandboxService) {}

  @Public()
  @Post('api/shipments')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Operator API (POSTAL_API_URL/shipments): create a shipment',
    description: 'The same reference answers the same waybill.',
    security: [],
  })
  @ApiHeader({ name: API_KEY_HEADER, required: true, description: 'POSTAL_API_KEY' })
  @ApiJson(200, SandboxShipmentCreatedDto)
  @ApiProblems(400, [401, 'Invalid API key'], [404, 'The sandbox is off'])
  create(
    @Headers(API_KEY_HEADER) key: string | undefined,
    @Body() dto: SandboxCreateShipmentDto,
  ): Promise<SandboxShipmentCreatedDto> {
    this.sandbox.checkApiKey(key);
    return this.sandbox.createShipment(dto);
  }

  @Public()
  @Post('shipments/:waybill/events')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Test API: report a tracking event',
    description: "The operator posts it to the portal's signed webhook, over HTTP, and tells what the portal answered.",
    security: [],
  })
  @ApiJson(200, SandboxEventResultDto)
  @ApiProblems(400, [404, 'Unknown waybill, or the sandbox is off'])
  event(@Param('waybill') waybill: string, @Body() dto: SandboxEventDto): Promise<SandboxEventResultDto> {
    return this.sandbox.reportEvent(waybill, dto.status, dto.eventId, dto.at);
  }

  @Public()
  @Get('shipments')
  @ApiOperation({
    summary: "The operator's ledger",
    description: 'Optionally for one reference; at most 500 rows.',
    security: [],
  })
  @ApiJson(200, [SandboxShipmentDto])
  @ApiProblems(400, [404, 'The sandbox is off'])
  list(@Query() q: SandboxLedgerQuery) {
    return this.sandbox.ledger(q.reference);
  }
}
