import { Module } from '@nestjs/common';
import { ResultsService } from './results.service';

/** Results as dossier transitions need them (the `issueResult` effect); no HTTP, no jobs. */
@Module({ providers: [ResultsService], exports: [ResultsService] })
export class DeliveryCoreModule {}
