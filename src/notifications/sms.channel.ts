import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration';

export interface OutgoingSms {
  /** Stable id of the notification: the gateway drops a repeated client reference. */
  id: string;
  phone: string;
  text: string;
}

/**
 * SMS through an HTTP gateway (JSON `{clientRef, phone, text}` with an API
 * key). In development it points at the built-in sandbox gateway, which
 * speaks the same request, so the same code path runs. Node's fetch keeps
 * connections alive and reuses them (the bench sees about one connection per
 * concurrent job for 2,000 messages), so there is no agent to configure.
 */
@Injectable()
export class SmsChannel {
  private readonly url: string;
  private readonly key: string;

  constructor(config: ConfigService<AppConfig, true>) {
    this.url = config.get('SMS_API_URL', { infer: true });
    this.key = config.get('SMS_API_KEY', { infer: true });
  }

  async send(sms: OutgoingSms): Promise<string> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': this.key },
      body: JSON.stringify({ clientRef: sms.id, phone: sms.phone, text: sms.text }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`SMS gateway answered HTTP ${res.status}`);
    const body = (await res.json()) as { messageId?: string };
    return body.messageId ?? sms.id;
  }
}
