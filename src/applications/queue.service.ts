import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { Forbidden } from '../common/problem';
import { addWorkingTime } from '../workflow/calendar';
import { decodeCursor, encodeCursor } from './applications.service';
import { DUE_SOON_MS } from './deadlines.service';
import { DossierRepository } from './dossier.repository';
import { QueueQueryDto } from './dto';

export interface QueueItem {
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

/**
 * The clerk's work list: their agency's open dossiers (submitted, not in a
 * terminal state), sorted by due date (submission time before receipt), with
 * keyset pagination over the `(agency_id, attention_at, id)` index.
 */
@Injectable()
export class QueueService {
  constructor(private readonly dossiers: DossierRepository) {}

  async page(
    user: AuthUser,
    q: QueueQueryDto,
  ): Promise<{ items: QueueItem[]; nextCursor: string | null; counts?: Record<string, number> }> {
    if (!user.agencyId) throw new Forbidden();
    const limit = q.limit ?? 25;
    const after = decodeCursor(q.cursor);
    const where: string[] = ['d.agency_id = $1', 'd.attention_at IS NOT NULL'];
    const params: unknown[] = [user.agencyId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.state) add('d.state = ?', q.state);
    if (q.procedure) add('d.procedure_id = (SELECT id FROM procedures WHERE code = ?)', q.procedure);
    if (q.assignee === 'none') where.push('d.assignee_id IS NULL');
    else if (q.assignee) add('d.assignee_id = ?', q.assignee === 'me' ? user.id : q.assignee);
    const now = new Date();
    if (q.due === 'overdue') {
      add('d.due_at < coalesce(d.paused_at, ?)', now);
      where.push('d.finished_at IS NULL');
    } else if (q.due === 'soon') {
      const calendar = await this.dossiers.agencyCalendar(user.agencyId);
      add('d.due_at >= ?', now);
      where.push('d.paused_at IS NULL');
      add('d.due_at < ?', addWorkingTime(calendar, now, DUE_SOON_MS));
      where.push('d.finished_at IS NULL');
    }
    const filters = where.join(' AND ');
    if (after) {
      params.push(after[0], after[1]);
      where.push(`(d.attention_at, d.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    const rows = await this.dossiers.queuePage(where.join(' AND '), params, limit);
    const items: QueueItem[] = rows.slice(0, limit);
    const last = items[items.length - 1];
    // Counts per state are for the first page (the tabs above the list); paging on does not recount
    // (with a million dossiers the count costs far more than the page).
    const counts = after ? undefined : await this.dossiers.queueCounts(filters, params);
    return {
      items,
      nextCursor:
        rows.length > limit && last ? encodeCursor([new Date(last.attentionAt).toISOString(), last.id]) : null,
      ...(counts ? { counts: Object.fromEntries(counts.map((c) => [c.state, c.count])) } : {}),
    };
  }
}
