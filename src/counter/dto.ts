import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { DeliveryDto } from '../applications/dto';
import { ID_NUMBER, NormalizePhone, PHONE } from '../auth/dto';

/** The walk-in citizen, as on their ID card. */
export class CounterApplicantDto {
  @ApiProperty({
    description: 'National ID number (12 digits), checked on the card by the clerk',
    example: '001090001234',
  })
  @IsString()
  @Matches(ID_NUMBER, { message: 'idNumber must be 12 digits' })
  idNumber: string;

  @ApiProperty({ example: 'Nguyễn Văn An' })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'fullName must not be blank' })
  fullName: string;

  @ApiPropertyOptional({ example: '0912345678' })
  @IsOptional()
  @NormalizePhone()
  @IsString()
  @Matches(PHONE, { message: 'phone must be a Vietnamese phone number' })
  phone?: string;

  @ApiPropertyOptional({ example: 'an.nguyen@example.vn' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'Postal address (kept on the dossier’s history, not on the account)' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  address?: string;
}

export class CounterApplicationDto {
  @ApiProperty()
  @IsString()
  @Length(1, 64)
  procedureCode: string;

  @ApiProperty({ type: CounterApplicantDto })
  @ValidateNested()
  @Type(() => CounterApplicantDto)
  applicant: CounterApplicantDto;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The complete form' })
  @IsObject()
  formData: Record<string, unknown>;

  @ApiPropertyOptional({ type: DeliveryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeliveryDto)
  delivery?: DeliveryDto;

  @ApiPropertyOptional({
    enum: ['counter', 'post'],
    default: 'counter',
    description: 'counter: filed in person; post: papers received by post',
  })
  @IsOptional()
  @IsIn(['counter', 'post'])
  channel?: 'counter' | 'post';
}
