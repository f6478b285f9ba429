/**
 * VNPay payment gateway, protocol 2.1.0: pure signing, verification and
 * formatting helpers. No framework imports, no I/O, no clock: every time
 * value is passed in.
 *
 * - Payment URL, return URL and IPN: HMAC-SHA512 (lowercase hex) over the
 *   parameters sorted by key, empty ones dropped, vnp_SecureHash and
 *   vnp_SecureHashType excluded, application/x-www-form-urlencoded
 *   (WHATWG rules, as URLSearchParams: space as '+', only A-Z a-z 0-9 * - . _
 *   left as is, everything else percent-encoded from UTF-8, uppercase hex).
 * - querydr / refund (JSON, server to server): HMAC-SHA512 over a fixed list
 *   of field values joined with '|' (no encoding), absent values as ''.
 * - Dates: yyyyMMddHHmmss in GMT+7 (Vietnam has no daylight saving time),
 *   independent of the server's time zone.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const VNP_VERSION = '2.1.0';
export const VNP_SECURE_HASH = 'vnp_SecureHash';
export const VNP_SECURE_HASH_TYPE = 'vnp_SecureHashType';

export type VnpParamValue = string | number | undefined | null;
export type VnpParams = Record<string, VnpParamValue>;

// ---------------------------------------------------------------------------
// Canonical query string and HMAC
// ---------------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, i) => '%' + i.toString(16).toUpperCase().padStart(2, '0'));

/** One byte is left as is by the WHATWG form-urlencoded serializer. */
function isFormSafeByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    b === 0x2a || // *
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f // _
  );
}

/**
 * application/x-www-form-urlencoded encoding of one name or value, byte for
 * byte what URLSearchParams#toString produces (lone surrogates become U+FFFD,
 * as both URLSearchParams and Buffer's UTF-8 encoder do).
 */
export function formEncode(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  for (const b of bytes) {
    if (isFormSafeByte(b)) out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += HEX[b];
  }
  return out;
}

/** String form of one parameter value, or undefined when it is to be dropped. */
function scalarToString(key: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`VNPay parameter ${key} is not a finite number`);
    return String(v);
  }
  throw new TypeError(`VNPay parameter ${key} must be a string or a number`);
}

/**
 * The string VNPay signs for pay / return / IPN: parameters sorted by key
 * (UTF-16 code unit order, as Array#sort), empty / undefined / null values
 * dropped, vnp_SecureHash and vnp_SecureHashType excluded, form-urlencoded.
 * Throws TypeError on a value that is neither string nor finite number.
 */
export function canonicalQuery(params: VnpParams): string {
  const parts: string[] = [];
  for (const key of Object.keys(params).sort()) {
    if (key === VNP_SECURE_HASH || key === VNP_SECURE_HASH_TYPE) continue;
    const value = scalarToString(key, params[key]);
    if (value === undefined) continue;
    parts.push(`${formEncode(key)}=${formEncode(value)}`);
  }
  return parts.join('&');
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('VNPay hash secret is not configured');
}

/** Lowercase hex HMAC-SHA512 of a UTF-8 string. */
export function hmacSha512Hex(secret: string, data: string): string {
  assertSecret(secret);
  return createHmac('sha512', secret).update(Buffer.from(data, 'utf8')).digest('hex');
}

/** vnp_SecureHash for a parameter set (lowercase hex HMAC-SHA512 of canonicalQuery). */
export function signParams(params: VnpParams, secret: string): string {
  return hmacSha512Hex(secret, canonicalQuery(params));
}

const HASH_RE = /^[0-9a-fA-F]{128}$/;

