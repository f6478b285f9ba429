import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  IsString,
  Length,
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';

/**
 * The reporting timezone for instants given without an offset (a bare date
 * or a local date-time): Asia/Ho_Chi_Minh, UTC+7 all year. The period of a
 * report is one interval for every agency, so it is read in the country's
 * time, not per agency calendar.
 */
export const REPORT_UTC_OFFSET_MINUTES = 420;

/** The longest period one report may cover. */
export const MAX_PERIOD_YEARS = 2;

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Reads `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.mmm]]` or either of those with
 * `Z` / `±HH:MM`; dates and local date-times without an offset are in
 * Asia/Ho_Chi_Minh (`2026-11-01` = 2026-11-01T00:00:00+07:00). Returns
 * undefined for anything else, including impossible dates (2026-02-30,
 * 24:00, offsets beyond ±14:00).
 */
export function parseInstant(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = INSTANT.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, ms] = [
    m[1],
    m[2],
    m[3],
    m[4] ?? '0',
    m[5] ?? '0',
    m[6] ?? '0',
    (m[7] ?? '0').padEnd(3, '0'),
  ].map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 02-30 over to 03-02: such a date does not exist.
  if (new Date(local).getUTCDate() !== day) return undefined;
  let offsetMinutes = REPORT_UTC_OFFSET_MINUTES;
  const zone = m[8];
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone) {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59 || oh * 60 + om > 14 * 60) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const at = new Date(local - offsetMinutes * 60_000);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** `from` plus MAX_PERIOD_YEARS calendar years (UTC), the latest allowed `to`. */
export function latestEnd(from: Date): Date {
  const d = new Date(from.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + MAX_PERIOD_YEARS);
  return d;
}

function IsInstant(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => parseInstant(value) !== undefined,
        defaultMessage: (a: ValidationArguments) => `${a.property} must be a date YYYY-MM-DD or an ISO 8601 date-time`,
      },
    });
}

/** On `to`: after `from`, and at most MAX_PERIOD_YEARS later. Silent when either is unreadable (IsInstant reports that). */
function IsPeriodEnd(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPeriodEnd',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown, a: ValidationArguments) {
          const from = parseInstant((a.object as IndicatorsQueryDto).from);
          const to = parseInstant(value);
          if (!from || !to) return true;
          return to.getTime() > from.getTime() && to.getTime() <= latestEnd(from).getTime();
        },
        defaultMessage: () => `to must be after from, and the period at most ${MAX_PERIOD_YEARS} years long`,
      },
    });
}

export class IndicatorsQueryDto {
  @ApiProperty({
    example: '2026-11-01',
    description: 'Start of the period, included. A date (Asia/Ho_Chi_Minh midnight) or an ISO 8601 date-time.',
  })
  @IsString()
  @IsInstant()
  from: string;

  @ApiProperty({
    example: '2026-12-01',
    description: 'End of the period, excluded; after `from`, at most 2 years later.',
  })
  @IsString()
  @IsInstant()
  @IsPeriodEnd()
  to: string;

  @ApiPropertyOptional({
    example: '000.00.01.H56',
    description: 'Agency code. Supervisors: their own agency only (the default).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  agency?: string;

  @ApiPropertyOptional({ example: '1.004884', description: 'Procedure code' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  procedure?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

/** One (agency, procedure) of a report; see IndicatorsService for the definitions. */
export interface IndicatorRow {
  agencyCode: string;
  procedureCode: string;
  received: number;
  finished: number;
  onTime: number;
  late: number;
  onTimeRate: number | null;
  onlineRate: number | null;
  onlinePaymentRate: number | null;
  avgProcessingHours: number | null;
  satisfactionRate: number | null;
  ratings: number;
  avgScore: number | null;
  /** Withdrawn by the citizen in the period: not finished, neither on time nor late. */
  withdrawn: number;
  /** Refused (refusal notice) in the period: not finished, neither on time nor late. */
  refused: number;
  /** Received in the period, filed at the counter. */
  counter: number;
  /** Received in the period, by post. */
  post: number;
  /** Received dossiers whose papers are digital (filed online, or every required document scanned or reused) / received. */
  digitisationRate: number | null;
}

/** The CSV columns, in order: exactly the keys of a row. */
export const INDICATOR_COLUMNS: readonly (keyof IndicatorRow)[] = [
  'agencyCode',
  'procedureCode',
  'received',
  'finished',
  'onTime',
  'late',
  'onTimeRate',
  'onlineRate',
  'onlinePaymentRate',
  'avgProcessingHours',
  'satisfactionRate',
  'ratings',
  'avgScore',
  'withdrawn',
  'refused',
  'counter',
  'post',
  'digitisationRate',
];

export interface IndicatorsReport {
  /** The period actually used, as UTC instants: [from, to). */
  from: string;
  to: string;
  rows: IndicatorRow[];
}
