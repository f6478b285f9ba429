import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length } from 'class-validator';

export class StartPaymentDto {
  @ApiProperty({ enum: ['vnpay'], example: 'vnpay' })
  @IsIn(['vnpay'])
  provider: 'vnpay';
}

export class PaymentReportQuery {
  @ApiProperty({ example: '2026-11-01' })
  @IsISO8601({ strict: true })
  from: string;

  @ApiProperty({ example: '2026-12-01' })
  @IsISO8601({ strict: true })
  to: string;

  @ApiPropertyOptional({ description: 'Agency code (admin only)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  agency?: string;
}
