import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { FeeLineDto } from '../applications/views.dto';

export class PaymentStartedDto {
  @ApiProperty({ format: 'uuid' }) attemptId: string;
  @ApiProperty({ format: 'uri', description: "The provider's payment page; send the browser there" })
  redirectUrl: string;
  @ApiProperty({ type: 'integer' }) amountVnd: number;
  @ApiProperty({ format: 'date-time' }) expiresAt: Date;
}

export class PaymentAttemptDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'vnpay' }) provider: string;
  @ApiProperty() txnRef: string;
  @ApiProperty({
    enum: ['created', 'pending', 'succeeded', 'failed', 'cancelled', 'expired', 'refund_pending', 'refunded'],
  })
  state: string;
  @ApiProperty({ type: 'integer' }) amountVnd: number;
  @ApiProperty({ type: String, nullable: true }) providerTxnNo: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) paidAt: Date | null;
  @ApiProperty({ type: String, nullable: true, description: 'The receipt (biên lai) of a succeeded attempt' })
  receiptNumber: string | null;
}

export class PaymentRequestDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() stage: string;
  @ApiProperty({ type: [FeeLineDto] }) items: FeeLineDto[];
  @ApiProperty({ type: 'integer' }) amountVnd: number;
  @ApiProperty({ enum: ['open', 'paid', 'refund_pending', 'refunded', 'void'] }) status: string;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) paidAt: Date | null;
  @ApiProperty({ type: [PaymentAttemptDto] }) attempts: PaymentAttemptDto[];
}

export class StateTotalDto {
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({ type: 'integer' }) amountVnd: number;
}

@ApiExtraModels(StateTotalDto)
export class PaymentReportDto {
  @ApiProperty({ format: 'date-time' }) from: Date;
  @ApiProperty({ format: 'date-time' }) to: Date;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(StateTotalDto) },
    description: 'Per attempt state',
  })
  attempts: Record<string, StateTotalDto>;
  @ApiProperty({ type: 'integer' }) amountMismatches: number;
  @ApiProperty({ type: 'integer' }) duplicateCallbacks: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Callbacks matching no attempt (admins, all agencies)' })
  rejectedCallbacks?: number;
  @ApiProperty({ type: 'integer' }) pendingPastExpiry: number;
}

/** VNPay's IPN answer: RspCode 97 bad signature, 01 unknown order, 04 wrong amount, 02 already confirmed, 00, 99. */
export class VnpayIpnAnswerDto {
  @ApiProperty({ enum: ['00', '01', '02', '04', '97', '99'] }) RspCode: string;
  @ApiProperty() Message: string;
}

export class PaymentReturnDto {
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed', 'cancelled', 'expired', 'refund_pending', 'refunded'] })
  status: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ format: 'uuid' }) dossierId?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) code?: string | null;
  @ApiPropertyOptional() txnRef?: string;
}
