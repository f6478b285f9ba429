import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { Forbidden } from '../common/problem';
import { addWorkingTime } from '../workflow/calendar';
import { decodeCursor, encodeCursor } from './applications.service';
import { DUE_SOON_MS } from './deadlines.service';
import { DossierRepository, QueueFilter, QueueRow } from './dossier.repository';
import { QueueQueryDto } from './dto';

/** A row of the clerk's queue, as the repository reads it (the API answers it unchanged). */
export type QueueItem = QueueRow;

/**
 * The clerk's work list: their agency's open dossiers (submitted, not in a
 * terminal state), sorted by due date (submission time before receipt), with
 * keyset pagination over the `(current_agency_id, attention_at, id)` index (the agency that works the
 * dossier now: its own, or another agency's handed to it by a transfer step).
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
    const filter: QueueFilter = { agencyId: user.agencyId };
    if (q.state) filter.state = q.state;
    if (q.procedure) filter.procedureCode = q.procedure;
    if (q.assignee === 'none') filter.assigneeId = null;
    else if (q.assignee) filter.assigneeId = q.assignee === 'me' ? user.id : q.assignee;
    const now = new Date();
    if (q.due === 'overdue') {
      filter.overdueAt = now;
    } else if (q.due === 'soon') {
      const calendar = await this.dossiers.agencyCalendar(user.agencyId);
      filter.dueBetween = [now, addWorkingTime(calendar, now, DUE_SOON_MS)];
    }
    const rows = await this.dossiers.queuePage(filter, after, limit);
    const items: QueueItem[] = rows.slice(0, limit);
    const last = items[items.length - 1];
    // Counts per state are for the first page (the tabs above the list); paging on does not recount
    // (with a million dossiers the count costs far more than the page).
    const counts = after ? undefined : await this.dossiers.queueCounts(filter);
    return {
      items,
      nextCursor:
        rows.length > limit && last ? encodeCursor([new Date(last.attentionAt).toISOString(), last.id]) : null,
      ...(counts ? { counts: Object.fromEntries(counts.map((c) => [c.state, c.count])) } : {}),
    };
  }
}
