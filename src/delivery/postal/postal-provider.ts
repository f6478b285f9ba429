/**
 * Every postal operator is an adapter behind this one interface (a generic
 * JSON API now, the built-in sandbox operator speaking the same; VNPost,
 * Viettel Post and the like are more adapters). The postal service decides;
 * an adapter only speaks its operator's protocol.
 */

export const SHIPMENT_STATUSES = ['created', 'picked_up', 'in_transit', 'delivered', 'returned'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** Statuses an operator reports through its webhook (`created` is ours, at creation). */
export const TRACKING_STATUSES = ['picked_up', 'in_transit', 'delivered', 'returned'] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Progress order: a status only moves forward; delivered and returned are both final. */
export const STATUS_RANK: Record<ShipmentStatus, number> = {
  created: 0,
  picked_up: 1,
  in_transit: 2,
  delivered: 3,
  returned: 3,
};

export function isFinal(status: ShipmentStatus): boolean {
  return status === 'delivered' || status === 'returned';
}

/** Whether an event with status `next` moves a shipment that is at `current`. */
export function advances(current: ShipmentStatus, next: ShipmentStatus): boolean {
  return !isFinal(current) && STATUS_RANK[next] > STATUS_RANK[current];
}

export interface CreateShipmentRequest {
  /** The dossier id: the operator's idempotency key, so a retry after a crash gets the same waybill. */
  reference: string;
  recipient: string;
  address: string;
  phone: string;
  weightGrams: number;
}

export interface CreatedShipment {
  waybill: string;
  /** Integer VND the operator charges. */
  feeVnd: number;
}

/** One tracking event as the operator's webhook reports it. */
export interface PostalWebhookEvent {
  /** The operator's id of the event: a repeated delivery carries the same id. */
  eventId: string;
  waybill: string;
  status: TrackingStatus;
  at: Date;
}

/**
 * The operator refused or failed a request. `retryable`: worth trying again
 * later (network, timeout, 5xx, 429, an unreadable answer, credentials being
 * fixed); otherwise the request itself is wrong and retrying cannot help.
 */
export class PostalProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'PostalProviderError';
  }
}

export interface PostalProvider {
  /** Stored in `shipments.provider`; (provider, waybill) is unique. */
  readonly name: string;
  /** Creates (or, for a reference seen before, finds) the shipment at the operator. Throws PostalProviderError. */
  createShipment(req: CreateShipmentRequest): Promise<CreatedShipment>;
  /** Checks the webhook signature over the exact bytes received. */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): boolean;
  /** Reads a webhook body whose signature was verified; null when malformed. */
  parseWebhook(rawBody: Buffer): PostalWebhookEvent | null;
}

export const POSTAL_PROVIDER = Symbol('POSTAL_PROVIDER');
