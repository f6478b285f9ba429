import { Module } from '@nestjs/common';
import { MailChannel } from './mail.channel';
import { NotificationsProcessor } from './notifications.processor';

/** Worker-side: the processor exists only where jobs are processed. */
@Module({ providers: [MailChannel, NotificationsProcessor] })
export class NotificationsWorkerModule {}
