import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { selectOne } from '../../database/query-result';
import type { ShipmentStatus } from './postal-provider';

export interface ShipmentRow {
  id: string;
  dossier_id: string;
  waybill: string;
  status: ShipmentStatus;
}

/** How the citizen asked to receive the result (dossiers.delivery, as stored). */
export interface DossierDelivery {
  method?: string;
  recipient?: string;
  address?: string;
  phone?: string;
}

/**
 * The shipments aggregate: shipments and shipment_events. The only place
 * that reads or writes them. One shipment per dossier and one per
 * (provider, waybill), one event per (shipment, event id): unique indexes
 * that make a second writer a no-op.
 */
@Injectable()
export class ShipmentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByDossier(dossierId: string, m: EntityManager = this.db.manager): Promise<ShipmentRow | null> {
    const row = await selectOne<ShipmentRow>(
      m,
      `SELECT id, dossier_id, waybill, status FROM shipments WHERE dossier_id = $1`,
      [dossierId],
    );
    return row ?? null;
  }

  /**
   * The dossier's delivery choice, or undefined for an unknown dossier. A
   * read of `dossiers` (the dossier module's table) that shipment creation
   * makes on its own connection.
   */
  async deliveryOf(dossierId: string, m: EntityManager = this.db.manager): Promise<DossierDelivery | undefined> {
    const dossier = await selectOne<{ id: string; delivery: DossierDelivery | null }>(
      m,
      `SELECT id, delivery FROM dossiers WHERE id = $1`,
      [dossierId],
    );
    return dossier ? (dossier.delivery ?? {}) : undefined;
  }

  /**
   * A new shipment, or undefined when one exists for the dossier or the
   * waybill. No conflict target: two runs racing meet on dossier_id or on
   * (provider, waybill), whichever index Postgres checks first, and either way
   * the second one is a no-op rather than a unique violation.
   */
  async insert(
    m: EntityManager,
    s: { dossierId: string; provider: string; waybill: string; feeVnd: number },
  ): Promise<string | undefined> {
    const row = await selectOne<{ id: string }>(
      m,
      `INSERT INTO shipments (dossier_id, provider, waybill, status, fee_vnd) VALUES ($1, $2, $3, 'created', $4)
         ON CONFLICT DO NOTHING RETURNING id`,
      [s.dossierId, s.provider, s.waybill, s.feeVnd],
    );
    return row?.id;
  }

  /** The shipment's first event, written by the portal when the operator accepted it. */
  async recordCreated(m: EntityManager, shipmentId: string, raw: string): Promise<void> {
    await m.query(
      `INSERT INTO shipment_events (shipment_id, event_id, status, applied, raw) VALUES ($1, 'portal:created', 'created', true, $2)`,
      [shipmentId, raw],
    );
  }

  /** The shipment with this waybill at the provider, row-locked (tracking events of one shipment queue up). */
  lockByWaybill(m: EntityManager, provider: string, waybill: string): Promise<ShipmentRow | undefined> {
    return selectOne(
      m,
      `SELECT id, dossier_id, waybill, status FROM shipments WHERE provider = $1 AND waybill = $2 FOR UPDATE`,
      [provider, waybill],
    );
  }

  /** Records a tracking event once per (shipment, event id): false for a repeat. `raw` is the body as received. */
  async recordEvent(
    m: EntityManager,
    e: { shipmentId: string; eventId: string; status: ShipmentStatus; applied: boolean; raw: string },
  ): Promise<boolean> {
    const inserted = await selectOne<{ id: string }>(
      m,
      `INSERT INTO shipment_events (shipment_id, event_id, status, applied, raw) VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT (shipment_id, event_id) DO NOTHING RETURNING id`,
      [e.shipmentId, e.eventId, e.status, e.applied, e.raw],
    );
    return inserted !== undefined;
  }

  async setStatus(m: EntityManager, shipmentId: string, status: ShipmentStatus): Promise<void> {
    await m.query(`UPDATE shipments SET status = $2, updated_at = now() WHERE id = $1`, [shipmentId, status]);
  }
}
