import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, isStaff } from '../auth/auth-user';
import { Conflict, FieldError, Forbidden, NotFound, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { JOB_QUEUE } from '../jobs/jobs';
import { OutboxService } from '../outbox/outbox.service';
import { PaymentsService } from '../payments/payments.service';
import { ResultsService } from '../delivery/results.service';
import { validateFormData } from '../procedures/form-schema';
import { ProceduresService, PublishedVersion } from '../procedures/procedures.service';
import { localDateOf } from '../workflow/calendar';
import { applyClock, DeadlineState } from '../workflow/deadline';
import { ActionDefinition, Role, SUBMIT_ACTION, Trigger } from '../workflow/definition';
import {
  availableActions,
  canEdit,
  planTransition,
  stateOf,
  systemActionFor,
  TransitionPlan,
} from '../workflow/engine';
import { ActionForbiddenError, InvalidTransitionError } from '../workflow/errors';
import { CreateApplicationDto, DeliveryDto, UpdateApplicationDto } from './dto';
import { DOSSIER_SELECT, DossierRow, dossierCode, HistoryEntry, historyHash } from './dossier';
import { DossierSurroundings, DossierView, toDossierView } from './dossier.view';

export interface ActionInput {
  comment?: string;
  data?: Record<string, unknown>;
  attachmentIds?: string[];
}

/** The workflow roles an account acts in: a supervisor may also do a clerk's work. */
export function workflowRoles(user: AuthUser): Role[] {
  return user.role === 'supervisor' ? ['supervisor', 'clerk'] : [user.role];
}

@Injectable()
export class ApplicationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly procedures: ProceduresService,
    private readonly outbox: OutboxService,
    private readonly payments: PaymentsService,
    private readonly results: ResultsService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.maxDrafts = config.get('DRAFTS_MAX_PER_ACCOUNT', { infer: true });
  }

  private readonly maxDrafts: number;

  // ---------------------------------------------------------------- reading

  async get(user: AuthUser, id: string): Promise<DossierView> {
    const row = await this.load(this.db.manager, user, id, false);
    return this.view(user, row);
  }

  async list(
    user: AuthUser,
    limit = 20,
    cursor?: string,
  ): Promise<{ items: DossierView[]; nextCursor: string | null }> {
    const after = decodeCursor(cursor);
    const scope = scopeClause(user, 2);
    const rows: DossierRow[] = await this.db.query(
      `${DOSSIER_SELECT}
        WHERE ${scope.sql} AND ($1::timestamptz IS NULL OR (d.created_at, d.id) < ($1::timestamptz, $${scope.next}::uuid))
        ORDER BY d.created_at DESC, d.id DESC LIMIT ${limit + 1}`,
      [after?.[0] ?? null, ...scope.params, after?.[1] ?? null],
    );
    const page = rows.slice(0, limit);
    const items = await this.views(user, page);
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor([last.created_at.toISOString(), last.id]) : null,
    };
  }

  async history(user: AuthUser, id: string) {
    await this.load(this.db.manager, user, id, false);
    const rows = await this.db.query(
      `SELECT h.seq, h.action, h.from_state AS "fromState", h.to_state AS "toState", h.actor_role AS "actorRole",
              h.comment, h.data, h.at,
              coalesce((SELECT json_agg(json_build_object('id', x.id, 'documentKey', x.document_key, 'fileName', x.file_name))
                          FROM dossier_documents x WHERE x.history_id = h.id), '[]') AS attachments
         FROM dossier_history h WHERE h.dossier_id = $1 ORDER BY h.seq`,
      [id],
    );
    return rows;
  }

  async lookup(code: string, idNumber: string) {
    const rows = await this.db.query(
      `SELECT d.code, d.state, d.due_at AS "dueAt", p.name AS "procedureName"
         FROM dossiers d JOIN accounts a ON a.id = d.applicant_id JOIN procedures p ON p.id = d.procedure_id
        WHERE d.code = $1 AND a.id_number = $2`,
      [code, idNumber],
    );
    if (!rows[0]) throw new NotFound('dossier');
    return rows[0];
  }

  // ---------------------------------------------------------------- drafts

  async create(user: AuthUser, dto: CreateApplicationDto): Promise<DossierView> {
    const { procedure, version } = await this.procedures.latestPublished(dto.procedureCode).catch((e) => {
      if (e instanceof NotFound)
        throw new ValidationFailed([{ field: 'procedureCode', message: 'no published procedure has this code' }]);
      throw e;
    });
    const delivery = this.checkDelivery(version, dto.delivery ?? { method: 'online' });
    const formData = dto.formData ?? {};
    const errors = validateFormData(version.id, version.formSchema, formData, 'partial');
    if (errors.length) throw new ValidationFailed(errors);
    const start = version.workflow.states.find((s) => s.start)!;
    const id = await this.db.transaction(async (m) => {
      // The account row is the lock: two creates by one citizen count one after the other.
      await m.query(`SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, [user.id]);
      const [open] = await m.query(
        `SELECT count(*)::int AS n FROM dossiers d JOIN procedure_versions v ON v.id = d.procedure_version_id
          WHERE d.applicant_id = $1 AND d.submitted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v.workflow->'states') s WHERE s->>'key' = d.state AND s->>'terminal' = 'true')`,
        [user.id],
      );
      if (open.n >= this.maxDrafts) {
        throw new Conflict(
          `At most ${this.maxDrafts} dossiers may be started and not yet submitted; submit one first.`,
          'draft-limit',
        );
      }
      const [row] = await m.query(
        `INSERT INTO dossiers (agency_id, procedure_id, procedure_version_id, applicant_id, state, form_data, delivery)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [procedure.agencyId, procedure.id, version.id, user.id, start.key, formData, delivery],
      );
      await this.appendHistory(
        m,
        { id: row.id, history_seq: 0, history_hash: null },
        {
          action: 'create',
          fromState: null,
          toState: start.key,
          actorId: user.id,
          actorRole: user.role,
          comment: null,
          data: null,
        },
      );
      return row.id as string;
    });
    return this.get(user, id);
  }

  async update(user: AuthUser, id: string, dto: UpdateApplicationDto): Promise<DossierView> {
    if (dto.formData === undefined && dto.delivery === undefined) {
      throw new ValidationFailed([{ field: 'formData', message: 'nothing to update' }], 'Nothing to update.', 400);
    }
    await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      const version = await this.procedures.version(row.procedure_version_id);
      if (!workflowRoles(user).some((r) => canEdit(version.workflow, row.state, r))) {
        throw new Conflict(`The dossier cannot be edited in state ${row.state}.`, 'not-editable');
      }
      const formData = { ...row.form_data, ...(dto.formData ?? {}) };
      const errors = validateFormData(version.id, version.formSchema, formData, 'partial');
      if (errors.length) throw new ValidationFailed(errors);
      const delivery = dto.delivery ? this.checkDelivery(version, dto.delivery) : row.delivery;
      if (delivery.method !== row.delivery.method) await this.checkDeliveryNotCharged(m, row, version);
      await m.query(
        `UPDATE dossiers SET form_data = $2, delivery = $3, version = version + 1, updated_at = now() WHERE id = $1`,
        [id, formData, delivery],
      );
      if (!stateOf(version.workflow, row.state).start) {
        await this.appendHistory(m, row, {
          action: 'edit',
          fromState: row.state,
          toState: row.state,
          actorId: user.id,
          actorRole: user.role,
          comment: null,
          data: { fields: Object.keys(dto.formData ?? {}), delivery: dto.delivery ? dto.delivery.method : undefined },
        });
      }
    });
    return this.get(user, id);
  }

  // ---------------------------------------------------------------- actions

  /**
   * `POST /applications/:id/submit`: the action keyed `submit`, or, when the
   * dossier is back with the citizen for supplementation, the citizen's
   * action that leaves that state (`resubmit` in the demo workflows).
   * With an Idempotency-Key: a repeat returns the first answer.
   */
  async submit(user: AuthUser, id: string, idempotencyKey: string): Promise<{ status: number; body: DossierView }> {
    const requestHash = createHash('sha256').update(`submit:${id}`).digest('hex');
    const previous = await this.storedResponse(user.id, idempotencyKey, requestHash);
    if (previous) return previous;
    try {
      return await this.db.transaction(async (m) => {
        const row = await this.load(m, user, id, true);
        const version = await this.procedures.version(row.procedure_version_id);
        const key = this.submitActionKey(version, row.state, user);
        const updated = await this.transition(m, user, row, version, key, {});
        const body = await this.view(user, updated, m);
        await m.query(
          `INSERT INTO idempotency_keys (account_id, key, request_hash, status, body) VALUES ($1, $2, $3, 200, $4)`,
          [user.id, idempotencyKey, requestHash, body],
        );
        return { status: 200, body };
      });
    } catch (e) {
      // A concurrent request with the same key won the race: answer as it did.
      const raced = await this.storedResponse(user.id, idempotencyKey, requestHash);
      if (raced) return raced;
      throw e;
    }
  }

  async act(user: AuthUser, id: string, actionKey: string, input: ActionInput): Promise<DossierView> {
    const updated = await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      const version = await this.procedures.version(row.procedure_version_id);
      return this.transition(m, user, row, version, actionKey, input);
    });
    return this.view(user, updated);
  }

  /** The portal acting by itself on an event (payment confirmed, parcel delivered). */
  async trigger(dossierId: string, trigger: Trigger, data: Record<string, unknown> = {}): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const [row]: DossierRow[] = await m.query(`${DOSSIER_SELECT} WHERE d.id = $1 FOR UPDATE OF d`, [dossierId]);
      if (!row) return false;
      const version = await this.procedures.version(row.procedure_version_id);
      const action = systemActionFor(version.workflow, row.state, trigger);
      if (!action) return false; // already moved on: the event is applied once
      await this.transition(m, { id: '', role: 'system' as never, agencyId: null }, row, version, action.key, { data });
      return true;
    });
  }

  async assign(user: AuthUser, id: string, clerkId?: string): Promise<DossierView> {
    if (!isStaff(user)) throw new Forbidden();
    const target = clerkId ?? user.id;
    if (target !== user.id && user.role !== 'supervisor')
      throw new Forbidden('Only a supervisor may assign a dossier to someone else.');
    await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      const [clerk] = await m.query(
        `SELECT id FROM accounts WHERE id = $1 AND agency_id = $2 AND role IN ('clerk', 'supervisor')`,
        [target, row.agency_id],
      );
      if (!clerk) throw new ValidationFailed([{ field: 'clerkId', message: 'no clerk of this agency has this id' }]);
      const version = await this.procedures.version(row.procedure_version_id);
      if (stateOf(version.workflow, row.state).terminal || !row.submitted_at) {
        throw new Conflict(`A dossier in state ${row.state} cannot be assigned.`, 'not-assignable');
      }
      await m.query(`UPDATE dossiers SET assignee_id = $2, version = version + 1, updated_at = now() WHERE id = $1`, [
        id,
        target,
      ]);
      await this.appendHistory(m, row, {
        action: 'assign',
        fromState: row.state,
        toState: row.state,
        actorId: user.id,
        actorRole: user.role,
        comment: null,
        data: { assigneeId: target, previousAssigneeId: row.assignee_id },
      });
    });
    return this.get(user, id);
  }

  /**
   * The apology and new date (form 04) when a dossier will be late: the
   * citizen is told, the new date is shown, and the dossier still counts as
   * late (its due date does not move).
   */
  async apologize(user: AuthUser, id: string, reason: string, newDueAt: Date): Promise<DossierView> {
    if (!isStaff(user)) throw new Forbidden();
    await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      if (!row.received_at || row.finished_at || !row.due_at) {
        throw new Conflict('An apology is issued for a received dossier that is not finished.', 'not-apologizable');
      }
      const [latest] = await m.query(`SELECT max(new_due_at) AS at FROM dossier_apologies WHERE dossier_id = $1`, [id]);
      const floor = latest?.at && latest.at > row.due_at ? latest.at : row.due_at;
      if (newDueAt <= floor || newDueAt <= new Date()) {
        throw new ValidationFailed([
          { field: 'newDueAt', message: 'the new date must be later than the current due date and in the future' },
        ]);
      }
      const [apology] = await m.query(
        `INSERT INTO dossier_apologies (dossier_id, reason, new_due_at, issued_by) VALUES ($1, $2, $3, $4) RETURNING id`,
        [id, reason.trim(), newDueAt, user.id],
      );
      await this.appendHistory(m, row, {
        action: 'apology',
        fromState: row.state,
        toState: row.state,
        actorId: user.id,
        actorRole: user.role,
        comment: reason.trim(),
        data: { newDueAt: newDueAt.toISOString(), apologyId: apology.id },
      });
      await this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId: id, event: 'apology', sourceId: apology.id } },
      ]);
    });
    return this.get(user, id);
  }

  /**
   * The citizen rates the service once (the rating's primary key is the
   * dossier), after the dossier is finished with a decision of the agency:
   * a result was issued, or the agency's staff closed it (refusal,
   * rejection, stop). A dossier the citizen withdrew, or the portal closed by
   * itself (an abandoned one), was never decided: nothing to rate.
   */
  async rate(user: AuthUser, id: string, score: number, comment?: string) {
    return this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      const version = await this.procedures.version(row.procedure_version_id);
      if (row.applicant_id !== user.id || !stateOf(version.workflow, row.state).terminal) {
        throw new Conflict('A dossier is rated by its owner once it is finished.', 'not-ratable');
      }
      const [decided] = await m.query(
        `SELECT EXISTS (SELECT 1 FROM dossier_results WHERE dossier_id = $1 AND status IN ('generating','issued'))
             OR (SELECT actor_role FROM dossier_history WHERE dossier_id = $1 AND to_state = $2 AND from_state IS DISTINCT FROM to_state
                  ORDER BY seq DESC LIMIT 1) IN ('clerk','supervisor') AS decided`,
        [id, row.state],
      );
      if (!decided.decided) {
        throw new Conflict(
          'Only a dossier the agency decided (a result, a refusal or a rejection) can be rated.',
          'not-ratable',
        );
      }
      const [rated] = await m.query(
        `INSERT INTO dossier_ratings (dossier_id, score, comment) VALUES ($1, $2, $3) ON CONFLICT (dossier_id) DO NOTHING
         RETURNING score, comment, at`,
        [id, score, comment?.trim() || null],
      );
      if (!rated) throw new Conflict('This dossier was already rated.', 'already-rated');
      return rated;
    });
  }

  // ---------------------------------------------------------------- internals

  /**
   * One state change, inside the caller's transaction and on a locked row:
   * checks the transition against the pinned version, validates what leaving
   * a citizen-editable state requires, moves the clock, updates the dossier,
   * appends the history entry and writes the outbox rows.
   */
  private async transition(
    m: EntityManager,
    user: AuthUser,
    row: DossierRow,
    version: PublishedVersion,
    actionKey: string,
    input: ActionInput,
  ): Promise<DossierRow> {
    const attachments = await this.checkAttachments(m, user, row.id, input.attachmentIds ?? []);
    const plan = this.plan(version, row.state, actionKey, user, {
      comment: input.comment,
      attachmentCount: attachments.length,
    });
    if (
      plan.action.by.includes('citizen') &&
      user.role === 'citizen' &&
      (plan.from.editableBy ?? []).includes('citizen')
    ) {
      await this.checkComplete(m, row, version);
    }
    const now = new Date();
    let code = row.code;
    if (!code && plan.action.key === SUBMIT_ACTION) {
      const day = localDateOf(row.calendar, now);
      const [counter] = await m.query(
        `INSERT INTO dossier_code_counters (agency_id, day, last_value) VALUES ($1, $2, 1)
         ON CONFLICT (agency_id, day) DO UPDATE SET last_value = dossier_code_counters.last_value + 1
         RETURNING last_value`,
        [row.agency_id, day],
      );
      code = dossierCode(row.agency_code, day, counter.last_value);
    }
    const before: DeadlineState = {
      receivedAt: row.received_at,
      dueAt: row.due_at,
      pausedAt: row.paused_at,
      finishedAt: row.finished_at,
      pausedMs: Number(row.paused_ms),
    };
    const clock = applyClock({
      state: before,
      from: plan.from,
      to: plan.to,
      effects: plan.effects,
      now,
      calendar: row.calendar,
      processingDays: version.processingDays,
    });
    const submittedAt = row.submitted_at ?? (plan.action.key === SUBMIT_ACTION ? now : null);
    const attentionAt = plan.to.terminal || !submittedAt ? null : (clock.dueAt ?? submittedAt);
    const data: Record<string, unknown> = { ...(input.data ?? {}) };
    if (plan.effects.includes('issueReceipt') && clock.receivedAt) {
      data.receipt = { code, receivedAt: clock.receivedAt.toISOString(), dueAt: clock.dueAt?.toISOString() ?? null };
    }
    const entry: HistoryEntry = {
      dossierId: row.id,
      seq: row.history_seq + 1,
      action: plan.action.key,
      fromState: row.state,
      toState: plan.to.key,
      actorId: user.id || null,
      actorRole: user.role,
      comment: input.comment?.trim() || null,
      data: Object.keys(data).length ? data : null,
      at: now,
    };
    const hash = historyHash(row.history_hash, entry);
    // One round trip: the dossier, its history entry (hash-chained) and the citizen's notification.
    const [{ id: historyId }] = await m.query(
      `WITH d AS (
         UPDATE dossiers SET state = $2, code = $3, submitted_at = $4, received_at = $5, due_at = $6, paused_at = $7,
                paused_ms = $8, finished_at = $9, attention_at = $10, version = version + 1, updated_at = $11,
                history_seq = $12, history_hash = $13
          WHERE id = $1
       ), h AS (
         INSERT INTO dossier_history (dossier_id, seq, action, from_state, to_state, actor_id, actor_role, comment, data, at, prev_hash, hash)
         VALUES ($1, $12, $14, $15, $2, $16, $17, $18, $19, $11, $20, $13) RETURNING id
       ), o AS (
         INSERT INTO outbox (queue, job_name, payload)
         SELECT $21, 'dossier-event', jsonb_build_object('dossierId', $1::uuid, 'sourceId', h.id, 'event', $14::text) FROM h
       )
       SELECT id FROM h`,
      [
        row.id,
        plan.to.key,
        code,
        submittedAt,
        clock.receivedAt,
        clock.dueAt,
        clock.pausedAt,
        clock.pausedMs,
        clock.finishedAt,
        attentionAt,
        now,
        entry.seq,
        hash,
        entry.action,
        entry.fromState,
        entry.actorId,
        entry.actorRole,
        entry.comment,
        entry.data,
        row.history_hash,
        JOB_QUEUE['dossier-event'],
      ],
    );
    const updated: DossierRow = {
      ...row,
      state: plan.to.key,
      code,
      submitted_at: submittedAt,
      received_at: clock.receivedAt,
      due_at: clock.dueAt,
      paused_at: clock.pausedAt,
      paused_ms: String(clock.pausedMs),
      finished_at: clock.finishedAt,
      version: row.version + 1,
      updated_at: now,
      history_seq: entry.seq,
      history_hash: hash,
    };
    if (attachments.length) {
      await m.query(`UPDATE dossier_documents SET history_id = $2 WHERE id = ANY($1::uuid[])`, [
        attachments,
        historyId,
      ]);
    }
    await this.applyEffects(m, updated, version, plan, input, user, now);
    if (plan.to.terminal) await this.payments.voidOpenRequests(m, row.id);
    return updated;
  }

  /** The workflow's effects other than the clock and the receipt (applied with the state change above). */
  private async applyEffects(
    m: EntityManager,
    row: DossierRow,
    version: PublishedVersion,
    plan: TransitionPlan,
    input: ActionInput,
    user: AuthUser,
    now: Date,
  ): Promise<void> {
    for (const effect of plan.effects) {
      switch (effect) {
        case 'startClock':
        case 'issueReceipt':
          break;
        case 'requirePayment':
          await this.payments.openRequest(m, row, version);
          await this.outbox.add(m, [
            { name: 'dossier-event', data: { dossierId: row.id, event: 'payment_required', sourceId: row.id } },
          ]);
          break;
        case 'refund':
          await this.payments.requestRefund(
            m,
            row.id,
            version.refundable,
            `${plan.action.key}${input.comment ? `: ${input.comment}` : ''}`,
          );
          break;
        case 'issueResult':
          await this.results.issue(m, row.id, user.id || null, input.comment?.trim() || null, now);
          break;
        case 'dispatchByPost':
          if (row.delivery.method === 'post') {
            await this.checkPostagePaid(m, row, version);
            await this.outbox.add(m, [{ name: 'create-shipment', data: { dossierId: row.id } }]);
          }
          break;
        default: {
          const never: never = effect;
          throw new Error(`unknown effect ${String(never)}`);
        }
      }
    }
  }

  /** No free shipment: where the procedure charges postage online, a parcel leaves only once a paid request included it. */
  private async checkPostagePaid(m: EntityManager, row: DossierRow, version: PublishedVersion): Promise<void> {
    if (version.postalFeeVnd <= 0 || version.feeTiming === 'exempt') return;
    const [paid] = await m.query(
      `SELECT 1 FROM payment_requests WHERE dossier_id = $1 AND status = 'paid' AND items @> '[{"kind":"postal"}]' LIMIT 1`,
      [row.id],
    );
    if (!paid)
      throw new Conflict(
        'The postal charge for this dossier has not been paid; the result cannot be sent by post.',
        'postage-unpaid',
      );
  }

  /** A payment confirmed after its dossier was closed (withdrawn while paying) is given back. */
  async refundIfClosed(dossierId: string, reason: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const [row]: DossierRow[] = await m.query(`${DOSSIER_SELECT} WHERE d.id = $1 FOR UPDATE OF d`, [dossierId]);
      if (!row) return;
      const version = await this.procedures.version(row.procedure_version_id);
      if (stateOf(version.workflow, row.state).terminal) await this.payments.requestRefund(m, dossierId, true, reason);
    });
  }

  private plan(
    version: PublishedVersion,
    state: string,
    actionKey: string,
    user: AuthUser,
    input: { comment?: string; attachmentCount: number },
  ): TransitionPlan {
    const roles: Role[] = user.role === ('system' as string) ? ['system'] : workflowRoles(user);
    let lastError: unknown;
    for (const role of roles) {
      try {
        return planTransition(version.workflow, state, actionKey, role, input);
      } catch (e) {
        if (!(e instanceof ActionForbiddenError)) throw e;
        lastError = e;
      }
    }
    throw lastError;
  }

  private submitActionKey(version: PublishedVersion, state: string, user: AuthUser): string {
    const submit = version.workflow.actions.find((a) => a.key === SUBMIT_ACTION);
    if (submit?.from.includes(state)) return SUBMIT_ACTION;
    const current = stateOf(version.workflow, state);
    if ((current.editableBy ?? []).includes('citizen')) {
      const leave = version.workflow.actions.find(
        (a: ActionDefinition) => a.from.includes(state) && a.by.includes(user.role as Role),
      );
      if (leave) return leave.key;
    }
    throw new InvalidTransitionError(SUBMIT_ACTION, state);
  }

  /** Leaving a citizen-editable state: the form is complete and every required document is there. */
  private async checkComplete(m: EntityManager, row: DossierRow, version: PublishedVersion): Promise<void> {
    const errors: FieldError[] = validateFormData(version.id, version.formSchema, row.form_data, 'full');
    const present: { document_key: string }[] = await m.query(
      `SELECT DISTINCT document_key FROM dossier_documents WHERE dossier_id = $1`,
      [row.id],
    );
    const have = new Set(present.map((p) => p.document_key));
    for (const doc of version.requiredDocuments) {
      if (doc.required && !have.has(doc.key))
        errors.push({ field: `documents.${doc.key}`, message: `required document missing: ${doc.name}` });
    }
    if (errors.length) throw new ValidationFailed(errors, 'The dossier is not complete.');
  }

  private async checkAttachments(
    m: EntityManager,
    user: AuthUser,
    dossierId: string,
    ids: string[],
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    const rows = await m.query(
      `SELECT id FROM dossier_documents WHERE id = ANY($1::uuid[]) AND dossier_id = $2 AND uploaded_by = $3 AND history_id IS NULL`,
      [unique, dossierId, user.id],
    );
    if (rows.length !== unique.length) {
      throw new ValidationFailed([
        { field: 'attachmentIds', message: 'each attachment must be a new document you uploaded to this dossier' },
      ]);
    }
    return unique;
  }

  /**
   * The postal charge is part of the payment request the workflow opens
   * (`requirePayment`), one per stage, payable only while the workflow waits
   * for the payment. Once a request was opened or paid, a switch of delivery
   * method would leave the postage unpaid (online to post) or paid for nothing
   * (post to online), and no request could be paid for the difference: the
   * method is fixed from then on (an address may still change).
   */
  private async checkDeliveryNotCharged(m: EntityManager, row: DossierRow, version: PublishedVersion): Promise<void> {
    if (version.postalFeeVnd <= 0) return;
    const [charged] = await m.query(
      `SELECT 1 FROM payment_requests WHERE dossier_id = $1 AND status <> 'void' LIMIT 1`,
      [row.id],
    );
    if (charged) {
      throw new Conflict(
        'The delivery method cannot change once the fees (with or without postage) were charged for this dossier.',
        'delivery-fixed',
      );
    }
  }

  private checkDelivery(version: PublishedVersion, delivery: DeliveryDto): DeliveryDto {
    const errors: FieldError[] = [];
    if (!version.deliveryOptions.includes(delivery.method)) {
      errors.push({
        field: 'delivery.method',
        message: `this procedure delivers results by: ${version.deliveryOptions.join(', ')}`,
      });
    }
    if (delivery.method === 'post') {
      for (const f of ['recipient', 'address', 'phone'] as const) {
        if (!delivery[f]) errors.push({ field: `delivery.${f}`, message: `${f} is required for delivery by post` });
      }
    }
    if (errors.length) throw new ValidationFailed(errors);
    return delivery.method === 'post'
      ? { method: 'post', recipient: delivery.recipient, address: delivery.address, phone: delivery.phone }
      : { method: 'online' };
  }

  private async appendHistory(
    m: EntityManager,
    row: Pick<DossierRow, 'id' | 'history_seq' | 'history_hash'>,
    entry: Omit<HistoryEntry, 'dossierId' | 'seq' | 'at'>,
    at = new Date(),
  ): Promise<string> {
    const full: HistoryEntry = { ...entry, dossierId: row.id, seq: row.history_seq + 1, at };
    const hash = historyHash(row.history_hash, full);
    const [h] = await m.query(
      `WITH h AS (
         INSERT INTO dossier_history (dossier_id, seq, action, from_state, to_state, actor_id, actor_role, comment, data, at, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
       ), d AS (UPDATE dossiers SET history_seq = $2, history_hash = $12 WHERE id = $1)
       SELECT id FROM h`,
      [
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
      ],
    );
    row.history_seq = full.seq;
    row.history_hash = hash;
    return h.id;
  }

  /** Reads a dossier the caller may see; anything else is 404, whatever the reason. */
  async load(m: EntityManager, user: AuthUser, id: string, lock: boolean): Promise<DossierRow> {
    const scope = scopeClause(user, 2);
    const rows: DossierRow[] = await m.query(
      `${DOSSIER_SELECT} WHERE d.id = $1 AND ${scope.sql}${lock ? ' FOR UPDATE OF d' : ''}`,
      [id, ...scope.params],
    );
    if (!rows[0]) throw new NotFound('dossier');
    return rows[0];
  }

  private async view(user: AuthUser, row: DossierRow, m: EntityManager = this.db.manager): Promise<DossierView> {
    const [view] = await this.views(user, [row], m);
    return view;
  }

  /** Views of several dossiers with one round trip for what surrounds them (payment, result, parcel, apologies, rating). */
  private async views(user: AuthUser, rows: DossierRow[], m: EntityManager = this.db.manager): Promise<DossierView[]> {
    if (rows.length === 0) return [];
    const extras: (DossierSurroundings & { id: string })[] = await m.query(
      `SELECT d.id,
              (SELECT json_build_object('stage', stage, 'items', items, 'amountVnd', amount_vnd, 'status', status, 'paidAt', paid_at)
                 FROM payment_requests WHERE dossier_id = d.id ORDER BY created_at DESC LIMIT 1) AS payment,
              (SELECT json_build_object('verificationCode', verification_code, 'sha256', sha256, 'issuedAt', issued_at, 'number', number)
                 FROM dossier_results WHERE dossier_id = d.id AND status IN ('generating','issued')) AS result,
              (SELECT json_build_object('waybill', waybill, 'status', status) FROM shipments WHERE dossier_id = d.id) AS shipment,
              (SELECT coalesce(json_agg(json_build_object('reason', reason, 'newDueAt', new_due_at, 'at', at) ORDER BY at), '[]')
                 FROM dossier_apologies WHERE dossier_id = d.id) AS apologies,
              (SELECT json_build_object('score', score, 'comment', comment, 'at', at) FROM dossier_ratings WHERE dossier_id = d.id) AS rating
         FROM unnest($1::uuid[]) AS d(id)`,
      [rows.map((r) => r.id)],
    );
    const byId = new Map(extras.map((e) => [e.id, e]));
    return Promise.all(
      rows.map(async (row) => {
        const version = await this.procedures.version(row.procedure_version_id);
        const actions = new Set<string>();
        const isOwner = user.role === 'citizen' && row.applicant_id === user.id;
        if (isOwner || isStaff(user)) {
          for (const role of workflowRoles(user))
            availableActions(version.workflow, row.state, role).forEach((a) => actions.add(a));
        }
        return toDossierView(row, [...actions], version, byId.get(row.id)!);
      }),
    );
  }

  private async storedResponse(accountId: string, key: string, requestHash: string) {
    const [stored] = await this.db.query(
      `SELECT request_hash, status, body FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    if (!stored) return null;
    if (stored.request_hash !== requestHash) {
      throw new ValidationFailed(
        [{ field: 'Idempotency-Key', message: 'this key was already used for a different request' }],
        'The Idempotency-Key was used for another request.',
      );
    }
    return { status: stored.status as number, body: stored.body as DossierView };
  }
}

/**
 * Every query a user can reach is scoped: own dossiers, own agency's, or (admin) all.
 * A citizen's draft is the citizen's own until submitted: the agency's staff do not
 * see a never-submitted dossier, unless its workflow lets their role edit the state
 * it is in (assisted filing). Needs `v` (procedure_versions), as in DOSSIER_SELECT.
 */
export function scopeClause(user: AuthUser, firstParam: number): { sql: string; params: unknown[]; next: number } {
  if (user.role === 'citizen')
    return { sql: `d.applicant_id = $${firstParam}`, params: [user.id], next: firstParam + 1 };
  if (isStaff(user)) {
    return {
      sql: `d.agency_id = $${firstParam} AND (d.submitted_at IS NOT NULL OR EXISTS (
              SELECT 1 FROM jsonb_array_elements(v.workflow->'states') s
               WHERE s->>'key' = d.state AND coalesce(s->'editableBy', '[]') ?| $${firstParam + 1}::text[]))`,
      params: [user.agencyId, workflowRoles(user)],
      next: firstParam + 2,
    };
  }
  if (user.role === 'admin') return { sql: `true`, params: [], next: firstParam };
  return { sql: 'false', params: [], next: firstParam };
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): [string, string] | null {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      !Number.isNaN(Date.parse(v[0])) &&
      uuid.test(v[1])
    ) {
      return [v[0], v[1]];
    }
  } catch {
    /* fall through */
  }
  throw new ValidationFailed([{ field: 'cursor', message: 'cursor is not valid' }], 'The cursor is not valid.', 400);
}
