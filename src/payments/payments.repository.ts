import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { modify, selectOne, selectRows } from '../database/query-result';
import { nextNumberCte, numberPrefix, vnYear } from '../database/document-numbers.repository';
import type { FeeItem, FeeTiming } from '../procedures/procedure.entity';
import type { WorkflowDefinition } from '../workflow/definition';

export type AttemptState =
  'created' | 'pending' | 'succeeded' | 'failed' | 'cancelled' | 'expired' | 'refund_pending' | 'refunded';
export type PaymentEventSource = 'start' | 'ipn' | 'return' | 'querydr' | 'expiry' | 'refund';
export type PaymentRequestStatus = 'open' | 'paid' | 'refund_pending' | 'refunded' | 'void';
export type RefundState = 'requested' | 'succeeded' | 'failed';

export interface PaymentItem {
  kind: FeeItem['kind'] | 'postal';
  name: string;
  amount: number;
}

/** A payment_attempts row as stored (`amount_vnd` is a bigint, read as a string). */
export interface AttemptRow {
  id: string;
  request_id: string;
  dossier_id: string;
  provider: string;
  txn_ref: string;
  amount_vnd: string;
  state: AttemptState;
  redirect_url: string | null;
  provider_txn_no: string | null;
  bank_code: string | null;
  paid_at: Date | null;
  expires_at: Date;
  last_checked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The dossier as a payment start needs it (row share-locked). */
export interface DossierToPay {
  id: string;
  code: string | null;
  state: string;
  locale: 'vi' | 'en';
  workflow: WorkflowDefinition;
}

export interface LiveAttempt {
  id: string;
  state: AttemptState;
  redirect_url: string | null;
  amount_vnd: string;
  expires_at: Date;
}

export interface AttemptView {
  id: string;
  provider: string;
  txnRef: string;
  state: AttemptState;
  amountVnd: number;
  providerTxnNo: string | null;
  createdAt: string;
  paidAt: string | null;
  receiptNumber: string | null;
}

export interface PaymentRequestView {
  id: string;
  stage: Exclude<FeeTiming, 'exempt'>;
  items: PaymentItem[];
  amountVnd: number;
  status: PaymentRequestStatus;
  createdAt: Date;
  paidAt: Date | null;
  attempts: AttemptView[];
}

export interface AttemptByTxnRef {
  id: string;
  state: AttemptState;
  dossierId: string;
  amountVnd: number;
  code: string | null;
}

/** A refund joined with the attempt it gives back (`amount_vnd`, `paid`: bigints as strings). */
export interface RefundToProcess {
  id: string;
  state: RefundState;
  amount_vnd: string;
  reason: string;
  attempt_id: string;
  txn_ref: string;
  provider: string;
  provider_txn_no: string | null;
  created_at: Date;
  paid: string;
}

export interface ReceiptRow {
  number: string;
  issuedAt: Date;
  payerName: string;
  items: PaymentItem[];
  totalVnd: number;
  provider: string;
  providerTransactionNo: string;
  paidAt: Date;
  dossierCode: string;
  procedureName: string;
  agencyName: string;
  agencyCode: string;
}

export interface ReconciliationCounts {
  byState: { state: AttemptState; count: number; amountVnd: string }[];
  amountMismatches: number;
  duplicateCallbacks: number;
  unattributed: number;
  pendingPastExpiry: number;
}

/**
 * The payments aggregate: payment_requests, payment_attempts, payment_events,
 * payment_receipts and payment_refunds (receipts numbered from the agency's counter). The only
 * place that reads or writes them. Methods that take an EntityManager run in
 * the caller's transaction (a dossier transition, a settle); the others on
 * their own connection. Compare-and-set updates answer whether they won.
 */
@Injectable()
export class PaymentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  // ------------------------------------------------------------ requests

  /** What a dossier owes at a stage, once per (dossier, stage). */
  async openRequest(
    m: EntityManager,
    request: { dossierId: string; stage: FeeTiming; items: PaymentItem[]; amountVnd: number },
  ): Promise<void> {
    await m.query(
      `INSERT INTO payment_requests (dossier_id, stage, items, amount_vnd) VALUES ($1, $2, $3, $4)
       ON CONFLICT (dossier_id, stage) DO NOTHING`,
      [request.dossierId, request.stage, JSON.stringify(request.items), request.amountVnd],
    );
  }

