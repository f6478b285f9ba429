import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../../openapi/responses';
import { WebhookAckDto } from '../views.dto';
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
    summary: 'Tracking event from the postal operator',
    security: [],
    description:
      'JSON {eventId, waybill, status, at}, signed over the raw body. 401 bad signature (counted per address, never stored; 429 from an address over CALLBACK_FAILURE_RATE_LIMIT), 400 not an event, ' +
      '404 unknown waybill; a repeated event id answers 200 and changes nothing.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['eventId', 'waybill', 'status', 'at'],
      properties: {
        eventId: { type: 'string' },
        waybill: { type: 'string' },
        status: { type: 'string', enum: ['picked_up', 'in_transit', 'delivered', 'returned'] },
        at: { type: 'string', format: 'date-time' },
      },
    },
  })
  @ApiHeader({
    name: SIGNATURE_HEADER,
    description: 'sha256=<hex HMAC-SHA256(POSTAL_WEBHOOK_SECRET, raw body)>',
    required: true,
  })
  @ApiJson(200, WebhookAckDto, 'Applied, or a repeated event id (nothing changes)')
  @ApiProblems(400, [401, 'Bad signature'], [404, 'Unknown waybill'], 429)
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
