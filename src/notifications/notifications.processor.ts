import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import { JobDataByName, QUEUES } from '../jobs/jobs';
import { MailChannel } from './mail.channel';
import { renderMessage } from './templates';

type NotificationJob = Job<JobDataByName['dossier-event'], void, 'dossier-event'>;

/**
 * Sends the citizen one message per (dossier, event, channel, history entry).
 * The notification row is claimed before sending; a message already `sent`
 * is never sent again, however often BullMQ delivers the job.
 */
@Processor(QUEUES.notifications, { concurrency: Number(process.env.NOTIFICATION_CONCURRENCY ?? 8) })
export class NotificationsProcessor extends WorkerHost {
  private readonly logger = new Logger(NotificationsProcessor.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly mail: MailChannel,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    super();
  }

  async process(job: NotificationJob): Promise<void> {
    switch (job.name) {
      case 'dossier-event':
        return this.dossierEvent(job.data);
      default: {
        const never: never = job.name;
        throw new UnrecoverableError(`unknown job ${String(never)}`);
      }
    }
  }

  private async dossierEvent({ dossierId, historyId, event }: JobDataByName['dossier-event']): Promise<void> {
    const rows = await this.db.query(
      `INSERT INTO notifications (dossier_id, event, channel, source_id, status, attempts)
       VALUES ($1, $2, 'email', $3, 'sending', 1)
       ON CONFLICT (dossier_id, event, channel, source_id)
       DO UPDATE SET attempts = notifications.attempts + 1 WHERE notifications.status <> 'sent'
       RETURNING id`,
      [dossierId, event, historyId],
    );
    if (!rows[0]) return; // already sent
    const notificationId: string = rows[0].id;
    const [ctx] = await this.db.query(
      `SELECT d.code, d.state, d.due_at AS "dueAt", p.name AS "procedureName", a.email, a.full_name AS "fullName",
              a.locale, h.comment
         FROM dossiers d JOIN procedures p ON p.id = d.procedure_id JOIN accounts a ON a.id = d.applicant_id
         JOIN dossier_history h ON h.id = $2
        WHERE d.id = $1`,
      [dossierId, historyId],
    );
    if (!ctx) throw new UnrecoverableError('dossier or history entry not found');
    const message = renderMessage(event, ctx.locale, { ...ctx, baseUrl: this.config.get('PUBLIC_BASE_URL', { infer: true }), dossierId });
    try {
      const providerId = await this.mail.send({ id: notificationId, to: ctx.email, ...message });
      await this.db.query(
        `UPDATE notifications SET status = 'sent', sent_at = now(), provider_message_id = $2, last_error = NULL WHERE id = $1`,
        [notificationId, providerId],
      );
    } catch (e) {
      await this.db.query(`UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1`, [notificationId, String((e as Error).message).slice(0, 500)]);
      this.logger.warn({ notificationId, err: (e as Error).message }, 'email failed; will retry');
      throw e;
    }
  }
}
