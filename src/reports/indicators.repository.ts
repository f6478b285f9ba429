import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { selectRows } from '../database/query-result';

/** A period and a scope: agency and procedure ids, null = all. */
export interface IndicatorScope {
  from: Date;
  to: Date;
  agencyId: string | null;
  procedureId: string | null;
}

export interface ReceivedCounts {
  agency_id: string;
  procedure_id: string;
  received: number;
  online: number;
  counter: number;
  post: number;
  digitised: number;
  with_fee: number;
  paid_online: number;
}

export interface RatingCounts {
  agency_id: string;
  procedure_id: string;
  ratings: number;
  satisfied: number;
  score_sum: number;
}

export interface EndedCounts {
  agency_id: string;
  procedure_id: string;
  withdrawn: number;
  refused: number;
}

export interface FinishedDossier {
  id: string;
  agency_id: string;
  procedure_id: string;
  received_at: Date;
  finished_at: Date;
  due_at: Date | null;
  paused_ms: string;
}

const SCOPE_SQL = `($3::uuid IS NULL OR d.agency_id = $3::uuid) AND ($4::uuid IS NULL OR d.procedure_id = $4::uuid)`;

/**
 * The indicators' reads: aggregates over dossiers, their payments and ratings, per (agency, procedure). A
 * read-only reporting view over other modules' tables (it writes nothing), kept as the three statements the
 * report has always run: one pass each, benchmarked.
 */
@Injectable()
export class IndicatorsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Dossiers received in the period: how many, by channel (online, counter, post), digitised (filed online, or
   * every required document of its version held as a scan or a reuse), with a fee, paid online (`paidStates`).
   */
  received(s: IndicatorScope, paidStates: readonly string[]): Promise<ReceivedCounts[]> {
    return selectRows<ReceivedCounts>(
      this.db,
      `SELECT d.agency_id, d.procedure_id,
                count(*)::int AS received,
                count(*) FILTER (WHERE d.channel = 'online')::int AS online,
                count(*) FILTER (WHERE d.channel = 'counter')::int AS counter,
                count(*) FILTER (WHERE d.channel = 'post')::int AS post,
                count(*) FILTER (WHERE d.channel = 'online' OR f.papers_digitised)::int AS digitised,
                count(*) FILTER (WHERE f.has_fee)::int AS with_fee,
                count(*) FILTER (WHERE f.has_fee AND f.paid_online)::int AS paid_online
           FROM dossiers d
          CROSS JOIN LATERAL (
                SELECT EXISTS (SELECT 1 FROM payment_requests r WHERE r.dossier_id = d.id AND r.status <> 'void') AS has_fee,
                       EXISTS (SELECT 1 FROM payment_attempts a WHERE a.dossier_id = d.id AND a.state = ANY($5::text[])) AS paid_online,
                       NOT EXISTS (
                         SELECT 1 FROM procedure_versions v, jsonb_array_elements(v.required_documents) rd
                          WHERE v.id = d.procedure_version_id AND coalesce((rd->>'required')::boolean, true)
                            AND NOT EXISTS (SELECT 1 FROM dossier_documents x
                                             WHERE x.dossier_id = d.id AND x.document_key = rd->>'key'
                                               AND (x.digitised OR x.reused_from_document_id IS NOT NULL
                                                    OR x.reused_from_result_id IS NOT NULL))) AS papers_digitised
               ) f
          WHERE d.received_at >= $1 AND d.received_at < $2 AND ${SCOPE_SQL}
          GROUP BY d.agency_id, d.procedure_id`,
      [s.from, s.to, s.agencyId, s.procedureId, [...paidStates]],
    );
  }

  /** Ratings given in the period. */
  ratings(s: IndicatorScope): Promise<RatingCounts[]> {
    return selectRows<RatingCounts>(
      this.db,
      `SELECT d.agency_id, d.procedure_id, count(*)::int AS ratings,
              count(*) FILTER (WHERE r.score >= 4)::int AS satisfied, sum(r.score)::int AS score_sum
         FROM dossier_ratings r JOIN dossiers d ON d.id = r.dossier_id
        WHERE r.at >= $1 AND r.at < $2 AND ${SCOPE_SQL}
        GROUP BY d.agency_id, d.procedure_id`,
      [s.from, s.to, s.agencyId, s.procedureId],
    );
  }

  /**
   * Dossiers finished in the period, `limit` at a time after the id `after` (keyset on id); dossiers
   * in one of `notFinished` (withdrawn, refused) are left out whatever their clock says.
   */
  finished(
    s: IndicatorScope,
    after: string,
    limit: number,
    notFinished: readonly string[],
  ): Promise<FinishedDossier[]> {
    return selectRows<FinishedDossier>(
      this.db,
      `SELECT d.id, d.agency_id, d.procedure_id, d.received_at, d.finished_at, d.due_at, d.paused_ms
             FROM dossiers d
            WHERE d.finished_at >= $1 AND d.finished_at < $2 AND d.received_at IS NOT NULL AND ${SCOPE_SQL} AND d.id > $5::uuid
              AND d.state <> ALL($6::text[])
            ORDER BY d.id LIMIT ${Number(limit)}`,
      [s.from, s.to, s.agencyId, s.procedureId, after, [...notFinished]],
    );
  }

  /** Dossiers withdrawn (state `withdrawn`) or refused (state `refused`) in the period: the history entry that put them there. */
  ended(s: IndicatorScope, withdrawn: string, refused: string): Promise<EndedCounts[]> {
    return selectRows<EndedCounts>(
      this.db,
      `SELECT d.agency_id, d.procedure_id,
              count(*) FILTER (WHERE d.state = $5)::int AS withdrawn,
              count(*) FILTER (WHERE d.state = $6)::int AS refused
         FROM dossiers d
        WHERE d.state IN ($5, $6) AND ${SCOPE_SQL}
          AND EXISTS (SELECT 1 FROM dossier_history h
                       WHERE h.dossier_id = d.id AND h.to_state = d.state AND h.at >= $1 AND h.at < $2)
        GROUP BY d.agency_id, d.procedure_id`,
      [s.from, s.to, s.agencyId, s.procedureId, withdrawn, refused],
    );
  }
}
