import { Module } from '@nestjs/common';
import { ResultsRepository } from './results.repository';
import { ResultsService } from './results.service';

/** Results as dossier transitions need them (the `issueResult` effect); no HTTP, no jobs. */
@Module({ providers: [ResultsRepository, ResultsService], exports: [ResultsService] })
export class DeliveryCoreModule {}
