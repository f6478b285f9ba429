/**
 * Vietnam's public holidays, maintained per year as data (rule 10, issue 13).
 *
 * Rule: Labour Code 2019 (Bộ luật Lao động số 45/2019/QH14), art. 112:
 * - §1: Tết Dương lịch 1/1 (1 day); Tết Âm lịch (5 days); Chiến thắng 30/4 (1 day); Quốc tế lao động 1/5
 *   (1 day); Quốc khánh 2/9 and one day immediately before or after it (2 days, since 1/1/2021); Giỗ Tổ
 *   Hùng Vương 10/3 âm lịch (1 day).
 * - §3: the Prime Minister decides the concrete Tết days and the day adjacent to 2/9; a holiday that falls
 *   on a weekly day off gives a compensatory day off on the following working day(s) (`compensatoryDaysOff`).
 *
 * Lunar dates are not computed at run time: their Gregorian dates are listed here for 2026-2030
 * (Vietnamese lunar calendar, UTC+7 — Tết 2030 is 2 February in Vietnam, 3 February in China). Tết is
 * listed as New Year's Eve plus the first four days of the year, the usual choice of the yearly decision
 * (2026: 16-20/2, as announced by the Ministry of Home Affairs). The day adjacent to 2/9 follows the yearly
 * decision where known (2026: 1/9, 2027: 3/9) and otherwise the day that joins a weekend. A new year is a new
 * block below; an agency's own calendar adds holidays and may override a national one (extraWorkingDays).
 * Civil servants' weekly days off are Saturday and Sunday (Decree 45/2013 art. 4 as amended).
 */

export interface PublicHoliday {
  /** Local date 'YYYY-MM-DD'. */
  date: string;
  name: string;
}

const tet = (dates: string[]): PublicHoliday[] =>
  dates.map((date, i) => ({ date, name: i === 0 ? 'Tết Nguyên đán (giao thừa)' : `Tết Nguyên đán (mùng ${i})` }));

/** The statutory holidays of each year, before compensatory days. */
export const VN_PUBLIC_HOLIDAYS: Readonly<Record<number, readonly PublicHoliday[]>> = Object.freeze({
  2026: [
    { date: '2026-01-01', name: 'Tết Dương lịch' },
    ...tet(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']), // mùng 1 = 17/2
    { date: '2026-04-26', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
    { date: '2026-04-30', name: 'Ngày Chiến thắng' },
    { date: '2026-05-01', name: 'Ngày Quốc tế lao động' },
    { date: '2026-09-01', name: 'Quốc khánh (ngày liền kề)' },
    { date: '2026-09-02', name: 'Quốc khánh' },
  ],
  2027: [
    { date: '2027-01-01', name: 'Tết Dương lịch' },
    ...tet(['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09']), // mùng 1 = 6/2
    { date: '2027-04-16', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
    { date: '2027-04-30', name: 'Ngày Chiến thắng' },
    { date: '2027-05-01', name: 'Ngày Quốc tế lao động' },
    { date: '2027-09-02', name: 'Quốc khánh' },
    { date: '2027-09-03', name: 'Quốc khánh (ngày liền kề)' },
  ],
  2028: [
    { date: '2028-01-01', name: 'Tết Dương lịch' },
    ...tet(['2028-01-25', '2028-01-26', '2028-01-27', '2028-01-28', '2028-01-29']), // mùng 1 = 26/1
    { date: '2028-04-04', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
    { date: '2028-04-30', name: 'Ngày Chiến thắng' },
    { date: '2028-05-01', name: 'Ngày Quốc tế lao động' },
    { date: '2028-09-01', name: 'Quốc khánh (ngày liền kề)' },
    { date: '2028-09-02', name: 'Quốc khánh' },
  ],
  2029: [
    { date: '2029-01-01', name: 'Tết Dương lịch' },
    ...tet(['2029-02-12', '2029-02-13', '2029-02-14', '2029-02-15', '2029-02-16']), // mùng 1 = 13/2
    { date: '2029-04-23', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
    { date: '2029-04-30', name: 'Ngày Chiến thắng' },
    { date: '2029-05-01', name: 'Ngày Quốc tế lao động' },
    { date: '2029-09-02', name: 'Quốc khánh' },
    { date: '2029-09-03', name: 'Quốc khánh (ngày liền kề)' },
  ],
  2030: [
    { date: '2030-01-01', name: 'Tết Dương lịch' },
    ...tet(['2030-02-01', '2030-02-02', '2030-02-03', '2030-02-04', '2030-02-05']), // mùng 1 = 2/2
    { date: '2030-04-12', name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
    { date: '2030-04-30', name: 'Ngày Chiến thắng' },
    { date: '2030-05-01', name: 'Ngày Quốc tế lao động' },
    { date: '2030-09-02', name: 'Quốc khánh' },
    { date: '2030-09-03', name: 'Quốc khánh (ngày liền kề)' },
  ],
});

const DAY_MS = 86_400_000;
const weekdayOf = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay();
const nextDate = (date: string): string =>
  new Date(new Date(`${date}T00:00:00Z`).getTime() + DAY_MS).toISOString().slice(0, 10);

/**
 * Art. 112 §3: for each holiday on a weekly day off (`weekend`, default Saturday and Sunday), the next day
 * that is neither a day off, a holiday nor already a compensatory day. Holidays are taken in date order, so
 * the weekend days of a long Tết give consecutive days after it. Pure; the result is sorted.
 */
export function compensatoryDaysOff(holidays: readonly string[], weekend: readonly number[] = [0, 6]): string[] {
  const off = new Set(weekend);
  const taken = new Set(holidays);
  const result: string[] = [];
  for (const h of [...new Set(holidays)].sort()) {
    if (!off.has(weekdayOf(h))) continue;
    let d = nextDate(h);
    while (off.has(weekdayOf(d)) || taken.has(d)) d = nextDate(d);
    taken.add(d);
    result.push(d);
  }
  return result.sort();
}

/** Every national day off: the statutory holidays of all listed years and their compensatory days, sorted. */
export function nationalDaysOff(
  years: Readonly<Record<number, readonly PublicHoliday[]>> = VN_PUBLIC_HOLIDAYS,
): string[] {
  const statutory = Object.values(years).flatMap((list) => list.map((h) => h.date));
  return [...new Set([...statutory, ...compensatoryDaysOff(statutory)])].sort();
}

/** The national days off 2026-2030, computed once. */
export const VN_NATIONAL_DAYS_OFF: readonly string[] = Object.freeze(nationalDaysOff());
