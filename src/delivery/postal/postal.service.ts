import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UnrecoverableError } from 'bullmq';
import type { DataSource, EntityManager } from 'typeorm';
import { BadRequest, NotFound, Unauthorized } from '../../common/problem';
import type { JobDone } from '../../outbox/completion';
import { OutboxMessage, OutboxService } from '../../outbox/outbox.service';
import { advances, POSTAL_PROVIDER, PostalProvider, PostalProviderError, ShipmentStatus } from './postal-provider';
import { ShipmentsRepository } from './shipments.repository';

/** A webhook call whose signature does not match: 401, nothing stored (the controller counts it per address). */
export class BadWebhookSignature extends Unauthorized {
  constructor() {
    super('Invalid webhook signature.');
  }
}

/** What a result in an envelope weighs, as declared to the operator. */
export const RESULT_PARCEL_WEIGHT_GRAMS = 100;

export interface ShipmentView {
  waybill: string;
  status: ShipmentStatus;
}

export type CreateShipmentOutcome =
  { outcome: 'created' | 'exists'; shipmentId: string; waybill: string } | { outcome: 'not_by_post' | 'no_dossier' };

/** How a webhook event was taken: applied (status moved), recorded only (stale, out of order, after a final status), or a repeat. */
export type WebhookOutcome = 'applied' | 'recorded' | 'duplicate';

/**
 * Results sent by post. Creation is idempotent and crash-safe: the operator
 * is asked with the dossier id as its idempotency key (a retry after a crash
 * gets the same waybill), then the shipment, its first event and the
 * "shipped" notification are written in one transaction that a second writer
 * joins as a no-op (dossier_id is unique). Tracking events from the signed
 * webhook are all recorded, once each; they move the status only forward,
 * and a final status (delivered, returned) writes the job that moves the
 * dossier and the notification in the same transaction.
 */
@Injectable()
export class PostalService {
  private readonly logger = new Logger(PostalService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly shipments: ShipmentsRepository,
    private readonly outbox: OutboxService,
    @Inject(POSTAL_PROVIDER) private readonly provider: PostalProvider,
  ) {}

  // ------------------------------------------------------------ creation (the 'create-shipment' job)

  /**
   * Hands the dossier's result to the operator, once. A no-op when the
   * shipment exists or the dossier is not delivered by post. Throws on
   * network / 5xx errors (the job retries with backoff); a request the
   * operator rejects as wrong throws bullmq's UnrecoverableError (no retry).
   */
  async createShipment(dossierId: string, done?: JobDone): Promise<CreateShipmentOutcome> {
    const existing = await this.shipments.findByDossier(dossierId);
    if (existing) return { outcome: 'exists', shipmentId: existing.id, waybill: existing.waybill };

    const delivery = await this.shipments.deliveryOf(dossierId);
    if (!delivery) {
      this.logger.warn({ dossierId }, 'create-shipment for an unknown dossier: nothing to do');
      return { outcome: 'no_dossier' };
    }
    if (delivery.method !== 'post') return { outcome: 'not_by_post' };
    if (!delivery.recipient || !delivery.address || !delivery.phone) {
      throw new UnrecoverableError(`dossier ${dossierId} is delivered by post but lacks recipient, address or phone`);
    }

    let created: { waybill: string; feeVnd: number };
    try {
      created = await this.provider.createShipment({
        reference: dossierId,
        recipient: delivery.recipient,
        address: delivery.address,
        phone: delivery.phone,
        weightGrams: RESULT_PARCEL_WEIGHT_GRAMS,
      });
    } catch (e) {
      if (e instanceof PostalProviderError && !e.retryable) throw new UnrecoverableError(e.message);
      throw e;
    }

    return this.db.transaction(async (m) => {
      const shipmentId = await this.shipments.insert(m, {
        dossierId,
        provider: this.provider.name,
        waybill: created.waybill,
        feeVnd: created.feeVnd,
      });
      if (!shipmentId) {
        // Another run got there first (with the same waybill: the operator keys on the dossier id).
        const other = await this.shipments.findByDossier(dossierId, m);
        if (!other)
          throw new UnrecoverableError(
            `the operator answered waybill ${created.waybill} for dossier ${dossierId}, already used by another dossier`,
          );
        if (other.waybill !== created.waybill) {
          this.logger.error(
            { dossierId, kept: other.waybill, answered: created.waybill },
            'operator answered another waybill for the same reference',
          );
        }
        return { outcome: 'exists' as const, shipmentId: other.id, waybill: other.waybill };
      }
      await this.shipments.recordCreated(
        m,
        shipmentId,
        JSON.stringify({
          source: 'create',
          provider: this.provider.name,
          waybill: created.waybill,
          feeVnd: created.feeVnd,
        }),
      );
      await this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId, event: 'shipped', sourceId: shipmentId } },
      ]);
      await done?.(m);
      return { outcome: 'created' as const, shipmentId, waybill: created.waybill };
    });
  }

  // ------------------------------------------------------------ tracking (the operator's webhook)

  /**
   * Takes one signed tracking event: 401 for a bad signature, 400 for a body
   * that is not an event, 404 for a waybill we never created. Every event is
   * recorded once per (shipment, event id), with the body as received (the
   * operator's own time is in it; `at` is when we got it); only a forward
   * move is applied.
   */
  async handleWebhook(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookOutcome> {
    const body = rawBody ?? Buffer.alloc(0);
    // Nothing is stored for what cannot be attributed to the operator.
    if (!this.provider.verifyWebhook(body, signature)) throw new BadWebhookSignature();
    const event = this.provider.parseWebhook(body);
    if (!event) throw new BadRequest('The body is not a tracking event {eventId, waybill, status, at}.');
    const raw = body.toString('utf8');

    return this.db.transaction(async (m) => {
      const shipment = await this.shipments.lockByWaybill(m, this.provider.name, event.waybill);
      if (!shipment) throw new NotFound('shipment');
      const apply = advances(shipment.status, event.status);
      const inserted = await this.shipments.recordEvent(m, {
        shipmentId: shipment.id,
        eventId: event.eventId,
        status: event.status,
        applied: apply,
        raw,
      });
      if (!inserted) return 'duplicate';
      if (!apply) {
        this.logger.log(
          { waybill: shipment.waybill, at: shipment.status, reported: event.status },
          'stale postal event recorded, not applied',
        );
        return 'recorded';
      }
      await this.shipments.setStatus(m, shipment.id, event.status);
      const data = { dossierId: shipment.dossier_id, shipmentId: shipment.id };
      const messages: OutboxMessage[] =
        event.status === 'delivered'
          ? [
              { name: 'shipment-delivered', data },
              {
                name: 'dossier-event',
                data: { dossierId: shipment.dossier_id, event: 'delivered', sourceId: shipment.id },
              },
            ]
          : event.status === 'returned'
            ? [
                { name: 'shipment-returned', data },
                {
                  name: 'dossier-event',
                  data: {
                    dossierId: shipment.dossier_id,
                    event: 'shipment_returned',
                    sourceId: shipment.id,
                    audience: 'staff',
                  },
                },
              ]
            : [];
      await this.outbox.add(m, messages);
      return 'applied';
    });
  }

  // ------------------------------------------------------------ reads

  /** For the dossier view: `{waybill, status}` or null when nothing was shipped. */
  async shipmentOf(dossierId: string, m: EntityManager = this.db.manager): Promise<ShipmentView | null> {
    const row = await this.shipments.findByDossier(dossierId, m);
    return row ? { waybill: row.waybill, status: row.status } : null;
  }
}
