import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, isStaff } from '../auth/auth-user';
import { correlationId } from '../common/correlation';
import { modify, selectRows } from '../database/query-result';
import type { WorkCalendar } from '../workflow/calendar';
import { workflowRoles } from './actor';
import { DossierRow, dossierCodePrefix, HistoryEntry, historyHash } from './dossier';
import type { DossierSurroundings } from './dossier.view';
import { documentsJson, listedDocuments, type ListedDocument } from './documents.repository';
import { saveAnswerCte } from './idempotency.repository';
import { type EarlierRequest, SUPPLEMENT_REQUEST_ACTION } from './supplement';

/** A scope as SQL over `d` (dossiers) and `v` (procedure_versions), with its parameters; see scopeClause. */
export interface Scope {
  sql: string;
  params: unknown[];
  next: number;
}

/** The dossier row with what every action needs (DossierRow); statements add their WHERE. */
const DOSSIER_SELECT = `
  SELECT d.*, g.code AS agency_code, g.calendar, p.code AS procedure_code, p.name AS procedure_name,
         v.version AS procedure_version, cg.code AS current_agency_code, rg.code AS received_agency_code
    FROM dossiers d
    JOIN agencies g ON g.id = d.agency_id
    JOIN agencies cg ON cg.id = d.current_agency_id
    LEFT JOIN agencies rg ON rg.id = d.received_agency_id
    JOIN procedures p ON p.id = d.procedure_id
    JOIN procedure_versions v ON v.id = d.procedure_version_id`;

/**
 * What surrounds a dossier, as the columns of DossierSurroundings: the latest payment request, the result, the
 * parcel, apologies, the rating and the supplementation rounds. `id`: the dossier's id (an SQL expression);
 * `action`: the parameter holding the supplementation request's action key.
 */
function surroundingsColumns(id: string, action: string): string {
  return `(SELECT json_build_object('stage', stage, 'items', items, 'amountVnd', amount_vnd, 'status', status, 'paidAt', paid_at)
             FROM payment_requests WHERE dossier_id = ${id} ORDER BY created_at DESC LIMIT 1) AS payment,
          (SELECT json_build_object('id', id, 'verificationCode', verification_code, 'sha256', sha256, 'issuedAt', issued_at, 'number', number)
             FROM dossier_results WHERE dossier_id = ${id} AND status IN ('generating','issued')) AS result,
          (SELECT json_build_object('waybill', waybill, 'status', status) FROM shipments WHERE dossier_id = ${id}) AS shipment,
          (SELECT coalesce(json_agg(json_build_object('reason', reason, 'newDueAt', new_due_at, 'at', at) ORDER BY at), '[]')
             FROM dossier_apologies WHERE dossier_id = ${id}) AS apologies,
          (SELECT json_build_object('score', score, 'comment', comment, 'at', at) FROM dossier_ratings WHERE dossier_id = ${id}) AS rating,
          (SELECT count(*)::int FROM dossier_history WHERE dossier_id = ${id} AND action = ${action}) AS "supplementRounds"`;
}

/**
 * Every query a user can reach is scoped: own dossiers, own agency's, or (admin) all.
 * A citizen's draft is the citizen's own until submitted: the agency's staff do not
 * see a never-submitted dossier, unless its workflow lets their role edit the state
 * it is in (assisted filing). Needs `v` (procedure_versions), as in DOSSIER_SELECT.
 * Transfer between agencies: the agency working a transferred dossier (`current_agency_id`)
 * sees it too, while it works it; the owning agency keeps seeing it. Province-wide acceptance: the agency
 * whose counter received it for another agency (`received_agency_id`) keeps seeing it (not working it).
 */
export function scopeClause(user: AuthUser, firstParam: number): Scope {
  if (user.role === 'citizen')
    return { sql: `d.applicant_id = $${firstParam}`, params: [user.id], next: firstParam + 1 };
  if (isStaff(user)) {
    return {
      sql: `(d.agency_id = $${firstParam} OR d.current_agency_id = $${firstParam} OR d.received_agency_id = $${firstParam}) AND (d.submitted_at IS NOT NULL OR EXISTS (
              SELECT 1 FROM jsonb_array_elements(v.workflow->'states') s
               WHERE s->>'key' = d.state AND coalesce(s->'editableBy', '[]') ?| $${firstParam + 1}::text[]))`,
      params: [user.agencyId, workflowRoles(user)],
      next: firstParam + 2,
    };
  }
  if (user.role === 'admin') return { sql: `true`, params: [], next: firstParam };
  return { sql: 'false', params: [], next: firstParam };
}

