import { Injectable } from '@nestjs/common';
import { AgenciesRepository } from '../agencies/agencies.repository';
import type { AuthUser } from '../auth/auth-user';
import { Forbidden, ValidationFailed } from '../common/problem';
import { workingTimeBetween, WorkCalendar } from '../workflow/calendar';
import { NOT_FINISHED_STATES, REFUSED_STATE, WITHDRAWN_STATE } from '../workflow/definition';
import { IndicatorRow, IndicatorsQueryDto, IndicatorsReport, parseInstant } from './dto';
import { IndicatorsRepository } from './indicators.repository';
import { ProceduresRepository } from '../procedures/procedures.repository';

/** Payment attempt states that mean the money was taken online (a refund later does not undo that it was paid online). */
export const PAID_ONLINE_STATES = ['succeeded', 'refund_pending', 'refunded'] as const;
/** Finished dossiers are read in batches of this many (keyset on id) to compute working time without holding them all. */
const FINISHED_BATCH = 5000;
const HOUR_MS = 3_600_000;

/** Per (agency, procedure) counters while a report is being built. */
interface Tally {
  agencyId: string;
  procedureId: string;
  received: number;
  online: number;
  counter: number;
  post: number;
  digitised: number;
  withFee: number;
  paidOnline: number;
  finished: number;
  onTime: number;
  processingMs: number;
  ratings: number;
  satisfied: number;
  scoreSum: number;
  withdrawn: number;
  refused: number;
}

/** `n / d` rounded to 4 decimals, null when there is nothing to divide by. */
export function rate(n: number, d: number): number | null {
  return d === 0 ? null : Math.round((n / d) * 10_000) / 10_000;
}

/** Working time spent processing: received -> finished on the agency's calendar, minus the (working) time paused. Never negative. */
export function processingMs(calendar: WorkCalendar, receivedAt: Date, finishedAt: Date, pausedMs: number): number {
  return Math.max(0, workingTimeBetween(calendar, receivedAt, finishedAt) - pausedMs);
}

