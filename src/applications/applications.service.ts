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
import { validateFormData } from '../procedures/form-schema';
import { ProceduresService, PublishedVersion } from '../procedures/procedures.service';
import { localDateOf } from '../workflow/calendar';
import { applyClock, DeadlineState, timeLimitFor } from '../workflow/deadline';
import { Role, SUBMIT_ACTION, Trigger } from '../workflow/definition';
import {
  availableActions,
  canEdit,
  findingOf,
  isApprovalAction,
  planTransition,
  stateOf,
  submitActionFor,
  systemActionFor,
  TransitionPlan,
} from '../workflow/engine';
import { ActionForbiddenError, InvalidTransitionError } from '../workflow/errors';
import { Actor, actorIdOf, actorRoleOf, isSystem, workflowRoles } from './actor';
import { checkApology } from './apology';
import { DocumentsRepository, type ListedDocument } from './documents.repository';
import { CreateApplicationDto, DeliveryDto, UpdateApplicationDto } from './dto';
import { DossierRow, dossierCode } from './dossier';
import { CodeToTake, DossierRepository, HistoryItem, LookupAnswer, Rating, scopeClause } from './dossier.repository';
import { DossierSurroundings, DossierView, toDossierView } from './dossier.view';
import { DossierEffects, EffectContext } from './effects';
import { IdempotencyRepository } from './idempotency.repository';
import { requestItems, SUPPLEMENT_REQUEST_ACTION, type SupplementItem, supplementRequestData } from './supplement';

export { workflowRoles } from './actor';
export { scopeClause } from './dossier.repository';

export interface ActionInput {
  comment?: string;
  data?: Record<string, unknown>;
  attachmentIds?: string[];
  /** The dossier's `version` the actor saw (a page's hidden field): another version is a 409, nothing written. */
  expectedVersion?: number;
  /** `request_supplement` only: every item to supplement in this round (else the comment's lines). */
  items?: SupplementItem[];
}

/** Effects that do not read the dossier's code: a submission with no other effect may take its code last. */
const CODE_FREE_EFFECTS: readonly string[] = ['startClock', 'requirePayment'];