/** What the clerk's queue shows: the open dossiers one agency works (its own, or transferred to it), narrowed by the list's filters. */
export interface QueueFilter {
  /** The working agency (`current_agency_id`). */
  agencyId: string;
  state?: string;
  /** The procedure's code. */
  procedureCode?: string;
  /** null: nobody's yet; an account id: that person's; undefined: anyone's. */
  assigneeId?: string | null;
  /** Overdue at this instant (clock paused: at the pause). */
  overdueAt?: Date;
  /** Due in [from, until), clock running. */
  dueBetween?: [Date, Date];
}

/** The queue's conditions over `d` and their parameters ($1...), in a fixed order. */
function queueWhere(f: QueueFilter): { where: string[]; params: unknown[] } {
  const where: string[] = ['d.current_agency_id = $1', 'd.attention_at IS NOT NULL'];
  const params: unknown[] = [f.agencyId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.state) add('d.state = ?', f.state);
  if (f.procedureCode) add('d.procedure_id = (SELECT id FROM procedures WHERE code = ?)', f.procedureCode);
  if (f.assigneeId === null) where.push('d.assignee_id IS NULL');
  else if (f.assigneeId) add('d.assignee_id = ?', f.assigneeId);
  if (f.overdueAt) {
    add('d.due_at < coalesce(d.paused_at, ?)', f.overdueAt);
    where.push('d.finished_at IS NULL');
  } else if (f.dueBetween) {
    add('d.due_at >= ?', f.dueBetween[0]);
    where.push('d.paused_at IS NULL');
    add('d.due_at < ?', f.dueBetween[1]);
    where.push('d.finished_at IS NULL');
  }
  return { where, params };
}

export interface HistoryItem {
  seq: number;
  action: string;
  fromState: string | null;
  toState: string;
  actorRole: string;
  comment: string | null;
  data: Record<string, unknown> | null;
  at: Date;
  attachments: { id: string; documentKey: string; fileName: string }[];
}

/** A history step's attachments (the documents sent with it), as one JSON column over `h` (dossier_history). */
const HISTORY_ATTACHMENTS_JSON = `coalesce((SELECT json_agg(json_build_object('id', x.id, 'documentKey', x.document_key, 'fileName', x.file_name))
                          FROM dossier_documents x WHERE x.history_id = h.id), '[]')`;

/** What the dossier page reads (`findScopedForPage`). */
export interface DossierForPage {
  row: DossierRow;
  surroundings: DossierSurroundings;
  history: HistoryItem[];
  documents: ListedDocument[];
}

export interface LookupAnswer {
  code: string;
  state: string;
  dueAt: Date | null;
  procedureName: string;
  /** The new date of the latest apology (form 04), shown next to the original due date; null without one. */
  apologyDueAt: Date | null;
}

export interface Rating {
  score: number;
  comment: string | null;
  at: Date;
}

/** The columns a state change writes (the deadline clock, the code, the queue's sort key). */
export interface StateChange {
  state: string;
  code: string | null;
  submittedAt: Date | null;
  receivedAt: Date | null;
  dueAt: Date | null;
  pausedAt: Date | null;
  pausedMs: number;
  finishedAt: Date | null;
  attentionAt: Date | null;
  /** Transfer between agencies: the agency working the dossier in the new state when not the owner, else null. */
  transferAgencyId?: string | null;
}

export interface QueueRow {
  id: string;
  code: string | null;
  state: string;
  procedureCode: string;
  procedureName: string;
  applicantName: string;
  assigneeId: string | null;
  submittedAt: Date | null;
  receivedAt: Date | null;
  dueAt: Date | null;
  attentionAt: Date;
  overdue: boolean;
  deadlineAlert: 'due_soon' | 'overdue' | null;
  clockPaused: boolean;
  /** open (due), paid, refund_pending, refunded; null when nothing was ever due. */
  paymentStatus: string | null;
}

/** A new history entry, chained to the dossier's head. */
/** A first submission whose code is taken last in its transaction (`DossierRepository.assignCode`). */
export interface CodeToTake {
  dossierId: string;
  agencyId: string;
  agencyCode: string;
  /** The agency's local day of the submission, YYYY-MM-DD. */
  day: string;
}

export type NewHistoryEntry = Omit<HistoryEntry, 'dossierId' | 'seq'>;

/**
 * The history append, in one place: the entry's row (hash-chained to the
 * dossier's head) and the head moving to it. Parameters $1-$12 in this order;
 * a statement that appends history puts it first in a WITH and adds its own
 * parameters from $13 on.
 */
