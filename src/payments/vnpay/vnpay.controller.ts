import { Controller, Get, Headers, Logger, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiJson, ApiProblems } from '../../openapi/responses';
import { PaymentReturnDto, VnpayIpnAnswerDto } from '../views.dto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/auth-user';
import { BadRequest, NotFound } from '../../common/problem';
import { sendProblem } from '../../common/problem.filter';
import { CallbackFailures, SignedCallback } from '../../security/callback-failures';
import { clientAddress } from '../../security/rate-limit';
import { PaymentsService, SettleOutcome } from '../payments.service';
import { VnpayProvider } from './vnpay.provider';
import { IPN_RESPONSES, VnpIpnResponse } from './vnpay.protocol';

const IPN_ANSWER: Record<SettleOutcome, VnpIpnResponse> = {
  applied: IPN_RESPONSES.ok,
  already_settled: IPN_RESPONSES.alreadyConfirmed,
  not_found: IPN_RESPONSES.orderNotFound,
  amount_mismatch: IPN_RESPONSES.invalidAmount,
  undecided: IPN_RESPONSES.unknownError,
};

/**
 * VNPay's two callbacks. The IPN (server to server, signed) decides; the
 * browser return only shows where the payment stands and asks for a status
 * query, it never credits by itself. A bad signature is counted per address
 * and never stored; too many from one address get 429 (src/security/callback-failures.ts).
 */
@ApiTags('payments')
@Controller('payments/vnpay')
export class VnpayController {
  private readonly logger = new Logger(VnpayController.name);

  constructor(
    private readonly payments: PaymentsService,
    private readonly vnpay: VnpayProvider,
    private readonly callbacks: CallbackFailures,
  ) {}

  /** Answers `{RspCode, Message}`: 97 bad signature, 01 unknown order, 04 wrong amount, 02 already confirmed, 00 confirmed, 99 error. */
  @ApiOperation({
    summary: 'VNPay IPN (server to server)',
    description:
      'Signed vnp_* query parameters; always 200 with VNPay’s RspCode. Bad signatures are counted per address.',
    security: [],
  })
  @ApiJson(200, VnpayIpnAnswerDto, 'VNPay’s answer codes: 97, 01, 04, 02, 00, 99')
  @ApiProblems(429)
  @Public()
  @Get('ipn')
  @SignedCallback('vnpay-ipn')
  async ipn(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest): Promise<VnpIpnResponse> {
    try {
      const check = this.vnpay.verifyCallback(query);
      if (!check.valid && check.reason === 'signature') {
        await this.callbacks.badSignature('vnpay-ipn', clientAddress(req));
        return IPN_RESPONSES.invalidSignature;
      }
      if (!check.valid) {
        // Signed with our secret, yet not ours or not readable: kept for the audit.
        await this.payments.recordRejectedCallback('ipn', `invalid_${check.reason}`, query);
        return check.reason === 'merchant' ? IPN_RESPONSES.orderNotFound : IPN_RESPONSES.unknownError;
      }
      if (
        check.report.outcome === 'pending' ||
        check.report.outcome === 'not_found' ||
        check.report.outcome === 'refunded'
      )
        return IPN_RESPONSES.unknownError;
      return IPN_ANSWER[await this.payments.settle(check.report, 'ipn', query)];
    } catch (e) {
      this.logger.error({ err: e }, 'IPN failed');
      return IPN_RESPONSES.unknownError;
    }
  }

  /** Where the browser lands after the gateway. Shows the current state; a signed success only triggers a status query. */
  @ApiOperation({
    summary: 'VNPay browser return',
    description:
      'Answers where the payment stands (JSON); a browser (Accept: text/html) is sent on to the dossier’s payment ' +
      'page. Never credits by itself.',
    security: [],
  })
  @ApiProduces('application/json')
  @ApiResponse({
    status: 200,
    description: 'Where the payment stands',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PaymentReturnDto) } },
    },
  })
  @ApiResponse({
    status: 303,
    description: 'A browser: to the page /dossiers/{id}/payment?ref={txnRef}',
    headers: { Location: { description: 'The dossier’s payment page', schema: { type: 'string' } } },
  })
  @ApiExtraModels(PaymentReturnDto)
  @ApiProblems([400, 'The result could not be verified'], 404, 429)
  @Public()
  @Get('return')
  @SignedCallback('vnpay-return')
  async return(
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const check = this.vnpay.verifyCallback(query);
    let body: { status: string; message: string; dossierId?: string; code?: string | null; txnRef?: string };
    if (!check.valid) {
      if (check.reason === 'signature') await this.callbacks.badSignature('vnpay-return', clientAddress(req));
      else await this.payments.recordRejectedCallback('return', `invalid_${check.reason}`, query);
      return sendProblem(reply, new BadRequest('The payment result could not be verified.').toProblem());
    } else {
      const attempt = await this.payments.attemptByTxnRef(check.report.txnRef);
      if (!attempt) return sendProblem(reply, new NotFound('payment').toProblem());
      {
        if (attempt.state === 'pending' || attempt.state === 'created') await this.payments.queueCheck(attempt.id);
        const status = attempt.state === 'created' ? 'pending' : attempt.state;
        body = {
          status,
          txnRef: check.report.txnRef,
          dossierId: attempt.dossierId,
          code: attempt.code,
          message:
            status === 'succeeded'
              ? 'Payment confirmed.'
              : status === 'pending'
                ? check.report.outcome === 'succeeded'
                  ? 'Payment received by the gateway; waiting for its confirmation.'
                  : 'Payment not completed.'
                : `Payment ${status}.`,
        };
      }
    }
    if (accept?.includes('text/html')) {
      // A browser goes on to the dossier's payment page, which shows what the IPN (or the queued check) decided.
      reply
        .status(303)
        .header('location', `/dossiers/${body.dossierId}/payment?ref=${encodeURIComponent(body.txnRef!)}`)
        .header('cache-control', 'no-store')
        .send();
    } else {
      reply.send(body);
    }
  }
}
