import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsObject, IsOptional, IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';
import { NormalizePhone, PHONE } from '../auth/dto';

export const AGENCY_CODE = /^[A-Za-z0-9][A-Za-z0-9.]{0,31}$/;

export class CreateAgencyDto {
  @ApiProperty({ example: '000.00.01.H56' })
  @IsString()
  @Matches(AGENCY_CODE, { message: 'code must be up to 32 letters, digits or dots' })
  code: string;

  @ApiProperty()
  @IsString()
  @Length(1, 300)
  name: string;

  @ApiPropertyOptional({ description: 'Office hours, working weekdays, holidays; defaults to the national calendar' })
  @IsOptional()
  @IsObject()
  calendar?: Record<string, unknown>;
}

export class UpdateAgencyDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 300)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  calendar?: Record<string, unknown>;
}

export class CreateStaffDto {
  @ApiProperty()
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;

  @ApiProperty({ enum: ['clerk', 'supervisor', 'admin'] })
  @IsIn(['clerk', 'supervisor', 'admin'])
  role: 'clerk' | 'supervisor' | 'admin';

  @ApiPropertyOptional({ description: 'Required for clerks and supervisors' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  agencyCode?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  fullName?: string;

  @ApiPropertyOptional({
    description: 'Position, shown under the name in the results the member approves',
    example: 'Trưởng phòng',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @NormalizePhone()
  @IsString()
  @Matches(PHONE, { message: 'phone must be a Vietnamese phone number' })
  phone?: string;
}
