import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { FormsController } from './forms.controller';
import { FormsRepository } from './forms.repository';
import { FormsService } from './forms.service';

/**
 * The official forms of Circular 01/2018 (01-06) as PDFs: FormsService, also for the worker that attaches a form
 * to the message announcing it (src/notifications). Reads the dossier tables through its own FormsRepository; the
 * caller's scope is ApplicationsService's.
 */
@Module({
  imports: [ApplicationsModule],
  providers: [FormsRepository, FormsService],
  exports: [FormsService],
})
export class FormsCoreModule {}

/** The routes: GET /applications/:id/forms/:form (01-05), GET /reports/tracking-log (06). */
@Module({
  imports: [FormsCoreModule],
  controllers: [FormsController],
})
export class FormsModule {}
