import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/configuration';
import {
  CreatedShipment,
  CreateShipmentRequest,
  PostalProvider,
  PostalProviderError,
  PostalWebhookEvent,
} from './postal-provider';
import { API_KEY_HEADER, CreateShipmentBody, parseWebhookBody, verifySignature } from './postal.protocol';

const TIMEOUT_MS = 10_000;

/**
 * A postal operator's JSON API (POSTAL_API_URL, key POSTAL_API_KEY; webhook
 * signed with POSTAL_WEBHOOK_SECRET and registered as POSTAL_WEBHOOK_URL). In
 * development the URL points at the built-in sandbox operator, which speaks
 * the same protocol, so this is the code path tests run.
 */
@Injectable()
export class HttpPostalProvider implements PostalProvider {
  readonly name = 'postal-api';
  private readonly apiUrl: string;
  private readonly apiKey: string;
  private readonly webhookSecret: string;
  private readonly callbackUrl: string;

  constructor(config: ConfigService<AppConfig, true>) {
    this.apiUrl = config.get('POSTAL_API_URL', { infer: true }).replace(/\/$/, '');
    this.apiKey = config.get('POSTAL_API_KEY', { infer: true });
    this.webhookSecret = config.get('POSTAL_WEBHOOK_SECRET', { infer: true });
    this.callbackUrl = config.get('POSTAL_WEBHOOK_URL', { infer: true });
  }

  async createShipment(req: CreateShipmentRequest): Promise<CreatedShipment> {
    const body: CreateShipmentBody = {
      reference: req.reference,
      recipient: req.recipient,
      address: req.address,
      phone: req.phone,
      weightGrams: req.weightGrams,
      callbackUrl: this.callbackUrl,
    };
    let res: Response;
    try {
      res = await fetch(`${this.apiUrl}/shipments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', [API_KEY_HEADER]: this.apiKey },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      const err = e as Error;
      throw new PostalProviderError(
        `postal operator unreachable: ${err.name === 'TimeoutError' ? 'timeout' : err.message}`,
        true,
      );
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      // 401/403: credentials (fixable by configuration); 408/409/425/429 and 5xx: try again later; other 4xx: the request is wrong.
      const retryable = res.status >= 500 || [401, 403, 408, 409, 425, 429].includes(res.status);
      throw new PostalProviderError(
        `postal operator answered HTTP ${res.status}: ${text.slice(0, 300)}`,
        retryable,
        res.status,
      );
    }
    let answer: { waybill?: unknown; feeVnd?: unknown } | null;
    try {
      answer = JSON.parse(text) as { waybill?: unknown; feeVnd?: unknown } | null;
    } catch {
      throw new PostalProviderError(`postal operator answered non-JSON: ${text.slice(0, 300)}`, true, res.status);
    }
    const { waybill, feeVnd } = answer ?? {};
    if (
      typeof waybill !== 'string' ||
      !/^[A-Za-z0-9-]{1,64}$/.test(waybill) ||
      !Number.isSafeInteger(feeVnd) ||
      (feeVnd as number) < 0
    ) {
      throw new PostalProviderError(
        `postal operator answered an unexpected body: ${text.slice(0, 300)}`,
        true,
        res.status,
      );
    }
    return { waybill, feeVnd: feeVnd as number };
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): boolean {
    return verifySignature(this.webhookSecret, rawBody, signatureHeader);
  }

  parseWebhook(rawBody: Buffer): PostalWebhookEvent | null {
    return parseWebhookBody(rawBody);
  }
}
