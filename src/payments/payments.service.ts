import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { Conflict, NotFound, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { OutboxService } from '../outbox/outbox.service';
import type { FeeItem, FeeTiming } from '../procedures/procedure.entity';
import type { WorkflowDefinition } from '../workflow/definition';
import { systemActionFor } from '../workflow/engine';
import { PAYMENT_PROVIDERS, PaymentProvider, ProviderReport } from './payment-provider';

export type AttemptState =
  'created' | 'pending' | 'succeeded' | 'failed' | 'cancelled' | 'expired' | 'refund_pending' | 'refunded';
type EventSource = 'start' | 'ipn' | 'return' | 'querydr' | 'expiry' | 'refund';

export interface PaymentItem {
  kind: FeeItem['kind'] | 'postal';
  name: string;
  amount: number;
}

interface AttemptRow {
  id: string;
  request_id: string;
  dossier_id: string;
  provider: string;
  txn_ref: string;
  amount_vnd: string;
  state: AttemptState;
  redirect_url: string | null;
  provider_txn_no: string | null;
  expires_at: Date;
  created_at: Date;
}

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
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<AppConfig, true>,
    @Inject(PAYMENT_PROVIDERS) providers: PaymentProvider[],
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
    await m.query(
      `INSERT INTO payment_requests (dossier_id, stage, items, amount_vnd) VALUES ($1, $2, $3, $4)
       ON CONFLICT (dossier_id, stage) DO NOTHING`,
      [dossier.id, version.feeTiming, JSON.stringify(items), amount],
    );
  }

  /** `refund`: when the dossier had paid and the procedure's fees are refundable, ask the provider to give it back. */
  async requestRefund(m: EntityManager, dossierId: string, refundable: boolean, reason: string): Promise<void> {
    if (!refundable) return;
    const paid: { id: string; request_id: string }[] = await m.query(
      `SELECT id, request_id FROM payment_attempts WHERE dossier_id = $1 AND state = 'succeeded'`,
      [dossierId],
    );
    for (const a of paid) {
      if (await this.refundAttempt(m, a.id, reason)) {
        await m.query(`UPDATE payment_requests SET status = 'refund_pending' WHERE id = $1 AND status = 'paid'`, [
          a.request_id,
        ]);
      }
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
      const [dossier] = await m.query(
        `SELECT d.id, d.code, d.state, a.locale, v.workflow FROM dossiers d JOIN accounts a ON a.id = d.applicant_id
           JOIN procedure_versions v ON v.id = d.procedure_version_id
          WHERE d.id = $1 AND d.applicant_id = $2 FOR SHARE OF d`,
        [dossierId, user.id],
      );
      if (!dossier) throw new NotFound('dossier');
      // Only while the dossier waits for a payment (a closed dossier's fee stays unpaid).
      if (!systemActionFor(dossier.workflow as WorkflowDefinition, dossier.state, 'payment.succeeded')) {
        throw new Conflict('Nothing is due for this dossier now.', 'nothing-due');
      }
      // The request row is locked: starts of the same request queue up behind each other.
      const [request] = await m.query(
        `SELECT id, amount_vnd FROM payment_requests WHERE dossier_id = $1 AND status = 'open' ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
        [dossierId],
      );
      if (!request) throw new Conflict('Nothing is due for this dossier now.', 'nothing-due');
      const ttl = this.config.get('PAYMENT_TTL_SECONDS', { infer: true });
      const now = new Date();
      const expiresAt = new Date(now.getTime() + ttl * 1000);
      const txnRef = newTxnRef(now);
      const [attempt] = await m.query(
        `INSERT INTO payment_attempts (request_id, dossier_id, provider, txn_ref, amount_vnd, state, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'created', $6, $7)
         ON CONFLICT (request_id) WHERE state IN ('created','pending') DO NOTHING
         RETURNING id`,
        [request.id, dossierId, provider.name, txnRef, request.amount_vnd, expiresAt, now],
      );
      if (!attempt) {
        const [live] = await m.query(
          `SELECT id, state, redirect_url, amount_vnd, expires_at FROM payment_attempts WHERE request_id = $1 AND state IN ('created','pending')`,
          [request.id],
        );
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
      await m.query(
        `UPDATE payment_attempts SET state = 'pending', redirect_url = $2, updated_at = now() WHERE id = $1`,
        [attempt.id, redirectUrl],
      );
      await m.query(
        `INSERT INTO payment_events (attempt_id, source, outcome, from_state, to_state, raw) VALUES ($1, 'start', 'created', 'created', 'pending', $2)`,
        [attempt.id, { txnRef, amountVnd: Number(request.amount_vnd), provider: provider.name }],
      );
      return { attemptId: attempt.id, redirectUrl, amountVnd: Number(request.amount_vnd), expiresAt };
    });
  }

  async list(dossierId: string) {
    const requests = await this.db.query(
      `SELECT r.id, r.stage, r.items, r.amount_vnd::int AS "amountVnd", r.status, r.created_at AS "createdAt", r.paid_at AS "paidAt",
              coalesce((SELECT json_agg(json_build_object('id', a.id, 'provider', a.provider, 'txnRef', a.txn_ref, 'state', a.state,
                        'amountVnd', a.amount_vnd, 'providerTxnNo', a.provider_txn_no, 'createdAt', a.created_at, 'paidAt', a.paid_at,
                        'receiptNumber', rc.number) ORDER BY a.created_at)
                          FROM payment_attempts a LEFT JOIN payment_receipts rc ON rc.attempt_id = a.id WHERE a.request_id = r.id), '[]') AS attempts
         FROM payment_requests r WHERE r.dossier_id = $1 ORDER BY r.created_at`,
      [dossierId],
    );
    return requests;
  }

  // ------------------------------------------------------------ provider callbacks and reports

  /**
   * Applies what a provider reported about a transaction (IPN, return URL
   * after a status query, or reconciliation). Checks, in order: the attempt
   * exists, the amount matches, it is still open; then compare-and-set.
   */
  async settle(report: ProviderReport, source: EventSource, raw: unknown): Promise<SettleOutcome> {
    return this.db.transaction(async (m) => {
      const [attempt]: AttemptRow[] = await m.query(`SELECT * FROM payment_attempts WHERE txn_ref = $1 FOR UPDATE`, [
        report.txnRef,
      ]);
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
        await m.query(`UPDATE payment_attempts SET last_checked_at = now() WHERE id = $1`, [attempt.id]);
        await this.event(m, attempt.id, source, report.outcome, attempt.state, attempt.state, raw);
        return 'undecided';
      }
      const [changed] = await m.query(
        `UPDATE payment_attempts SET state = $2, provider_txn_no = $3, bank_code = $4, paid_at = $5, updated_at = now()
          WHERE id = $1 AND state = ANY($6::text[]) RETURNING id`,
        [
          attempt.id,
          to,
          report.providerTxnNo ?? null,
          report.bankCode ?? null,
          to === 'succeeded' ? (report.paidAt ?? new Date()) : null,
          open,
        ],
      );
      if (!changed.length) return 'already_settled';
      await this.event(m, attempt.id, source, to, attempt.state, to, raw);
      if (to === 'succeeded') await this.credit(m, attempt, report);
      return 'applied';
    });
  }

  /**
   * Issues the receipt for money received, then credits the request once
   * (compare-and-set open -> paid) and queues the dossier's move. A success
   * that cannot be credited (the request was paid by another attempt, or
   * voided because the dossier closed) is a surplus: it is refunded.
   */
  private async credit(m: EntityManager, attempt: AttemptRow, report: ProviderReport): Promise<void> {
    await m.query(
      `INSERT INTO payment_receipts (attempt_id, number, payer_name, items, amount_vnd, provider, provider_txn_no, paid_at)
       SELECT $1, 'BL' || to_char(now() AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY') || '-' || lpad(nextval('receipt_number_seq')::text, 7, '0'),
              acc.full_name, r.items, $2, $3, $4, $5
         FROM payment_requests r JOIN dossiers d ON d.id = r.dossier_id JOIN accounts acc ON acc.id = d.applicant_id
        WHERE r.id = $6`,
      [
        attempt.id,
        attempt.amount_vnd,
        attempt.provider,
        report.providerTxnNo ?? attempt.txn_ref,
        report.paidAt ?? new Date(),
        attempt.request_id,
      ],
    );
    const [credited] = await m.query(
      `UPDATE payment_requests SET status = 'paid', paid_at = now() WHERE id = $1 AND status = 'open' RETURNING id`,
      [attempt.request_id],
    );
    if (!credited.length) {
      await this.refundAttempt(m, attempt.id, 'surplus payment: the fee was already paid or is no longer due');
      return;
    }
    await this.outbox.add(m, [
      { name: 'payment-succeeded', data: { dossierId: attempt.dossier_id, attemptId: attempt.id } },
    ]);
  }

  /** Starts the refund of one succeeded attempt (CAS succeeded -> refund_pending). */
  private async refundAttempt(m: EntityManager, attemptId: string, reason: string): Promise<boolean> {
    const [moved] = await m.query(
      `UPDATE payment_attempts SET state = 'refund_pending', updated_at = now() WHERE id = $1 AND state = 'succeeded' RETURNING amount_vnd`,
      [attemptId],
    );
    if (!moved.length) return false;
    const [refund] = await m.query(
      `INSERT INTO payment_refunds (attempt_id, amount_vnd, reason, state) VALUES ($1, $2, $3, 'requested') RETURNING id`,
      [attemptId, moved[0].amount_vnd, reason],
    );
    await this.event(m, attemptId, 'refund', 'requested', 'succeeded', 'refund_pending', { reason });
    await this.outbox.add(m, [{ name: 'refund', data: { refundId: refund.id } }]);
    return true;
  }

  /** A dossier that closed (withdrawn, refused, ...) owes nothing more. */
  async voidOpenRequests(m: EntityManager, dossierId: string): Promise<void> {
    await m.query(`UPDATE payment_requests SET status = 'void' WHERE dossier_id = $1 AND status = 'open'`, [dossierId]);
  }

  /** A correctly signed callback that could not be attributed (malformed, other merchant) is kept for the audit; a bad signature is not. */
  async recordRejectedCallback(source: EventSource, reason: string, raw: unknown): Promise<void> {
    await this.db.query(`INSERT INTO payment_events (attempt_id, source, outcome, raw) VALUES (NULL, $1, $2, $3)`, [
      source,
      reason,
      raw,
    ]);
  }

  async attemptByTxnRef(txnRef: string) {
    const [row] = await this.db.query(
      `SELECT a.id, a.state, a.dossier_id AS "dossierId", a.amount_vnd::int AS "amountVnd", d.code
         FROM payment_attempts a JOIN dossiers d ON d.id = a.dossier_id WHERE a.txn_ref = $1`,
      [txnRef],
    );
    return row as
      { id: string; state: AttemptState; dossierId: string; amountVnd: number; code: string | null } | undefined;
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
    const due: AttemptRow[] = await this.db.query(
      `SELECT * FROM payment_attempts WHERE state IN ('created','pending') AND created_at < $1::timestamptz - make_interval(secs => $2)
        ORDER BY created_at LIMIT 200`,
      [now, after],
    );
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
    const [attempt]: AttemptRow[] = await this.db.query(`SELECT * FROM payment_attempts WHERE id = $1`, [attemptId]);
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
    return this.db.transaction(async (m) => {
      const [rows] = await m.query(
        `UPDATE payment_attempts SET state = 'expired', updated_at = now() WHERE id = $1 AND state IN ('created','pending') RETURNING state`,
        [attemptId],
      );
      if (!rows.length) return 'already_settled';
      await this.event(m, attemptId, 'expiry', 'expired', 'pending', 'expired', raw);
      await this.outbox.add(m, [{ name: 'payment-expired', data: { dossierId, attemptId } }]);
      return 'expired';
    });
  }

  // ------------------------------------------------------------ refunds (worker)

  async processRefund(refundId: string): Promise<'succeeded' | 'failed' | 'retry' | 'done'> {
    const [refund] = await this.db.query(
      `SELECT f.id, f.state, f.amount_vnd, f.reason, a.id AS attempt_id, a.txn_ref, a.provider, a.provider_txn_no, a.created_at, a.amount_vnd AS paid
         FROM payment_refunds f JOIN payment_attempts a ON a.id = f.attempt_id WHERE f.id = $1`,
      [refundId],
    );
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
        await m.query(`UPDATE payment_refunds SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
          refundId,
          JSON.stringify(result.raw).slice(0, 500),
        ]);
        await this.event(m, refund.attempt_id, 'refund', 'retry', 'refund_pending', 'refund_pending', result.raw);
        return;
      }
      const [done] = await m.query(
        `UPDATE payment_refunds SET state = $2, provider_ref = $3, attempts = attempts + 1, completed_at = now(), last_error = $4
          WHERE id = $1 AND state = 'requested' RETURNING id`,
        [
          refundId,
          result.outcome,
          result.providerRef ?? null,
          result.outcome === 'failed' ? `provider code ${result.responseCode}` : null,
        ],
      );
      if (!done.length) return;
      if (result.outcome === 'succeeded') {
        await m.query(
          `UPDATE payment_attempts SET state = 'refunded', updated_at = now() WHERE id = $1 AND state = 'refund_pending'`,
          [refund.attempt_id],
        );
        // The request was refunded only if this attempt was its credit (a surplus refund leaves it paid).
        await m.query(
          `UPDATE payment_requests SET status = 'refunded' WHERE id = (SELECT request_id FROM payment_attempts WHERE id = $1) AND status = 'refund_pending'`,
          [refund.attempt_id],
        );
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
    });
    return result.outcome;
  }

  // ------------------------------------------------------------ receipts and reports

  async receipt(dossierId: string, attemptId: string) {
    const [row] = await this.db.query(
      `SELECT rc.number, rc.issued_at AS "issuedAt", rc.payer_name AS "payerName", rc.items, rc.amount_vnd::int AS "totalVnd",
              rc.provider, rc.provider_txn_no AS "providerTransactionNo", rc.paid_at AS "paidAt",
              d.code AS "dossierCode", p.name AS "procedureName", g.name AS "agencyName"
         FROM payment_receipts rc JOIN payment_attempts a ON a.id = rc.attempt_id JOIN dossiers d ON d.id = a.dossier_id
         JOIN procedures p ON p.id = d.procedure_id JOIN agencies g ON g.id = d.agency_id
        WHERE a.id = $1 AND a.dossier_id = $2`,
      [attemptId, dossierId],
    );
    if (!row) throw new NotFound('receipt');
    return row;
  }

  /** For a supervisor: attempts per state with amounts, refunds, and callbacks that did not match. */
  async reconciliationReport(agencyId: string | null, from: Date, to: Date) {
    const byState = await this.db.query(
      `SELECT a.state, count(*)::int AS count, coalesce(sum(a.amount_vnd), 0)::bigint AS "amountVnd"
         FROM payment_attempts a JOIN dossiers d ON d.id = a.dossier_id
        WHERE a.created_at >= $1 AND a.created_at < $2 AND ($3::uuid IS NULL OR d.agency_id = $3)
        GROUP BY a.state ORDER BY a.state`,
      [from, to, agencyId],
    );
    const [mismatch] = await this.db.query(
      `SELECT count(*) FILTER (WHERE e.outcome = 'amount_mismatch')::int AS "amountMismatches",
              count(*) FILTER (WHERE e.outcome = 'duplicate')::int AS "duplicateCallbacks"
         FROM payment_events e JOIN payment_attempts a ON a.id = e.attempt_id JOIN dossiers d ON d.id = a.dossier_id
        WHERE e.at >= $1 AND e.at < $2 AND ($3::uuid IS NULL OR d.agency_id = $3)`,
      [from, to, agencyId],
    );
    const [unattributed] = await this.db.query(
      `SELECT count(*)::int AS n FROM payment_events WHERE attempt_id IS NULL AND at >= $1 AND at < $2`,
      [from, to],
    );
    const [stale] = await this.db.query(
      `SELECT count(*)::int AS n FROM payment_attempts a JOIN dossiers d ON d.id = a.dossier_id
        WHERE a.state IN ('created','pending') AND a.expires_at < now() AND ($1::uuid IS NULL OR d.agency_id = $1)`,
      [agencyId],
    );
    return {
      from,
      to,
      attempts: Object.fromEntries(
        byState.map((r: { state: string; count: number; amountVnd: string }) => [
          r.state,
          { count: r.count, amountVnd: Number(r.amountVnd) },
        ]),
      ),
      amountMismatches: mismatch.amountMismatches,
      duplicateCallbacks: mismatch.duplicateCallbacks,
      rejectedCallbacks: agencyId ? undefined : unattributed.n,
      pendingPastExpiry: stale.n,
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
    await m.query(
      `INSERT INTO payment_events (attempt_id, source, outcome, from_state, to_state, raw) VALUES ($1, $2, $3, $4, $5, $6)`,
      [attemptId, source, outcome, from, to, JSON.stringify(raw ?? null)],
    );
  }
}

/** Unique per merchant per day (and in fact globally: a unique index says so). */
function newTxnRef(now: Date): string {
  const local = new Date(now.getTime() + 7 * 3600_000).toISOString();
  return `${local.slice(2, 10).replace(/-/g, '')}${randomBytes(6).toString('hex').toUpperCase()}`;
}
