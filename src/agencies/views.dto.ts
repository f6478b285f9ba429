import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class OfficePeriodDto {
  @ApiProperty({ example: '07:00' }) start: string;
  @ApiProperty({ example: '11:30' }) end: string;
}

/** Office hours, working weekdays and holidays: drives every deadline of the agency. */
export class WorkCalendarDto {
  @ApiProperty({ description: 'Local time = UTC + this many minutes', example: 420 }) utcOffsetMinutes: number;
  @ApiProperty({ type: [OfficePeriodDto] }) officeHours: OfficePeriodDto[];
  @ApiProperty({ type: [Number], description: '0 = Sunday .. 6 = Saturday' }) workingWeekdays: number[];
  @ApiProperty({ type: [String], description: "Local dates 'YYYY-MM-DD'" }) holidays: string[];
  @ApiPropertyOptional({ type: [String], description: 'Local dates worked regardless of weekday' })
  extraWorkingDays?: string[];
  @ApiPropertyOptional({
    description:
      'The national public holidays (and compensatory days) apply; holidays add to them, extraWorkingDays override them',
  })
  national?: boolean;
}

export class AgencyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The province, from the code’s last group (`000.00.01.H56`: H56); its counters receive dossiers for every agency of it. Null for a code without one',
  })
  provinceCode: string | null;
  @ApiProperty({ type: WorkCalendarDto }) calendar: WorkCalendarDto;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ format: 'date-time' }) updatedAt: Date;
}

export class StaffCreatedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['clerk', 'supervisor', 'admin'] }) role: string;
  @ApiProperty({ type: String, nullable: true }) agencyCode: string | null;
}

export class StaffMemberDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ type: String, nullable: true }) fullName: string | null;
  @ApiProperty({ enum: ['clerk', 'supervisor', 'admin'] }) role: string;
  @ApiProperty({ type: String, nullable: true }) agencyCode: string | null;
  @ApiProperty({ type: String, nullable: true }) agencyName: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Position (shown in the results the member approves)' })
  title: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSignInAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt: Date | null;
}

export class AccountStatusDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['citizen', 'clerk', 'supervisor', 'admin'] }) role: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: enabled' })
  disabledAt: Date | null;
}

export class PasswordResetSentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ format: 'date-time', description: 'When the link stops working' }) expiresAt: Date;
}
