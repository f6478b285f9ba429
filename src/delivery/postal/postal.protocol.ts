import { createHmac, timingSafeEqual } from 'node:crypto';
import { PostalWebhookEvent, TRACKING_STATUSES, TrackingStatus } from './postal-provider';

/**
 * The generic operator protocol (JSON over HTTPS, the shape Vietnamese
 * operators' APIs take), shared by the HTTP adapter and the sandbox operator:
 *
 * - create: `POST {POSTAL_API_URL}/shipments`, header `x-api-key`, body
 *   `{reference, recipient, address, phone, weightGrams, callbackUrl}` ->
 *   `{waybill, feeVnd}`; the same reference answers the same waybill.
 * - webhook: `POST {callbackUrl}` with JSON `{eventId, waybill, status, at}`
 *   and header `x-postal-signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
 */
export const API_KEY_HEADER = 'x-api-key';
export const SIGNATURE_HEADER = 'x-postal-signature';
const SIGNATURE_PREFIX = 'sha256=';
const HEX_64 = /^[0-9a-f]{64}$/i;

export interface CreateShipmentBody {
  reference: string;
  recipient: string;
  address: string;
  phone: string;
  weightGrams: number;
  callbackUrl: string;
}

/** The wire form of a tracking event. */
export interface WebhookBody {
  eventId: string;
  waybill: string;
  status: TrackingStatus;
  /** ISO 8601. */
  at: string;
}

export function signBody(secret: string, rawBody: Buffer | string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Constant-time check of `sha256=<hex>` against the body's HMAC; false for anything missing or malformed. */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith(SIGNATURE_PREFIX)) return false;
  const given = header.slice(SIGNATURE_PREFIX.length).trim();
  if (!HEX_64.test(given)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** Reads a (verified) webhook body; null when it is not the documented shape. */
export function parseWebhookBody(rawBody: Buffer): PostalWebhookEvent | null {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (!isToken(b.eventId, 200) || !isToken(b.waybill, 64)) return null;
  if (typeof b.status !== 'string' || !(TRACKING_STATUSES as readonly string[]).includes(b.status)) return null;
  if (typeof b.at !== 'string' || !ISO_DATE.test(b.at)) return null;
  const at = new Date(b.at);
  if (Number.isNaN(at.getTime())) return null;
  return { eventId: b.eventId, waybill: b.waybill, status: b.status as TrackingStatus, at };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function isToken(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max && v.trim() === v && !hasControlCharacter(v);
}

/** Whether a string holds a C0 control character (U+0000 to U+001F). */
function hasControlCharacter(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 0x20) return true;
  return false;
}
