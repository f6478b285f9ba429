import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Trigger } from '../workflow/definition';
import { ApplicationsService } from './applications.service';

/** What each trigger carries into the history entry of the system action it takes. */
export interface TriggerData {
  'payment.succeeded': { attemptId: string };
  'payment.expired': { attemptId: string };
  'shipment.delivered': { shipmentId: string };
  'shipment.returned': { shipmentId: string };
}

// Every trigger the workflow validator accepts has its data here (a compile-time check).
type Undescribed = Exclude<Trigger, keyof TriggerData>;
const everyTriggerDescribed: Undescribed extends never ? true : Undescribed = true;
void everyTriggerDescribed;

/**
 * How the payments and delivery modules tell the dossier module that
 * something happened (they may import it; it imports neither of them). Each
 * call takes the workflow's `system` action for that trigger, if the dossier's
 * state has one, in its own transaction on the locked row.
 *
 * Producers: `payment.succeeded` (a credited payment: payments processor),
 * `payment.expired` (an attempt given up by the reconciliation: payments
 * processor), `shipment.delivered` / `shipment.returned` (the postal
 * operator's webhook: delivery processor).
 */
@Injectable()
export class DossierTriggers {
  constructor(private readonly applications: ApplicationsService) {}

  /**
   * True when the dossier moved; false when its state has no system action for the trigger (already applied).
   * `inMove` runs in the transaction of the move, only when it moves (a job marks its outbox row done there).
   */
  fire<T extends Trigger>(
    trigger: T,
    dossierId: string,
    data: TriggerData[T],
    inMove?: (m: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.applications.trigger(dossierId, trigger, { ...data }, inMove);
  }

  /**
   * Runs `fn` in one transaction with the dossier locked, only if it is closed
   * (a terminal state): e.g. refunding a payment confirmed after the dossier
   * was withdrawn. True when it ran.
   */
  ifClosed(dossierId: string, fn: (m: EntityManager) => Promise<void>): Promise<boolean> {
    return this.applications.ifClosed(dossierId, fn);
  }
}
