import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser } from '../auth/auth-user';
import { Forbidden } from '../common/problem';
import { DUE_SOON_MS } from '../delivery/deadlines.service';
import { addWorkingTime, WorkCalendar } from '../workflow/calendar';
import { decodeCursor, encodeCursor } from './applications.service';
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
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async page(user: AuthUser, q: QueueQueryDto) {
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
      const [agency] = await this.db.query(`SELECT calendar FROM agencies WHERE id = $1`, [user.agencyId]);
      add('d.due_at >= ?', now);
      where.push('d.paused_at IS NULL');
      add('d.due_at < ?', addWorkingTime(agency.calendar as WorkCalendar, now, DUE_SOON_MS));
      where.push('d.finished_at IS NULL');
    }
    const filters = where.join(' AND ');
    if (after) {
      params.push(after[0], after[1]);
      where.push(`(d.attention_at, d.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    const rows = await this.db.query(
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
    const items: QueueItem[] = rows.slice(0, limit);
    const last = items[items.length - 1];
    // Counts per state are for the first page (the tabs above the list); paging on does not recount
    // (with a million dossiers the count costs far more than the page).
    const counts = after
      ? undefined
      : await this.db.query(
          `SELECT d.state, count(*)::int AS count FROM dossiers d WHERE ${filters} GROUP BY d.state ORDER BY d.state`,
          params,
        );
    return {
      items,
      nextCursor:
        rows.length > limit && last ? encodeCursor([new Date(last.attentionAt).toISOString(), last.id]) : null,
      ...(counts
        ? { counts: Object.fromEntries(counts.map((c: { state: string; count: number }) => [c.state, c.count])) }
        : {}),
    };
  }
}
