import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PublishedVersion } from '../procedures/procedures.service';
import type { Effect } from '../workflow/definition';
import type { DossierRow } from './dossier';

/**
 * The effect port. The workflow engine names a closed set of effects
 * (src/workflow/definition.ts); the dossier module applies the clock and the
 * receipt itself and hands every other one to the module that owns it:
 * payments registers `requirePayment`, `refund` and `close` (a terminal state
 * voids what is still owed), delivery registers `issueResult` and
 * `dispatchByPost`. The dossier module therefore imports neither.
 */
export const PORT_EFFECTS = ['requirePayment', 'refund', 'issueResult', 'dispatchByPost', 'close'] as const;

/**
 * A workflow effect applied by another module, or `close`: not a workflow
 * effect but the portal's own rule, run after every move into a terminal state.
 */
export type PortEffect = (typeof PORT_EFFECTS)[number];

// Every effect of the engine is either applied by the dossier module or named in PORT_EFFECTS (a compile-time check).
type Unrouted = Exclude<Effect, 'startClock' | 'issueReceipt' | PortEffect>;
const everyEffectRouted: Unrouted extends never ? true : Unrouted = true;
void everyEffectRouted;

/** What a handler is told, inside the transaction of the state change (the dossier row is locked and updated). */
export interface EffectContext {
  /** The dossier after the state change. */
  dossier: DossierRow;
  version: PublishedVersion;
  /** The workflow action taken. */
  action: string;
  /** The actor's comment as given (not trimmed). */
  comment: string | undefined;
  /** The account that acted; null for the portal (a system action). */
  actorId: string | null;
  at: Date;
}

export interface EffectHandler {
  readonly effect: PortEffect;
  apply(m: EntityManager, ctx: EffectContext): Promise<void>;
}

/**
 * The registry: one handler per effect, registered by the owning modules when
 * they start (`onModuleInit`); the application refuses to start with one missing.
 */
@Injectable()
export class DossierEffects implements OnApplicationBootstrap {
  private readonly handlers = new Map<PortEffect, EffectHandler>();

  register(...handlers: EffectHandler[]): void {
    for (const h of handlers) {
      if (this.handlers.has(h.effect)) throw new Error(`a handler for the effect ${h.effect} is already registered`);
      this.handlers.set(h.effect, h);
    }
  }

  async apply(effect: PortEffect, m: EntityManager, ctx: EffectContext): Promise<void> {
    const handler = this.handlers.get(effect);
    if (!handler) throw new Error(`no handler is registered for the effect ${effect}`);
    await handler.apply(m, ctx);
  }

  missing(): PortEffect[] {
    return PORT_EFFECTS.filter((e) => !this.handlers.has(e));
  }

  onApplicationBootstrap(): void {
    const missing = this.missing();
    if (missing.length) throw new Error(`no handler is registered for the effect(s): ${missing.join(', ')}`);
  }
}
