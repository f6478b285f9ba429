import { ApiProperty } from '@nestjs/swagger';

export class HealthOkDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
}

/** Terminus' report: per indicator (database, queues) its status and details. */
export class HealthDetailsDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) info?: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) error?: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ description: 'This instance is draining for shutdown' }) shuttingDown: boolean;
}