const HISTORY_APPEND = `h AS (
         INSERT INTO dossier_history (dossier_id, seq, action, from_state, to_state, actor_id, actor_role, comment, data, at, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
       )`;
const HEAD_MOVE = `history_seq = $2, history_hash = $12`;

function chained(row: Pick<DossierRow, 'id' | 'history_seq' | 'history_hash'>, entry: NewHistoryEntry) {
  const full: HistoryEntry = { ...entry, dossierId: row.id, seq: row.history_seq + 1 };
  const hash = historyHash(row.history_hash, full);
  const params: unknown[] = [
    full.dossierId,
    full.seq,
    full.action,
    full.fromState,
    full.toState,
    full.actorId,
    full.actorRole,
    full.comment,
    full.data,
    full.at,
    row.history_hash,
    hash,
  ];
  return { full, hash, params };
}

/**
 * The dossier aggregate's tables: dossiers, dossier_history (hash chain),
 * dossier_code_counters, dossier_apologies, dossier_ratings. The only place
 * that reads or writes them. Methods that take an EntityManager run in the
 * caller's transaction.
 */
@Injectable()
export class DossierRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  // ------------------------------------------------------------ reading

  /** One dossier within a scope, optionally locked (FOR UPDATE); undefined when out of scope or unknown. */
  async findScoped(m: EntityManager | null, id: string, scope: Scope, lock: boolean): Promise<DossierRow | undefined> {
    const rows: DossierRow[] = await (m ?? this.db.manager).query(
      `${DOSSIER_SELECT} WHERE d.id = $1 AND ${scope.sql}${lock ? ' FOR UPDATE OF d' : ''}`,
      [id, ...scope.params],
    );
    return rows[0];
  }

  /** One dossier by id, locked, whoever owns it (the portal acting by itself). */
  async lockById(m: EntityManager, id: string): Promise<DossierRow | undefined> {
    const [row]: DossierRow[] = await m.query(`${DOSSIER_SELECT} WHERE d.id = $1 FOR UPDATE OF d`, [id]);
    return row;
  }

  /** A page of a scope, newest first, keyset on (created_at, id); one row more than `limit` when a next page exists. */
  async page(scope: Scope, limit: number, after: [string, string] | null): Promise<DossierRow[]> {
    return this.db.query(
      `${DOSSIER_SELECT}
        WHERE ${scope.sql} AND ($1::timestamptz IS NULL OR (d.created_at, d.id) < ($1::timestamptz, $${scope.next}::uuid))
        ORDER BY d.created_at DESC, d.id DESC LIMIT ${limit + 1}`,
      [after?.[0] ?? null, ...scope.params, after?.[1] ?? null],
    );
  }

  async history(dossierId: string): Promise<HistoryItem[]> {
    return this.db.query(
      `SELECT h.seq, h.action, h.from_state AS "fromState", h.to_state AS "toState", h.actor_role AS "actorRole",
              h.comment, h.data, h.at, ${HISTORY_ATTACHMENTS_JSON} AS attachments
         FROM dossier_history h WHERE h.dossier_id = $1 ORDER BY h.seq`,
      [dossierId],
    );
  }

  async lookup(code: string, idNumber: string): Promise<LookupAnswer | undefined> {
    const rows: LookupAnswer[] = await this.db.query(
      `SELECT d.code, d.state, d.due_at AS "dueAt", p.name AS "procedureName",
              (SELECT ap.new_due_at FROM dossier_apologies ap WHERE ap.dossier_id = d.id
                ORDER BY ap.at DESC, ap.new_due_at DESC LIMIT 1) AS "apologyDueAt"
         FROM dossiers d JOIN accounts a ON a.id = d.applicant_id JOIN procedures p ON p.id = d.procedure_id
        WHERE d.code = $1 AND a.id_number = $2`,
      [code, idNumber],
    );
    return rows[0];
  }

  /**
   * One dossier within a scope with what surrounds it (as `surroundings`), in one statement straight on the
   * driver's pool (the read of GET /applications/:id and the dossier page; never in a transaction).
   */
  async findScopedWithSurroundings(
    id: string,
    scope: Scope,
  ): Promise<{ row: DossierRow; surroundings: DossierSurroundings } | undefined> {
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    const { rows } = await pool.query<DossierRow & DossierSurroundings>(
      `SELECT q.*, ${surroundingsColumns('q.id', `$${scope.next}`)}
         FROM (${DOSSIER_SELECT} WHERE d.id = $1 AND ${scope.sql}) q`,
      [id, ...scope.params, SUPPLEMENT_REQUEST_ACTION],
    );
    if (!rows[0]) return undefined;
    const { payment, result, shipment, apologies, rating, supplementRounds, ...row } = rows[0];
    return { row, surroundings: { payment, result, shipment, apologies, rating, supplementRounds } };
  }

  /**
   * The dossier page's read, in one statement straight on the driver's pool: one dossier within a scope with what
   * surrounds it (as `findScopedWithSurroundings`), its history (as `history`) and its documents (as
   * DocumentsRepository.list). Its payment requests are the payments module's (read by the page when it has one).
   */
  async findScopedForPage(id: string, scope: Scope): Promise<DossierForPage | undefined> {
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    const { rows } = await pool.query<
      DossierRow &
        DossierSurroundings & {
          history: (Omit<HistoryItem, 'at'> & { at: string })[];
          documents: Parameters<typeof listedDocuments>[0];
        }
    >(
      `SELECT q.*, ${surroundingsColumns('q.id', `$${scope.next}`)},
              (SELECT coalesce(json_agg(json_build_object('seq', h.seq, 'action', h.action, 'fromState', h.from_state,
                        'toState', h.to_state, 'actorRole', h.actor_role, 'comment', h.comment, 'data', h.data, 'at', h.at,
                        'attachments', ${HISTORY_ATTACHMENTS_JSON}) ORDER BY h.seq), '[]')
                 FROM dossier_history h WHERE h.dossier_id = q.id) AS history,
              ${documentsJson('q.id')} AS documents
         FROM (${DOSSIER_SELECT} WHERE d.id = $1 AND ${scope.sql}) q`,
      [id, ...scope.params, SUPPLEMENT_REQUEST_ACTION],
    );
    if (!rows[0]) return undefined;
    const { payment, result, shipment, apologies, rating, supplementRounds, history, documents, ...row } = rows[0];
    return {
      row,
      surroundings: { payment, result, shipment, apologies, rating, supplementRounds },
      history: history.map((h) => ({ ...h, at: new Date(h.at) })),
      documents: listedDocuments(documents),
    };
  }

  /**
   * What surrounds several dossiers (the latest payment request, the result,
   * the parcel, apologies, the rating), in one round trip. Reads the payment
   * and delivery tables read-only, for the view.
   */
  async surroundings(m: EntityManager | null, ids: string[]): Promise<Map<string, DossierSurroundings>> {
    const extras: (DossierSurroundings & { id: string })[] = await (m ?? this.db.manager).query(
      `SELECT d.id, ${surroundingsColumns('d.id', '$2')} FROM unnest($1::uuid[]) AS d(id)`,
      [ids, SUPPLEMENT_REQUEST_ACTION],
    );
    return new Map(extras.map(({ id, ...rest }) => [id, rest]));
  }

  /** Whether a paid request of the dossier included the postal charge (read-only, from the payments tables). */
  async postagePaid(m: EntityManager, dossierId: string): Promise<boolean> {
    const [paid]: unknown[] = await m.query(
      `SELECT 1 FROM payment_requests WHERE dossier_id = $1 AND status = 'paid' AND items @> '[{"kind":"postal"}]' LIMIT 1`,
      [dossierId],
    );
    return paid !== undefined;
  }

  /** Whether the dossier was ever charged (a payment request not voided; read-only, from the payments tables). */
  async everCharged(m: EntityManager, dossierId: string): Promise<boolean> {
    const [charged]: unknown[] = await m.query(
      `SELECT 1 FROM payment_requests WHERE dossier_id = $1 AND status <> 'void' LIMIT 1`,
      [dossierId],
    );
    return charged !== undefined;
  }

  // ------------------------------------------------------------ drafts

  /**
   * Locks the citizen's account row (two creates by one citizen count one
   * after the other) and counts the dossiers they started and never submitted
   * that are not closed.
   */
  async lockAndCountDrafts(m: EntityManager, applicantId: string): Promise<number> {
    await m.query(`SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, [applicantId]);
    const [open]: { n: number }[] = await m.query(
      `SELECT count(*)::int AS n FROM dossiers d JOIN procedure_versions v ON v.id = d.procedure_version_id
          WHERE d.applicant_id = $1 AND d.submitted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v.workflow->'states') s WHERE s->>'key' = d.state AND s->>'terminal' = 'true')`,
      [applicantId],
    );
    return open.n;
  }

  async insert(
    m: EntityManager,
    d: {
      agencyId: string;
      procedureId: string;
      procedureVersionId: string;
      applicantId: string;
      state: string;
      formData: Record<string, unknown>;
      delivery: DossierRow['delivery'];
      channel?: DossierRow['channel'];
      /** Counter and post filings: the agency whose counter received the papers. */
      receivedAgencyId?: string | null;
    },
  ): Promise<string> {
    const [row]: { id: string }[] = await m.query(
      `INSERT INTO dossiers (agency_id, procedure_id, procedure_version_id, applicant_id, state, form_data, delivery, channel,
                             received_agency_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [
        d.agencyId,
        d.procedureId,
        d.procedureVersionId,
        d.applicantId,
        d.state,
        d.formData,
        d.delivery,
        d.channel ?? 'online',
        d.receivedAgencyId ?? null,
      ],
    );
    return row.id;
  }

  async updateDraft(
    m: EntityManager,
    id: string,
    formData: Record<string, unknown>,
    delivery: DossierRow['delivery'],
  ): Promise<void> {
    await m.query(
      `UPDATE dossiers SET form_data = $2, delivery = $3, version = version + 1, updated_at = now() WHERE id = $1`,
      [id, formData, delivery],
    );
  }

  /** Whether the account is a clerk or supervisor of the agency (read-only, from accounts). */
  async isAgencyStaff(m: EntityManager, accountId: string, agencyId: string): Promise<boolean> {
    const [clerk]: unknown[] = await m.query(
      `SELECT id FROM accounts WHERE id = $1 AND agency_id = $2 AND role IN ('clerk', 'supervisor')`,
      [accountId, agencyId],
    );
    return clerk !== undefined;
  }

  /** An agency's id by its code (read-only, from agencies): the agency a workflow state names. */
  /**
   * Province-wide acceptance: the counter of `counterAgencyId` may receive for `agencyId` when both name the same
   * province (`agencies.province_code`, from the agencies' codes); the codes and names of both.
   */
  async counterAgencies(
    counterAgencyId: string,
    agencyId: string,
  ): Promise<{
    counter: { code: string; name: string };
    competent: { code: string; name: string };
    sameProvince: boolean;
  }> {
    const [row]: {
      counter_code: string;
      counter_name: string;
      code: string;
      name: string;
      same: boolean;
    }[] = await this.db.query(
      `SELECT c.code AS counter_code, c.name AS counter_name, a.code, a.name,
              (c.province_code IS NOT NULL AND c.province_code = a.province_code) AS same
         FROM agencies c, agencies a WHERE c.id = $1 AND a.id = $2`,
      [counterAgencyId, agencyId],
    );
    return {
      counter: { code: row.counter_code, name: row.counter_name },
      competent: { code: row.code, name: row.name },
      sameProvince: row.same === true,
    };
  }

  async agencyIdByCode(m: EntityManager, code: string): Promise<string | undefined> {
    const [agency]: { id: string }[] = await m.query(`SELECT id FROM agencies WHERE code = $1`, [code]);
    return agency?.id;
  }

  async setAssignee(m: EntityManager, id: string, assigneeId: string): Promise<void> {
    await m.query(`UPDATE dossiers SET assignee_id = $2, version = version + 1, updated_at = now() WHERE id = $1`, [
      id,
      assigneeId,
    ]);
  }

  // ------------------------------------------------------------ history and state

  /**
   * Appends a history entry without a state change (create, edit, assign,
   * apology) and moves the dossier's head: one statement. Updates `row`'s
   * head in place; returns the entry's id.
   */
  async appendHistory(
    m: EntityManager,
    row: Pick<DossierRow, 'id' | 'history_seq' | 'history_hash'>,
    entry: NewHistoryEntry,
  ): Promise<string> {
    const { full, hash, params } = chained(row, entry);
    const [h]: { id: string }[] = await m.query(
      `WITH ${HISTORY_APPEND}, d AS (UPDATE dossiers SET ${HEAD_MOVE} WHERE id = $1)
       SELECT id FROM h`,
      params,
    );
    row.history_seq = full.seq;
    row.history_hash = hash;
    return h.id;
  }

  /**
   * A state change in one round trip: the dossier's columns, its history
   * entry (hash-chained) and the citizen's notification (an outbox row for
   * `outboxQueue`). Returns the entry's id and the new head.
   */
  async changeState(
    m: EntityManager,
    row: Pick<DossierRow, 'id' | 'history_seq' | 'history_hash'>,
    change: StateChange,
    entry: NewHistoryEntry,
    outboxQueue: string,
  ): Promise<{ historyId: string; seq: number; hash: string }> {
    const { full, hash, params } = chained(row, entry);
    const [{ id }]: { id: string }[] = await m.query(
      `WITH ${HISTORY_APPEND}, d AS (
         UPDATE dossiers SET state = $5, code = $13, submitted_at = $14, received_at = $15, due_at = $16, paused_at = $17,
                paused_ms = $18, finished_at = $19, attention_at = $20, version = version + 1, updated_at = $10,
                transfer_agency_id = $22::uuid,
                ${HEAD_MOVE}
          WHERE id = $1
       ), o AS (
         INSERT INTO outbox (queue, job_name, payload, request_id)
         SELECT $21, 'dossier-event', jsonb_build_object('dossierId', $1::uuid, 'sourceId', h.id, 'event', $3::text), $23::text FROM h
       )
       SELECT id FROM h`,
      [
        ...params,
        change.code,
        change.submittedAt,
        change.receivedAt,
        change.dueAt,
        change.pausedAt,
        change.pausedMs,
        change.finishedAt,
        change.attentionAt,
        outboxQueue,
        change.transferAgencyId ?? null,
        correlationId() ?? null,
      ],
    );
    return { historyId: id, seq: full.seq, hash };
  }

  /**
   * A first submission's code, as the LAST statement of its transaction (the caller commits right after): the
   * counter of the agency's day is incremented and the dossier's code written in one statement. The counter row
   * stays locked until the transaction ends, as with `nextCodeNumber`, so codes stay unique and gap-free per agency
   * and day (a rolled-back submission gives its number back, and numbers follow commit order), but it is locked
   * for this statement and the COMMIT only, not for the whole submission: submissions of one agency overlap up to
   * here. `answer`: the idempotent answer, kept in the same statement with the code set in its body (`code`).
   */
  async assignCode(
    m: EntityManager,
    c: CodeToTake,
    answer?: { accountId: string; key: string; requestHash: string; body: unknown },
  ): Promise<string> {
    const keep = answer
      ? `, ${saveAnswerCte('k', {
          account: '$5::uuid',
          key: '$6',
          requestHash: '$7',
          body: `jsonb_set($8::jsonb, '{code}', to_jsonb(d.code))`,
          from: 'FROM d',
        })}`
      : '';
    const [row]: { code: string }[] = await m.query(
      `WITH c AS (
         INSERT INTO dossier_code_counters (agency_id, day, last_value) VALUES ($2, $3, 1)
         ON CONFLICT (agency_id, day) DO UPDATE SET last_value = dossier_code_counters.last_value + 1
         RETURNING last_value
       ), d AS (
         UPDATE dossiers SET code = $4::text || CASE WHEN c.last_value < 10000 THEN lpad(c.last_value::text, 4, '0')
                                                   ELSE c.last_value::text END
           FROM c WHERE dossiers.id = $1 AND dossiers.code IS NULL
         RETURNING dossiers.code
       )${keep}
       SELECT code FROM d`,
      [
        c.dossierId,
        c.agencyId,
        c.day,
        dossierCodePrefix(c.agencyCode, c.day),
        ...(answer ? [answer.accountId, answer.key, answer.requestHash, answer.body] : []),
      ],
    );
    // No row: the dossier already had a code (the counter's increment is rolled back with the transaction).
    if (!row) throw new Error(`dossier ${c.dossierId} already has a code`);
    return row.code;
  }

  /** The next number of the agency's day (gap-free: a counter row, locked until the caller's transaction ends). */
  async nextCodeNumber(m: EntityManager, agencyId: string, day: string): Promise<number> {
    const [counter]: { last_value: number }[] = await m.query(
      `INSERT INTO dossier_code_counters (agency_id, day, last_value) VALUES ($1, $2, 1)
         ON CONFLICT (agency_id, day) DO UPDATE SET last_value = dossier_code_counters.last_value + 1
         RETURNING last_value`,
      [agencyId, day],
    );
    return counter.last_value;
  }

  // ------------------------------------------------------------ supplementation rounds

  /**
   * The dossier's supplementation requests so far (oldest first) and the last state change the citizen made
   * (their answer to a request), in one read.
   */
  async supplementRequests(
    m: EntityManager,
    dossierId: string,
    action: string,
  ): Promise<{ earlier: EarlierRequest[]; lastCitizenMoveSeq: number | null }> {
    const [row]: { earlier: EarlierRequest[]; last: number | null }[] = await m.query(
      `SELECT coalesce((SELECT json_agg(json_build_object('seq', seq, 'comment', comment, 'data', data) ORDER BY seq)
                          FROM dossier_history WHERE dossier_id = $1 AND action = $2), '[]') AS earlier,
              (SELECT max(seq) FROM dossier_history WHERE dossier_id = $1 AND actor_role = 'citizen'
                  AND from_state IS DISTINCT FROM to_state AND from_state IS NOT NULL) AS last`,
      [dossierId, action],
    );
    return { earlier: row.earlier, lastCitizenMoveSeq: row.last === null ? null : Number(row.last) };
  }

  /** The id of the dossier's history entry number `seq`. */
  async historyIdAt(m: EntityManager, dossierId: string, seq: number): Promise<string> {
    const [h]: { id: string }[] = await m.query(`SELECT id FROM dossier_history WHERE dossier_id = $1 AND seq = $2`, [
      dossierId,
      seq,
    ]);
    return h.id;
  }

  // ------------------------------------------------------------ apologies and ratings

  async latestApologyDate(m: EntityManager, dossierId: string): Promise<Date | null> {
    const [latest]: { at: Date | null }[] = await m.query(
      `SELECT max(new_due_at) AS at FROM dossier_apologies WHERE dossier_id = $1`,
      [dossierId],
    );
    return latest?.at ?? null;
  }

  async insertApology(m: EntityManager, dossierId: string, reason: string, newDueAt: Date, issuedBy: string) {
    const [apology]: { id: string }[] = await m.query(
      `INSERT INTO dossier_apologies (dossier_id, reason, new_due_at, issued_by) VALUES ($1, $2, $3, $4) RETURNING id`,
      [dossierId, reason, newDueAt, issuedBy],
    );
    return apology.id;
  }

  /** A result was issued, or the latest move into `state` was taken by the agency's staff. */
  async decidedByAgency(m: EntityManager, dossierId: string, state: string): Promise<boolean> {
    const [decided]: { decided: boolean | null }[] = await m.query(
      `SELECT EXISTS (SELECT 1 FROM dossier_results WHERE dossier_id = $1 AND status IN ('generating','issued'))
             OR (SELECT actor_role FROM dossier_history WHERE dossier_id = $1 AND to_state = $2 AND from_state IS DISTINCT FROM to_state
                  ORDER BY seq DESC LIMIT 1) IN ('clerk','supervisor') AS decided`,
      [dossierId, state],
    );
    return decided.decided === true;
  }

  /** The rating, or undefined when the dossier was already rated (its primary key). */
  async insertRating(
    m: EntityManager,
    dossierId: string,
    score: number,
    comment: string | null,
  ): Promise<Rating | undefined> {
    const [rated]: Rating[] = await m.query(
      `INSERT INTO dossier_ratings (dossier_id, score, comment) VALUES ($1, $2, $3) ON CONFLICT (dossier_id) DO NOTHING
         RETURNING score, comment, at`,
      [dossierId, score, comment],
    );
    return rated;
  }

  // ------------------------------------------------------------ the clerk's queue

  async agencyCalendar(agencyId: string): Promise<WorkCalendar> {
    const [agency]: { calendar: WorkCalendar }[] = await this.db.query(`SELECT calendar FROM agencies WHERE id = $1`, [
      agencyId,
    ]);
    return agency.calendar;
  }

  /**
   * A page of the queue, by attention time then id, keyset after `after`
   * ([attention_at, id]); one row more than `limit` when a next page exists.
   */
  async queuePage(filter: QueueFilter, after: [string, string] | null, limit: number): Promise<QueueRow[]> {
    const { where, params } = queueWhere(filter);
    if (after) {
      params.push(after[0], after[1]);
      where.push(`(d.attention_at, d.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    return this.db.query(
      `SELECT d.id, d.code, d.state, p.code AS "procedureCode", p.name AS "procedureName", a.full_name AS "applicantName",
              d.assignee_id AS "assigneeId", d.submitted_at AS "submittedAt", d.received_at AS "receivedAt",
              d.due_at AS "dueAt", d.attention_at AS "attentionAt",
              (d.due_at IS NOT NULL AND d.finished_at IS NULL AND d.due_at < coalesce(d.paused_at, now())) AS overdue,
              d.deadline_alert AS "deadlineAlert",
              (d.paused_at IS NOT NULL) AS "clockPaused",
              (SELECT pr.status FROM payment_requests pr WHERE pr.dossier_id = d.id ORDER BY pr.created_at DESC LIMIT 1) AS "paymentStatus"
         FROM dossiers d
         JOIN procedures p ON p.id = d.procedure_id
         JOIN accounts a ON a.id = d.applicant_id
        WHERE ${where.join(' AND ')}
        ORDER BY d.attention_at, d.id
        LIMIT ${limit + 1}`,
      params,
    );
  }

  /** How many dossiers of the queue (same filter, no paging) are in each state. */
  async queueCounts(filter: QueueFilter): Promise<{ state: string; count: number }[]> {
    const { where, params } = queueWhere(filter);
    return this.db.query(
      `SELECT d.state, count(*)::int AS count FROM dossiers d WHERE ${where.join(' AND ')} GROUP BY d.state ORDER BY d.state`,
      params,
    );
  }

  // ------------------------------------------------------------ the deadline sweep

  /** Flags open, running dossiers past their due date; returns the ones that were not flagged overdue yet. */
  async flagOverdue(m: EntityManager, now: Date): Promise<{ id: string }[]> {
    const { rows } = await modify<{ id: string }>(
      m,
      `UPDATE dossiers SET deadline_alert = 'overdue'
          WHERE finished_at IS NULL AND paused_at IS NULL AND due_at < $1 AND deadline_alert IS DISTINCT FROM 'overdue'
          RETURNING id`,
      [now],
    );
    return rows;
  }

  /** The agencies (with their calendars) that have an open dossier not yet due. */
  async agenciesWithOpenDossiers(m: EntityManager, now: Date): Promise<{ id: string; calendar: WorkCalendar }[]> {
    return m.query(
      `SELECT id, calendar FROM agencies a WHERE EXISTS (SELECT 1 FROM dossiers d WHERE d.agency_id = a.id AND d.finished_at IS NULL AND d.due_at >= $1)`,
      [now],
    );
  }

  /**
   * Flags the open dossiers paused (waiting for the citizen's supplement) whose due date passed during the pause,
   * once per pause (`pause_warned_at` = the pause's `paused_at`); returns them with the history entry that
   * started the pause (the warnings' source).
   */
  async flagPausedPastDue(m: EntityManager, now: Date): Promise<{ id: string; sourceId: string }[]> {
    const { rows } = await modify<{ id: string; sourceId: string }>(
      m,
      `UPDATE dossiers d SET pause_warned_at = d.paused_at
          WHERE d.finished_at IS NULL AND d.paused_at IS NOT NULL AND d.due_at < $1 AND d.due_at >= d.paused_at
            AND d.pause_warned_at IS DISTINCT FROM d.paused_at
          RETURNING d.id, (SELECT h.id FROM dossier_history h WHERE h.dossier_id = d.id
                            ORDER BY (h.at <= d.paused_at) DESC, h.seq DESC LIMIT 1) AS "sourceId"`,
      [now],
    );
    return rows;
  }

  /** Flags the agency's open, running dossiers due before `until` and not flagged yet; returns them. */
  async flagDueSoon(m: EntityManager, agencyId: string, now: Date, until: Date): Promise<{ id: string }[]> {
    const { rows } = await modify<{ id: string }>(
      m,
      `UPDATE dossiers SET deadline_alert = 'due_soon'
            WHERE agency_id = $1 AND finished_at IS NULL AND paused_at IS NULL AND due_at >= $2 AND due_at < $3 AND deadline_alert IS NULL
            RETURNING id`,
      [agencyId, now, until],
    );
    return rows;
  }

  /** Who approves (rule 9): the account's id, name and position, as a result's signature block shows them. */
  async approver(
    m: EntityManager,
    accountId: string,
  ): Promise<{ id: string; name: string; title: string | null } | undefined> {
    const [row] = await selectRows<{ id: string; name: string; title: string | null }>(
      m,
      `SELECT id, full_name AS name, title FROM accounts WHERE id = $1`,
      [accountId],
    );
    return row;
  }

  /** The agency's received, unfinished dossiers with a due date, locked (rule 10: a calendar edit moves them). */
  openWithDueDateForUpdate(
    m: EntityManager,
    agencyId: string,
  ): Promise<
    (Pick<DossierRow, 'id' | 'state' | 'history_seq' | 'history_hash'> & { received_at: Date; due_at: Date })[]
  > {
    return selectRows(
      m,
      `SELECT id, state, history_seq, history_hash, received_at, due_at FROM dossiers
        WHERE agency_id = $1 AND received_at IS NOT NULL AND finished_at IS NULL AND due_at IS NOT NULL
        ORDER BY id FOR UPDATE`,
      [agencyId],
    );
  }

  /** A new due date; the queue's attention date follows it when it was the due date. */
  async moveDueDate(m: EntityManager, id: string, from: Date, to: Date): Promise<void> {
    await modify(
      m,
      `UPDATE dossiers SET due_at = $3,
              attention_at = CASE WHEN attention_at = $2 THEN $3 ELSE attention_at END
        WHERE id = $1`,
      [id, from, to],
    );
  }
}
