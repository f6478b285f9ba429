/**
 * Every payment provider is an adapter behind this one interface (VNPay now;
 * MoMo or the national payment platform later). The payments service decides;
 * an adapter only speaks its provider's protocol.
 */
export interface CheckoutInput {
  txnRef: string;
  amountVnd: number;
  orderInfo: string;
  ipAddr: string;
  createdAt: Date;
  expiresAt: Date;
  locale: 'vi' | 'en';
}

/** What a provider said about one transaction, from a callback or a status query. */
export interface ProviderReport {
  txnRef: string;
  /** Integer VND the provider reports, null when unreadable. */
  amountVnd: number | null;
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'pending' | 'not_found' | 'refunded';
  providerTxnNo?: string;
  bankCode?: string;
  paidAt?: Date;
  responseCode?: string;
}

export type CallbackCheck =
  { valid: false; reason: 'signature' | 'malformed' | 'merchant' } | { valid: true; report: ProviderReport };

export interface RefundRequest {
  txnRef: string;
  amountVnd: number;
  fullAmount: boolean;
  providerTxnNo: string | null;
  attemptCreatedAt: Date;
  reason: string;
  requestId: string;
}

export interface RefundResult {
  outcome: 'succeeded' | 'failed' | 'retry';
  providerRef?: string;
  responseCode?: string;
  raw: unknown;
}

export interface PaymentProvider {
  readonly name: string;
  /** The URL the citizen's browser is sent to. */
  createCheckout(input: CheckoutInput): string;
  /** Checks a callback (IPN or browser return): signature first, then reads it. */
  verifyCallback(query: Record<string, unknown>): CallbackCheck;
  /** Server-to-server status query (reconciliation). */
  queryStatus(
    txnRef: string,
    attemptCreatedAt: Date,
    requestId: string,
  ): Promise<{ report: ProviderReport; raw: unknown }>;
  refund(request: RefundRequest): Promise<RefundResult>;
}

export const PAYMENT_PROVIDERS = Symbol('PAYMENT_PROVIDERS');
