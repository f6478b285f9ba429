import { ApiProperty } from '@nestjs/swagger';
import { FeeItemDto, RequiredDocumentDto, ResultTemplateDto, TimeLimitsDto } from './dto';

export class ProcedureCreatedDto {
  @ApiProperty() code: string;
}

export class VersionCreatedDto {
  @ApiProperty() code: string;
  @ApiProperty({ type: 'integer' }) version: number;
}

export class VersionPublishedDto {
  @ApiProperty() code: string;
  @ApiProperty({ type: 'integer' }) version: number;
  @ApiProperty({ format: 'date-time' }) publishedAt: Date;
}

/** A version of a procedure as the administrator sees it (drafts included). */
export class ProcedureVersionDto {
  @ApiProperty({ type: 'integer' }) version: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the form' })
  formSchema: Record<string, unknown>;
  @ApiProperty({ type: [RequiredDocumentDto] }) requiredDocuments: RequiredDocumentDto[];
  @ApiProperty({ type: [FeeItemDto] }) fees: FeeItemDto[];
  @ApiProperty({ enum: ['before_receipt', 'after_approval', 'exempt'] }) feeTiming: string;
  @ApiProperty({ type: 'integer' }) processingDays: number;
  @ApiProperty({
    type: TimeLimitsDto,
    nullable: true,
    description: 'Time limits per filing channel in working days and/or hours',
  })
  timeLimits: TimeLimitsDto | null;
  @ApiProperty({ enum: ['online', 'post'], isArray: true }) deliveryOptions: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Workflow definition: {states, actions}' })
  workflow: Record<string, unknown>;
  @ApiProperty({ type: 'integer' }) postalFeeVnd: number;
  @ApiProperty({ type: ResultTemplateDto, nullable: true }) resultTemplate: ResultTemplateDto | null;
  @ApiProperty() refundable: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) publishedAt: Date | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
}
