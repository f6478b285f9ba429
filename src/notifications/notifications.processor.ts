import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, UnrecoverableError } from 'bullmq';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type AppConfig, environmentValue } from '../config/configuration';
import { JobDataByName, JobName, QUEUES } from '../jobs/jobs';
import { MailChannel } from './mail.channel';
import { SmsChannel } from './sms.channel';
import { renderAccountMessage, renderMessage } from './templates';

type NotificationJob =
  | Job<JobDataByName['dossier-event'], void, 'dossier-event'>
  | Job<JobDataByName['account-event'], void, 'account-event'>;
type Channel = 'email' | 'sms';

interface Recipient {
  id: string;
  email: string;
  phone: string | null;
  fullName: string;
  locale: 'vi' | 'en';
  notifySms: boolean;
}

/**
 * Sends one message per (dossier, event, source, channel, recipient): the
 * notification row is claimed before sending and a `sent` row is never sent
 * again, however often BullMQ delivers the job. A channel that fails is
 * recorded `failed` with its error and the job is retried with backoff;
 * after the last attempt the row stays `failed` for operators to see.
 */
@Processor(QUEUES.notifications, { concurrency: environmentValue('NOTIFICATION_CONCURRENCY') })
export class NotificationsProcessor extends WorkerHost {
  static readonly queue = QUEUES.notifications;
  static readonly handles: JobName[] = ['dossier-event', 'account-event'];

  private readonly logger = new Logger(NotificationsProcessor.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly mail: MailChannel,
    private readonly sms: SmsChannel,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    super();
  }

  async process(job: NotificationJob): Promise<void> {
    switch (job.name) {
      case 'dossier-event':
        return this.dossierEvent(job.data);
      case 'account-event':
        return this.accountEvent(job.data);
      default: {
        const never: never = job;
        throw new UnrecoverableError(`unknown job ${String((never as Job).name)}`);
      }
    }
  }

  private async dossierEvent({
    dossierId,
    event,
    sourceId,
    audience = 'citizen',
  }: JobDataByName['dossier-event']): Promise<void> {
    const [ctx] = await this.db.query(
      `SELECT d.code, d.state, d.due_at AS "dueAt", d.agency_id, d.applicant_id, d.assignee_id, p.name AS "procedureName",
              coalesce(h.comment, (SELECT a.reason FROM dossier_apologies a WHERE a.id = $2)) AS comment,
              (SELECT s.waybill FROM shipments s WHERE s.dossier_id = d.id) AS waybill,
              (SELECT a.new_due_at FROM dossier_apologies a WHERE a.id = $2) AS "newDueAt"
         FROM dossiers d JOIN procedures p ON p.id = d.procedure_id
         LEFT JOIN dossier_history h ON h.id = $2
        WHERE d.id = $1`,
      [dossierId, sourceId],
    );
    if (!ctx) throw new UnrecoverableError('dossier not found');
    const recipients: Recipient[] = await this.db.query(
      audience === 'citizen'
        ? `SELECT id, email, phone, full_name AS "fullName", locale, notify_sms AS "notifySms" FROM accounts WHERE id = $1`
        : `SELECT id, email, phone, full_name AS "fullName", locale, false AS "notifySms" FROM accounts
            WHERE ($1::uuid IS NOT NULL AND id = $1) OR ($1::uuid IS NULL AND agency_id = $2 AND role IN ('clerk','supervisor'))`,
      audience === 'citizen' ? [ctx.applicant_id] : [ctx.assignee_id, ctx.agency_id],
    );
    let failures = 0;
    for (const r of recipients) {
      const channels: Channel[] = ['email'];
      if (audience === 'citizen' && r.phone && r.notifySms) channels.push('sms');
      for (const channel of channels) {
        if (!(await this.deliver(dossierId, event, sourceId, channel, r, ctx))) failures++;
      }
    }
    if (failures > 0) throw new Error(`${failures} message(s) not delivered yet`);
  }

