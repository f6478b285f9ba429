import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Job, UnrecoverableError } from 'bullmq';
import { createHash, randomBytes } from 'node:crypto';
import { type AppConfig, environmentValue } from '../config/configuration';
import { JobDataByName, JobName, QUEUES, workerOptions } from '../jobs/jobs';
import { CompletingWorkerHost, OutboxCompletion } from '../outbox/completion';
import { AccountsRepository, Recipient } from '../auth/accounts.repository';
import { Batcher } from '../common/batcher';
import { FormFile, FormsService } from '../forms/forms.service';
import { Metrics } from '../metrics/metrics';
import { MailChannel } from './mail.channel';
import {
  DossierMessageContext,
  DossierMessageKey,
  MessageOutcome,
  NotificationsRepository,
} from './notifications.repository';
import { SmsChannel } from './sms.channel';
import { renderAccountMessage, renderMessage } from './templates';

type NotificationJob =
  | Job<JobDataByName['dossier-event'], void, 'dossier-event'>
  | Job<JobDataByName['account-event'], void, 'account-event'>;
type Channel = 'email' | 'sms';

/**
 * Sends one message per (dossier, event, source, channel, recipient): the
 * notification row is claimed before sending and a `sent` row is never sent
 * again, however often BullMQ delivers the job. A channel that fails is
 * recorded `failed` with its error and the job is retried with backoff;
 * after the last attempt the row stays `failed` for operators to see. The job's outbox row is marked done once
 * every message is out (CompletingWorkerHost): the messages themselves are the effect, outside Postgres.
 *
 * The bookkeeping is group-committed (src/common/batcher.ts): a job's claims
 * (every channel and recipient) are one statement, shared with the claims of
 * the jobs running beside it, and each send's outcome is recorded as soon as
 * the provider answered, in one statement with the outcomes that arrived
 * meanwhile. A job completes only once its outcomes are committed. The
 * channels of a job are sent side by side; `NOTIFICATION_CONCURRENCY` jobs
 * run at a time (a job mostly waits on the mail relay, the SMS gateway and
 * Postgres; see the README's performance section for how the default was
 * chosen).
 */
@Processor(QUEUES.notifications, workerOptions(environmentValue('NOTIFICATION_CONCURRENCY')))
export class NotificationsProcessor extends CompletingWorkerHost {
  static readonly queue = QUEUES.notifications;
  static readonly handles: JobName[] = ['dossier-event', 'account-event'];

  private readonly logger = new Logger(NotificationsProcessor.name);
  private readonly claims = new Batcher<DossierMessageKey, string | undefined>((keys) =>
    this.notifications.claimDossierMessages(keys),
  );
  private readonly outcomes = new Batcher<MessageOutcome, void>(async (outcomes) => {
    await this.notifications.recordOutcomes(outcomes);
    return outcomes.map(() => undefined);
  });

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly accounts: AccountsRepository,
    private readonly mail: MailChannel,
    private readonly sms: SmsChannel,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly forms: FormsService,
    private readonly metrics: Metrics,
    completion: OutboxCompletion,
  ) {
    super(completion);
  }

  protected async handle(job: NotificationJob): Promise<void> {
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
    const ctx = await this.notifications.dossierContext(dossierId, sourceId);
    if (!ctx) throw new UnrecoverableError('dossier not found');
    const recipients =
      audience === 'citizen'
        ? await this.accounts.recipient(ctx.applicant_id)
        : audience === 'supervisors'
          ? await this.accounts.supervisorRecipients(ctx.agency_id)
          : await this.accounts.staffRecipients(ctx.assignee_id, ctx.agency_id);
    // The official form the event announces (receipt 01, supplementation 02, refusal 03, apology 04), rendered
    // once for every recipient's email: deterministic, so a retried job attaches the same bytes.
    const form = audience === 'citizen' ? await this.forms.forEvent(dossierId, event) : null;
    const messages = recipients.flatMap((r) => {
      // An account made from eID claims may have no email address.
      const channels: Channel[] = r.email ? ['email'] : [];
      if (audience === 'citizen' && r.phone && r.notifySms) channels.push('sms');
      return channels.map((channel) => ({ channel, r }));
    });
    const settled = await Promise.allSettled(
      messages.map((m) =>
        this.deliver({ dossierId, event, sourceId, channel: m.channel, recipientId: m.r.id }, m.r, ctx, form),
      ),
    );
    const broken = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (broken) throw broken.reason;
    const failures = settled.filter((s) => s.status === 'fulfilled' && !s.value).length;
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
    const r = await this.accounts.resetRecipient(sourceId);
    if (!r) throw new UnrecoverableError('password reset not found');
    const claimed = await this.notifications.claimAccountMessage(event, sourceId, r.id);
    if (!claimed) return; // already sent
    const token = randomBytes(32).toString('base64url');
    const live = await this.accounts.setResetToken(sourceId, createHash('sha256').update(token).digest('hex'));
    if (!live) {
      await this.notifications.markFailed(claimed, 'the reset was used or expired before it was sent');
      return;
    }
    const link = `${this.config.get('PUBLIC_BASE_URL', { infer: true })}/reset-password?token=${token}`;
    const message = renderAccountMessage(event, r.locale, { fullName: r.fullName, link, minutes: live.minutes });
    try {
      const providerId = await this.mail.send({
        id: claimed,
        to: r.email!,
        subject: message.subject,
        text: message.text,
      });
      await this.notifications.markSent(claimed, providerId);
      this.metrics.notification('email', 'sent');
    } catch (e) {
      await this.notifications.markFailed(claimed, String((e as Error).message).slice(0, 500));
      this.metrics.notification('email', 'failed');
      this.logger.warn(
        { notificationId: claimed, channel: 'email', err: (e as Error).message },
        'message not delivered; will retry',
      );
      throw new Error('password reset email not delivered yet');
    }
  }

  /** Returns false when the channel failed (the job is then retried; the row says why). */
  private async deliver(
    key: DossierMessageKey,
    r: Recipient,
    ctx: DossierMessageContext,
    form: FormFile | null = null,
  ): Promise<boolean> {
    const claimed = await this.claims.run(key);
    if (!claimed) return true; // already sent
    const message = renderMessage(key.event, r.locale, {
      ...ctx,
      fullName: r.fullName,
      baseUrl: this.config.get('PUBLIC_BASE_URL', { infer: true }),
      dossierId: key.dossierId,
    });
    let providerId: string;
    try {
      providerId =
        key.channel === 'email'
          ? await this.mail.send({
              id: claimed,
              to: r.email!,
              subject: message.subject,
              text: message.text,
              attachments: form
                ? [{ filename: form.fileName, content: form.content, contentType: 'application/pdf' }]
                : undefined,
            })
          : await this.sms.send({ id: claimed, phone: r.phone!, text: message.sms });
    } catch (e) {
      await this.outcomes.run({
        id: claimed,
        providerMessageId: null,
        error: String((e as Error).message).slice(0, 500),
      });
      this.metrics.notification(key.channel, 'failed');
      this.logger.warn(
        { notificationId: claimed, channel: key.channel, err: (e as Error).message },
        'message not delivered; will retry',
      );
      return false;
    }
    await this.outcomes.run({ id: claimed, providerMessageId: providerId, error: null });
    this.metrics.notification(key.channel, 'sent');
    return true;
  }
}
