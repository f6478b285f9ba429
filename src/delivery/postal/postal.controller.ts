import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../auth/auth-user';
import { SIGNATURE_HEADER } from './postal.protocol';
import { PostalService } from './postal.service';

/** The postal operator's tracking webhook (registered with the operator as POSTAL_WEBHOOK_URL). */
@ApiTags('delivery')
@Controller('postal')
export class PostalController {
  constructor(private readonly postal: PostalService) {}

  @Public() @Post('webhook') @HttpCode(200)
  @ApiOperation({
    summary: 'Tracking event from the postal operator: JSON {eventId, waybill, status, at}, signed over the raw body',
    description: '401 bad signature, 400 not an event, 404 unknown waybill; a repeated event id answers 200 and changes nothing.',
  })
  @ApiHeader({ name: SIGNATURE_HEADER, description: 'sha256=<hex HMAC-SHA256(POSTAL_WEBHOOK_SECRET, raw body)>', required: true })
  @ApiOkResponse({ schema: { type: 'object', properties: { ok: { type: 'boolean', enum: [true] } } } })
  async webhook(@Req() req: RawBodyRequest<FastifyRequest>, @Headers(SIGNATURE_HEADER) signature: string | undefined): Promise<{ ok: true }> {
    await this.postal.handleWebhook(req.rawBody, signature);
    return { ok: true };
  }
}
