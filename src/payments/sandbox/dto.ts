import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export const SANDBOX_OUTCOMES = ['pay', 'cancel'] as const;
export type SandboxOutcomeValue = (typeof SANDBOX_OUTCOMES)[number];

/** The payment page's buttons. */
export class DecideQueryDto {
  @ApiProperty({ enum: SANDBOX_OUTCOMES })
  @IsIn(SANDBOX_OUTCOMES)
  outcome: SandboxOutcomeValue;
}

/** Test API: decide a transaction without a browser. */
export class CompleteTransactionDto {
  @ApiProperty({ enum: SANDBOX_OUTCOMES })
  @IsIn(SANDBOX_OUTCOMES)
  outcome: SandboxOutcomeValue;

  @ApiPropertyOptional({
    enum: ['deliver', 'skip'],
    default: 'deliver',
    description: "'skip' sends no IPN (a lost IPN)",
  })
  @IsOptional()
  @IsIn(['deliver', 'skip'])
  ipn?: 'deliver' | 'skip';
}

export class IpnAnswerDto {
  @ApiProperty() RspCode: string;
  @ApiProperty() Message: string;
}

export class CompletionDto {
  @ApiProperty({ description: 'vnp_ReturnUrl with the signed result parameters' })
  returnUrl: string;

  @ApiProperty({
    description: 'The signed IPN parameters, vnp_SecureHash included',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  ipnParams: Record<string, string>;

  @ApiPropertyOptional({ type: IpnAnswerDto, description: "The merchant's answer to the first IPN delivery" })
  ipnResponse?: IpnAnswerDto;

  @ApiPropertyOptional({ description: 'Why the first IPN delivery got no answer' })
  ipnError?: string;
}

const S = () => (target: object, key: string) => {
  IsOptional()(target, key);
  IsString()(target, key);
  MaxLength(key === 'vnp_OrderInfo' ? 1000 : 255)(target, key);
  ApiPropertyOptional({ type: String })(target, key);
};

/**
 * Body of the merchant API (`vnp_Command` querydr or refund), fields as the
 * protocol module's buildQueryDr / buildRefund send them. Field-level errors
 * get a 400 problem; protocol errors get VNPay's JSON response codes.
 */
export class TransactionApiDto {
  @ApiProperty({ enum: ['querydr', 'refund'] })
  @IsIn(['querydr', 'refund'])
  vnp_Command: 'querydr' | 'refund';

  @S() vnp_RequestId?: string;
  @S() vnp_Version?: string;
  @S() vnp_TmnCode?: string;
  @S() vnp_TxnRef?: string;
  @S() vnp_OrderInfo?: string;
  @S() vnp_TransactionDate?: string;
  @S() vnp_CreateDate?: string;
  @S() vnp_IpAddr?: string;
  @S() vnp_SecureHash?: string;
  @S() vnp_TransactionNo?: string;
  @S() vnp_TransactionType?: string;
  @S() vnp_Amount?: string;
  @S() vnp_CreateBy?: string;
}
