import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Length, Matches, Max, Min } from 'class-validator';
import { TRACKING_STATUSES, TrackingStatus } from '../postal-provider';

/** The operator API's shipment request (what the HTTP adapter sends). */
export class SandboxCreateShipmentDto {
  @ApiProperty({ description: "The sender's reference: one shipment per reference" })
  @IsString()
  @Length(1, 100)
  reference: string;

  @ApiProperty()
  @IsString()
  @Length(1, 200)
  recipient: string;

  @ApiProperty()
  @IsString()
  @Length(5, 500)
  address: string;

  @ApiProperty()
  @IsString()
  @Matches(/^(\+84|0)\d{9,10}$/, { message: 'phone must be a Vietnamese phone number' })
  phone: string;

  @ApiProperty()
  @IsInt()
  @Min(1)
  @Max(30_000)
  weightGrams: number;

  @ApiProperty({ description: 'Where tracking events are sent' })
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  callbackUrl: string;
}

export class SandboxShipmentCreatedDto {
  @ApiProperty() waybill: string;
  @ApiProperty() feeVnd: number;
}

/** Test API: make the operator report a tracking event. */
export class SandboxEventDto {
  @ApiProperty({ enum: TRACKING_STATUSES })
  @IsIn(TRACKING_STATUSES)
  status: TrackingStatus;

  @ApiPropertyOptional({ description: 'Re-send an event with this id (a duplicate delivery); default: a new id' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/^[\x21-\x7e]+$/, { message: 'eventId must be printable ASCII without spaces' })
  eventId?: string;

  @ApiPropertyOptional({ description: 'When it happened (ISO 8601); default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class SandboxEventResultDto {
  @ApiProperty({ description: 'The portal answered 2xx' }) delivered: boolean;
  @ApiProperty({ description: "HTTP status of the portal's answer; 0 when there was none" }) portalStatus: number;
  @ApiProperty() eventId: string;
  @ApiPropertyOptional({ description: 'Why there was no answer' }) error?: string;
}

export class SandboxLedgerQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  reference?: string;
}
