import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ID_NUMBER, PHONE } from '../auth/dto';

export class DeliveryDto {
  @ApiProperty({ enum: ['online', 'post'] })
  @IsIn(['online', 'post'])
  method: 'online' | 'post';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  recipient?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(5, 500)
  address?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(PHONE, { message: 'phone must be a Vietnamese phone number' })
  phone?: string;
}

export class CreateApplicationDto {
  @ApiProperty()
  @IsString()
  @Length(1, 64)
  procedureCode: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  formData?: Record<string, unknown>;

  @ApiPropertyOptional({ type: DeliveryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeliveryDto)
  delivery?: DeliveryDto;
}

export class UpdateApplicationDto {
  @ApiPropertyOptional({ description: 'Fields to set; merged into the saved form data' })
  @IsOptional()
  @IsObject()
  formData?: Record<string, unknown>;

  @ApiPropertyOptional({ type: DeliveryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeliveryDto)
  delivery?: DeliveryDto;
}

/** One item of a supplementation request (form 02): what is missing or wrong, and why. */
export class SupplementItemDto {
  @ApiProperty({ description: 'The paper or field to supplement; unique within the request', maxLength: 500 })
  @IsString()
  @Length(1, 500)
  name: string;

  @ApiPropertyOptional({ description: 'What is missing or wrong with it', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class ActionDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  comment?: string;

  @ApiPropertyOptional({ description: 'Action-specific data, kept in the history' })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Documents uploaded to this dossier by the caller, attached to this step' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsUUID('4', { each: true })
  attachmentIds?: string[];

  @ApiPropertyOptional({
    type: [SupplementItemDto],
    description:
      'request_supplement only: every item the citizen must supplement in this round (at least one, names unique). ' +
      "Omitted: the comment's lines. An item already requested in an earlier round is flagged to the supervisors.",
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => SupplementItemDto)
  items?: SupplementItemDto[];
}

export class AssignDto {
  @ApiPropertyOptional({ description: 'The clerk to assign; omitted: the caller claims it' })
  @IsOptional()
  @IsUUID('4')
  clerkId?: string;
}

export class ListQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class QueueQueryDto extends ListQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,63}$/)
  state?: string;

  @ApiPropertyOptional({ description: 'Procedure code' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  procedure?: string;

  @ApiPropertyOptional({ description: "A clerk's id, 'me' or 'none'" })
  @IsOptional()
  @IsString()
  @Matches(/^(me|none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, {
    message: "assignee must be a clerk id, 'me' or 'none'",
  })
  assignee?: string;

  @ApiPropertyOptional({ enum: ['overdue', 'soon'] })
  @IsOptional()
  @IsIn(['overdue', 'soon'])
  due?: 'overdue' | 'soon';
}

export class LookupQueryDto {
  @ApiProperty()
  @IsString()
  @Length(5, 64)
  code: string;

  @ApiProperty()
  @IsString()
  @Matches(ID_NUMBER, { message: 'idNumber must be 12 digits' })
  idNumber: string;
}

export class ApologyDto {
  @ApiProperty({ description: 'Why the result will be late' })
  @IsString()
  @Length(5, 2000)
  reason: string;

  @ApiProperty({ description: 'The new date the result will be returned (ISO 8601)' })
  @IsISO8601({ strict: true })
  newDueAt: string;
}

export class RatingDto {
  @ApiProperty({ minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  score: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}

/** Reuse an earlier document or result of the same citizen for a required document ("do not ask twice"). */
export class ReuseDocumentDto {
  @ApiProperty({ description: 'Which required document it provides' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,63}$/, { message: 'documentKey must be lower_snake_case' })
  documentKey: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A document of an earlier dossier of the same citizen' })
  @IsOptional()
  @IsUUID()
  sourceDocumentId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'An issued result of an earlier dossier of the same citizen' })
  @IsOptional()
  @IsUUID()
  sourceResultId?: string;
}
