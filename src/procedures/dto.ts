import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches,
  Max, Min, ValidateNested,
} from 'class-validator';

export const PROCEDURE_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

export class CreateProcedureDto {
  @ApiProperty({ example: 'BTP-KS-01' }) @IsString() @Matches(PROCEDURE_CODE, { message: 'code must be 2-64 letters, digits, dots, dashes or underscores' })
  code: string;

  @ApiProperty() @IsString() @Length(1, 300)
  name: string;

  @ApiProperty() @IsString() @Length(1, 64)
  agencyCode: string;

  @ApiProperty({ enum: ['full', 'partial'] }) @IsIn(['full', 'partial'])
  level: 'full' | 'partial';
}

export class RequiredDocumentDto {
  @ApiProperty() @IsString() @Matches(/^[a-z][a-z0-9_]{0,63}$/, { message: 'key must be lower_snake_case' })
  key: string;

  @ApiProperty() @IsString() @Length(1, 300)
  name: string;

  @ApiProperty() @IsBoolean()
  required: boolean;
}

export class FeeItemDto {
  @ApiProperty({ enum: ['fee', 'charge'] }) @IsIn(['fee', 'charge'])
  kind: 'fee' | 'charge';

  @ApiProperty() @IsString() @Length(1, 300)
  name: string;

  @ApiProperty({ description: 'Integer VND' }) @IsInt() @Min(0) @Max(1_000_000_000)
  amount: number;
}

export class CreateVersionDto {
  @ApiProperty({ description: 'JSON Schema of the form (type: object)' }) @IsObject()
  formSchema: Record<string, unknown>;

  @ApiProperty({ type: [RequiredDocumentDto] }) @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => RequiredDocumentDto)
  requiredDocuments: RequiredDocumentDto[];

  @ApiProperty({ type: [FeeItemDto] }) @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => FeeItemDto)
  fees: FeeItemDto[];

  @ApiProperty({ enum: ['before_receipt', 'after_approval', 'exempt'] }) @IsIn(['before_receipt', 'after_approval', 'exempt'])
  feeTiming: 'before_receipt' | 'after_approval' | 'exempt';

  @ApiProperty({ description: 'Time limit in working days for online filing' }) @IsInt() @Min(1) @Max(365)
  processingDays: number;

  @ApiProperty({ enum: ['online', 'post'], isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayUnique() @IsIn(['online', 'post'], { each: true })
  deliveryOptions: ('online' | 'post')[];

  @ApiProperty({ description: 'Workflow definition: {states, actions}' }) @IsObject()
  workflow: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Postal delivery fee added when the citizen chooses post (integer VND)', default: 0 })
  @IsOptional() @IsInt() @Min(0) @Max(10_000_000)
  postalFee?: number;

  @ApiPropertyOptional({ description: 'Fees are refunded when the dossier is refused, rejected or withdrawn', default: true })
  @IsOptional() @IsBoolean()
  refundable?: boolean;
}

export class ProcedureView {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty() agencyCode: string;
  @ApiProperty() agencyName: string;
  @ApiProperty({ enum: ['full', 'partial'] }) level: string;
  @ApiProperty() version: number;
  @ApiProperty() fees: FeeItemDto[];
  @ApiProperty() feeTiming: string;
  @ApiProperty() totalFee: number;
  @ApiProperty() processingDays: number;
  @ApiProperty() deliveryOptions: string[];
  @ApiProperty() postalFee: number;
  @ApiProperty() formSchema: Record<string, unknown>;
  @ApiProperty() requiredDocuments: RequiredDocumentDto[];
  @ApiPropertyOptional() publishedAt: Date | null;
}
