import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DossierEffects, EffectContext, EffectHandler } from '../applications/effects';
import { OutboxService } from '../outbox/outbox.service';
import { ResultsService } from './results.service';

/**
 * The delivery side of the effect port: `issueResult` issues the staged
 * result (or queues its rendering); `dispatchByPost` (called for a dossier
 * going by post, once its postage was found paid) queues the shipment.
 */
@Injectable()
export class ResultEffects implements OnModuleInit {
  constructor(
    private readonly effects: DossierEffects,
    private readonly results: ResultsService,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    this.effects.register(...this.handlers());
  }

  handlers(): EffectHandler[] {
    return [
      {
        effect: 'issueResult',
        apply: (m: EntityManager, { dossier, actorId, comment, at }: EffectContext) =>
          this.results.issue(m, dossier.id, actorId, comment?.trim() || null, at),
      },
      {
        effect: 'dispatchByPost',
        apply: (m: EntityManager, { dossier }: EffectContext) =>
          this.outbox.add(m, [{ name: 'create-shipment', data: { dossierId: dossier.id } }]),
      },
    ];
  }
}
