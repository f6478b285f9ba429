/** Tunables of the sandbox VNPay gateway, injectable so tests can make retries fast. */
export const SANDBOX_VNPAY_OPTIONS = Symbol('SANDBOX_VNPAY_OPTIONS');

export interface SandboxVnpayOptions {
  /**
   * Waits before the 2nd, 3rd, ... IPN delivery when the merchant did not
   * acknowledge (RspCode other than 00/02, non-2xx, unreadable answer, network
   * error): `length + 1` tries in all.
   */
  ipnRetryDelaysMs: readonly number[];
  /** Timeout of one IPN call. */
  ipnTimeoutMs: number;
}

/** Like the real gateway, only shorter: 0.5 s, 1 s, 2 s, 4 s (5 tries). */
export const DEFAULT_SANDBOX_VNPAY_OPTIONS: SandboxVnpayOptions = Object.freeze({
  ipnRetryDelaysMs: Object.freeze([500, 1000, 2000, 4000]),
  ipnTimeoutMs: 10_000,
});