/** Constant-time, case-insensitive comparison of a received hex hash with the expected one. */
function hashEquals(received: unknown, expectedHex: string): boolean {
  if (typeof received !== 'string' || !HASH_RE.test(received)) return false;
  const a = Buffer.from(received.toLowerCase(), 'hex');
  const b = Buffer.from(expectedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Own keys whose values are all strings or finite numbers (undefined/null allowed); null otherwise. */
function asScalarParams(params: unknown): VnpParams | null {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return null;
  const out: VnpParams = {};
  for (const key of Object.keys(params)) {
    const v = (params as Record<string, unknown>)[key];
    if (v === undefined || v === null || typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else return null; // arrays (repeated query keys), objects, booleans...
  }
  return out;
}

/**
 * Checks vnp_SecureHash of a return-URL / IPN query (or any signed parameter
 * set). False when the hash is missing or malformed, when any value is not a
 * string/number (e.g. an array from a repeated query key), or on mismatch.
 * Every parameter present takes part, so parameters the gateway did not sign
 * make the check fail. Throws only when the secret is empty.
 */
export function verifyParams(params: Record<string, unknown>, secret: string): boolean {
  assertSecret(secret);
  const scalars = asScalarParams(params);
  if (!scalars) return false;
  const received = scalars[VNP_SECURE_HASH];
  if (typeof received !== 'string' || !HASH_RE.test(received)) return false; // before hashing anything
  return hashEquals(received, signParams(scalars, secret));
}

// ---------------------------------------------------------------------------
// Dates (yyyyMMddHHmmss, GMT+7)
// ---------------------------------------------------------------------------

const GMT7_MS = 7 * 3600_000;
const VNP_DATE_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** yyyyMMddHHmmss of an instant in GMT+7, whatever the server's time zone. */
export function formatVnpDate(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError('Invalid date');
  const t = new Date(d.getTime() + GMT7_MS);
  const y = t.getUTCFullYear();
  if (y < 1000 || y > 9999) throw new RangeError('Date out of range for yyyyMMddHHmmss');
  return (
    pad(y, 4) +
    pad(t.getUTCMonth() + 1) +
    pad(t.getUTCDate()) +
    pad(t.getUTCHours()) +
    pad(t.getUTCMinutes()) +
    pad(t.getUTCSeconds())
  );
}

/** The instant denoted by a yyyyMMddHHmmss string read in GMT+7. Throws RangeError when malformed or impossible. */
export function parseVnpDate(s: string): Date {
  const m = typeof s === 'string' ? VNP_DATE_RE.exec(s) : null;
  if (!m) throw new RangeError(`Not a yyyyMMddHHmmss date: ${String(s)}`);
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const utc = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(utc);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== se
  ) {
    throw new RangeError(`Not a valid date: ${s}`);
  }
  return new Date(utc - GMT7_MS);
}

function toVnpDate(v: Date | string, field: string): string {
  if (v instanceof Date) return formatVnpDate(v);
  try {
    parseVnpDate(v);
  } catch {
    throw new RangeError(`${field} must be a Date or a yyyyMMddHHmmss string`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------

/** vnp_Amount is Numeric[1,12]: at most 999 999 999 999 (VND x 100). */
export const VNP_MAX_AMOUNT_VND = 9_999_999_999;

/** vnp_Amount for an integer VND amount (x100). Throws on non-integer, non-positive or too large amounts. */
export function toVnpAmount(amountVnd: number): string {
  if (typeof amountVnd !== 'number' || !Number.isSafeInteger(amountVnd) || amountVnd <= 0) {
    throw new RangeError(`VNPay amount must be a positive integer number of VND, got ${String(amountVnd)}`);
  }
  if (amountVnd > VNP_MAX_AMOUNT_VND) throw new RangeError(`VNPay amount too large: ${amountVnd}`);
  return String(amountVnd * 100);
}

// ---------------------------------------------------------------------------
// Payment URL
// ---------------------------------------------------------------------------

export type VnpLocale = 'vn' | 'en';

export interface VnpPaymentInput {
  tmnCode: string;
  /** Integer VND; sent as vnp_Amount = amountVnd * 100. */
  amountVnd: number;
  /** Unique per merchant per day. */
  txnRef: string;
  orderInfo: string;
  ipAddr: string;
  returnUrl: string;
  createDate: Date;
  expireDate: Date;
  locale?: VnpLocale;
  bankCode?: string;
  orderType?: string;
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${field} is required`);
  return value;
}

/** The unsigned vnp_* parameters of a payment request (vnp_Command=pay). */
export function buildPaymentParams(input: VnpPaymentInput): Record<string, string> {
  const locale = input.locale ?? 'vn';
  if (locale !== 'vn' && locale !== 'en') throw new TypeError(`vnp_Locale must be vn or en, got ${String(locale)}`);
  if (!(input.expireDate instanceof Date) || !(input.createDate instanceof Date)) {
    throw new TypeError('createDate and expireDate must be Dates');
  }
  if (!(input.expireDate.getTime() > input.createDate.getTime())) {
    throw new RangeError('expireDate must be after createDate');
  }
  const params: Record<string, string> = {
    vnp_Version: VNP_VERSION,
    vnp_Command: 'pay',
    vnp_TmnCode: requireText(input.tmnCode, 'tmnCode'),
    vnp_Amount: toVnpAmount(input.amountVnd),
    vnp_CreateDate: formatVnpDate(input.createDate),
    vnp_CurrCode: 'VND',
    vnp_IpAddr: requireText(input.ipAddr, 'ipAddr'),
    vnp_Locale: locale,
    vnp_OrderInfo: requireText(input.orderInfo, 'orderInfo'),
    vnp_OrderType: input.orderType ?? 'other',
    vnp_ReturnUrl: requireText(input.returnUrl, 'returnUrl'),
    vnp_TxnRef: requireText(input.txnRef, 'txnRef'),
    vnp_ExpireDate: formatVnpDate(input.expireDate),
  };
  if (input.bankCode) params.vnp_BankCode = input.bankCode;
  return params;
}

/**
 * The signed URL the citizen is redirected to: payUrl + '?' + canonical query
 * + '&vnp_SecureHash=...'. payUrl must be an absolute http(s) URL without a
 * query or fragment.
 */
export function buildPaymentUrl(payUrl: string, input: VnpPaymentInput, secret: string): string {
  let url: URL;
  try {
    url = new URL(payUrl);
  } catch {
    throw new TypeError(`Invalid VNPay payment URL: ${payUrl}`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== '' ||
    payUrl.includes('?')
  ) {
    throw new TypeError('VNPay payment URL must be an http(s) URL without query or fragment');
  }
  const params = buildPaymentParams(input);
  const query = canonicalQuery(params);
  return `${payUrl}?${query}&${VNP_SECURE_HASH}=${hmacSha512Hex(secret, query)}`;
}

// ---------------------------------------------------------------------------
// Return URL / IPN
// ---------------------------------------------------------------------------

export interface VnpCallback {
  txnRef: string;
  tmnCode: string;
  /** vnp_Amount as received (VND x 100). */
  amountRaw: string;
  /** vnp_Amount / 100 when vnp_Amount is a plain non-negative integer divisible by 100; null otherwise (treat as an invalid amount). */
  amountVnd: number | null;
  responseCode: string;
  transactionStatus?: string;
  transactionNo?: string;
  bankTranNo?: string;
  bankCode?: string;
  cardType?: string;
  /** yyyyMMddHHmmss, GMT+7, as received. */
  payDate?: string;
  /** payDate read as an instant, when well formed. */
  paidAt?: Date;
  orderInfo?: string;
}

const AMOUNT_RE = /^(0|[1-9]\d{0,14})$/;

/**
 * Typed view of return-URL / IPN parameters. Does NOT check the signature
 * (use verifyParams first). Null when any value is not a string (arrays from
 * repeated keys, objects) or when vnp_TxnRef, vnp_TmnCode, vnp_Amount or
 * vnp_ResponseCode is missing/empty. Empty optional values read as undefined.
 */
export function parseCallback(query: Record<string, unknown>): VnpCallback | null {
  if (query === null || typeof query !== 'object' || Array.isArray(query)) return null;
  const q: Record<string, string> = {};
  for (const key of Object.keys(query)) {
    const v = query[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return null;
    if (v !== '') q[key] = v;
  }
  const txnRef = q.vnp_TxnRef;
  const tmnCode = q.vnp_TmnCode;
  const amountRaw = q.vnp_Amount;
  const responseCode = q.vnp_ResponseCode;
  if (!txnRef || !tmnCode || !amountRaw || !responseCode) return null;

  let amountVnd: number | null = null;
  if (AMOUNT_RE.test(amountRaw)) {
    const n = Number(amountRaw);
    if (n % 100 === 0) amountVnd = n / 100;
  }
  let paidAt: Date | undefined;
  if (q.vnp_PayDate) {
    try {
      paidAt = parseVnpDate(q.vnp_PayDate);
    } catch {
      paidAt = undefined;
    }
  }
  return {
    txnRef,
    tmnCode,
    amountRaw,
    amountVnd,
    responseCode,
    transactionStatus: q.vnp_TransactionStatus,
    transactionNo: q.vnp_TransactionNo,
    bankTranNo: q.vnp_BankTranNo,
    bankCode: q.vnp_BankCode,
    cardType: q.vnp_CardType,
    payDate: q.vnp_PayDate,
    paidAt,
    orderInfo: q.vnp_OrderInfo,
  };
}

/** Paid: vnp_ResponseCode and vnp_TransactionStatus are both '00'. */
export function isSuccess(cb: Pick<VnpCallback, 'responseCode' | 'transactionStatus'>): boolean {
  return cb.responseCode === '00' && cb.transactionStatus === '00';
}

export interface VnpIpnResponse {
  readonly RspCode: string;
  readonly Message: string;
}

/**
 * IPN answers (JSON body, HTTP 200). Checked in this order: invalidSignature
 * (97), orderNotFound (01), invalidAmount (04), alreadyConfirmed (02), ok (00);
 * unknownError (99) on anything else.
 */
export const IPN_RESPONSES = Object.freeze({
  ok: Object.freeze({ RspCode: '00', Message: 'Confirm Success' }),
  alreadyConfirmed: Object.freeze({ RspCode: '02', Message: 'Order already confirmed' }),
  orderNotFound: Object.freeze({ RspCode: '01', Message: 'Order not found' }),
  invalidAmount: Object.freeze({ RspCode: '04', Message: 'Invalid amount' }),
  invalidSignature: Object.freeze({ RspCode: '97', Message: 'Invalid signature' }),
  unknownError: Object.freeze({ RspCode: '99', Message: 'Unknown error' }),
} as const);

export type IpnResponseKey = keyof typeof IPN_RESPONSES;

// ---------------------------------------------------------------------------
// Pipe-joined hashes (querydr, refund)
// ---------------------------------------------------------------------------

/** Field orders of the pipe-joined hashes (VNPay querydr/refund API, 2.1.0). */
export const QUERYDR_REQUEST_FIELDS = [
  'vnp_RequestId',
  'vnp_Version',
  'vnp_Command',
  'vnp_TmnCode',
  'vnp_TxnRef',
  'vnp_TransactionDate',
  'vnp_CreateDate',
  'vnp_IpAddr',
  'vnp_OrderInfo',
] as const;

export const QUERYDR_RESPONSE_FIELDS = [
  'vnp_ResponseId',
  'vnp_Command',
  'vnp_ResponseCode',
  'vnp_Message',
  'vnp_TmnCode',
  'vnp_TxnRef',
  'vnp_Amount',
  'vnp_BankCode',
  'vnp_PayDate',
  'vnp_TransactionNo',
  'vnp_TransactionType',
  'vnp_TransactionStatus',
  'vnp_OrderInfo',
  'vnp_PromotionCode',
  'vnp_PromotionAmount',
] as const;

export const REFUND_REQUEST_FIELDS = [
  'vnp_RequestId',
  'vnp_Version',
  'vnp_Command',
  'vnp_TmnCode',
  'vnp_TransactionType',
  'vnp_TxnRef',
  'vnp_Amount',
  'vnp_TransactionNo',
  'vnp_TransactionDate',
  'vnp_CreateBy',
  'vnp_CreateDate',
  'vnp_IpAddr',
  'vnp_OrderInfo',
] as const;

export const REFUND_RESPONSE_FIELDS = [
  'vnp_ResponseId',
  'vnp_Command',
  'vnp_ResponseCode',
  'vnp_Message',
  'vnp_TmnCode',
  'vnp_TxnRef',
  'vnp_Amount',
  'vnp_BankCode',
  'vnp_PayDate',
  'vnp_TransactionNo',
  'vnp_TransactionType',
  'vnp_TransactionStatus',
  'vnp_OrderInfo',
] as const;

/**
 * The values of `fields` taken from `body`, joined with '|'. Missing, null and
 * undefined values count as ''. Throws TypeError on a value that is neither a
 * string nor a finite number.
 */
export function pipeSignData(body: object, fields: readonly string[]): string {
  const b = body as Record<string, unknown>;
  return fields
    .map((f) => {
      const v = b[f];
      if (v === undefined || v === null) return '';
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      throw new TypeError(`VNPay field ${f} must be a string or a number`);
    })
    .join('|');
}

function verifyPipe(body: unknown, fields: readonly string[], secret: string, command: string): boolean {
  assertSecret(secret);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  if (b.vnp_Command !== command) return false;
  if (typeof b[VNP_SECURE_HASH] !== 'string' || !HASH_RE.test(b[VNP_SECURE_HASH])) return false;
  let data: string;
  try {
    data = pipeSignData(b, fields);
  } catch {
    return false;
  }
  return hashEquals(b[VNP_SECURE_HASH], hmacSha512Hex(secret, data));
}

function noPipe(value: string, field: string): string {
  if (value.includes('|')) throw new TypeError(`${field} must not contain '|'`);
  return value;
}

// ---- querydr ----------------------------------------------------------------

export interface VnpQueryDrInput {
  /** Unique per request per day, Alphanumeric[1,32]. */
  requestId: string;
  tmnCode: string;
  txnRef: string;
  /** vnp_CreateDate of the payment being queried (a Date, or the yyyyMMddHHmmss string sent). */
  transactionDate: Date | string;
  /** When this query is made. */
  createDate: Date;
  /** The calling server's IP. */
  ipAddr: string;
  orderInfo: string;
}

export interface VnpQueryDrRequest {
  vnp_RequestId: string;
  vnp_Version: string;
  vnp_Command: 'querydr';
  vnp_TmnCode: string;
  vnp_TxnRef: string;
  vnp_OrderInfo: string;
  vnp_TransactionDate: string;
  vnp_CreateDate: string;
  vnp_IpAddr: string;
  vnp_SecureHash: string;
}

/** JSON body of a querydr request (POST to the gateway's merchant_webapi/api/transaction). */
export function buildQueryDr(input: VnpQueryDrInput, secret: string): VnpQueryDrRequest {
  const body: Omit<VnpQueryDrRequest, 'vnp_SecureHash'> = {
    vnp_RequestId: noPipe(requireText(input.requestId, 'requestId'), 'requestId'),
    vnp_Version: VNP_VERSION,
    vnp_Command: 'querydr',
    vnp_TmnCode: noPipe(requireText(input.tmnCode, 'tmnCode'), 'tmnCode'),
    vnp_TxnRef: noPipe(requireText(input.txnRef, 'txnRef'), 'txnRef'),
    vnp_OrderInfo: noPipe(requireText(input.orderInfo, 'orderInfo'), 'orderInfo'),
    vnp_TransactionDate: toVnpDate(input.transactionDate, 'transactionDate'),
    vnp_CreateDate: formatVnpDate(input.createDate),
    vnp_IpAddr: noPipe(requireText(input.ipAddr, 'ipAddr'), 'ipAddr'),
  };
  return { ...body, vnp_SecureHash: hmacSha512Hex(secret, pipeSignData(body, QUERYDR_REQUEST_FIELDS)) };
}

/** Gateway side: checks the hash of a received querydr request (and vnp_Command=querydr). */
export function verifyQueryDrRequest(body: object, secret: string): boolean {
  return verifyPipe(body, QUERYDR_REQUEST_FIELDS, secret, 'querydr');
}

/** Gateway side: vnp_SecureHash for a querydr response body (fields in QUERYDR_RESPONSE_FIELDS). */
export function signQueryDrResponse(fields: object, secret: string): string {
  return hmacSha512Hex(secret, pipeSignData(fields, QUERYDR_RESPONSE_FIELDS));
}

/**
 * Merchant side: checks the hash of a querydr response. False when the hash is
 * missing (error answers may come unsigned: treat them as undecided), when
 * vnp_Command is not 'querydr', or on mismatch. The caller still compares
 * vnp_TmnCode, vnp_TxnRef and vnp_Amount with its own records.
 */
export function verifyQueryDrResponse(body: object, secret: string): boolean {
  return verifyPipe(body, QUERYDR_RESPONSE_FIELDS, secret, 'querydr');
}

// ---- refund -----------------------------------------------------------------

/** '02' full refund, '03' partial refund. */
export type VnpRefundType = '02' | '03';

export interface VnpRefundInput {
  requestId: string;
  tmnCode: string;
  transactionType: VnpRefundType;
  txnRef: string;
  /** Integer VND to refund (x100 on the wire). */
  amountVnd: number;
  /** vnp_TransactionNo of the payment; '0' when unknown (as the vnpay library does). */
  transactionNo?: string;
  /** vnp_CreateDate of the payment (a Date, or the yyyyMMddHHmmss string sent). */
  transactionDate: Date | string;
  /** Who asks for the refund. */
  createBy: string;
  createDate: Date;
  ipAddr: string;
  orderInfo: string;
}

export interface VnpRefundRequest {
  vnp_RequestId: string;
  vnp_Version: string;
  vnp_Command: 'refund';
  vnp_TmnCode: string;
  vnp_TransactionType: VnpRefundType;
  vnp_TxnRef: string;
  vnp_Amount: string;
  vnp_TransactionNo: string;
  vnp_TransactionDate: string;
  vnp_CreateBy: string;
  vnp_CreateDate: string;
  vnp_IpAddr: string;
  vnp_OrderInfo: string;
  vnp_SecureHash: string;
}

/** JSON body of a refund request. */
export function buildRefund(input: VnpRefundInput, secret: string): VnpRefundRequest {
  if (input.transactionType !== '02' && input.transactionType !== '03') {
    throw new TypeError(`transactionType must be '02' or '03', got ${String(input.transactionType)}`);
  }
  const body: Omit<VnpRefundRequest, 'vnp_SecureHash'> = {
    vnp_RequestId: noPipe(requireText(input.requestId, 'requestId'), 'requestId'),
    vnp_Version: VNP_VERSION,
    vnp_Command: 'refund',
    vnp_TmnCode: noPipe(requireText(input.tmnCode, 'tmnCode'), 'tmnCode'),
    vnp_TransactionType: input.transactionType,
    vnp_TxnRef: noPipe(requireText(input.txnRef, 'txnRef'), 'txnRef'),
    vnp_Amount: toVnpAmount(input.amountVnd),
    vnp_TransactionNo: noPipe(input.transactionNo || '0', 'transactionNo'),
    vnp_TransactionDate: toVnpDate(input.transactionDate, 'transactionDate'),
    vnp_CreateBy: noPipe(requireText(input.createBy, 'createBy'), 'createBy'),
    vnp_CreateDate: formatVnpDate(input.createDate),
    vnp_IpAddr: noPipe(requireText(input.ipAddr, 'ipAddr'), 'ipAddr'),
    vnp_OrderInfo: noPipe(requireText(input.orderInfo, 'orderInfo'), 'orderInfo'),
  };
  return { ...body, vnp_SecureHash: hmacSha512Hex(secret, pipeSignData(body, REFUND_REQUEST_FIELDS)) };
}

/** Gateway side: checks the hash of a received refund request (and vnp_Command=refund). */
export function verifyRefundRequest(body: object, secret: string): boolean {
  return verifyPipe(body, REFUND_REQUEST_FIELDS, secret, 'refund');
}

/** Gateway side: vnp_SecureHash for a refund response body (fields in REFUND_RESPONSE_FIELDS). */
export function signRefundResponse(fields: object, secret: string): string {
  return hmacSha512Hex(secret, pipeSignData(fields, REFUND_RESPONSE_FIELDS));
}

/** Merchant side: checks the hash of a refund response (false when missing, vnp_Command is not 'refund', or on mismatch). */
export function verifyRefundResponse(body: object, secret: string): boolean {
  return verifyPipe(body, REFUND_RESPONSE_FIELDS, secret, 'refund');
}
