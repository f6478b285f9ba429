import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { Conflict, NotFound, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { Metrics } from '../metrics/metrics';
import type { JobDone } from '../outbox/completion';
import { OutboxService } from '../outbox/outbox.service';
import { renderPaymentReceipt } from '../pdf/render';
import { RECEIPT_SIGNATURE_REASON } from '../signing/pdf-signature';
import { SigningService } from '../signing/signing.service';
import type { FeeItem, FeeTiming } from '../procedures/procedure.entity';
import { systemActionFor } from '../workflow/engine';
import { PAYMENT_PROVIDERS, PaymentProvider, ProviderReport } from './payment-provider';
import {
  AttemptRow,
  AttemptState,
  PaymentEventSource as EventSource,
  PaymentItem,
  PaymentRequestView,
  PaymentsRepository,
  ReceiptRow,
} from './payments.repository';

export type { AttemptState, PaymentItem } from './payments.repository';

/** How a callback or status report was applied; the IPN answer is derived from it. */
export type SettleOutcome = 'applied' | 'already_settled' | 'not_found' | 'amount_mismatch' | 'undecided';

const OPEN_STATES: AttemptState[] = ['created', 'pending'];

/**
 * Fees paid online. A payment request is what a dossier owes (opened by the
 * workflow's `requirePayment` effect); attempts are tries at paying it with a
 * provider. Every attempt state change is a compare-and-set inside a
 * transaction, recorded with the provider's raw message; a success credits
 * once (one live attempt per request, one credit per provider transaction,
 * both unique indexes), issues the receipt and writes an outbox row that moves
 * the dossier on in a worker, never inside the callback's request.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);
  private readonly providers: Map<string, PaymentProvider>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repo: PaymentsRepository,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<AppConfig, true>,
    @Inject(PAYMENT_PROVIDERS) providers: PaymentProvider[],
    private readonly signing: SigningService,
    private readonly metrics: Metrics,
  ) {
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  provider(name: string): PaymentProvider {
    const p = this.providers.get(name);
    if (!p)
      throw new ValidationFailed([
        { field: 'provider', message: `provider must be one of: ${[...this.providers.keys()].join(', ')}` },
      ]);
    return p;
  }

  // ------------------------------------------------------------ effects (inside a dossier transition)

  /** `requirePayment`: opens what the dossier owes at this stage (fees, charges, postal fee). */
  async openRequest(
    m: EntityManager,
    dossier: { id: string; delivery: { method: string } },
    version: { fees: FeeItem[]; feeTiming: FeeTiming; postalFeeVnd: number },
  ): Promise<void> {
    if (version.feeTiming === 'exempt') return;
    const items: PaymentItem[] = version.fees.map((f) => ({ kind: f.kind, name: f.name, amount: f.amount }));
    if (dossier.delivery.method === 'post' && version.postalFeeVnd > 0) {
      items.push({ kind: 'postal', name: 'Cước chuyển phát kết quả / Postal delivery', amount: version.postalFeeVnd });
    }
    const amount = items.reduce((s, i) => s + i.amount, 0);
    if (amount <= 0) return;
    await this.repo.openRequest(m, { dossierId: dossier.id, stage: version.feeTiming, items, amountVnd: amount });
  }

  /** `refund`: when the dossier had paid and the procedure's fees are refundable, ask the provider to give it back. */
  async requestRefund(m: EntityManager, dossierId: string, refundable: boolean, reason: string): Promise<void> {
    if (!refundable) return;
    const paid = await this.repo.succeededAttempts(m, dossierId);
    for (const a of paid) {
      if (await this.refundAttempt(m, a.id, reason)) await this.repo.markRequestRefundPending(m, a.request_id);
    }
  }

  // ------------------------------------------------------------ citizen

  /**
   * Starts a payment attempt and answers the provider's URL. Allowed only
   * while the request is open and no attempt is live; two starts in a hurry
   * meet at the unique index and get the same attempt.
   */
  async start(
    user: AuthUser,
    dossierId: string,
    providerName: string,
    ipAddr: string,
  ): Promise<{ attemptId: string; redirectUrl: string; amountVnd: number; expiresAt: Date }> {
    const provider = this.provider(providerName);
    return this.db.transaction(async (m) => {
      // FOR SHARE: a withdrawal (or any move) of the dossier in progress is waited for, then seen.
      const dossier = await this.repo.dossierToPay(m, dossierId, user.id);
      if (!dossier) throw new NotFound('dossier');
      // Only while the dossier waits for a payment (a closed dossier's fee stays unpaid).
      if (!systemActionFor(dossier.workflow, dossier.state, 'payment.succeeded')) {
        throw new Conflict('Nothing is due for this dossier now.', 'nothing-due');
      }
      // The request row is locked: starts of the same request queue up behind each other.
      const request = await this.repo.lockOpenRequest(m, dossierId);
      if (!request) throw new Conflict('Nothing is due for this dossier now.', 'nothing-due');
      const ttl = this.config.get('PAYMENT_TTL_SECONDS', { infer: true });
      const now = new Date();
      const expiresAt = new Date(now.getTime() + ttl * 1000);
      const txnRef = newTxnRef(now);
      const attempt = await this.repo.insertAttempt(m, {
        requestId: request.id,
        dossierId,
        provider: provider.name,
        txnRef,
        amountVnd: request.amount_vnd,
        expiresAt,
        createdAt: now,
      });
      if (!attempt) {
        const live = await this.repo.liveAttempt(m, request.id);
        if (live?.state === 'pending' && live.redirect_url && live.expires_at > now) {
          return {
            attemptId: live.id,
            redirectUrl: live.redirect_url,
            amountVnd: Number(live.amount_vnd),
            expiresAt: live.expires_at,
          };
        }
        throw new Conflict(
          'A payment for this dossier is already in progress; try again in a few minutes.',
          'payment-in-progress',
        );
      }
      const redirectUrl = provider.createCheckout({
        txnRef,
        amountVnd: Number(request.amount_vnd),
        orderInfo: `Thanh toan phi ho so ${dossier.code ?? dossierId}`,
        ipAddr,
        createdAt: now,
        expiresAt,
        locale: dossier.locale,
      });
      await this.repo.markAttemptStarted(m, attempt.id, redirectUrl, {
        txnRef,
        amountVnd: Number(request.amount_vnd),
        provider: provider.name,
      });
      return { attemptId: attempt.id, redirectUrl, amountVnd: Number(request.amount_vnd), expiresAt };
    });
  }

  list(dossierId: string): Promise<PaymentRequestView[]> {
    return this.repo.listForDossier(dossierId);
  }

  // ------------------------------------------------------------ provider callbacks and reports

  /**
   * Applies what a provider reported about a transaction (IPN, return URL
   * after a status query, or reconciliation). Checks, in order: the attempt
   * exists, the amount matches, it is still open; then compare-and-set.
   */
  async settle(report: ProviderReport, source: EventSource, raw: unknown): Promise<SettleOutcome> {
    // Counted once committed: a rolled-back settlement counts nothing.
    let settled = null as 'succeeded' | 'failed' | 'cancelled' | null;
    const outcome = await this.db.transaction(async (m): Promise<SettleOutcome> => {
      const attempt = await this.repo.lockAttemptByTxnRef(m, report.txnRef);
      if (!attempt) {
        await this.event(m, null, source, 'not_found', null, null, raw);
        return 'not_found';
      }
      if (
        report.outcome !== 'pending' &&
        report.outcome !== 'not_found' &&
        report.amountVnd !== Number(attempt.amount_vnd)
      ) {
        await this.event(m, attempt.id, source, 'amount_mismatch', attempt.state, attempt.state, raw);
        return 'amount_mismatch';
      }
      // A success reported after we expired the attempt (late IPN) still credits: the money was taken.
      const open = report.outcome === 'succeeded' ? [...OPEN_STATES, 'expired' as AttemptState] : OPEN_STATES;
      if (!open.includes(attempt.state)) {
        await this.event(m, attempt.id, source, 'duplicate', attempt.state, attempt.state, raw);
        return 'already_settled';
      }
      const to: AttemptState | null =
        report.outcome === 'succeeded'
          ? 'succeeded'
          : report.outcome === 'cancelled'
            ? 'cancelled'
            : report.outcome === 'failed'
              ? 'failed'
              : null;
      if (!to) {
        await this.repo.markAttemptChecked(m, attempt.id);
        await this.event(m, attempt.id, source, report.outcome, attempt.state, attempt.state, raw);
        return 'undecided';
      }
      const changed = await this.repo.settleAttempt(m, attempt.id, to, open, {
        providerTxnNo: report.providerTxnNo ?? null,
        bankCode: report.bankCode ?? null,
        paidAt: to === 'succeeded' ? (report.paidAt ?? new Date()) : null,
      });
      if (!changed) return 'already_settled';
      await this.event(m, attempt.id, source, to, attempt.state, to, raw);
      if (to === 'succeeded') await this.credit(m, attempt, report);
      settled = to;
      return 'applied';
    });
    if (settled) this.metrics.payment(settled);
    return outcome;
  }

  /**
   * Issues the receipt for money received, then credits the request once
   * (compare-and-set open -> paid) and queues the dossier's move. A success
   * that cannot be credited (the request was paid by another attempt, or
   * voided because the dossier closed) is a surplus: it is refunded.
   */
  private async credit(m: EntityManager, attempt: AttemptRow, report: ProviderReport): Promise<void> {
    await this.repo.issueReceipt(m, attempt, report.providerTxnNo ?? attempt.txn_ref, report.paidAt ?? new Date());
    if (!(await this.repo.creditRequest(m, attempt.request_id))) {
      await this.refundAttempt(m, attempt.id, 'surplus payment: the fee was already paid or is no longer due');
      return;
    }
    await this.outbox.add(m, [
      { name: 'payment-succeeded', data: { dossierId: attempt.dossier_id, attemptId: attempt.id } },
    ]);
  }

  /** Starts the refund of one succeeded attempt (CAS succeeded -> refund_pending). */
  private async refundAttempt(m: EntityManager, attemptId: string, reason: string): Promise<boolean> {
    const amountVnd = await this.repo.startAttemptRefund(m, attemptId);
    if (amountVnd === undefined) return false;
    const refundId = await this.repo.insertRefund(m, attemptId, amountVnd, reason);
    await this.event(m, attemptId, 'refund', 'requested', 'succeeded', 'refund_pending', { reason });
    await this.outbox.add(m, [{ name: 'refund', data: { refundId } }]);
    return true;
  }

  /** A dossier that closed (withdrawn, refused, ...) owes nothing more. */
  async voidOpenRequests(m: EntityManager, dossierId: string): Promise<void> {
    await this.repo.voidOpenRequests(m, dossierId);
  }

  /** A correctly signed callback that could not be attributed (malformed, other merchant) is kept for the audit; a bad signature is not. */
  async recordRejectedCallback(source: EventSource, reason: string, raw: unknown): Promise<void> {
    await this.repo.recordRejectedCallback(source, reason, raw);
  }

  attemptByTxnRef(txnRef: string) {
    return this.repo.attemptByTxnRef(txnRef);
  }

  /** Queue a status query now (the browser came back; its word alone decides nothing). */
  async queueCheck(attemptId: string): Promise<void> {
    await this.db.transaction((m) => this.outbox.add(m, [{ name: 'check-attempt', data: { attemptId } }]));
  }

  // ------------------------------------------------------------ reconciliation (worker)

  /**
   * Attempts pending longer than RECONCILE_AFTER_SECONDS are queried with the
   * provider and settled; one still unpaid after its expiry is checked one
   * last time, then expired. Returns what happened to each.
   */
  async reconcile(now = new Date()): Promise<{ checked: number; settled: number; expired: number }> {
    const after = this.config.get('RECONCILE_AFTER_SECONDS', { infer: true });
    const due = await this.repo.dueForReconciliation(now, after);
    let settled = 0;
    let expired = 0;
    for (const attempt of due) {
      const result = await this.check(attempt, now);
      if (result === 'applied') settled++;
      if (result === 'expired') expired++;
    }
    return { checked: due.length, settled, expired };
  }

  async checkAttempt(attemptId: string): Promise<SettleOutcome | 'expired'> {
    const attempt = await this.repo.attemptById(attemptId);
    if (!attempt || !OPEN_STATES.includes(attempt.state)) return 'already_settled';
    return this.check(attempt, new Date());
  }

  private async check(attempt: AttemptRow, now: Date): Promise<SettleOutcome | 'expired'> {
    const provider = this.providers.get(attempt.provider);
    if (!provider) return 'undecided';
    let report: ProviderReport;
    let raw: unknown;
    try {
      ({ report, raw } = await provider.queryStatus(
        attempt.txn_ref,
        attempt.created_at,
        randomBytes(8).toString('hex'),
      ));
    } catch (e) {
      this.logger.warn({ attemptId: attempt.id, err: (e as Error).message }, 'status query failed; will retry');
      return 'undecided';
    }
    const outcome = await this.settle(report, 'querydr', raw);
    if (outcome === 'undecided' && attempt.expires_at <= now) {
      return this.expire(attempt.id, raw, attempt.dossier_id);
    }
    return outcome;
  }

  /** Gives up an unpaid attempt; the dossier's workflow hears `payment.expired` (a worker takes its system action, if any). */
  private async expire(attemptId: string, raw: unknown, dossierId: string): Promise<'expired' | 'already_settled'> {
    const outcome = await this.db.transaction(async (m) => {
      if (!(await this.repo.expireAttempt(m, attemptId))) return 'already_settled' as const;
      await this.event(m, attemptId, 'expiry', 'expired', 'pending', 'expired', raw);
      await this.outbox.add(m, [{ name: 'payment-expired', data: { dossierId, attemptId } }]);
      return 'expired' as const;
    });
    if (outcome === 'expired') this.metrics.payment('expired');
    return outcome;
  }

  // ------------------------------------------------------------ refunds (worker)

  /** Asks the provider for the refund; `jobDone` runs in the transaction that records a final outcome. */
  async processRefund(refundId: string, jobDone?: JobDone): Promise<'succeeded' | 'failed' | 'retry' | 'done'> {
    const refund = await this.repo.refundToProcess(refundId);
    if (!refund || refund.state !== 'requested') return 'done';
    const provider = this.providers.get(refund.provider);
    if (!provider) return 'failed';
    const result = await provider.refund({
      txnRef: refund.txn_ref,
      amountVnd: Number(refund.amount_vnd),
      fullAmount: refund.amount_vnd === refund.paid,
      providerTxnNo: refund.provider_txn_no,
      attemptCreatedAt: refund.created_at,
      reason: refund.reason,
      requestId: randomBytes(8).toString('hex'),
    });
    await this.db.transaction(async (m) => {
      if (result.outcome === 'retry') {
        await this.repo.recordRefundRetry(m, refundId, JSON.stringify(result.raw).slice(0, 500));
        await this.event(m, refund.attempt_id, 'refund', 'retry', 'refund_pending', 'refund_pending', result.raw);
        return;
      }
      const done = await this.repo.settleRefund(
        m,
        refundId,
        result.outcome,
        result.providerRef ?? null,
        result.outcome === 'failed' ? `provider code ${result.responseCode}` : null,
      );
      if (!done) return;
      if (result.outcome === 'succeeded') {
        await this.repo.markAttemptRefunded(m, refund.attempt_id);
        // The request was refunded only if this attempt was its credit (a surplus refund leaves it paid).
        await this.repo.markRequestRefunded(m, refund.attempt_id);
      }
      await this.event(
        m,
        refund.attempt_id,
        'refund',
        result.outcome,
        'refund_pending',
        result.outcome === 'succeeded' ? 'refunded' : 'refund_pending',
        result.raw,
      );
      await jobDone?.(m);
    });
    return result.outcome;
  }

  // ------------------------------------------------------------ receipts and reports

  async receipt(dossierId: string, attemptId: string): Promise<ReceiptRow> {
    const row = await this.repo.receipt(dossierId, attemptId);
    if (!row) throw new NotFound('receipt');
    return row;
  }

  /**
   * The receipt as a PDF signed by the collecting agency (API and pages alike). Signed at the receipt's issue
   * time, so every download of a receipt gives the same bytes.
   */
  async receiptPdf(dossierId: string, attemptId: string): Promise<{ pdf: Buffer; number: string }> {
    const r = await this.receipt(dossierId, attemptId);
    const issuedAt = new Date(r.issuedAt);
    const rendered = await renderPaymentReceipt({ ...r, issuedAt, paidAt: new Date(r.paidAt) });
    const pdf = await this.signing.sign(rendered, r.agencyCode, {
      signingTime: issuedAt,
      reason: RECEIPT_SIGNATURE_REASON,
    });
    return { pdf, number: r.number };
  }

  /** The agency a report filter names, by its code. */
  agencyIdByCode(code: string): Promise<string | undefined> {
    return this.repo.agencyIdByCode(code);
  }

  /** For a supervisor: attempts per state with amounts, refunds, and callbacks that did not match. */
  async reconciliationReport(agencyId: string | null, from: Date, to: Date) {
    const counts = await this.repo.reconciliationCounts(agencyId, from, to);
    return {
      from,
      to,
      attempts: Object.fromEntries(
        counts.byState.map((r) => [r.state, { count: r.count, amountVnd: Number(r.amountVnd) }]),
      ),
      amountMismatches: counts.amountMismatches,
      duplicateCallbacks: counts.duplicateCallbacks,
      rejectedCallbacks: agencyId ? undefined : counts.unattributed,
      pendingPastExpiry: counts.pendingPastExpiry,
    };
  }

  private async event(
    m: EntityManager,
    attemptId: string | null,
    source: EventSource,
    outcome: string,
    from: string | null,
    to: string | null,
    raw: unknown,
  ) {
    await this.repo.recordEvent(m, { attemptId, source, outcome, from, to, raw });
  }
}

/** Unique per merchant per day (and in fact globally: a unique index says so). */
function newTxnRef(now: Date): string {
  const local = new Date(now.getTime() + 7 * 3600_000).toISOString();
  return `${local.slice(2, 10).replace(/-/g, '')}${randomBytes(6).toString('hex').toUpperCase()}`;
}
