import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

export class JobCountsDto {
  @ApiProperty({ type: 'integer' }) waiting: number;
  @ApiProperty({ type: 'integer' }) active: number;
  @ApiProperty({ type: 'integer' }) delayed: number;
  @ApiProperty({ type: 'integer' }) failed: number;
  @ApiProperty({ type: 'integer' }) completed: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Waiting while the queue is paused' }) paused?: number;
}

export class QueueStatusDto {
  @ApiProperty({ enum: ['notifications', 'payments', 'delivery'] }) name: string;
  @ApiProperty({ type: 'integer' }) workers: number;
  @ApiProperty({ type: JobCountsDto }) counts: JobCountsDto;
}

export class CallbackTotalsDto {
  @ApiProperty({ type: 'integer' }) badSignatures: number;
  @ApiProperty({ type: 'integer' }) rateLimited: number;
}

@ApiExtraModels(CallbackTotalsDto)
export class QueuesOverviewDto {
  @ApiProperty({ type: 'integer', description: 'Outbox rows not yet moved into the queues' }) outboxPending: number;
  @ApiProperty({
    type: 'integer',
    description: 'Outbox rows moved into the queues whose job has not finished (waiting, running, or lost with Redis)',
  })
  outboxUnfinished: number;
  @ApiProperty({ type: [QueueStatusDto] }) queues: QueueStatusDto[];
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: { $ref: getSchemaPath(CallbackTotalsDto) },
    description: 'Per provider callback; null when Redis did not answer',
  })
  rejectedCallbacks: Record<string, CallbackTotalsDto> | null;
}

export class FailedJobDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Ids only' }) data: Record<string, unknown>;
  @ApiProperty({ type: 'integer' }) attemptsMade: number;
  @ApiProperty() failedReason: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) failedAt: Date | null;
}

export class RetriedJobDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: [true] }) retried: boolean;
}

export class UndeliveredNotificationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) dossierId: string | null;
  @ApiProperty() event: string;
  @ApiProperty({ enum: ['email', 'sms'] }) channel: string;
  @ApiProperty({ enum: ['failed', 'sending', 'sent'] }) status: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
}
