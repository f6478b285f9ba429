import { FieldError, ValidationFailed } from '../common/problem';
import { isWorkingDay, localDateOf, WorkCalendar } from '../workflow/calendar';

/** Why an apology (form 04) is refused; the messages of its `newDueAt` error (pages map them to their texts). */
export const APOLOGY_TOO_LATE = 'an apology is issued before the due date or on the day it passes, not later';
export const APOLOGY_NOT_WORKING_TIME =
  'the new date must be in working time (a working day, within office hours; not a weekend or holiday)';
export const APOLOGY_NOT_LATER = 'the new date must be later than the current due date and in the future';

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls within the agency's office hours (end included: 17:00 is a due time) on a working day. */
export function inWorkingTime(cal: WorkCalendar, at: Date): boolean {
  if (!isWorkingDay(cal, localDateOf(cal, at))) return false;
  const local = new Date(at.getTime() + cal.utcOffsetMinutes * 60_000);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes() + local.getUTCSeconds() / 60;
  return cal.officeHours.some((p) => minute >= minutesOf(p.start) && minute <= minutesOf(p.end));
}

/**
 * The apology rule (form 04, Decree 61/2018 art. 19): issued before the due date or at the latest on the day it
 * passes (agency time), with a new date in working time, later than the due date (and any earlier apology's
 * date) and in the future. Throws a 422 naming the first broken rule.
 */
export function checkApology(p: {
  calendar: WorkCalendar;
  now: Date;
  dueAt: Date;
  latestApologyAt: Date | null;
  newDueAt: Date;
}): void {
  const { calendar, now, dueAt, newDueAt } = p;
  const problem = (message: string, detail: string): never => {
    const errors: FieldError[] = [{ field: 'newDueAt', message }];
    throw new ValidationFailed(errors, detail);
  };
  const dueDay = localDateOf(calendar, dueAt);
  if (localDateOf(calendar, now) > dueDay) {
    problem(
      APOLOGY_TOO_LATE,
      `The apology comes too late: it is issued before the due date or on the day it passes (${dueDay}).`,
    );
  }
  const floor = p.latestApologyAt && p.latestApologyAt > dueAt ? p.latestApologyAt : dueAt;
  if (newDueAt <= floor || newDueAt <= now) {
    problem(APOLOGY_NOT_LATER, 'The new date must be later than the current due date and in the future.');
  }
  if (!inWorkingTime(calendar, newDueAt)) {
    problem(
      APOLOGY_NOT_WORKING_TIME,
      'The new date is not in working time: choose a working day of the agency, within its office hours.',
    );
  }
}
