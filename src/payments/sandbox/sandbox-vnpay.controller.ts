import { Body, Get, Header, HttpCode, Param, Post, Query, Redirect } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'Payment page (VNPAY_PAY_URL): checks the signed request and offers pay / cancel' })
  async payPage(@Query() query: Record<string, unknown>): Promise<string> {
    return renderPayPage(await this.sandbox.openPayment(query));
  }

  @Public()
  @Get('pay/:txnRef/decide')
  @Redirect()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: "The page's buttons: decide, send the IPN, and redirect the browser (302) to the signed return URL",
  })
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
  @ApiOperation({ summary: 'Test API: decide a transaction opened on the payment page; optionally lose the IPN' })
  @ApiOkResponse({ type: CompletionDto })
  complete(@Param('txnRef') txnRef: string, @Body() dto: CompleteTransactionDto): Promise<CompletionDto> {
    return this.sandbox.complete(txnRef, dto.outcome, dto.ipn ?? 'deliver');
  }

  @Public()
  @Post('api/transaction')
  @HttpCode(200)
  @ApiOperation({ summary: 'Merchant API (VNPAY_API_URL): querydr and refund, pipe-joined HMAC-SHA512 both ways' })
  transaction(@Body() dto: TransactionApiDto): Promise<Record<string, string>> {
    return this.sandbox.transactionApi({ ...dto });
  }
}
