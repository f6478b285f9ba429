import { Body, Get, Header, HttpCode, Param, Post, Query, Redirect } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../../openapi/responses';
import { Public } from '../../auth/auth-user';
import { SandboxController } from '../../sandbox/sandbox.guard';
import { CompleteTransactionDto, CompletionDto, DecideQueryDto, TransactionApiDto } from './dto';
import { renderPayPage } from './pay-page';
import { SandboxVnpayService } from './sandbox-vnpay.service';

/**
 * A VNPay 2.1.0 gateway served by the portal itself outside production, so a
 * full payment runs with no outside service: the payment page
 * (VNPAY_PAY_URL), the merchant API (VNPAY_API_URL: querydr, refund), and a
 * test API to decide a payment without a browser. The caller is the gateway's
 * customer or the merchant's server, never a portal user.
 */
@SandboxController('vnpay')
export class SandboxVnpayController {
  constructor(private readonly sandbox: SandboxVnpayService) {}

  @Public()
  @Get('pay')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Payment page (VNPAY_PAY_URL)',
    description: 'Checks the signed vnp_* request and offers pay / cancel.',
    security: [],
  })
  @ApiResponse({ status: 200, description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiProblems(400, [404, 'The sandbox is off'])
  async payPage(@Query() query: Record<string, unknown>): Promise<string> {
    return renderPayPage(await this.sandbox.openPayment(query));
  }

  @Public()
  @Get('pay/:txnRef/decide')
  @Redirect()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: "The payment page's buttons",
    description: 'Decides, sends the IPN, and redirects the browser (302) to the signed return URL.',
    security: [],
  })
  @ApiResponse({
    status: 302,
    description: 'To the merchant’s signed return URL',
    headers: { Location: { description: 'vnp_ReturnUrl with the signed result', schema: { type: 'string' } } },
  })
  @ApiProblems(400, [404, 'Unknown transaction, or the sandbox is off'])
  async decide(
    @Param('txnRef') txnRef: string,
    @Query() q: DecideQueryDto,
  ): Promise<{ url: string; statusCode: number }> {
    const done = await this.sandbox.complete(txnRef, q.outcome, 'deliver');
    return { url: done.returnUrl, statusCode: 302 };
  }

  @Public()
  @Post('transactions/:txnRef/complete')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Test API: decide a transaction',
    description: 'One opened on the payment page; optionally lose the IPN. A decided one answers as decided.',
    security: [],
  })
  @ApiJson(200, CompletionDto)
  @ApiProblems(400, [404, 'Unknown transaction, or the sandbox is off'])
  complete(@Param('txnRef') txnRef: string, @Body() dto: CompleteTransactionDto): Promise<CompletionDto> {
    return this.sandbox.complete(txnRef, dto.outcome, dto.ipn ?? 'deliver');
  }

  @Public()
  @Post('api/transaction')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Merchant API (VNPAY_API_URL)',
    description: 'querydr and refund, pipe-joined HMAC-SHA512 both ways; errors are vnp_ResponseCode values.',
    security: [],
  })
  @ApiJson(200, {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'vnp_* fields, vnp_SecureHash included',
  })
  @ApiProblems(400, [404, 'The sandbox is off'])
  transaction(@Body() dto: TransactionApiDto): Promise<Record<string, string>> {
    return this.sandbox.transactionApi({ ...dto });
  }
}
