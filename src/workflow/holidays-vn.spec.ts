import { DEFAULT_CALENDAR, dueDate, effectiveHolidays, isWorkingDay, validateCalendar, WorkCalendar } from './calendar';
import { compensatoryDaysOff, nationalDaysOff, VN_NATIONAL_DAYS_OFF, VN_PUBLIC_HOLIDAYS } from './holidays-vn';

const weekday = (d: string) => new Date(`${d}T00:00:00Z`).getUTCDay();

describe('compensatoryDaysOff (Labour Code art. 112 §3)', () => {
  it('a holiday on a weekday gives nothing', () => {
    expect(compensatoryDaysOff(['2026-09-02'])).toEqual([]); // Wednesday
  });

  it('a holiday on Saturday or Sunday gives the next working day', () => {
    expect(compensatoryDaysOff(['2026-04-26'])).toEqual(['2026-04-27']); // Hùng Kings on Sunday -> Monday
    expect(compensatoryDaysOff(['2027-05-01'])).toEqual(['2027-05-03']); // Saturday -> Monday
  });

  it('skips other holidays and stacks the days of a long Tết after it', () => {
    // Tết 2027: Fri 5 (eve) .. Tue 9 Feb; Saturday 6 and Sunday 7 give Wednesday 10 and Thursday 11.
    expect(compensatoryDaysOff(['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09'])).toEqual([
      '2027-02-10',
      '2027-02-11',
    ]);
    // 30/4/2028 is a Sunday; 1/5 is a holiday, so the day off is Tuesday 2/5.
    expect(compensatoryDaysOff(['2028-04-30', '2028-05-01'])).toEqual(['2028-05-02']);
  });

  it('takes the weekly days off given', () => {
    expect(compensatoryDaysOff(['2026-04-26'], [0])).toEqual(['2026-04-27']);
    expect(compensatoryDaysOff(['2027-05-01'], [0])).toEqual([]);
  });
});

describe('VN_PUBLIC_HOLIDAYS 2026-2030', () => {
  it('lists every year 2026-2030 with 11 statutory days (1 + 5 + 1 + 1 + 1 + 2)', () => {
    expect(Object.keys(VN_PUBLIC_HOLIDAYS)).toEqual(['2026', '2027', '2028', '2029', '2030']);
    for (const list of Object.values(VN_PUBLIC_HOLIDAYS)) {
      expect(list).toHaveLength(11);
      expect(new Set(list.map((h) => h.date)).size).toBe(11);
    }
  });

  it('Tết is five consecutive days around the lunar new year', () => {
    for (const [year, list] of Object.entries(VN_PUBLIC_HOLIDAYS)) {
      const tet = list.filter((h) => h.name.startsWith('Tết Nguyên đán')).map((h) => h.date);
      expect(tet).toHaveLength(5);
      const t0 = new Date(`${tet[0]}T00:00:00Z`).getTime();
      tet.forEach((d, i) => expect(new Date(`${d}T00:00:00Z`).getTime() - t0).toBe(i * 86_400_000));
      expect(tet[0].startsWith(year)).toBe(true);
    }
  });

  it('National Day is 2/9 with an adjacent day', () => {
    for (const [year, list] of Object.entries(VN_PUBLIC_HOLIDAYS)) {
      const days = list.filter((h) => h.name.startsWith('Quốc khánh')).map((h) => h.date);
      expect(days).toContain(`${year}-09-02`);
      expect([`${year}-09-01`, `${year}-09-03`]).toContain(days.find((d) => d !== `${year}-09-02`));
    }
  });

  it('the national days off are the statutory days plus the compensatory ones, and include the 2026-2027 list in use before', () => {
    expect(VN_NATIONAL_DAYS_OFF).toEqual(nationalDaysOff());
    for (const d of ['2026-02-16', '2026-02-20', '2026-04-27', '2027-02-10', '2027-02-11', '2027-05-03', '2027-09-03'])
      expect(VN_NATIONAL_DAYS_OFF).toContain(d);
    // No compensatory day on a weekend.
    const statutory = new Set(Object.values(VN_PUBLIC_HOLIDAYS).flatMap((l) => l.map((h) => h.date)));
    for (const d of VN_NATIONAL_DAYS_OFF.filter((x) => !statutory.has(x))) expect([0, 6]).not.toContain(weekday(d));
  });
});

describe('a national calendar', () => {
  const national: WorkCalendar = { ...DEFAULT_CALENDAR, national: true };

  it('is valid; national must be a boolean', () => {
    expect(validateCalendar(national)).toEqual([]);
    expect(validateCalendar({ ...DEFAULT_CALENDAR, national: 'yes' })).toEqual(['national: must be true or false']);
  });

  it('has the national days off; its own holidays add to them and its extra working days override them', () => {
    expect(isWorkingDay(national, '2027-02-10')).toBe(false); // compensatory day after Tết
    expect(isWorkingDay(DEFAULT_CALENDAR, '2027-02-10')).toBe(true);
    const own: WorkCalendar = { ...national, holidays: ['2027-03-15'], extraWorkingDays: ['2027-02-11'] };
    expect(isWorkingDay(own, '2027-03-15')).toBe(false);
    expect(isWorkingDay(own, '2027-02-11')).toBe(true);
    expect(effectiveHolidays(own)).toContain('2027-03-15');
    expect(effectiveHolidays(own)).not.toContain('2027-02-11');
  });

  it('a dossier received before Tết is due after it', () => {
    // Received Thursday 4/2/2027 07:00; 3 working days: Thursday, then (Tết 5-11/2) Friday 12 and Monday 15.
    const received = new Date('2027-02-04T07:00:00+07:00');
    expect(dueDate(national, received, 3).toISOString()).toBe(new Date('2027-02-15T17:00:00+07:00').toISOString());
    expect(dueDate(DEFAULT_CALENDAR, received, 3).toISOString()).toBe(
      new Date('2027-02-08T17:00:00+07:00').toISOString(),
    );
  });
});
