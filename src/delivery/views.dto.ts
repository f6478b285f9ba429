import { ApiProperty } from '@nestjs/swagger';

export class StagedResultDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'staged' }) status: string;
  @ApiProperty({ type: String, nullable: true }) sha256: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) sizeBytes: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
}

export class ResultLinkDto {
  @ApiProperty({ format: 'uri', description: 'Downloads the result without signing in' }) url: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: Date;
}

export class VerificationSignerDto {
  @ApiProperty({ description: 'The organisation (O) of the signer certificate' }) organization: string;
  @ApiProperty({ description: 'The name (CN) of the signer certificate' }) name: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) signedAt: Date | null;
}

export class VerificationDto {
  @ApiProperty({ description: 'The given hash (or file) matches; true when none was given' }) valid: boolean;
  @ApiProperty() sha256: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: Date;
  @ApiProperty() agencyName: string;
  @ApiProperty() procedureName: string;
  @ApiProperty({
    type: VerificationSignerDto,
    nullable: true,
    description: 'Who signed the PDF (its signature); null for a result issued before signatures',
  })
  signer: VerificationSignerDto | null;
}

export class WebhookAckDto {
  @ApiProperty({ enum: [true] }) ok: boolean;
}
