import { ApiProperty } from '@nestjs/swagger';

export class IndicatorRowDto {
  @ApiProperty() agencyCode: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty({ type: 'integer' }) received: number;
  @ApiProperty({ type: 'integer' }) finished: number;
  @ApiProperty({ type: 'integer' }) onTime: number;
  @ApiProperty({ type: 'integer' }) late: number;
  @ApiProperty({ type: Number, nullable: true }) onTimeRate: number | null;
  @ApiProperty({ type: Number, nullable: true }) onlineRate: number | null;
  @ApiProperty({ type: Number, nullable: true }) onlinePaymentRate: number | null;
  @ApiProperty({ type: Number, nullable: true }) avgProcessingHours: number | null;
  @ApiProperty({ type: Number, nullable: true }) satisfactionRate: number | null;
  @ApiProperty({ type: 'integer' }) ratings: number;
  @ApiProperty({ type: Number, nullable: true }) avgScore: number | null;
  @ApiProperty({ type: 'integer', description: 'Withdrawn by the citizen in the period (not finished)' })
  withdrawn: number;
  @ApiProperty({ type: 'integer', description: 'Refused (refusal notice) in the period (not finished)' })
  refused: number;
  @ApiProperty({ type: 'integer', description: 'Received in the period, filed at the counter' }) counter: number;
  @ApiProperty({ type: 'integer', description: 'Received in the period, by post' }) post: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Received dossiers filed online or with every required document scanned or reused / received',
  })
  digitisationRate: number | null;
}

export class IndicatorsReportDto {
  @ApiProperty({ format: 'date-time', description: 'The period used, as UTC instants: [from, to)' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: [IndicatorRowDto] }) rows: IndicatorRowDto[];
}