@Injectable()
export class ApplicationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly dossiers: DossierRepository,
    private readonly documents: DocumentsRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly procedures: ProceduresService,
    private readonly outbox: OutboxService,
    private readonly effects: DossierEffects,
    config: ConfigService<AppConfig, true>,
  ) {
    this.maxDrafts = config.get('DRAFTS_MAX_PER_ACCOUNT', { infer: true });
  }

  private readonly maxDrafts: number;

  // ---------------------------------------------------------------- reading

  async get(user: AuthUser, id: string): Promise<DossierView> {
    const { row, surroundings } = await this.loadWithSurroundings(user, id);
    return this.viewOf(user, row, surroundings);
  }

  /**
   * One dossier as its page shows it, read in one statement scoped to the caller: the row and what surrounds it,
   * its view, its history and its documents (the same reads as GET /applications/:id, /applications/:id/history
   * and /applications/:id/documents). Anything else is 404.
   */
  async detail(
    user: AuthUser,
    id: string,
  ): Promise<{
    row: DossierRow;
    view: DossierView;
    history: HistoryItem[];
    documents: ListedDocument[];
  }> {
    const found = await this.dossiers.findScopedForPage(id, scopeClause(user, 2));
    if (!found) throw new NotFound('dossier');
    const { row, surroundings, history, documents } = found;
    return { row, view: await this.viewOf(user, row, surroundings), history, documents };
  }

  /** A dossier the caller may see (for the payments and results routes); anything else is 404. */
  find(user: AuthUser, id: string): Promise<DossierRow> {
    return this.load(null, user, id, false);
  }

  async list(
    user: AuthUser,
    limit = 20,
    cursor?: string,
  ): Promise<{ items: DossierView[]; nextCursor: string | null }> {
    const after = decodeCursor(cursor);
    const rows = await this.dossiers.page(scopeClause(user, 2), limit, after);
    const page = rows.slice(0, limit);
    const items = await this.views(user, page);
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor([last.created_at.toISOString(), last.id]) : null,
    };
  }

  /**
   * A dossier the caller may see with the applicant's personal data and payments (the payments and forms
   * routes): staff of an agency that only works a transferred step (see `isReceivingAgency`) get 404.
   */
  async findWithPersonalData(user: AuthUser, id: string): Promise<DossierRow> {
    const row = await this.load(null, user, id, false);
    if (isReceivingAgency(user, row)) throw new NotFound('dossier');
    return row;
  }

  /**
   * A dossier whose receipt (form 01) the caller may read: as `findWithPersonalData`, and also the staff of the
   * counter that received it for another agency of the province (they hand the receipt to the citizen).
   */
  async findReceipt(user: AuthUser, id: string): Promise<DossierRow> {
    const row = await this.load(null, user, id, false);
    if (isReceivingAgency(user, row) && !isReceivingCounter(user, row)) throw new NotFound('dossier');
    return row;
  }

  async history(user: AuthUser, id: string): Promise<HistoryItem[]> {
    await this.load(null, user, id, false);
    return this.dossiers.history(id);
  }

  async lookup(code: string, idNumber: string): Promise<LookupAnswer> {
    const found = await this.dossiers.lookup(code, idNumber);
    if (!found) throw new NotFound('dossier');
    return found;
  }

  // ---------------------------------------------------------------- drafts

  async create(user: AuthUser, dto: CreateApplicationDto): Promise<DossierView> {
    const { procedure, version } = await this.procedures.latestPublished(dto.procedureCode).catch((e: unknown) => {
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
      const open = await this.dossiers.lockAndCountDrafts(m, user.id);
      if (open >= this.maxDrafts) {
        throw new Conflict(
          `At most ${this.maxDrafts} dossiers may be started and not yet submitted; submit one first.`,
          'draft-limit',
        );
      }
      const id = await this.dossiers.insert(m, {
        agencyId: procedure.agencyId,
        procedureId: procedure.id,
        procedureVersionId: version.id,
        applicantId: user.id,
        state: start.key,
        formData,
        delivery,
      });
      await this.dossiers.appendHistory(
        m,
        { id, history_seq: 0, history_hash: null },
        {
          action: 'create',
          fromState: null,
          toState: start.key,
          actorId: user.id,
          actorRole: user.role,
          comment: null,
          data: null,
          at: new Date(),
        },
      );
      return id;
    });
    return this.get(user, id);
  }

  async update(user: AuthUser, id: string, dto: UpdateApplicationDto): Promise<DossierView> {
    if (dto.formData === undefined && dto.delivery === undefined) {
      throw new ValidationFailed([{ field: 'formData', message: 'nothing to update' }], 'Nothing to update.', 400);
    }
    await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      this.checkWorkingAgency(user, row);
      const version = await this.procedures.version(row.procedure_version_id);
      if (!workflowRoles(user).some((r) => canEdit(version.workflow, row.state, r))) {
        throw new Conflict(`The dossier cannot be edited in state ${row.state}.`, 'not-editable');
      }
      const formData = { ...row.form_data, ...(dto.formData ?? {}) };
      const errors = validateFormData(version.id, version.formSchema, formData, 'partial');
      if (errors.length) throw new ValidationFailed(errors);
      const delivery = dto.delivery ? this.checkDelivery(version, dto.delivery) : row.delivery;
      if (delivery.method !== row.delivery.method) await this.checkDeliveryNotCharged(m, row, version);
      await this.dossiers.updateDraft(m, id, formData, delivery);
      if (!stateOf(version.workflow, row.state).start) {
        await this.dossiers.appendHistory(m, row, {
          action: 'edit',
          fromState: row.state,
          toState: row.state,
          actorId: user.id,
          actorRole: user.role,
          comment: null,
          data: { fields: Object.keys(dto.formData ?? {}), delivery: dto.delivery ? dto.delivery.method : undefined },
          at: new Date(),
        });
      }
    });
    return this.get(user, id);
  }

  // ---------------------------------------------------------------- counter and post

  /**
   * Counter intake (issue 13): a clerk files a dossier for a walk-in citizen (`channel` counter) or records one
   * received by post, under a procedure of the clerk's own agency or of another agency of the same province
   * (province-wide acceptance: the dossier is that agency's, in its queue; the counter is recorded as where it was
   * received, `received_agency_id`, and the receipt's history entry carries the handover), in ONE transaction: the applicant is found or
   * made (`applicant`, run in the transaction), the dossier is created with the complete form, then taken through
   * `submit` (the citizen's action, taken by the clerk on the citizen's behalf: the history names the clerk) and
   * the clerk's receipt (the action keyed `receive`, else the clerk's only action from there that starts the
   * clock), with every effect as online (code, clock, receipt, notification).
   *
   * Papers: the clerk receives the papers in hand, so receipt does not wait for the files; the clerk scans them
   * right after with the upload route (marked digitised, by whom). The form must be complete at intake.
   */
  async fileAtCounter(
    clerk: AuthUser,
    dto: {
      procedureCode: string;
      formData: Record<string, unknown>;
      delivery?: DeliveryDto;
      channel: 'counter' | 'post';
      /** The applicant's address as given at the counter, kept on the creation's history entry. */
      applicantAddress?: string;
    },
    applicant: (m: EntityManager) => Promise<string>,
  ): Promise<DossierView> {
    if (!isStaff(clerk) || !clerk.agencyId) throw new Forbidden();
    const { procedure, version } = await this.procedures.latestPublished(dto.procedureCode).catch((e: unknown) => {
      if (e instanceof NotFound)
        throw new ValidationFailed([{ field: 'procedureCode', message: 'no published procedure has this code' }]);
      throw e;
    });
    // Province-wide acceptance: a counter receives for its own agency or another agency of its province, which
    // the dossier is routed to (its queue); the counter is recorded as where it was received.
    const agencies = await this.dossiers.counterAgencies(clerk.agencyId, procedure.agencyId);
    const routed = procedure.agencyId !== clerk.agencyId;
    if (routed && !agencies.sameProvince)
      throw new Forbidden(
        `A counter receives dossiers for the agencies of its own province only; ${agencies.competent.code} is not one of them.`,
      );
    const handover = routed
      ? { handover: { from: agencies.counter.code, to: agencies.competent.code, allotmentHours: null, counter: true } }
      : {};
    const delivery = this.checkDelivery(version, dto.delivery ?? { method: 'online' });
    const errors = validateFormData(version.id, version.formSchema, dto.formData, 'full');
    if (errors.length) throw new ValidationFailed(errors, 'The form is not complete.');
    const start = version.workflow.states.find((s) => s.start)!;
    const id = await this.db.transaction(async (m) => {
      const applicantId = await applicant(m);
      const id = await this.dossiers.insert(m, {
        agencyId: procedure.agencyId,
        procedureId: procedure.id,
        procedureVersionId: version.id,
        applicantId,
        state: start.key,
        formData: dto.formData,
        delivery,
        channel: dto.channel,
        receivedAgencyId: clerk.agencyId,
      });
      const created = await this.dossiers.lockById(m, id);
      await this.dossiers.appendHistory(m, created!, {
        action: 'create',
        fromState: null,
        toState: start.key,
        actorId: clerk.id,
        actorRole: clerk.role,
        comment: null,
        data: {
          channel: dto.channel,
          receivedAgencyCode: agencies.counter.code,
          ...(dto.applicantAddress ? { applicantAddress: dto.applicantAddress } : {}),
        },
        at: new Date(),
      });
      const submitted = await this.transition(
        m,
        clerk,
        created!,
        version,
        this.submitActionKey(version, start.key),
        { data: { channel: dto.channel } },
        ['citizen'],
        true,
      );
      const receive = this.counterReceiveAction(version, submitted.state, clerk);
      if (!receive) {
        throw new Conflict(
          `This procedure's workflow has no receipt by a clerk after submission (state ${submitted.state}): file it online.`,
          'counter-not-receivable',
        );
      }
      await this.transition(
        m,
        clerk,
        submitted,
        version,
        receive,
        { data: { channel: dto.channel, ...handover } },
        undefined,
        true,
      );
      return id;
    });
    return this.get(clerk, id);
  }

  /** The clerk's receipt from `state`: the action keyed `receive`, else the only one of theirs there that starts the clock. */
  private counterReceiveAction(version: PublishedVersion, state: string, clerk: AuthUser): string | undefined {
    const roles = workflowRoles(clerk);
    const leaving = version.workflow.actions.filter(
      (a) => a.from.includes(state) && a.by.some((r) => roles.includes(r)) && !a.trigger && !(a.requires ?? []).length,
    );
    const receive = leaving.find((a) => a.key === 'receive');
    if (receive) return receive.key;
    const starting = leaving.filter((a) => (a.effects ?? []).includes('startClock'));
    return starting.length === 1 ? starting[0].key : undefined;
  }

  // ---------------------------------------------------------------- actions

  /**
   * `POST /applications/:id/submit`: the action keyed `submit`, or, when the
   * dossier is back with the citizen (supplementation, completing a filing),
   * the action that state marks as its `resubmit` (see `submitActionFor`);
   * never another citizen action such as withdrawing.
   * With an Idempotency-Key: a repeat returns the first answer. The key is not looked up first: a repeat fails in
   * its transaction (the dossier has moved on, or the answer's row is already there: the primary key), which rolls
   * back, and is answered from the stored answer then; a first request saves the round trip.
   */
  async submit(user: AuthUser, id: string, idempotencyKey: string): Promise<{ status: number; body: DossierView }> {
    const requestHash = createHash('sha256').update(`submit:${id}`).digest('hex');
    try {
      return await this.db.transaction(async (m) => {
        const row = await this.load(m, user, id, true);
        const version = await this.procedures.version(row.procedure_version_id);
        const key = this.submitActionKey(version, row.state);
        const codeLast: CodeToTake[] = [];
        const updated = await this.transition(m, user, row, version, key, {}, undefined, false, codeLast);
        const body = await this.view(user, updated, m);
        if (codeLast.length === 0) {
          await this.idempotency.save(m, user.id, idempotencyKey, requestHash, body);
        } else {
          // A first submission's code, last, then COMMIT: the agency's counter row is locked from here to the
          // commit only, so the submissions of one agency run side by side up to this statement.
          const answer = { accountId: user.id, key: idempotencyKey, requestHash, body };
          body.code = await this.dossiers.assignCode(m, codeLast[0], answer);
        }
        return { status: 200, body };
      });
    } catch (e) {
      // A repeat, or a concurrent request with the same key that won the race: answer as the first did.
      const raced = await this.storedResponse(user.id, idempotencyKey, requestHash);
      if (raced) return raced;
      throw e;
    }
  }

  async act(user: AuthUser, id: string, actionKey: string, input: ActionInput): Promise<DossierView> {
    const updated = await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
        throw new Conflict('The dossier changed since it was shown; reload it.', 'version-changed');
      }
      const version = await this.procedures.version(row.procedure_version_id);
      if (actionKey !== SUPPLEMENT_REQUEST_ACTION) return this.transition(m, user, row, version, actionKey, input);
      const request = await this.supplementRequest(m, row, input);
      const moved = await this.transition(m, user, row, version, actionKey, request);
      if (request.data?.repeatedItems) await this.flagRepeatedItems(m, moved);
      return moved;
    });
    return this.view(user, updated);
  }

  /**
   * A supplementation request lists every item of its round (`items`, else the comment's lines) and is one per
   * round: refused (409) while the previous request is unanswered. Its history entry's data carries the items,
   * the round and the items already asked for in an earlier round (`repeatedItems`).
   */
  private async supplementRequest(m: EntityManager, row: DossierRow, input: ActionInput): Promise<ActionInput> {
    const items = requestItems(input.items, input.comment);
    const { earlier, lastCitizenMoveSeq } = await this.dossiers.supplementRequests(
      m,
      row.id,
      SUPPLEMENT_REQUEST_ACTION,
    );
    const round = supplementRequestData(items, earlier, lastCitizenMoveSeq);
    return { ...input, data: { ...(input.data ?? {}), ...round } };
  }

  /** An item asked for again in a later round is flagged to the agency's supervisors (the entry is the source). */
  private async flagRepeatedItems(m: EntityManager, moved: DossierRow): Promise<void> {
    const sourceId = await this.dossiers.historyIdAt(m, moved.id, moved.history_seq);
    await this.outbox.add(m, [
      {
        name: 'dossier-event',
        data: { dossierId: moved.id, event: 'supplement_repeated', sourceId, audience: 'supervisors' },
      },
    ]);
  }

  /**
   * The portal acting by itself on an event (payment confirmed, parcel
   * delivered): the workflow's `system` action for the trigger from the
   * dossier's state, if any. False when there is none (already moved on: an
   * event is applied once). `inMove` runs in the move's transaction, only when it moves.
   */
  async trigger(
    dossierId: string,
    trigger: Trigger,
    data: Record<string, unknown> = {},
    inMove?: (m: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const row = await this.dossiers.lockById(m, dossierId);
      if (!row) return false;
      const version = await this.procedures.version(row.procedure_version_id);
      const action = systemActionFor(version.workflow, row.state, trigger);
      if (!action) return false;
      await this.transition(m, { kind: 'system', trigger }, row, version, action.key, { data });
      await inMove?.(m);
      return true;
    });
  }

  /**
   * Runs `fn` in one transaction with the dossier row locked, if the dossier
   * is closed (in a terminal state). True when it ran.
   */
  async ifClosed(dossierId: string, fn: (m: EntityManager) => Promise<void>): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const row = await this.dossiers.lockById(m, dossierId);
      if (!row) return false;
      const version = await this.procedures.version(row.procedure_version_id);
      if (!stateOf(version.workflow, row.state).terminal) return false;
      await fn(m);
      return true;
    });
  }

  /** Claims (no clerk id) or assigns a dossier; with `expectedVersion`, only the version the caller saw (else 409). */
  async assign(user: AuthUser, id: string, clerkId?: string, expectedVersion?: number): Promise<DossierView> {
    if (!isStaff(user)) throw new Forbidden();
    const target = clerkId ?? user.id;
    if (target !== user.id && user.role !== 'supervisor')
      throw new Forbidden('Only a supervisor may assign a dossier to someone else.');
    await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      if (expectedVersion !== undefined && expectedVersion !== row.version) {
        throw new Conflict('The dossier changed since it was shown; reload it.', 'version-changed');
      }
      this.checkWorkingAgency(user, row);
      if (!(await this.dossiers.isAgencyStaff(m, target, row.current_agency_id)))
        throw new ValidationFailed([{ field: 'clerkId', message: 'no clerk of this agency has this id' }]);
      const version = await this.procedures.version(row.procedure_version_id);
      if (stateOf(version.workflow, row.state).terminal || !row.submitted_at) {
        throw new Conflict(`A dossier in state ${row.state} cannot be assigned.`, 'not-assignable');
      }
      await this.dossiers.setAssignee(m, id, target);
      await this.dossiers.appendHistory(m, row, {
        action: 'assign',
        fromState: row.state,
        toState: row.state,
        actorId: user.id,
        actorRole: user.role,
        comment: null,
        data: { assigneeId: target, previousAssigneeId: row.assignee_id },
        at: new Date(),
      });
    });
    return this.get(user, id);
  }

  /**
   * The apology and new date (form 04) when a dossier will be late: the
   * citizen is told, the new date is shown, and the dossier still counts as
   * late (its due date does not move). Issued at the latest on the day the due date passes, with a new date in
   * working time after the due date (`checkApology`); otherwise a 422, nothing written.
   */
  async apologize(user: AuthUser, id: string, reason: string, newDueAt: Date): Promise<DossierView> {
    if (!isStaff(user)) throw new Forbidden();
    await this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      if (!row.received_at || row.finished_at || !row.due_at) {
        throw new Conflict('An apology is issued for a received dossier that is not finished.', 'not-apologizable');
      }
      const latestApologyAt = await this.dossiers.latestApologyDate(m, id);
      checkApology({ calendar: row.calendar, now: new Date(), dueAt: row.due_at, latestApologyAt, newDueAt });
      const apologyId = await this.dossiers.insertApology(m, id, reason.trim(), newDueAt, user.id);
      await this.dossiers.appendHistory(m, row, {
        action: 'apology',
        fromState: row.state,
        toState: row.state,
        actorId: user.id,
        actorRole: user.role,
        comment: reason.trim(),
        data: { newDueAt: newDueAt.toISOString(), apologyId },
        at: new Date(),
      });
      await this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId: id, event: 'apology', sourceId: apologyId } },
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
  async rate(user: AuthUser, id: string, score: number, comment?: string): Promise<Rating> {
    return this.db.transaction(async (m) => {
      const row = await this.load(m, user, id, true);
      const version = await this.procedures.version(row.procedure_version_id);
      if (row.applicant_id !== user.id || !stateOf(version.workflow, row.state).terminal) {
        throw new Conflict('A dossier is rated by its owner once it is finished.', 'not-ratable');
      }
      if (!(await this.dossiers.decidedByAgency(m, id, row.state))) {
        throw new Conflict(
          'Only a dossier the agency decided (a result, a refusal or a rejection) can be rated.',
          'not-ratable',
        );
      }
      const rated = await this.dossiers.insertRating(m, id, score, comment?.trim() || null);
      if (!rated) throw new Conflict('This dossier was already rated.', 'already-rated');
      return rated;
    });
  }

  // ---------------------------------------------------------------- internals

  /**
   * One state change, inside the caller's transaction and on a locked row:
   * checks the transition against the pinned version, validates what leaving
   * a citizen-editable state requires, moves the clock, updates the dossier,
   * appends the history entry and writes the outbox rows, then has the
   * owning modules apply the workflow's effects (the effect port).
   */
  private async transition(
    m: EntityManager,
    actor: Actor,
    row: DossierRow,
    version: PublishedVersion,
    actionKey: string,
    input: ActionInput,
    /** The workflow roles to plan in, when not the actor's own (a clerk filing at the counter submits for the citizen). */
    planRoles?: Role[],
    /** Counter intake: the receiving counter may be another agency of the province than the one that works it. */
    atCounter = false,
    /**
     * When given, a first submission's code is not taken here but pushed onto it, for the caller to take as its
     * transaction's last statement (`DossierRepository.assignCode`); the dossier is written without a code until
     * then. Not when an effect of this move may need the code (a receipt quotes it): see CODE_FREE_EFFECTS.
     */
    codeLast?: CodeToTake[],
  ): Promise<DossierRow> {
    if (!isSystem(actor) && !atCounter) this.checkWorkingAgency(actor, row);
    const attachments = isSystem(actor) ? [] : await this.checkAttachments(m, actor, row.id, input.attachmentIds ?? []);
    const plan = this.plan(
      version,
      row.state,
      actionKey,
      actor,
      {
        comment: input.comment,
        attachmentCount: attachments.length,
        finding: input.data?.finding,
      },
      planRoles,
    );
    if (
      plan.action.by.includes('citizen') &&
      !isSystem(actor) &&
      actor.role === 'citizen' &&
      (plan.from.editableBy ?? []).includes('citizen')
    ) {
      await this.checkComplete(m, row, version);
    }
    const now = new Date();
    let code = row.code;
    if (!code && plan.action.key === SUBMIT_ACTION) {
      const day = localDateOf(row.calendar, now);
      if (codeLast && !plan.to.terminal && plan.effects.every((e) => CODE_FREE_EFFECTS.includes(e)))
        codeLast.push({ dossierId: row.id, agencyId: row.agency_id, agencyCode: row.agency_code, day });
      else code = dossierCode(row.agency_code, day, await this.dossiers.nextCodeNumber(m, row.agency_id, day));
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
      timeLimit: timeLimitFor(version.timeLimits, row.channel),
    });
    const submittedAt = row.submitted_at ?? (plan.action.key === SUBMIT_ACTION ? now : null);
    const attentionAt = plan.to.terminal || !submittedAt ? null : (clock.dueAt ?? submittedAt);
    const data: Record<string, unknown> = { ...(input.data ?? {}) };
    if (plan.effects.includes('issueReceipt') && clock.receivedAt) {
      data.receipt = { code, receivedAt: clock.receivedAt.toISOString(), dueAt: clock.dueAt?.toISOString() ?? null };
    }
    const working = await this.workingAgency(m, row, plan);
    if (working.handover) data.handover = working.handover;
    if (isApprovalAction(plan.action) && !isSystem(actor)) await this.recordApproval(m, actor.id, input, data);
    // One round trip: the dossier, its history entry (hash-chained) and the citizen's notification.
    const { historyId, seq, hash } = await this.dossiers.changeState(
      m,
      row,
      {
        state: plan.to.key,
        code,
        submittedAt,
        receivedAt: clock.receivedAt,
        dueAt: clock.dueAt,
        pausedAt: clock.pausedAt,
        pausedMs: clock.pausedMs,
        finishedAt: clock.finishedAt,
        attentionAt,
        transferAgencyId: working.id === row.agency_id ? null : working.id,
      },
      {
        action: plan.action.key,
        fromState: row.state,
        toState: plan.to.key,
        actorId: actorIdOf(actor),
        actorRole: actorRoleOf(actor),
        comment: input.comment?.trim() || null,
        data: Object.keys(data).length ? data : null,
        at: now,
      },
      JOB_QUEUE['dossier-event'],
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
      history_seq: seq,
      history_hash: hash,
      current_agency_id: working.id,
      current_agency_code: working.code,
      transfer_agency_id: working.id === row.agency_id ? null : working.id,
    };
    if (attachments.length) await this.documents.attach(m, attachments, historyId);
    const ctx: EffectContext = {
      dossier: updated,
      version,
      action: plan.action.key,
      comment: input.comment,
      actorId: actorIdOf(actor),
      at: now,
    };
    await this.applyEffects(m, ctx, plan);
    if (plan.to.terminal) await this.effects.apply('close', m, ctx);
    return updated;
  }

  /**
   * Transfer between agencies: staff act on a dossier only while their agency works it (the owner's staff keep
   * reading a transferred dossier; the receiving agency's staff act only while it is with them).
   */
  private checkWorkingAgency(user: AuthUser, row: DossierRow): void {
    if (isStaff(user) && user.agencyId !== row.current_agency_id) {
      throw new Forbidden(`Agency ${row.current_agency_code} works this dossier now; its staff act on it.`);
    }
  }

  /**
   * The agency that works the dossier in the state the plan enters: the state's `agency`, else the procedure's.
   * When it changes, the handover (from, to, the step's allotted hours) goes into the history entry.
   */
  private async workingAgency(
    m: EntityManager,
    row: DossierRow,
    plan: TransitionPlan,
  ): Promise<{ id: string; code: string; handover?: { from: string; to: string; allotmentHours: number | null } }> {
    const code = plan.to.agency ?? row.agency_code;
    const id = code === row.agency_code ? row.agency_id : await this.dossiers.agencyIdByCode(m, code);
    if (!id) throw new Error(`workflow state ${plan.to.key} names agency ${code}, which does not exist`);
    if (id === row.current_agency_id) return { id, code };
    return {
      id,
      code,
      handover: { from: row.current_agency_code, to: code, allotmentHours: plan.to.allotmentHours ?? null },
    };
  }

  /** The workflow's effects other than the clock and the receipt (applied with the state change above). */
  private async applyEffects(m: EntityManager, ctx: EffectContext, plan: TransitionPlan): Promise<void> {
    for (const effect of plan.effects) {
      switch (effect) {
        case 'startClock':
        case 'issueReceipt':
          break;
        case 'dispatchByPost':
          if (ctx.dossier.delivery.method === 'post') {
            await this.checkPostagePaid(m, ctx.dossier, ctx.version);
            await this.effects.apply(effect, m, ctx);
          }
          break;
        case 'requirePayment':
        case 'refund':
        case 'issueResult':
          await this.effects.apply(effect, m, ctx);
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
    if (!(await this.dossiers.postagePaid(m, row.id)))
      throw new Conflict(
        'The postal charge for this dossier has not been paid; the result cannot be sent by post.',
        'postage-unpaid',
      );
  }

  /**
   * An approval records who approved (id, name, title at that moment: they sign the generated result) and the
   * finding they wrote, in its history entry's data.
   */
  private async recordApproval(
    m: EntityManager,
    accountId: string,
    input: ActionInput,
    data: Record<string, unknown>,
  ): Promise<void> {
    const approver = await this.dossiers.approver(m, accountId);
    if (approver) data.approver = approver;
    const finding = findingOf({ finding: input.data?.finding, comment: input.comment });
    if (finding !== undefined) data.finding = finding;
  }

  private plan(
    version: PublishedVersion,
    state: string,
    actionKey: string,
    actor: Actor,
    input: { comment?: string; attachmentCount: number; finding?: unknown },
    roles: Role[] = workflowRoles(actor),
  ): TransitionPlan {
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

  private submitActionKey(version: PublishedVersion, state: string): string {
    const action = submitActionFor(version.workflow, state);
    if (!action) throw new InvalidTransitionError(SUBMIT_ACTION, state);
    return action.key;
  }

  /** Leaving a citizen-editable state: the form is complete and every required document is there. */
  private async checkComplete(m: EntityManager, row: DossierRow, version: PublishedVersion): Promise<void> {
    const errors: FieldError[] = validateFormData(version.id, version.formSchema, row.form_data, 'full');
    const have = await this.documents.presentKeys(m, row.id);
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
    if ((await this.documents.countAttachable(m, unique, dossierId, user.id)) !== unique.length) {
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
    if (await this.dossiers.everCharged(m, row.id)) {
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

  /** Reads a dossier the caller may see (in `m`'s transaction when given); anything else is 404, whatever the reason. */
  async load(m: EntityManager | null, user: AuthUser, id: string, lock: boolean): Promise<DossierRow> {
    const row = await this.dossiers.findScoped(m, id, scopeClause(user, 2), lock);
    if (!row) throw new NotFound('dossier');
    return row;
  }

  /** A dossier the caller may see and what surrounds it, in one statement; anything else is 404. */
  private async loadWithSurroundings(
    user: AuthUser,
    id: string,
  ): Promise<{ row: DossierRow; surroundings: DossierSurroundings }> {
    const found = await this.dossiers.findScopedWithSurroundings(id, scopeClause(user, 2));
    if (!found) throw new NotFound('dossier');
    return found;
  }

  private async view(user: AuthUser, row: DossierRow, m: EntityManager | null = null): Promise<DossierView> {
    const [view] = await this.views(user, [row], m);
    return view;
  }

  /** Views of several dossiers with one round trip for what surrounds them (payment, result, parcel, apologies, rating). */
  private async views(user: AuthUser, rows: DossierRow[], m: EntityManager | null = null): Promise<DossierView[]> {
    if (rows.length === 0) return [];
    const byId = await this.dossiers.surroundings(
      m,
      rows.map((r) => r.id),
    );
    return Promise.all(rows.map((row) => this.viewOf(user, row, byId.get(row.id)!)));
  }

  /** The view of one dossier as this caller sees it (the actions they may take, a receiving agency's narrower view). */
  private async viewOf(user: AuthUser, row: DossierRow, surroundings: DossierSurroundings): Promise<DossierView> {
    const version = await this.procedures.version(row.procedure_version_id);
    const actions = new Set<string>();
    const isOwner = user.role === 'citizen' && row.applicant_id === user.id;
    if (isOwner || (isStaff(user) && user.agencyId === row.current_agency_id)) {
      for (const role of workflowRoles(user))
        availableActions(version.workflow, row.state, role).forEach((a) => actions.add(a));
    }
    const view = toDossierView(row, [...actions], version, surroundings);
    return isReceivingAgency(user, row) && !isReceivingCounter(user, row) ? stepView(view) : view;
  }

  private async storedResponse(
    accountId: string,
    key: string,
    requestHash: string,
  ): Promise<{ status: number; body: DossierView } | null> {
    const stored = await this.idempotency.find<DossierView>(accountId, key);
    if (!stored) return null;
    if (stored.requestHash !== requestHash) {
      throw new ValidationFailed(
        [{ field: 'Idempotency-Key', message: 'this key was already used for a different request' }],
        'The Idempotency-Key was used for another request.',
      );
    }
    return { status: stored.status, body: stored.body };
  }
}

/**
 * Staff of an agency that works a transferred step of another agency's dossier (not the owner): they see only
 * what the step needs.
 */
export function isReceivingAgency(user: AuthUser, row: Pick<DossierRow, 'agency_id'>): boolean {
  return isStaff(user) && user.agencyId !== row.agency_id;
}

/**
 * Staff of the counter that received the dossier for another agency of the province (province-wide acceptance):
 * they read what they received, as filed (the whole view, the receipt), and act on it no more.
 */
export function isReceivingCounter(user: AuthUser, row: Pick<DossierRow, 'received_agency_id'>): boolean {
  return isStaff(user) && row.received_agency_id !== null && user.agencyId === row.received_agency_id;
}

/** What the receiving agency of a transferred step sees: no delivery address or phone, no payment. */
function stepView(view: DossierView): DossierView {
  return { ...view, delivery: { method: view.delivery.method }, payment: null };
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): [string, string] | null {
  if (!cursor) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      !Number.isNaN(Date.parse(v[0])) &&
      typeof v[1] === 'string' &&
      uuid.test(v[1])
    ) {
      return [v[0], v[1]];
    }
  } catch {
    /* fall through */
  }
  throw new ValidationFailed([{ field: 'cursor', message: 'cursor is not valid' }], 'The cursor is not valid.', 400);
}
