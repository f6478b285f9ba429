import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { BadRequest, NotFound } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import {
  canonicalQuery,
  formatVnpDate,
  parseVnpDate,
  signParams,
  signQueryDrResponse,
  signRefundResponse,
  verifyParams,
  verifyQueryDrRequest,
  verifyRefundRequest,
  VNP_SECURE_HASH,
  VNP_VERSION,
} from '../vnpay/vnpay.protocol';
import { PayPageView } from './pay-page';
import { IpnDeliveryResult, SandboxIpnSender } from './sandbox-ipn.sender';
import { SandboxTxn, SandboxVnpayRepository } from './sandbox-vnpay.repository';

export type { SandboxTxn, SandboxTxnStatus } from './sandbox-vnpay.repository';

export type SandboxOutcome = 'pay' | 'cancel';

export interface CompletionResult {
  /** The return URL with the signed result parameters, where the browser is sent. */
  returnUrl: string;
  /** The signed IPN parameters (vnp_SecureHash included), for replaying, duplicating or tampering. */
  ipnParams: Record<string, string>;
  /** The merchant's answer to the first IPN delivery (absent when skipped or when it gave no JSON answer). */
  ipnResponse?: { RspCode: string; Message: string };
  /** Why the first IPN delivery got no answer (network error, non-JSON), when it did not. */
  ipnError?: string;
}

/** JSON answer of the merchant API (querydr / refund). */
export type ApiAnswer = Record<string, string>;

/** Fields of a pay request the gateway requires (all of them sent by buildPaymentParams). */
const REQUIRED_PAY_FIELDS = [
  'vnp_Version',
  'vnp_Command',
  'vnp_TmnCode',
  'vnp_Amount',
  'vnp_CreateDate',
  'vnp_CurrCode',
  'vnp_IpAddr',
  'vnp_Locale',
  'vnp_OrderInfo',
  'vnp_OrderType',
  'vnp_ReturnUrl',
  'vnp_TxnRef',
  'vnp_ExpireDate',
] as const;

/** vnp_TxnRef: Alphanumeric[1,100]; vnp_RequestId: Alphanumeric[1,32] (VNPay 2.1.0 documentation). */
const TXN_REF_RE = /^[A-Za-z0-9]{1,100}$/;
const REQUEST_ID_RE = /^[A-Za-z0-9]{1,32}$/;
/** vnp_Amount: Numeric[1,12], positive. */
const AMOUNT_RE = /^[1-9]\d{0,11}$/;
const REQUEST_ID_TTL_MS = 24 * 3600_000;
const REQUEST_ID_MAX = 10_000;

const BANK_CODE = 'NCB';
const CARD_TYPE = 'ATM';

/** Messages of the merchant API's response codes. */
const API_MESSAGES: Record<string, string> = {
  '00': 'Success',
  '02': 'Invalid merchant (check vnp_TmnCode)',
  '03': 'Invalid data format',
  '91': 'Transaction not found',
  '94': 'Duplicate request',
  '95': 'Transaction is not successful at VNPAY; refund refused',
  '97': 'Invalid checksum',
  '99': 'Other error',
};

/**
 * The sandbox VNPay gateway: its own ledger, the payment page's checks, the
 * customer's decision, the signed result (return URL + IPN), and the merchant
 * API (querydr, refund), all with the pure protocol module and the same
 * secret and terminal code as the merchant side (VNPAY_HASH_SECRET,
 * VNPAY_TMN_CODE).
 */
