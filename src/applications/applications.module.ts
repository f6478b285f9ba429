import { Module } from '@nestjs/common';
import { AgenciesModule } from '../agencies/agencies.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { ApplicationsController, LookupController, QueueController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { CalendarRecompute } from './calendar-recompute';
import { DeadlinesService } from './deadlines.service';
import { DocumentsRepository } from './documents.repository';
import { DocumentsService } from './documents.service';
import { DossierRepository } from './dossier.repository';
import { DossierEffects } from './effects';
import { HistoryRepository } from './history.repository';
import { IdempotencyRepository } from './idempotency.repository';
import { QueueService } from './queue.service';
import { DossierTriggers } from './triggers';

/**
 * Dossiers: drafts, submission, workflow actions, documents, history, the
 * clerk's queue, the deadline sweep. Imports neither payments nor delivery:
 * they register their effect handlers with DossierEffects and report events
 * through DossierTriggers (src/applications/effects.ts, triggers.ts).
 */
@Module({
  imports: [ProceduresModule, AgenciesModule],
  controllers: [ApplicationsController, QueueController, LookupController],
  providers: [
    DossierRepository,
    DocumentsRepository,
    HistoryRepository,
    IdempotencyRepository,
    ApplicationsService,
    DocumentsService,
    QueueService,
    DossierEffects,
    DossierTriggers,
    DeadlinesService,
    CalendarRecompute,
  ],
  exports: [ApplicationsService, DocumentsService, QueueService, DossierEffects, DossierTriggers, DeadlinesService],
})
export class ApplicationsModule {}
