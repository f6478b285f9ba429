import { Module } from '@nestjs/common';
import { AccountsModule } from '../auth/accounts.module';
import { FormsCoreModule } from '../forms/forms.module';
import { MailChannel } from './mail.channel';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { SmsChannel } from './sms.channel';

/** The notifications table, for the worker, operators and the clerk's dossier page. */
@Module({
  providers: [NotificationsRepository, NotificationsService],
  exports: [NotificationsRepository, NotificationsService],
})
export class NotificationsModule {}

/** Worker-side: the processor and its channels exist only where jobs are processed. */
@Module({
  imports: [NotificationsModule, AccountsModule, FormsCoreModule],
  providers: [MailChannel, SmsChannel, NotificationsProcessor],
})
export class NotificationsWorkerModule {}