@Injectable()
export class SandboxVnpayService {
  private readonly secret: string;
  private readonly tmnCode: string;
  /** `${command}:${tmnCode}:${requestId}` -> first seen (ms); VNPay refuses a request id used twice in a day. */
  private readonly seenRequestIds = new Map<string, number>();

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly ledger: SandboxVnpayRepository,
    private readonly ipn: SandboxIpnSender,
  ) {
    this.secret = config.get('VNPAY_HASH_SECRET', { infer: true });
    this.tmnCode = config.get('VNPAY_TMN_CODE', { infer: true });
  }

  // ---------------------------------------------------------------------------
  // Payment page
  // ---------------------------------------------------------------------------

  /** Checks a signed pay request and records the transaction (once per txn_ref). */
  async openPayment(query: Record<string, unknown>, now = new Date()): Promise<PayPageView> {
    if (!verifyParams(query, this.secret)) throw new BadRequest('Invalid signature (vnp_SecureHash).');
    const q = query as Record<string, string>;
    const missing = REQUIRED_PAY_FIELDS.filter((f) => typeof q[f] !== 'string' || q[f] === '');
    if (missing.length)
      throw new BadRequest(
        'Missing parameters.',
        missing.map((field) => ({ field, message: `${field} is required` })),
      );
    if (q.vnp_Version !== VNP_VERSION) throw invalid('vnp_Version', `must be ${VNP_VERSION}`);
    if (q.vnp_Command !== 'pay') throw invalid('vnp_Command', 'must be pay');
    if (q.vnp_TmnCode !== this.tmnCode) throw invalid('vnp_TmnCode', 'unknown merchant');
    if (!AMOUNT_RE.test(q.vnp_Amount))
      throw invalid('vnp_Amount', 'must be a positive integer of at most 12 digits (VND x 100)');
    if (q.vnp_CurrCode !== 'VND') throw invalid('vnp_CurrCode', 'must be VND');
    if (q.vnp_Locale !== 'vn' && q.vnp_Locale !== 'en') throw invalid('vnp_Locale', 'must be vn or en');
    if (!TXN_REF_RE.test(q.vnp_TxnRef)) throw invalid('vnp_TxnRef', 'must be 1 to 100 letters or digits');
    if (!isHttpUrl(q.vnp_ReturnUrl)) throw invalid('vnp_ReturnUrl', 'must be an absolute http(s) URL');
    if (!isVnpDate(q.vnp_CreateDate)) throw invalid('vnp_CreateDate', 'must be yyyyMMddHHmmss (GMT+7)');
    if (!isVnpDate(q.vnp_ExpireDate)) throw invalid('vnp_ExpireDate', 'must be yyyyMMddHHmmss (GMT+7)');
    if (parseVnpDate(q.vnp_ExpireDate).getTime() <= now.getTime())
      throw invalid('vnp_ExpireDate', 'the payment has expired');

    await this.ledger.insertPending({
      txnRef: q.vnp_TxnRef,
      tmnCode: q.vnp_TmnCode,
      amountRaw: q.vnp_Amount,
      orderInfo: q.vnp_OrderInfo,
      returnUrl: q.vnp_ReturnUrl,
      createDate: q.vnp_CreateDate,
    });
    const txn = await this.find(q.vnp_TxnRef);
    if (!txn) throw new NotFound('sandbox transaction');
    if (txn.amount_raw !== q.vnp_Amount || txn.tmn_code !== q.vnp_TmnCode) {
      throw invalid('vnp_TxnRef', 'a transaction with this reference already exists with another amount');
    }
    return {
      tmnCode: txn.tmn_code,
      txnRef: txn.txn_ref,
      amountRaw: txn.amount_raw,
      orderInfo: txn.order_info,
      status: txn.status,
      returnUrl: txn.status === 'pending' ? undefined : this.returnUrl(txn, this.signedResult(txn)),
    };
  }

  // ---------------------------------------------------------------------------
  // The customer's decision, the IPN and the return URL
  // ---------------------------------------------------------------------------

  /**
   * Pay or cancel, then deliver the IPN (unless skipped: a lost IPN) and give
   * the signed return URL. A transaction decided before keeps its first
   * outcome; deciding again re-sends that outcome (a duplicate IPN).
   */
  async complete(
    txnRef: string,
    outcome: SandboxOutcome,
    ipn: 'deliver' | 'skip' = 'deliver',
    now = new Date(),
  ): Promise<CompletionResult> {
    const txn = await this.decide(txnRef, outcome, now);
    const ipnParams = this.signedResult(txn);
    const result: CompletionResult = { returnUrl: this.returnUrl(txn, ipnParams), ipnParams };
    if (ipn === 'deliver') {
      const delivery: IpnDeliveryResult = await this.ipn.deliver(txn.txn_ref, ipnParams);
      if (delivery.response) result.ipnResponse = delivery.response;
      else result.ipnError = delivery.error ?? `HTTP ${delivery.httpStatus}`;
    }
    return result;
  }

  find(txnRef: string): Promise<SandboxTxn | null> {
    return this.ledger.find(txnRef);
  }

  private async decide(txnRef: string, outcome: SandboxOutcome, now: Date): Promise<SandboxTxn> {
    const payDate = formatVnpDate(now);
    // Compare-and-set from pending: of two decisions racing, the first one wins and the other replays it.
    const decided = await this.ledger.decideIfPending(txnRef, outcome, BANK_CODE, payDate);
    if (decided) return decided;
    const txn = await this.find(txnRef);
    if (!txn) throw new NotFound('sandbox transaction');
    return txn;
  }

  /** The signed result parameters of a decided transaction, as the return URL and the IPN carry them. */
  signedResult(txn: SandboxTxn): Record<string, string> {
    const paid = txn.status === 'paid' || txn.status === 'refunded';
    const params: Record<string, string | undefined> = {
      vnp_Amount: txn.amount_raw,
      vnp_BankCode: txn.bank_code ?? BANK_CODE,
      vnp_BankTranNo: paid && txn.transaction_no ? `VNP${txn.transaction_no}` : undefined,
      vnp_CardType: CARD_TYPE,
      vnp_OrderInfo: txn.order_info,
      vnp_PayDate: txn.pay_date ?? undefined,
      vnp_ResponseCode: paid ? '00' : '24',
      vnp_TmnCode: txn.tmn_code,
      vnp_TransactionNo: paid && txn.transaction_no ? txn.transaction_no : '0',
      vnp_TransactionStatus: paid ? '00' : '02',
      vnp_TxnRef: txn.txn_ref,
    };
    const signed: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') signed[k] = v;
    signed[VNP_SECURE_HASH] = signParams(signed, this.secret);
    return signed;
  }

  private returnUrl(txn: SandboxTxn, signed: Record<string, string>): string {
    const sep = txn.return_url.includes('?') ? '&' : '?';
    return `${txn.return_url}${sep}${canonicalQuery(signed)}&${VNP_SECURE_HASH}=${signed[VNP_SECURE_HASH]}`;
  }

  // ---------------------------------------------------------------------------
  // Merchant API: querydr and refund
  // ---------------------------------------------------------------------------

  async transactionApi(body: Record<string, string | undefined>, now = new Date()): Promise<ApiAnswer> {
    return body.vnp_Command === 'refund' ? this.refund(body, now) : this.queryDr(body, now);
  }

  private async queryDr(b: Record<string, string | undefined>, now: Date): Promise<ApiAnswer> {
    const command = 'querydr';
    if (!verifyQueryDrRequest(b, this.secret)) return unsignedAnswer(command, '97');
    const early = this.checkApiRequest(command, b, now);
    if (early) return this.signQueryDr(this.answerFor(command, early, b));

    const txn = await this.find(b.vnp_TxnRef!);
    // VNPay finds a payment by its reference and its creation date (vnp_TransactionDate = the payment's vnp_CreateDate).
    if (!txn || txn.tmn_code !== b.vnp_TmnCode || txn.create_date !== b.vnp_TransactionDate) {
      return this.signQueryDr(this.answerFor(command, '91', b));
    }
    const status = { pending: '01', paid: '00', cancelled: '02', refunded: '05' }[txn.status];
    const answer: ApiAnswer = {
      ...this.answerFor(command, '00', b),
      vnp_Message: 'QueryDR Success',
      vnp_Amount: txn.amount_raw,
      vnp_OrderInfo: txn.order_info,
      vnp_TransactionType: txn.status === 'refunded' ? '02' : '01',
      vnp_TransactionStatus: status,
    };
    if (txn.status !== 'pending') {
      answer.vnp_BankCode = txn.bank_code ?? BANK_CODE;
      if (txn.pay_date) answer.vnp_PayDate = txn.pay_date;
      answer.vnp_TransactionNo = txn.transaction_no ?? '0';
    }
    return this.signQueryDr(answer);
  }

  private async refund(b: Record<string, string | undefined>, now: Date): Promise<ApiAnswer> {
    const command = 'refund';
    if (!verifyRefundRequest(b, this.secret)) return unsignedAnswer(command, '97');
    const early =
      this.checkApiRequest(command, b, now) ??
      (b.vnp_TransactionType !== '02' && b.vnp_TransactionType !== '03' ? '03' : undefined) ??
      (!b.vnp_Amount || !AMOUNT_RE.test(b.vnp_Amount) ? '03' : undefined) ??
      (!b.vnp_CreateBy ? '03' : undefined);
    const base = (code: string): ApiAnswer => ({
      ...this.answerFor(command, code, b),
      ...(b.vnp_Amount ? { vnp_Amount: b.vnp_Amount } : {}),
      ...(b.vnp_TransactionType ? { vnp_TransactionType: b.vnp_TransactionType } : {}),
      ...(b.vnp_OrderInfo ? { vnp_OrderInfo: b.vnp_OrderInfo } : {}),
    });
    if (early) return this.signRefund(base(early));

    const txnNo = b.vnp_TransactionNo && b.vnp_TransactionNo !== '0' ? b.vnp_TransactionNo : '';
    // Compare-and-set: of two refunds racing, one wins, the other gets 94.
    const refunded = await this.ledger.refundIfPaid({
      txnRef: b.vnp_TxnRef,
      tmnCode: b.vnp_TmnCode,
      transactionDate: b.vnp_TransactionDate ?? '',
      amount: b.vnp_Amount,
      transactionType: b.vnp_TransactionType,
      transactionNo: txnNo,
    });
    if (refunded) {
      return this.signRefund({
        ...base('00'),
        vnp_Message: 'Refund success',
        vnp_BankCode: refunded.bank_code ?? BANK_CODE,
        vnp_PayDate: formatVnpDate(now),
        vnp_TransactionNo: refunded.transaction_no ?? '0',
        vnp_TransactionStatus: '05',
      });
    }
    const txn = await this.find(b.vnp_TxnRef!);
    let code: string;
    if (
      !txn ||
      txn.tmn_code !== b.vnp_TmnCode ||
      txn.create_date !== b.vnp_TransactionDate ||
      (txnNo && txn.transaction_no !== txnNo)
    )
      code = '91';
    else if (txn.status === 'refunded') code = '94';
    else if (txn.status !== 'paid') code = '95';
    else code = '03'; // amount above the paid amount, or a full refund of another amount
    return this.signRefund(base(code));
  }

  /** Checks shared by querydr and refund once the hash is good: a response code, or undefined when fine. */
  private checkApiRequest(command: string, b: Record<string, string | undefined>, now: Date): string | undefined {
    if (b.vnp_TmnCode !== this.tmnCode) return '02';
    if (b.vnp_Version !== VNP_VERSION) return '03';
    if (!b.vnp_RequestId || !REQUEST_ID_RE.test(b.vnp_RequestId)) return '03';
    if (!b.vnp_TxnRef || !b.vnp_IpAddr || !b.vnp_OrderInfo) return '03';
    if (!isVnpDate(b.vnp_TransactionDate) || !isVnpDate(b.vnp_CreateDate)) return '03';
    if (!this.firstUseOfRequestId(`${command}:${b.vnp_TmnCode}:${b.vnp_RequestId}`, now.getTime())) return '94';
    return undefined;
  }

  private firstUseOfRequestId(key: string, nowMs: number): boolean {
    const seen = this.seenRequestIds.get(key);
    if (seen !== undefined && nowMs - seen < REQUEST_ID_TTL_MS) return false;
    this.seenRequestIds.delete(key);
    this.seenRequestIds.set(key, nowMs);
    if (this.seenRequestIds.size > REQUEST_ID_MAX) {
      for (const [k, t] of this.seenRequestIds) {
        if (this.seenRequestIds.size <= REQUEST_ID_MAX && nowMs - t < REQUEST_ID_TTL_MS) break;
        this.seenRequestIds.delete(k);
      }
    }
    return true;
  }

  private answerFor(command: string, code: string, b: Record<string, string | undefined>): ApiAnswer {
    return {
      vnp_ResponseId: randomBytes(16).toString('hex'),
      vnp_Command: command,
      vnp_ResponseCode: code,
      vnp_Message: API_MESSAGES[code] ?? API_MESSAGES['99'],
      vnp_TmnCode: b.vnp_TmnCode ?? '',
      vnp_TxnRef: b.vnp_TxnRef ?? '',
    };
  }

  private signQueryDr(a: ApiAnswer): ApiAnswer {
    return { ...a, vnp_SecureHash: signQueryDrResponse(a, this.secret) };
  }

  private signRefund(a: ApiAnswer): ApiAnswer {
    return { ...a, vnp_SecureHash: signRefundResponse(a, this.secret) };
  }
}

/** A bad checksum gets an unsigned answer: whoever sent it does not hold the secret. */
function unsignedAnswer(command: string, code: string): ApiAnswer {
  return {
    vnp_ResponseId: randomBytes(16).toString('hex'),
    vnp_Command: command,
    vnp_ResponseCode: code,
    vnp_Message: API_MESSAGES[code],
  };
}

function invalid(field: string, message: string): BadRequest {
  return new BadRequest(`${field} ${message}.`, [{ field, message }]);
}

function isVnpDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    parseVnpDate(s);
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
