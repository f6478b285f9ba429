import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DossierView } from './dossier.view';

/** Response bodies of the dossier routes (besides DossierView itself). */

export class FeeLineDto {
  @ApiProperty({ enum: ['fee', 'charge', 'postal'] }) kind: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: 'integer', description: 'Integer VND' }) amount: number;
}

export class PaymentSummaryDto {
  @ApiProperty({ description: 'When it is due in the workflow (e.g. before_receipt)' }) stage: string;
  @ApiProperty({ type: [FeeLineDto] }) items: FeeLineDto[];
  @ApiProperty({ type: 'integer' }) amountVnd: number;
  @ApiProperty({ enum: ['open', 'paid', 'refund_pending', 'refunded', 'void'] }) status: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) paidAt: Date | null;
}

export class ResultSummaryDto {
  @ApiProperty({
    format: 'uuid',
    description:
      'The result’s id: what a later dossier of the same citizen reuses (POST /applications/{id}/documents/reuse, sourceResultId)',
  })
  id: string;
  @ApiProperty() verificationCode: string;
  @ApiProperty({ type: String, nullable: true, description: 'null while the PDF is being generated' })
  sha256: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) issuedAt: Date | null;
  @ApiProperty({ type: String, nullable: true }) number: string | null;
}

export class ShipmentSummaryDto {
  @ApiProperty() waybill: string;
  @ApiProperty() status: string;
}

export class ApologyEntryDto {
  @ApiProperty() reason: string;
  @ApiProperty({ format: 'date-time' }) newDueAt: Date;
  @ApiProperty({ format: 'date-time' }) at: Date;
}

export class RatingViewDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 5 }) score: number;
  @ApiProperty({ type: String, nullable: true }) comment: string | null;
  @ApiProperty({ format: 'date-time' }) at: Date;
}

export class DossierPageDto {
  @ApiProperty({ type: () => [DossierView] }) items: DossierView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null: last page' })
  nextCursor: string | null;
}

export class AttachmentRefDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) documentKey: string | null;
  @ApiProperty() fileName: string;
}

export class HistoryEntryDto {
  @ApiProperty({ type: 'integer' }) seq: number;
  @ApiProperty({ description: 'The action key (create, submit, receive, system...)' }) action: string;
  @ApiProperty({ type: String, nullable: true }) fromState: string | null;
  @ApiProperty() toState: string;
  @ApiProperty({ enum: ['citizen', 'clerk', 'supervisor', 'admin', 'system'] }) actorRole: string;
  @ApiProperty({ type: String, nullable: true }) comment: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) data: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time' }) at: Date;
  @ApiProperty({ type: [AttachmentRefDto] }) attachments: AttachmentRefDto[];
}

export class LookupResultDto {
  @ApiProperty() code: string;
  @ApiProperty() state: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The original due date' })
  dueAt: Date | null;
  @ApiProperty() procedureName: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The new date of the latest apology (form 04); the due date itself never moves. Null without one.',
  })
  apologyDueAt: Date | null;
}

export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) documentKey: string | null;
  @ApiProperty() fileName: string;
  @ApiProperty({ example: 'application/pdf' }) contentType: string;
  @ApiProperty({ type: 'integer' }) sizeBytes: number;
  @ApiProperty() sha256: string;
  @ApiPropertyOptional({ enum: ['citizen', 'clerk', 'supervisor'], description: 'In lists' }) uploadedRole?: string;
  @ApiProperty({ description: 'A scan of a paper received at the counter or by post (digitised by staff)' })
  digitised: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The staff account that digitised it' })
  digitisedBy: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Reused ("do not ask twice"): the earlier document of the same citizen it reuses',
  })
  reusedFromDocumentId: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Reused ("do not ask twice"): the earlier result of the same citizen it reuses',
  })
  reusedFromResultId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
}

export class QueueItemDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) code: string | null;
  @ApiProperty() state: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty() procedureName: string;
  @ApiProperty() applicantName: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assigneeId: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) submittedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) receivedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt: Date | null;
  @ApiProperty({ format: 'date-time', description: 'The sort key: due date, or submission before receipt' })
  attentionAt: Date;
  @ApiProperty() overdue: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Set by the deadline sweep (due_soon)' }) deadlineAlert:
    string | null;
  @ApiProperty() clockPaused: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'open, paid, refund_pending, refunded; null: nothing due' })
  paymentStatus: string | null;
}

export class QueuePageDto {
  @ApiProperty({ type: [QueueItemDto] }) items: QueueItemDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Open dossiers per state (first page only)',
  })
  counts?: Record<string, number>;
}
