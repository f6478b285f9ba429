import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { WorkCalendar } from '../workflow/calendar';

/** An agency's calendar as it was and as it is now, inside the transaction that saves it. */
export interface CalendarChange {
  agencyId: string;
  before: WorkCalendar;
  after: WorkCalendar;
  /** Who edited it (an admin); null for the portal. */
  actor: { id: string; role: string } | null;
  at: Date;
}

export type CalendarChangeHandler = (m: EntityManager, change: CalendarChange) => Promise<void>;

/**
 * The port through which a calendar edit reaches the modules whose dates depend on it (rule 10): the dossier
 * module registers the recomputation of open dossiers' due dates when it starts; the agencies module imports
 * none of them.
 */
@Injectable()
export class CalendarChanges {
  private readonly handlers: CalendarChangeHandler[] = [];

  register(handler: CalendarChangeHandler): void {
    this.handlers.push(handler);
  }

  async apply(m: EntityManager, change: CalendarChange): Promise<void> {
    for (const h of this.handlers) await h(m, change);
  }
}
