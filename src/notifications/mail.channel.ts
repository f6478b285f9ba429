import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createTransport, Transporter } from 'nodemailer';
import type { AppConfig } from '../config/configuration';

export interface OutgoingMail {
  /** Stable id of the notification: receivers can drop duplicates by Message-ID. */
  id: string;
  to: string;
  subject: string;
  text: string;
  /** Files attached (the official form a message announces: src/forms). */
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

/**
 * Email through nodemailer over SMTP_URL. With none set (development), a JSON
 * transport: the message is built the same way and only its id and subject
 * are logged, never the recipient.
 */
@Injectable()
export class MailChannel implements OnApplicationShutdown {
  private readonly logger = new Logger(MailChannel.name);
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly logOnly: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    const url = config.get('SMTP_URL', { infer: true });
    this.from = config.get('MAIL_FROM', { infer: true });
    this.logOnly = !url;
    // Pooled SMTP connections: a new connection per message costs more than the message.
    this.transport = url
      ? createTransport({
          url,
          pool: true,
          maxConnections: config.get('NOTIFICATION_CONCURRENCY', { infer: true }),
        } as never)
      : createTransport({ jsonTransport: true });
  }

  async send(mail: OutgoingMail): Promise<string> {
    const info = await this.transport.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(mail.attachments?.length ? { attachments: mail.attachments } : {}),
      messageId: `<${mail.id}@portal.local>`,
    });
    if (this.logOnly) this.logger.log({ notificationId: mail.id, subject: mail.subject }, 'email (log transport)');
    return info.messageId;
  }

  /** After the workers have finished their jobs (they close in onModuleDestroy: CompletingWorkerHost). */
  onApplicationShutdown(): void {
    this.transport.close();
  }
}
