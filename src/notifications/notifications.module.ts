import { Module } from '@nestjs/common';
import { MailChannel } from './mail.channel';
import { NotificationsProcessor } from './notifications.processor';
import { SmsChannel } from './sms.channel';

/** Worker-side: the processor and its channels exist only where jobs are processed. */
@Module({ providers: [MailChannel, SmsChannel, NotificationsProcessor] })
export class NotificationsWorkerModule {}