  /**
   * A password-reset link, by email. The notification row is claimed first (a sent one is never sent again);
   * then the token is made here, and only its hash stored on the reset row, so the token exists nowhere but in
   * the message (not in the outbox, Redis or the database). A retry after a failed send makes a new token and
   * the earlier link stops working. A reset already used or expired is not sent.
   */
  private async accountEvent({ event, sourceId }: JobDataByName['account-event']): Promise<void> {
    if (event !== 'password_reset') throw new UnrecoverableError(`unknown account event ${String(event)}`);
    const [r]: Recipient[] = await this.db.query(
      `SELECT a.id, a.email, a.phone, a.full_name AS "fullName", a.locale, false AS "notifySms"
         FROM password_resets p JOIN accounts a ON a.id = p.account_id WHERE p.id = $1`,
      [sourceId],
    );
    if (!r) throw new UnrecoverableError('password reset not found');
    const [claimed] = await this.db.query(
      `INSERT INTO notifications (dossier_id, event, channel, source_id, recipient_id, status, attempts)
       VALUES (NULL, $1, 'email', $2, $3, 'sending', 1)
       ON CONFLICT (event, channel, source_id, recipient_id) WHERE dossier_id IS NULL
       DO UPDATE SET attempts = notifications.attempts + 1, status = 'sending' WHERE notifications.status <> 'sent'
       RETURNING id`,
      [event, sourceId, r.id],
    );
    if (!claimed) return; // already sent
    const token = randomBytes(32).toString('base64url');
    const [[live]]: [{ minutes: number }[], number] = await this.db.query(
      `UPDATE password_resets SET token_hash = $2
        WHERE id = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING ceil(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes`,
      [sourceId, createHash('sha256').update(token).digest('hex')],
    );
    if (!live) {
      await this.db.query(`UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1`, [
        claimed.id,
        'the reset was used or expired before it was sent',
      ]);
      return;
    }
    const link = `${this.config.get('PUBLIC_BASE_URL', { infer: true })}/reset-password?token=${token}`;
    const message = renderAccountMessage(event, r.locale, { fullName: r.fullName, link, minutes: live.minutes });
    try {
      const providerId = await this.mail.send({
        id: claimed.id,
        to: r.email,
        subject: message.subject,
        text: message.text,
      });
      await this.db.query(
        `UPDATE notifications SET status = 'sent', sent_at = now(), provider_message_id = $2, last_error = NULL WHERE id = $1`,
        [claimed.id, providerId],
      );
    } catch (e) {
      await this.db.query(`UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1`, [
        claimed.id,
        String((e as Error).message).slice(0, 500),
      ]);
      this.logger.warn(
        { notificationId: claimed.id, channel: 'email', err: (e as Error).message },
        'message not delivered; will retry',
      );
      throw new Error('password reset email not delivered yet');
    }
  }

  /** Returns false when the channel failed (the job is then retried; the row says why). */
  private async deliver(
    dossierId: string,
    event: string,
    sourceId: string,
    channel: Channel,
    r: Recipient,
    ctx: any,
  ): Promise<boolean> {
    const [claimed] = await this.db.query(
      `INSERT INTO notifications (dossier_id, event, channel, source_id, recipient_id, status, attempts)
       VALUES ($1, $2, $3, $4, $5, 'sending', 1)
       ON CONFLICT ON CONSTRAINT notifications_once
       DO UPDATE SET attempts = notifications.attempts + 1, status = 'sending' WHERE notifications.status <> 'sent'
       RETURNING id`,
      [dossierId, event, channel, sourceId, r.id],
    );
    if (!claimed) return true; // already sent
    const message = renderMessage(event, r.locale, {
      ...ctx,
      fullName: r.fullName,
      baseUrl: this.config.get('PUBLIC_BASE_URL', { infer: true }),
      dossierId,
    });
    try {
      const providerId =
        channel === 'email'
          ? await this.mail.send({ id: claimed.id, to: r.email, subject: message.subject, text: message.text })
          : await this.sms.send({ id: claimed.id, phone: r.phone!, text: message.sms });
      await this.db.query(
        `UPDATE notifications SET status = 'sent', sent_at = now(), provider_message_id = $2, last_error = NULL WHERE id = $1`,
        [claimed.id, providerId],
      );
      return true;
    } catch (e) {
      await this.db.query(`UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1`, [
        claimed.id,
        String((e as Error).message).slice(0, 500),
      ]);
      this.logger.warn(
        { notificationId: claimed.id, channel, err: (e as Error).message },
        'message not delivered; will retry',
      );
      return false;
    }
  }
}
