import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/configuration';
import type {
  CallbackCheck,
  CheckoutInput,
  PaymentProvider,
  ProviderReport,
  RefundRequest,
  RefundResult,
} from '../payment-provider';
import {
  buildPaymentUrl,
  buildQueryDr,
  buildRefund,
  isSuccess,
  parseCallback,
  parseVnpDate,
  verifyParams,
  verifyQueryDrResponse,
  verifyRefundResponse,
} from './vnpay.protocol';

const SERVER_IP = '127.0.0.1';
const TIMEOUT_MS = 10_000;

/** A JSON answer of VNPay's merchant API (querydr, refund): flat, read field by field, trusted once its hash checks. */
type VnpApiAnswer = Partial<Record<string, string | number | null>>;

/**
 * VNPay 2.1.0: payment URL, IPN / return verification, querydr and refund
 * over VNPAY_API_URL. In development the URLs point at the built-in sandbox,
 * which speaks the same protocol, so this code path is the one tests run.
 */
@Injectable()
export class VnpayProvider implements PaymentProvider {
  readonly name = 'vnpay';
  private readonly tmnCode: string;
  private readonly secret: string;
  private readonly payUrl: string;
  private readonly apiUrl: string;
  private readonly returnUrl: string;

  constructor(config: ConfigService<AppConfig, true>) {
    this.tmnCode = config.get('VNPAY_TMN_CODE', { infer: true });
    this.secret = config.get('VNPAY_HASH_SECRET', { infer: true });
    this.payUrl = config.get('VNPAY_PAY_URL', { infer: true });
    this.apiUrl = config.get('VNPAY_API_URL', { infer: true });
    this.returnUrl = config.get('VNPAY_RETURN_URL', { infer: true });
  }

  createCheckout(input: CheckoutInput): string {
    return buildPaymentUrl(
      this.payUrl,
      {
        tmnCode: this.tmnCode,
        amountVnd: input.amountVnd,
        txnRef: input.txnRef,
        orderInfo: input.orderInfo,
        ipAddr: input.ipAddr,
        returnUrl: this.returnUrl,
        createDate: input.createdAt,
        expireDate: input.expiresAt,
        locale: input.locale === 'en' ? 'en' : 'vn',
      },
      this.secret,
    );
  }

  verifyCallback(query: Record<string, unknown>): CallbackCheck {
    if (!verifyParams(query, this.secret)) return { valid: false, reason: 'signature' };
    const cb = parseCallback(query);
    if (!cb) return { valid: false, reason: 'malformed' };
    if (cb.tmnCode !== this.tmnCode) return { valid: false, reason: 'merchant' };
    const outcome = isSuccess(cb) ? 'succeeded' : cb.responseCode === '24' ? 'cancelled' : 'failed';
    return {
      valid: true,
      report: {
        txnRef: cb.txnRef,
        amountVnd: cb.amountVnd,
        outcome,
        providerTxnNo: cb.transactionNo,
        bankCode: cb.bankCode,
        paidAt: cb.paidAt,
        responseCode: cb.responseCode,
      },
    };
  }

  async queryStatus(
    txnRef: string,
    attemptCreatedAt: Date,
    requestId: string,
  ): Promise<{ report: ProviderReport; raw: unknown }> {
    const body = buildQueryDr(
      {
        requestId,
        tmnCode: this.tmnCode,
        txnRef,
        transactionDate: attemptCreatedAt,
        createDate: new Date(),
        ipAddr: SERVER_IP,
        orderInfo: `Truy van giao dich ${txnRef}`,
      },
      this.secret,
    );
    const raw = await this.post(body);
    if (raw.vnp_ResponseCode === '91') return { report: { txnRef, amountVnd: null, outcome: 'not_found' }, raw };
    if (
      raw.vnp_ResponseCode !== '00' ||
      !verifyQueryDrResponse(raw, this.secret) ||
      raw.vnp_TxnRef !== txnRef ||
      raw.vnp_TmnCode !== this.tmnCode
    ) {
      // Unsigned or unexpected: decides nothing.
      return {
        report: { txnRef, amountVnd: null, outcome: 'pending', responseCode: String(raw.vnp_ResponseCode ?? '') },
        raw,
      };
    }
    const amount =
      /^\d+$/.test(String(raw.vnp_Amount)) && Number(raw.vnp_Amount) % 100 === 0 ? Number(raw.vnp_Amount) / 100 : null;
    const status = String(raw.vnp_TransactionStatus);
    const outcome: ProviderReport['outcome'] =
      status === '00'
        ? 'succeeded'
        : status === '01'
          ? 'pending'
          : status === '05' || status === '06'
            ? 'refunded'
            : status === '02'
              ? 'failed'
              : 'pending';
    let paidAt: Date | undefined;
    try {
      paidAt = raw.vnp_PayDate ? parseVnpDate(String(raw.vnp_PayDate)) : undefined;
    } catch {
      paidAt = undefined;
    }
    return {
      report: {
        txnRef,
        amountVnd: amount,
        outcome,
        providerTxnNo: raw.vnp_TransactionNo ? String(raw.vnp_TransactionNo) : undefined,
        bankCode: raw.vnp_BankCode == null ? undefined : String(raw.vnp_BankCode),
        paidAt,
        responseCode: '00',
      },
      raw,
    };
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const body = buildRefund(
      {
        requestId: r.requestId,
        tmnCode: this.tmnCode,
        transactionType: r.fullAmount ? '02' : '03',
        txnRef: r.txnRef,
        amountVnd: r.amountVnd,
        transactionNo: r.providerTxnNo ?? undefined,
        transactionDate: r.attemptCreatedAt,
        createBy: 'portal',
        createDate: new Date(),
        ipAddr: SERVER_IP,
        orderInfo: `Hoan tien ${r.txnRef}`,
      },
      this.secret,
    );
    let raw: VnpApiAnswer;
    try {
      raw = await this.post(body);
    } catch (e) {
      return { outcome: 'retry', raw: { error: (e as Error).message } };
    }
    const code = String(raw.vnp_ResponseCode ?? '');
    if (code === '00' && verifyRefundResponse(raw, this.secret))
      return {
        outcome: 'succeeded',
        providerRef: raw.vnp_TransactionNo == null ? undefined : String(raw.vnp_TransactionNo),
        responseCode: code,
        raw,
      };
    // 94: a refund for this transaction is already being processed (ours, sent before a crash).
    if (code === '94') return { outcome: 'succeeded', responseCode: code, raw };
    if (['91', '95', '02', '03', '04'].includes(code)) return { outcome: 'failed', responseCode: code, raw };
    return { outcome: 'retry', responseCode: code, raw };
  }

  private async post(body: object): Promise<VnpApiAnswer> {
    const res = await fetch(this.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`VNPay API answered HTTP ${res.status}`);
    return (await res.json()) as VnpApiAnswer;
  }
}
