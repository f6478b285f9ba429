import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../auth/auth-user';
import { CallbackFailures, SignedCallback } from '../../security/callback-failures';
import { clientAddress } from '../../security/rate-limit';
import { SIGNATURE_HEADER } from './postal.protocol';
import { BadWebhookSignature, PostalService } from './postal.service';

/** The postal operator's tracking webhook (registered with the operator as POSTAL_WEBHOOK_URL). */
@ApiTags('delivery')
@Controller('postal')
export class PostalController {
  constructor(
    private readonly postal: PostalService,
    private readonly callbacks: CallbackFailures,
  ) {}

  @Public()
  @Post('webhook')
  @HttpCode(200)
  @SignedCallback('postal-webhook')
  @ApiOperation({
    summary: 'Tracking event from the postal operator: JSON {eventId, waybill, status, at}, signed over the raw body',
    description:
      '401 bad signature (counted per address, never stored; 429 from an address over CALLBACK_FAILURE_RATE_LIMIT), 400 not an event, ' +
      '404 unknown waybill; a repeated event id answers 200 and changes nothing.',
  })
  @ApiHeader({
    name: SIGNATURE_HEADER,
    description: 'sha256=<hex HMAC-SHA256(POSTAL_WEBHOOK_SECRET, raw body)>',
    required: true,
  })
  @ApiOkResponse({ schema: { type: 'object', properties: { ok: { type: 'boolean', enum: [true] } } } })
  async webhook(
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers(SIGNATURE_HEADER) signature: string | undefined,
  ): Promise<{ ok: true }> {
    try {
      await this.postal.handleWebhook(req.rawBody, signature);
    } catch (e) {
      if (e instanceof BadWebhookSignature) await this.callbacks.badSignature('postal-webhook', clientAddress(req));
      throw e;
    }
    return { ok: true };
  }
}
