import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/configuration';
import { canonicalQuery, VNP_SECURE_HASH } from '../vnpay/vnpay.protocol';
import { SandboxVnpayRepository } from './sandbox-vnpay.repository';
import { SANDBOX_VNPAY_OPTIONS, SandboxVnpayOptions } from './sandbox.options';

/** What the merchant said to one IPN call. */
export interface IpnDeliveryResult {
  /** The merchant's JSON answer, when it was one. */
  response?: { RspCode: string; Message: string };
  /** HTTP status of the answer, when there was one. */
  httpStatus?: number;
  /** Why the call does not count as an answer (network error, timeout, non-JSON body). */
  error?: string;
}

/** The gateway stops retrying once the merchant answers 00 (confirmed) or 02 (already confirmed) with HTTP 2xx. */
export function isAcknowledged(r: IpnDeliveryResult): boolean {
  return (
    !!r.response &&
    !!r.httpStatus &&
    r.httpStatus >= 200 &&
    r.httpStatus < 300 &&
    (r.response.RspCode === '00' || r.response.RspCode === '02')
  );
}

interface Chain {
  cancelled: boolean;
  timer?: NodeJS.Timeout;
  abort?: AbortController;
}

const MAX_RECORDED = 1000;

/**
 * Sends the signed IPN to the merchant (VNPAY_IPN_URL) as the real gateway
 * does: HTTP GET with the signed parameters in the query string; reads the
 * JSON `{RspCode, Message}`; retries on the configured schedule until 00/02.
 * One delivery chain per transaction: a new delivery replaces the pending
 * retries of the previous one. Every try is counted in `ipn_attempts` with the
 * answer in `ipn_last_response`. Timers and calls in flight are cancelled on
 * module destroy. Retries live in memory only (a restart forgets them), which
 * is fine for a sandbox.
 */
@Injectable()
export class SandboxIpnSender implements OnModuleDestroy {
  private readonly logger = new Logger(SandboxIpnSender.name);
  private readonly chains = new Map<string, Chain>();
  private destroyed = false;
  private readonly ipnUrl: string;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly ledger: SandboxVnpayRepository,
    @Inject(SANDBOX_VNPAY_OPTIONS) private readonly options: SandboxVnpayOptions,
  ) {
    this.ipnUrl = config.get('VNPAY_IPN_URL', { infer: true });
  }

  /**
   * Delivers `signedParams` (which include vnp_SecureHash): the first try is
   * awaited and its result returned; further tries run in the background.
   */
  async deliver(txnRef: string, signedParams: Record<string, string>): Promise<IpnDeliveryResult> {
    if (this.destroyed) return { error: 'gateway is shutting down' };
    this.cancel(txnRef);
    const chain: Chain = { cancelled: false };
    this.chains.set(txnRef, chain);
    const url = this.urlFor(signedParams);
    const first = await this.attempt(chain, txnRef, url);
    this.schedule(chain, txnRef, url, first, 0);
    return first;
  }

  /** Number of transactions with retries still scheduled (for tests and diagnostics). */
  get pendingChains(): number {
    return this.chains.size;
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    for (const txnRef of [...this.chains.keys()]) this.cancel(txnRef, true);
  }

  private urlFor(signed: Record<string, string>): string {
    const query = `${canonicalQuery(signed)}&${VNP_SECURE_HASH}=${signed[VNP_SECURE_HASH]}`;
    return `${this.ipnUrl}${this.ipnUrl.includes('?') ? '&' : '?'}${query}`;
  }

  private cancel(txnRef: string, abortInFlight = false): void {
    const chain = this.chains.get(txnRef);
    if (!chain) return;
    chain.cancelled = true;
    if (chain.timer) clearTimeout(chain.timer);
    chain.timer = undefined;
    if (abortInFlight) chain.abort?.abort();
    this.chains.delete(txnRef);
  }

  private schedule(chain: Chain, txnRef: string, url: string, last: IpnDeliveryResult, index: number): void {
    const done = () => {
      if (this.chains.get(txnRef) === chain) this.chains.delete(txnRef);
    };
    if (chain.cancelled || this.destroyed) return done();
    const delays = this.options.ipnRetryDelaysMs;
    if (isAcknowledged(last) || index >= delays.length) return done();
    chain.timer = setTimeout(() => {
      chain.timer = undefined;
      if (chain.cancelled || this.destroyed) return done();
      void this.attempt(chain, txnRef, url)
        .then((r) => this.schedule(chain, txnRef, url, r, index + 1))
        .catch((err: unknown) => {
          this.logger.warn({ err, txnRef }, 'sandbox IPN retry failed');
          done();
        });
    }, delays[index]);
    chain.timer.unref?.();
  }

  private async attempt(chain: Chain, txnRef: string, url: string): Promise<IpnDeliveryResult> {
    const abort = new AbortController();
    chain.abort = abort;
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(this.options.ipnTimeoutMs)]);
    let result: IpnDeliveryResult;
    try {
      const res = await fetch(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal,
      });
      const text = await res.text();
      result = { httpStatus: res.status, ...readAnswer(text) };
    } catch (e) {
      result = { error: (e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message || String(e) };
    } finally {
      if (chain.abort === abort) chain.abort = undefined;
    }
    if (!this.destroyed) {
      await this.record(txnRef, result).catch((err: unknown) =>
        this.logger.warn({ err, txnRef }, 'could not record a sandbox IPN attempt'),
      );
    }
    return result;
  }

  private async record(txnRef: string, r: IpnDeliveryResult): Promise<void> {
    const text = (
      r.response ? JSON.stringify(r.response) : `${r.httpStatus ? `HTTP ${r.httpStatus}: ` : ''}${r.error ?? ''}`
    ).slice(0, MAX_RECORDED);
    await this.ledger.recordIpnAttempt(txnRef, text);
  }
}

function readAnswer(text: string): Pick<IpnDeliveryResult, 'response' | 'error'> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: `not JSON: ${text.slice(0, 200)}` };
  }
  if (body && typeof body === 'object' && typeof (body as { RspCode?: unknown }).RspCode === 'string') {
    const b = body as { RspCode: string; Message?: unknown };
    return { response: { RspCode: b.RspCode, Message: typeof b.Message === 'string' ? b.Message : '' } };
  }
  return { error: `no RspCode in: ${text.slice(0, 200)}` };
}
