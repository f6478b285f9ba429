import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DossierEffects, EffectContext, EffectHandler } from '../applications/effects';
import { OutboxService } from '../outbox/outbox.service';
import { PaymentsService } from './payments.service';

/**
 * The payments side of the effect port: `requirePayment` opens what the
 * dossier owes and tells the citizen, `refund` gives back what it paid (when
 * the procedure's fees are refundable), `close` voids what a closed dossier
 * still owed.
 */
@Injectable()
export class PaymentEffects implements OnModuleInit {
  constructor(
    private readonly effects: DossierEffects,
    private readonly payments: PaymentsService,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    this.effects.register(...this.handlers());
  }

  handlers(): EffectHandler[] {
    return [
      {
        effect: 'requirePayment',
        apply: async (m: EntityManager, { dossier, version }: EffectContext) => {
          await this.payments.openRequest(m, dossier, version);
          await this.outbox.add(m, [
            { name: 'dossier-event', data: { dossierId: dossier.id, event: 'payment_required', sourceId: dossier.id } },
          ]);
        },
      },
      {
        effect: 'refund',
        apply: (m: EntityManager, { dossier, version, action, comment }: EffectContext) =>
          this.payments.requestRefund(m, dossier.id, version.refundable, `${action}${comment ? `: ${comment}` : ''}`),
      },
      {
        effect: 'close',
        apply: (m: EntityManager, { dossier }: EffectContext) => this.payments.voidOpenRequests(m, dossier.id),
      },
    ];
  }
}
