import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { NotFound, Unauthorized } from '../../../common/problem';
import type { AppConfig } from '../../../config/configuration';
import { STATUS_RANK, TrackingStatus } from '../postal-provider';
import { SIGNATURE_HEADER, signBody, WebhookBody } from '../postal.protocol';
import type { SandboxCreateShipmentDto, SandboxEventResultDto } from './dto';
import { PostalSandboxRepository, SandboxParcel } from './postal-sandbox.repository';

export type { SandboxShipmentRow } from './postal-sandbox.repository';

const WEBHOOK_TIMEOUT_MS = 10_000;

/** A made-up tariff: 25,000 VND up to 500 g, 5,000 VND per further 500 g. */
export function sandboxFee(weightGrams: number): number {
  return 25_000 + Math.max(0, Math.ceil((weightGrams - 500) / 500)) * 5_000;
}

/**
 * The built-in postal operator (development and tests). Creates shipments
 * like a real operator (API key, one waybill per reference however often and
 * however concurrently asked) and, on request, reports tracking events to
 * the shipment's callback URL over HTTP, signed with the shared webhook
 * secret, exactly as the real operator would.
 */
@Injectable()
export class PostalSandboxService {
  private readonly logger = new Logger(PostalSandboxService.name);
  private readonly apiKey: Buffer;
  private readonly webhookSecret: string;

  constructor(
    private readonly shipments: PostalSandboxRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.apiKey = Buffer.from(config.get('POSTAL_API_KEY', { infer: true }));
    this.webhookSecret = config.get('POSTAL_WEBHOOK_SECRET', { infer: true });
  }

  checkApiKey(given: string | undefined): void {
    const key = Buffer.from(given ?? '');
    if (key.length !== this.apiKey.length || !timingSafeEqual(key, this.apiKey))
      throw new Unauthorized('Invalid API key.');
  }

  async createShipment(dto: SandboxCreateShipmentDto): Promise<{ waybill: string; feeVnd: number }> {
    const parcel: SandboxParcel = {
      name: dto.recipient,
      address: dto.address,
      phone: dto.phone,
      weightGrams: dto.weightGrams,
      feeVnd: sandboxFee(dto.weightGrams),
    };
    const row = await this.shipments.insertOnce(dto.reference, parcel, dto.callbackUrl);
    // The statement's snapshot predates a winner that committed while this insert waited on it: read again.
    const shipment = row ?? (await this.shipments.findByReference(dto.reference));
    if (!shipment) throw new Error(`sandbox shipment ${dto.reference} neither inserted nor found`);
    return { waybill: shipment.waybill, feeVnd: shipment.recipient.feeVnd };
  }

  async ledger(reference?: string) {
    const rows = await this.shipments.list(reference ?? null);
    return rows.map((r) => ({
      waybill: r.waybill,
      reference: r.reference,
      recipient: r.recipient,
      status: r.status,
      callbackUrl: r.callback_url,
      createdAt: r.created_at,
    }));
  }

  /**
   * The operator reports `status` for `waybill` to the shipment's callback
   * URL (POST, JSON, `x-postal-signature`). Any status may be sent in any
   * order, so late and repeated deliveries can be played; the ledger keeps
   * the furthest status reached.
   */
  async reportEvent(
    waybill: string,
    status: TrackingStatus,
    eventId?: string,
    at?: string,
  ): Promise<SandboxEventResultDto> {
    const shipment = await this.shipments.findByWaybill(waybill);
    if (!shipment) throw new NotFound('sandbox shipment');
    const body: WebhookBody = {
      eventId: eventId ?? `EV-${randomUUID()}`,
      waybill,
      status,
      at: (at ? new Date(at) : new Date()).toISOString(),
    };
    await this.shipments.advance(waybill, status, STATUS_RANK[status]);
    const raw = JSON.stringify(body);
    try {
      const res = await fetch(shipment.callback_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [SIGNATURE_HEADER]: signBody(this.webhookSecret, raw),
        },
        body: raw,
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { delivered: res.status >= 200 && res.status < 300, portalStatus: res.status, eventId: body.eventId };
    } catch (e) {
      const err = e as Error;
      this.logger.warn({ waybill, err: err.message }, 'sandbox postal webhook delivery failed');
      return {
        delivered: false,
        portalStatus: 0,
        eventId: body.eventId,
        error: err.name === 'TimeoutError' ? 'timeout' : err.message,
      };
    }
  }
}
