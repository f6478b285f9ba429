import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CalendarChange, CalendarChanges } from '../agencies/calendar-changes';
import { addWorkingTime, workingTimeBetween } from '../workflow/calendar';
import { DossierRepository } from './dossier.repository';

/** The history action recording a due date moved by a calendar edit. */
export const DUE_RECALCULATED = 'due_recalculated';

/**
 * Rule 10: an agency's calendar edit moves the due dates of its open dossiers. A dossier keeps the working
 * time it was given from its receipt (processing days, plus settled pauses) on the old calendar, counted again
 * on the new one: a holiday added inside its window pushes the date back, a removed one brings it forward.
 * Each moved date is recorded in the dossier's history; all of it in the transaction that saves the calendar.
 */
@Injectable()
export class CalendarRecompute implements OnModuleInit {
  constructor(
    private readonly changes: CalendarChanges,
    private readonly dossiers: DossierRepository,
  ) {}

  onModuleInit(): void {
    this.changes.register((m, change) => this.recompute(m, change).then(() => undefined));
  }

  /** Moves and records the due dates; returns how many moved. */
  async recompute(m: EntityManager, change: CalendarChange): Promise<number> {
    let moved = 0;
    for (const d of await this.dossiers.openWithDueDateForUpdate(m, change.agencyId)) {
      const given = workingTimeBetween(change.before, d.received_at, d.due_at);
      const dueAt = addWorkingTime(change.after, d.received_at, given);
      if (dueAt.getTime() === d.due_at.getTime()) continue;
      await this.dossiers.moveDueDate(m, d.id, d.due_at, dueAt);
      await this.dossiers.appendHistory(m, d, {
        action: DUE_RECALCULATED,
        fromState: d.state,
        toState: d.state,
        actorId: change.actor?.id ?? null,
        actorRole: change.actor?.role ?? 'system',
        comment: null,
        data: { reason: 'calendar', previousDueAt: d.due_at.toISOString(), newDueAt: dueAt.toISOString() },
        at: change.at,
      });
      moved++;
    }
    return moved;
  }
}
