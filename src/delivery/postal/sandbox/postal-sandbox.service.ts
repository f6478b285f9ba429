import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { NotFound, Unauthorized } from '../../../common/problem';
import type { AppConfig } from '../../../config/configuration';
import { STATUS_RANK, TrackingStatus } from '../postal-provider';
import { SIGNATURE_HEADER, signBody, WebhookBody } from '../postal.protocol';
import type { SandboxCreateShipmentDto, SandboxEventResultDto } from './dto';

/** One row of the operator's own ledger (sandbox_postal_shipments). */
export interface SandboxShipmentRow {
  waybill: string;
  reference: string;
  recipient: { name: string; address: string; phone: string; weightGrams: number; feeVnd: number };
  status: string;
  callback_url: string;
  created_at: Date;
}

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
    @InjectDataSource() private readonly db: DataSource,
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
    const parcel = {
      name: dto.recipient,
      address: dto.address,
      phone: dto.phone,
      weightGrams: dto.weightGrams,
      feeVnd: sandboxFee(dto.weightGrams),
    };
    // Concurrent requests with one reference meet at the unique index: one inserts, the others read its row.
    const [row]: SandboxShipmentRow[] = await this.db.query(
      `WITH ins AS (
         INSERT INTO sandbox_postal_shipments (waybill, reference, recipient, status, callback_url)
         VALUES ('SBX' || nextval('sandbox_postal_waybill_seq'), $1, $2, 'created', $3)
         ON CONFLICT (reference) DO NOTHING RETURNING *
       ) SELECT * FROM ins UNION ALL SELECT * FROM sandbox_postal_shipments WHERE reference = $1 LIMIT 1`,
      [dto.reference, JSON.stringify(parcel), dto.callbackUrl],
    );
    // The statement's snapshot predates a winner that committed while this insert waited on it: read again.
    const shipment =
      row ?? (await this.db.query(`SELECT * FROM sandbox_postal_shipments WHERE reference = $1`, [dto.reference]))[0];
    return { waybill: shipment.waybill, feeVnd: shipment.recipient.feeVnd };
  }

  async ledger(reference?: string) {
    const rows: SandboxShipmentRow[] = await this.db.query(
      `SELECT * FROM sandbox_postal_shipments WHERE ($1::text IS NULL OR reference = $1) ORDER BY created_at, waybill LIMIT 500`,
      [reference ?? null],
    );
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
    const [shipment]: SandboxShipmentRow[] = await this.db.query(
      `SELECT * FROM sandbox_postal_shipments WHERE waybill = $1`,
      [waybill],
    );
    if (!shipment) throw new NotFound('sandbox shipment');
    const body: WebhookBody = {
      eventId: eventId ?? `EV-${randomUUID()}`,
      waybill,
      status,
      at: (at ? new Date(at) : new Date()).toISOString(),
    };
    await this.db.query(
      `UPDATE sandbox_postal_shipments SET status = $2
        WHERE waybill = $1 AND status NOT IN ('delivered','returned') AND $3::int > (CASE status WHEN 'picked_up' THEN 1 WHEN 'in_transit' THEN 2 ELSE 0 END)`,
      [waybill, status, STATUS_RANK[status]],
    );
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
