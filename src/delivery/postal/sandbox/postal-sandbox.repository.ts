import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { execute, selectOne, selectRows } from '../../../database/query-result';

/** The parcel as the operator keeps it (sandbox_postal_shipments.recipient, jsonb). */
export interface SandboxParcel {
  name: string;
  address: string;
  phone: string;
  weightGrams: number;
  feeVnd: number;
}

/** One row of the operator's own ledger (sandbox_postal_shipments). */
export interface SandboxShipmentRow {
  waybill: string;
  reference: string;
  recipient: SandboxParcel;
  status: string;
  callback_url: string;
  created_at: Date;
}

/**
 * The postal sandbox operator's own ledger: sandbox_postal_shipments (and its
 * sequence sandbox_postal_waybill_seq). The only place that reads or writes
 * it.
 */
@Injectable()
export class PostalSandboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * A new shipment with a new waybill, or the one already recorded for the
   * reference. Concurrent requests with one reference meet at the unique
   * index: one inserts, the others read its row. Undefined when the winner
   * committed after this statement's snapshot was taken (read again with
   * findByReference).
   */
  insertOnce(reference: string, parcel: SandboxParcel, callbackUrl: string): Promise<SandboxShipmentRow | undefined> {
    return selectOne<SandboxShipmentRow>(
      this.db,
      `WITH ins AS (
         INSERT INTO sandbox_postal_shipments (waybill, reference, recipient, status, callback_url)
         VALUES ('SBX' || nextval('sandbox_postal_waybill_seq'), $1, $2, 'created', $3)
         ON CONFLICT (reference) DO NOTHING RETURNING *
       ) SELECT * FROM ins UNION ALL SELECT * FROM sandbox_postal_shipments WHERE reference = $1 LIMIT 1`,
      [reference, JSON.stringify(parcel), callbackUrl],
    );
  }

  findByReference(reference: string): Promise<SandboxShipmentRow | undefined> {
    return selectOne<SandboxShipmentRow>(this.db, `SELECT * FROM sandbox_postal_shipments WHERE reference = $1`, [
      reference,
    ]);
  }

  findByWaybill(waybill: string): Promise<SandboxShipmentRow | undefined> {
    return selectOne<SandboxShipmentRow>(this.db, `SELECT * FROM sandbox_postal_shipments WHERE waybill = $1`, [
      waybill,
    ]);
  }

  /** The ledger in creation order (at most 500 rows), or one reference's shipment. */
  list(reference: string | null): Promise<SandboxShipmentRow[]> {
    return selectRows<SandboxShipmentRow>(
      this.db,
      `SELECT * FROM sandbox_postal_shipments WHERE ($1::text IS NULL OR reference = $1) ORDER BY created_at, waybill LIMIT 500`,
      [reference],
    );
  }

  /**
   * Moves the shipment to `status` when that is further than where it is
   * (`rank`: the status's STATUS_RANK) and it is not final yet.
   */
  async advance(waybill: string, status: string, rank: number): Promise<void> {
    await execute(
      this.db,
      `UPDATE sandbox_postal_shipments SET status = $2
        WHERE waybill = $1 AND status NOT IN ('delivered','returned') AND $3::int > (CASE status WHEN 'picked_up' THEN 1 WHEN 'in_transit' THEN 2 ELSE 0 END)`,
      [waybill, status, rank],
    );
  }
}
