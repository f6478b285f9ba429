import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dueSoonMs } from '../config/configuration';
import { OutboxService } from '../outbox/outbox.service';
import { addWorkingTime, WorkCalendar } from '../workflow/calendar';

/** "Due soon" means within this much working time (default: one working day). */
export const DUE_SOON_MS = dueSoonMs();

/**
 * Keeps every open dossier's standing: due soon, then overdue. A dossier
 * whose clock is paused is neither. Staff (the assignee, or the agency's
 * clerks and supervisors) are warned once per level: the flag moves forward
 * in the same statement that picks the dossier, and the warning's
 * notification key is the dossier itself.
 */
@Injectable()
export class DeadlinesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  async sweep(now = new Date()): Promise<{ dueSoon: number; overdue: number }> {
    return this.db.transaction(async (m) => {
      const [overdue] = await m.query(
        `UPDATE dossiers SET deadline_alert = 'overdue'
          WHERE finished_at IS NULL AND paused_at IS NULL AND due_at < $1 AND deadline_alert IS DISTINCT FROM 'overdue'
          RETURNING id`,
        [now],
      );
      const agencies: { id: string; calendar: WorkCalendar }[] = await m.query(
        `SELECT id, calendar FROM agencies a WHERE EXISTS (SELECT 1 FROM dossiers d WHERE d.agency_id = a.id AND d.finished_at IS NULL AND d.due_at >= $1)`,
        [now],
      );
      const dueSoon: { id: string }[] = [];
      for (const a of agencies) {
        const [rows] = await m.query(
          `UPDATE dossiers SET deadline_alert = 'due_soon'
            WHERE agency_id = $1 AND finished_at IS NULL AND paused_at IS NULL AND due_at >= $2 AND due_at < $3 AND deadline_alert IS NULL
            RETURNING id`,
          [a.id, now, addWorkingTime(a.calendar, now, DUE_SOON_MS)],
        );
        dueSoon.push(...rows);
      }
      await this.outbox.add(m, [
        ...overdue.map((d: { id: string }) => ({
          name: 'dossier-event' as const,
          data: { dossierId: d.id, event: 'overdue', sourceId: d.id, audience: 'staff' as const },
        })),
        ...dueSoon.map((d) => ({
          name: 'dossier-event' as const,
          data: { dossierId: d.id, event: 'due_soon', sourceId: d.id, audience: 'staff' as const },
        })),
      ]);
      return { dueSoon: dueSoon.length, overdue: overdue.length };
    });
  }
}
