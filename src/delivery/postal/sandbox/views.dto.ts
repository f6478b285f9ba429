import { ApiProperty } from '@nestjs/swagger';

export class SandboxRecipientDto {
  @ApiProperty() name: string;
  @ApiProperty() address: string;
  @ApiProperty() phone: string;
  @ApiProperty({ type: 'integer' }) weightGrams: number;
  @ApiProperty({ type: 'integer' }) feeVnd: number;
}

/** One row of the sandbox postal operator's ledger. */
export class SandboxShipmentDto {
  @ApiProperty() waybill: string;
  @ApiProperty() reference: string;
  @ApiProperty({ type: SandboxRecipientDto }) recipient: SandboxRecipientDto;
  @ApiProperty() status: string;
  @ApiProperty() callbackUrl: string;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
}
