import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { dueSoonMs } from '../config/configuration';
import { OutboxService } from '../outbox/outbox.service';
import { addWorkingTime } from '../workflow/calendar';
import { DossierRepository } from './dossier.repository';

/** "Due soon" means within this much working time (default: one working day). */
export const DUE_SOON_MS = dueSoonMs();

/**
 * Keeps every open dossier's standing: due soon, then overdue. A dossier
 * whose clock is paused is neither. Staff (the assignee, or the agency's
 * clerks and supervisors) are warned once per level: the flag moves forward
 * in the same statement that picks the dossier, and the warning's
 * notification key is the dossier itself. A paused dossier whose due date
 * passes is warned about apart (`warnPausedPastDue`). Run by the delivery worker's
 * scheduled 'deadline-sweep' job.
 */
@Injectable()
export class DeadlinesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly dossiers: DossierRepository,
    private readonly outbox: OutboxService,
  ) {}

  async sweep(now = new Date()): Promise<{ dueSoon: number; overdue: number; pausedPastDue: number }> {
    return this.db.transaction(async (m) => {
      const overdue = await this.dossiers.flagOverdue(m, now);
      const pausedPastDue = await this.warnPausedPastDue(m, now);
      const agencies = await this.dossiers.agenciesWithOpenDossiers(m, now);
      const dueSoon: { id: string }[] = [];
      for (const a of agencies) {
        dueSoon.push(...(await this.dossiers.flagDueSoon(m, a.id, now, addWorkingTime(a.calendar, now, DUE_SOON_MS))));
      }
      await this.outbox.add(m, [
        ...overdue.map((d) => ({
          name: 'dossier-event' as const,
          data: { dossierId: d.id, event: 'overdue', sourceId: d.id, audience: 'staff' as const },
        })),
        ...dueSoon.map((d) => ({
          name: 'dossier-event' as const,
          data: { dossierId: d.id, event: 'due_soon', sourceId: d.id, audience: 'staff' as const },
        })),
      ]);
      return { dueSoon: dueSoon.length, overdue: overdue.length, pausedPastDue };
    });
  }

  /**
   * A dossier waiting for the citizen's supplement whose due date passed meanwhile: the agency's staff are
   * warned (`supplement_overdue`) and the citizen reminded to supplement (`supplement_reminder`), once per
   * dossier per pause (the flag and the notifications are keyed by the entry that started the pause). The due
   * date itself moves back when the citizen supplements; this only says it would have passed.
   */
  private async warnPausedPastDue(m: EntityManager, now: Date): Promise<number> {
    const paused = await this.dossiers.flagPausedPastDue(m, now);
    await this.outbox.add(
      m,
      paused.flatMap((d) => [
        {
          name: 'dossier-event' as const,
          data: { dossierId: d.id, event: 'supplement_overdue', sourceId: d.sourceId, audience: 'staff' as const },
        },
        {
          name: 'dossier-event' as const,
          data: { dossierId: d.id, event: 'supplement_reminder', sourceId: d.sourceId, audience: 'citizen' as const },
        },
      ]),
    );
    return paused.length;
  }
}