  /** The newest open request of a dossier, row-locked: starts of the same request queue up behind each other. */
  lockOpenRequest(m: EntityManager, dossierId: string): Promise<{ id: string; amount_vnd: string } | undefined> {
    return selectOne(
      m,
      `SELECT id, amount_vnd FROM payment_requests WHERE dossier_id = $1 AND status = 'open' ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
      [dossierId],
    );
  }

  /** Compare-and-set open -> paid: true for the one credit a request gets. */
  async creditRequest(m: EntityManager, requestId: string): Promise<boolean> {
    const { rows } = await modify<{ id: string }>(
      m,
      `UPDATE payment_requests SET status = 'paid', paid_at = now() WHERE id = $1 AND status = 'open' RETURNING id`,
      [requestId],
    );
    return rows.length > 0;
  }

  /** Compare-and-set paid -> refund_pending. */
  async markRequestRefundPending(m: EntityManager, requestId: string): Promise<void> {
    await m.query(`UPDATE payment_requests SET status = 'refund_pending' WHERE id = $1 AND status = 'paid'`, [
      requestId,
    ]);
  }

  /** The request of an attempt is refunded, when that attempt was its credit (refund_pending -> refunded). */
  async markRequestRefunded(m: EntityManager, attemptId: string): Promise<void> {
    await m.query(
      `UPDATE payment_requests SET status = 'refunded' WHERE id = (SELECT request_id FROM payment_attempts WHERE id = $1) AND status = 'refund_pending'`,
      [attemptId],
    );
  }

  async voidOpenRequests(m: EntityManager, dossierId: string): Promise<void> {
    await m.query(`UPDATE payment_requests SET status = 'void' WHERE dossier_id = $1 AND status = 'open'`, [dossierId]);
  }

  /** A dossier's requests with their attempts (and receipt numbers), oldest first. */
  listForDossier(dossierId: string, m: EntityManager = this.db.manager): Promise<PaymentRequestView[]> {
    return selectRows(
      m,
      `SELECT r.id, r.stage, r.items, r.amount_vnd::int AS "amountVnd", r.status, r.created_at AS "createdAt", r.paid_at AS "paidAt",
              coalesce((SELECT json_agg(json_build_object('id', a.id, 'provider', a.provider, 'txnRef', a.txn_ref, 'state', a.state,
                        'amountVnd', a.amount_vnd, 'providerTxnNo', a.provider_txn_no, 'createdAt', a.created_at, 'paidAt', a.paid_at,
                        'receiptNumber', rc.number) ORDER BY a.created_at)
                          FROM payment_attempts a LEFT JOIN payment_receipts rc ON rc.attempt_id = a.id WHERE a.request_id = r.id), '[]') AS attempts
         FROM payment_requests r WHERE r.dossier_id = $1 ORDER BY r.created_at`,
      [dossierId],
    );
  }

  /**
   * The citizen's own dossier with what a payment start needs, FOR SHARE: a
   * withdrawal (or any move) of the dossier in progress is waited for, then seen.
   */
  dossierToPay(m: EntityManager, dossierId: string, applicantId: string): Promise<DossierToPay | undefined> {
    return selectOne(
      m,
      `SELECT d.id, d.code, d.state, a.locale, v.workflow FROM dossiers d JOIN accounts a ON a.id = d.applicant_id
           JOIN procedure_versions v ON v.id = d.procedure_version_id
          WHERE d.id = $1 AND d.applicant_id = $2 FOR SHARE OF d`,
      [dossierId, applicantId],
    );
  }

  // ------------------------------------------------------------ attempts

  /** A new attempt, or undefined when one is already in flight for the request (the unique index decides). */
  insertAttempt(
    m: EntityManager,
    a: {
      requestId: string;
      dossierId: string;
      provider: string;
      txnRef: string;
      amountVnd: string;
      expiresAt: Date;
      createdAt: Date;
    },
  ): Promise<{ id: string } | undefined> {
    return selectOne(
      m,
      `INSERT INTO payment_attempts (request_id, dossier_id, provider, txn_ref, amount_vnd, state, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'created', $6, $7)
         ON CONFLICT (request_id) WHERE state IN ('created','pending') DO NOTHING
         RETURNING id`,
      [a.requestId, a.dossierId, a.provider, a.txnRef, a.amountVnd, a.expiresAt, a.createdAt],
    );
  }

  /** The attempt in flight for a request, if any. */
  liveAttempt(m: EntityManager, requestId: string): Promise<LiveAttempt | undefined> {
    return selectOne(
      m,
      `SELECT id, state, redirect_url, amount_vnd, expires_at FROM payment_attempts WHERE request_id = $1 AND state IN ('created','pending')`,
      [requestId],
    );
  }

  /** created -> pending, with the provider's URL, and the 'start' event. */
  async markAttemptStarted(m: EntityManager, attemptId: string, redirectUrl: string, raw: unknown): Promise<void> {
    await m.query(
      `UPDATE payment_attempts SET state = 'pending', redirect_url = $2, updated_at = now() WHERE id = $1`,
      [attemptId, redirectUrl],
    );
    await m.query(
      `INSERT INTO payment_events (attempt_id, source, outcome, from_state, to_state, raw) VALUES ($1, 'start', 'created', 'created', 'pending', $2)`,
      [attemptId, raw],
    );
  }

  lockAttemptByTxnRef(m: EntityManager, txnRef: string): Promise<AttemptRow | undefined> {
    return selectOne(m, `SELECT * FROM payment_attempts WHERE txn_ref = $1 FOR UPDATE`, [txnRef]);
  }

  async attemptById(attemptId: string, m: EntityManager = this.db.manager): Promise<AttemptRow | undefined> {
    return selectOne(m, `SELECT * FROM payment_attempts WHERE id = $1`, [attemptId]);
  }

  attemptByTxnRef(txnRef: string, m: EntityManager = this.db.manager): Promise<AttemptByTxnRef | undefined> {
    return selectOne(
      m,
      `SELECT a.id, a.state, a.dossier_id AS "dossierId", a.amount_vnd::int AS "amountVnd", d.code
         FROM payment_attempts a JOIN dossiers d ON d.id = a.dossier_id WHERE a.txn_ref = $1`,
      [txnRef],
    );
  }

  /** Succeeded attempts of a dossier (what a refund gives back). */
  succeededAttempts(m: EntityManager, dossierId: string): Promise<{ id: string; request_id: string }[]> {
    return selectRows(m, `SELECT id, request_id FROM payment_attempts WHERE dossier_id = $1 AND state = 'succeeded'`, [
      dossierId,
    ]);
  }

  /** Open attempts created before `now - afterSeconds`, oldest first, 200 at most. */
  dueForReconciliation(now: Date, afterSeconds: number, m: EntityManager = this.db.manager): Promise<AttemptRow[]> {
    return selectRows(
      m,
      `SELECT * FROM payment_attempts WHERE state IN ('created','pending') AND created_at < $1::timestamptz - make_interval(secs => $2)
        ORDER BY created_at LIMIT 200`,
      [now, afterSeconds],
    );
  }

  async markAttemptChecked(m: EntityManager, attemptId: string): Promise<void> {
    await m.query(`UPDATE payment_attempts SET last_checked_at = now() WHERE id = $1`, [attemptId]);
  }

  /** Compare-and-set from one of the `from` states to `to`: true when this call moved it. */
  async settleAttempt(
    m: EntityManager,
    attemptId: string,
    to: AttemptState,
    from: AttemptState[],
    provider: { providerTxnNo: string | null; bankCode: string | null; paidAt: Date | null },
  ): Promise<boolean> {
    const { rows } = await modify<{ id: string }>(
      m,
      `UPDATE payment_attempts SET state = $2, provider_txn_no = $3, bank_code = $4, paid_at = $5, updated_at = now()
          WHERE id = $1 AND state = ANY($6::text[]) RETURNING id`,
      [attemptId, to, provider.providerTxnNo, provider.bankCode, provider.paidAt, from],
    );
    return rows.length > 0;
  }

  /** Compare-and-set created|pending -> expired. */
  async expireAttempt(m: EntityManager, attemptId: string): Promise<boolean> {
    const { rows } = await modify<{ state: AttemptState }>(
      m,
      `UPDATE payment_attempts SET state = 'expired', updated_at = now() WHERE id = $1 AND state IN ('created','pending') RETURNING state`,
      [attemptId],
    );
    return rows.length > 0;
  }

  /** Compare-and-set succeeded -> refund_pending: the amount to give back, or undefined when not succeeded. */
  async startAttemptRefund(m: EntityManager, attemptId: string): Promise<string | undefined> {
    const { rows } = await modify<{ amount_vnd: string }>(
      m,
      `UPDATE payment_attempts SET state = 'refund_pending', updated_at = now() WHERE id = $1 AND state = 'succeeded' RETURNING amount_vnd`,
      [attemptId],
    );
    return rows[0]?.amount_vnd;
  }

  /** Compare-and-set refund_pending -> refunded. */
  async markAttemptRefunded(m: EntityManager, attemptId: string): Promise<void> {
    await m.query(
      `UPDATE payment_attempts SET state = 'refunded', updated_at = now() WHERE id = $1 AND state = 'refund_pending'`,
      [attemptId],
    );
  }

  // ------------------------------------------------------------ events

  /** Every provider message and state change, as received (`raw` is stored as JSON). */
  async recordEvent(
    m: EntityManager,
    e: {
      attemptId: string | null;
      source: PaymentEventSource;
      outcome: string;
      from: string | null;
      to: string | null;
      raw: unknown;
    },
  ): Promise<void> {
    await m.query(
      `INSERT INTO payment_events (attempt_id, source, outcome, from_state, to_state, raw) VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.attemptId, e.source, e.outcome, e.from, e.to, JSON.stringify(e.raw ?? null)],
    );
  }

  /** A signed callback that could not be attributed to an attempt. */
  async recordRejectedCallback(source: PaymentEventSource, reason: string, raw: unknown): Promise<void> {
    await this.db.query(`INSERT INTO payment_events (attempt_id, source, outcome, raw) VALUES (NULL, $1, $2, $3)`, [
      source,
      reason,
      raw,
    ]);
  }

  // ------------------------------------------------------------ receipts

  /**
   * The receipt for money received on an attempt, in the payer's name, numbered per agency and year:
   * `000123/2026/BL-<agency code>` (the agency code keeps the number unique portal-wide).
   */
  async issueReceipt(
    m: EntityManager,
    attempt: Pick<AttemptRow, 'id' | 'amount_vnd' | 'provider' | 'request_id'>,
    providerTxnNo: string,
    paidAt: Date,
  ): Promise<void> {
    await m.query(
      `WITH ${nextNumberCte('c', 'BL', 'd.agency_id', vnYear('now()'), 'FROM payment_requests r JOIN dossiers d ON d.id = r.dossier_id WHERE r.id = $6')}
       INSERT INTO payment_receipts (attempt_id, number, payer_name, items, amount_vnd, provider, provider_txn_no, paid_at)
       SELECT $1, ${numberPrefix('c')} || '/BL-' || g.code, acc.full_name, r.items, $2, $3, $4, $5
         FROM c JOIN agencies g ON g.id = c.agency_id, payment_requests r JOIN dossiers d ON d.id = r.dossier_id JOIN accounts acc ON acc.id = d.applicant_id
        WHERE r.id = $6`,
      [attempt.id, attempt.amount_vnd, attempt.provider, providerTxnNo, paidAt, attempt.request_id],
    );
  }

  receipt(dossierId: string, attemptId: string, m: EntityManager = this.db.manager): Promise<ReceiptRow | undefined> {
    return selectOne(
      m,
      `SELECT rc.number, rc.issued_at AS "issuedAt", rc.payer_name AS "payerName", rc.items, rc.amount_vnd::int AS "totalVnd",
              rc.provider, rc.provider_txn_no AS "providerTransactionNo", rc.paid_at AS "paidAt",
              d.code AS "dossierCode", p.name AS "procedureName", g.name AS "agencyName",
              g.code AS "agencyCode"
         FROM payment_receipts rc JOIN payment_attempts a ON a.id = rc.attempt_id JOIN dossiers d ON d.id = a.dossier_id
         JOIN procedures p ON p.id = d.procedure_id JOIN agencies g ON g.id = d.agency_id
        WHERE a.id = $1 AND a.dossier_id = $2`,
      [attemptId, dossierId],
    );
  }

  // ------------------------------------------------------------ refunds

  async insertRefund(m: EntityManager, attemptId: string, amountVnd: string, reason: string): Promise<string> {
    const refund = await selectOne<{ id: string }>(
      m,
      `INSERT INTO payment_refunds (attempt_id, amount_vnd, reason, state) VALUES ($1, $2, $3, 'requested') RETURNING id`,
      [attemptId, amountVnd, reason],
    );
    return refund!.id;
  }

  refundToProcess(refundId: string, m: EntityManager = this.db.manager): Promise<RefundToProcess | undefined> {
    return selectOne(
      m,
      `SELECT f.id, f.state, f.amount_vnd, f.reason, a.id AS attempt_id, a.txn_ref, a.provider, a.provider_txn_no, a.created_at, a.amount_vnd AS paid
         FROM payment_refunds f JOIN payment_attempts a ON a.id = f.attempt_id WHERE f.id = $1`,
      [refundId],
    );
  }

  /** The provider asked to try again later: count the try, keep its answer. */
  async recordRefundRetry(m: EntityManager, refundId: string, lastError: string): Promise<void> {
    await m.query(`UPDATE payment_refunds SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
      refundId,
      lastError,
    ]);
  }

  /** Compare-and-set requested -> succeeded|failed: true when this call settled it. */
  async settleRefund(
    m: EntityManager,
    refundId: string,
    state: Exclude<RefundState, 'requested'>,
    providerRef: string | null,
    lastError: string | null,
  ): Promise<boolean> {
    const { rows } = await modify<{ id: string }>(
      m,
      `UPDATE payment_refunds SET state = $2, provider_ref = $3, attempts = attempts + 1, completed_at = now(), last_error = $4
          WHERE id = $1 AND state = 'requested' RETURNING id`,
      [refundId, state, providerRef, lastError],
    );
    return rows.length > 0;
  }

  // ------------------------------------------------------------ reconciliation report

  /** Four counts over [from, to), for one agency or all (null): four statements, as before. */
  async reconciliationCounts(
    agencyId: string | null,
    from: Date,
    to: Date,
    m: EntityManager = this.db.manager,
  ): Promise<ReconciliationCounts> {
    const byState = await selectRows<{ state: AttemptState; count: number; amountVnd: string }>(
      m,
      `SELECT a.state, count(*)::int AS count, coalesce(sum(a.amount_vnd), 0)::bigint AS "amountVnd"
         FROM payment_attempts a JOIN dossiers d ON d.id = a.dossier_id
        WHERE a.created_at >= $1 AND a.created_at < $2 AND ($3::uuid IS NULL OR d.agency_id = $3)
        GROUP BY a.state ORDER BY a.state`,
      [from, to, agencyId],
    );
    const mismatch = await selectOne<{ amountMismatches: number; duplicateCallbacks: number }>(
      m,
      `SELECT count(*) FILTER (WHERE e.outcome = 'amount_mismatch')::int AS "amountMismatches",
              count(*) FILTER (WHERE e.outcome = 'duplicate')::int AS "duplicateCallbacks"
         FROM payment_events e JOIN payment_attempts a ON a.id = e.attempt_id JOIN dossiers d ON d.id = a.dossier_id
        WHERE e.at >= $1 AND e.at < $2 AND ($3::uuid IS NULL OR d.agency_id = $3)`,
      [from, to, agencyId],
    );
    const unattributed = await selectOne<{ n: number }>(
      m,
      `SELECT count(*)::int AS n FROM payment_events WHERE attempt_id IS NULL AND at >= $1 AND at < $2`,
      [from, to],
    );
    const stale = await selectOne<{ n: number }>(
      m,
      `SELECT count(*)::int AS n FROM payment_attempts a JOIN dossiers d ON d.id = a.dossier_id
        WHERE a.state IN ('created','pending') AND a.expires_at < now() AND ($1::uuid IS NULL OR d.agency_id = $1)`,
      [agencyId],
    );
    // Aggregates without GROUP BY always answer one row.
    return {
      byState,
      amountMismatches: mismatch!.amountMismatches,
      duplicateCallbacks: mismatch!.duplicateCallbacks,
      unattributed: unattributed!.n,
      pendingPastExpiry: stale!.n,
    };
  }

  /**
   * The id of the agency with this code. The report filter's only read of
   * `agencies`; it belongs with the agencies' repository once there is one.
   */
  async agencyIdByCode(code: string, m: EntityManager = this.db.manager): Promise<string | undefined> {
    const agency = await selectOne<{ id: string }>(m, `SELECT id FROM agencies WHERE code = $1`, [code]);
    return agency?.id;
  }
}