/** Two codes in code-point order (not locale collation), so the order is the same everywhere. */
function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The indicators the government measures agencies by (domain.md
 * "Indicators"), per agency and procedure, over a period [from, to).
 *
 * Everything is read from the dossiers' own columns, which the workflow
 * derives from their history (src/workflow/deadline.ts): `received_at` is
 * the receipt of a complete dossier (the clock's start), `due_at` the due
 * date after every paused interval pushed it back, `finished_at` the moment
 * processing ended (a terminal or clock-stopped state), `paused_ms` the
 * settled paused working time. A dossier belongs to the agency and
 * procedure on the dossier row.
 *
 * - received: dossiers with `received_at` in the period.
 * - finished: dossiers with `finished_at` in the period and `received_at`
 *   set (whenever they were received; a dossier refused before receipt was
 *   never received and is not counted). Withdrawn and refused dossiers
 *   (states `withdrawn`, `refused`) are not finished dossiers, whenever they
 *   ended: they count neither on time nor late (Decision 766).
 * - withdrawn, refused: dossiers that entered the state `withdrawn` (by the
 *   citizen) or `refused` (refusal notice) in the period, after their history
 *   entry, reported apart.
 * - onTime: finished with `finished_at <= due_at` (a dossier with no due date,
 *   which receipt always sets, has nothing to be late for and counts on time);
 *   late = finished - onTime. An apology does not move `due_at`, so a dossier
 *   finished after its original due date counts late even if it met the new
 *   date of the apology.
 * - onTimeRate = onTime / finished.
 * - onlineRate = received with `channel = 'online'` / received, where received counts every channel: online,
 *   counter and post (`counter`, `post`: those filed at the counter and received by post, issue 13).
 * - digitisationRate = digitised / received: a dossier filed online (its papers are files), or one filed at the
 *   counter or by post whose every required document of its version is held as a scan (`digitised`) or a reuse
 *   of an earlier document or result ("do not ask twice").
 * - onlinePaymentRate: among the dossiers received in the period that have a
 *   fee (a `payment_requests` row that is not void: a voided request is owed
 *   by nobody), those paid online (a `payment_attempts` row in state
 *   succeeded, refund_pending or refunded, at any time up to now) / those
 *   with a fee.
 * - avgProcessingHours: mean, over the finished dossiers, of the working time
 *   (the agency's calendar, `workingTimeBetween`) from `received_at` to
 *   `finished_at` minus `paused_ms`, in hours, 2 decimals. Computed here, one
 *   dossier at a time, in batches.
 * - satisfactionRate: among the ratings given in the period (`at` in
 *   [from, to), whenever the dossier was received or finished), those with
 *   score >= 4 / all of them. `ratings` is their number, `avgScore` their
 *   mean score (2 decimals).
 * Rates are in [0, 1], rounded to 4 decimals, and null when their
 * denominator is 0. A row is given for each (agency, procedure) with anything
 * received, finished or rated in the period, ordered by agency code then
 * procedure code.
 *
 * Who sees what: a supervisor their own agency only (no `agency` means
 * theirs; another agency's code, known or not, is 403), an admin any agency
 * or all of them. An unknown agency or procedure code is a 400 for whoever
 * may ask about it.
 */
@Injectable()
export class IndicatorsService {
  constructor(
    private readonly indicators: IndicatorsRepository,
    private readonly agencyRows: AgenciesRepository,
    private readonly procedureRows: ProceduresRepository,
  ) {}

  async report(user: AuthUser, q: IndicatorsQueryDto): Promise<IndicatorsReport> {
    const from = parseInstant(q.from);
    const to = parseInstant(q.to);
    // The DTO has checked both; this keeps the types honest.
    if (!from || !to)
      throw new ValidationFailed(
        [{ field: 'from', message: 'from and to must be dates' }],
        'The request is not valid.',
        400,
      );
    const { agencyId, procedureId } = await this.scope(user, q);

    const tallies = new Map<string, Tally>();
    const tally = (agency: string, procedure: string): Tally => {
      const key = `${agency}|${procedure}`;
      let t = tallies.get(key);
      if (!t) {
        t = {
          agencyId: agency,
          procedureId: procedure,
          received: 0,
          online: 0,
          counter: 0,
          post: 0,
          digitised: 0,
          withFee: 0,
          paidOnline: 0,
          finished: 0,
          onTime: 0,
          processingMs: 0,
          ratings: 0,
          satisfied: 0,
          scoreSum: 0,
          withdrawn: 0,
          refused: 0,
        };
        tallies.set(key, t);
      }
      return t;
    };
    const scope = { from, to, agencyId, procedureId };

    const received = await this.indicators.received(scope, PAID_ONLINE_STATES);
    for (const r of received) {
      const t = tally(r.agency_id, r.procedure_id);
      t.received = r.received;
      t.online = r.online;
      t.counter = r.counter;
      t.post = r.post;
      t.digitised = r.digitised;
      t.withFee = r.with_fee;
      t.paidOnline = r.paid_online;
    }

    const ratings = await this.indicators.ratings(scope);
    for (const r of ratings) {
      const t = tally(r.agency_id, r.procedure_id);
      t.ratings = r.ratings;
      t.satisfied = r.satisfied;
      t.scoreSum = r.score_sum;
    }

    const ended = await this.indicators.ended(scope, WITHDRAWN_STATE, REFUSED_STATE);
    for (const r of ended) {
      const t = tally(r.agency_id, r.procedure_id);
      t.withdrawn = r.withdrawn;
      t.refused = r.refused;
    }

    const agencies = await this.agencies(agencyId);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await this.indicators.finished(scope, after, FINISHED_BATCH, NOT_FINISHED_STATES);
      for (const d of batch) {
        const t = tally(d.agency_id, d.procedure_id);
        t.finished += 1;
        if (d.due_at === null || d.finished_at.getTime() <= d.due_at.getTime()) t.onTime += 1;
        const calendar = agencies.get(d.agency_id)!.calendar;
        t.processingMs += processingMs(calendar, d.received_at, d.finished_at, Number(d.paused_ms));
      }
      if (batch.length < FINISHED_BATCH) break;
      after = batch[batch.length - 1].id;
    }

    const procedureCodes = await this.procedureCodes([...new Set([...tallies.values()].map((t) => t.procedureId))]);
    const rows: IndicatorRow[] = [...tallies.values()].map((t) => ({
      agencyCode: agencies.get(t.agencyId)!.code,
      procedureCode: procedureCodes.get(t.procedureId)!,
      received: t.received,
      finished: t.finished,
      onTime: t.onTime,
      late: t.finished - t.onTime,
      onTimeRate: rate(t.onTime, t.finished),
      onlineRate: rate(t.online, t.received),
      onlinePaymentRate: rate(t.paidOnline, t.withFee),
      avgProcessingHours: t.finished === 0 ? null : Math.round((t.processingMs / t.finished / HOUR_MS) * 100) / 100,
      satisfactionRate: rate(t.satisfied, t.ratings),
      ratings: t.ratings,
      avgScore: t.ratings === 0 ? null : Math.round((t.scoreSum / t.ratings) * 100) / 100,
      withdrawn: t.withdrawn,
      refused: t.refused,
      counter: t.counter,
      post: t.post,
      digitisationRate: rate(t.digitised, t.received),
    }));
    rows.sort((a, b) => byCode(a.agencyCode, b.agencyCode) || byCode(a.procedureCode, b.procedureCode));
    return { from: from.toISOString(), to: to.toISOString(), rows };
  }

  /** Which agency and procedure the caller may see and asked for (null = all). */
  private async scope(
    user: AuthUser,
    q: IndicatorsQueryDto,
  ): Promise<{ agencyId: string | null; procedureId: string | null }> {
    let agencyId: string | null = null;
    if (user.role === 'supervisor' && user.agencyId) {
      if (q.agency !== undefined) {
        const own = await this.agencyRows.codeOf(user.agencyId);
        if (own !== q.agency) throw new Forbidden('Supervisors see the indicators of their own agency only.');
      }
      agencyId = user.agencyId;
    } else if (user.role === 'admin') {
      if (q.agency !== undefined) {
        const id = await this.agencyRows.idOf(q.agency);
        if (!id) throw invalid('agency', 'no agency has this code');
        agencyId = id;
      }
    } else {
      throw new Forbidden();
    }
    let procedureId: string | null = null;
    if (q.procedure !== undefined) {
      const id = await this.procedureRows.idOf(q.procedure);
      if (!id) throw invalid('procedure', 'no procedure has this code');
      procedureId = id;
    }
    return { agencyId, procedureId };
  }

  private async agencies(agencyId: string | null): Promise<Map<string, { code: string; calendar: WorkCalendar }>> {
    const rows = await this.agencyRows.calendars(agencyId);
    return new Map(rows.map((r) => [r.id, { code: r.code, calendar: r.calendar }]));
  }

  private async procedureCodes(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.procedureRows.codes(ids);
    return new Map(rows.map((r) => [r.id, r.code]));
  }
}

function invalid(field: string, message: string): ValidationFailed {
  return new ValidationFailed([{ field, message }], 'The request is not valid.', 400);
}
