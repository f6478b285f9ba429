import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { selectOne, selectRows } from '../database/query-result';
import type { WorkCalendar } from '../workflow/calendar';
import type { FilingChannel, TimeLimits } from '../workflow/deadline';
import type { WorkflowDefinition } from '../workflow/definition';

/** A dossier with what its forms print. */
export interface FormDossierRow {
  id: string;
  code: string | null;
  state: string;
  agency_id: string;
  agency_name: string;
  agency_code: string;
  calendar: WorkCalendar;
  procedure_code: string;
  procedure_name: string;
  processing_days: number;
  /** Time limits per filing channel (days and/or hours), when the version gives them. */
  time_limits: TimeLimits | null;
  /** How the dossier was filed: online, at the counter, by post. */
  channel: FilingChannel;
  /** Counter and post filings: the agency whose counter received it (another of the province, or the owner). */
  received_agency_code: string | null;
  received_agency_name: string | null;
  required_documents: { key: string; name: string; required?: boolean }[];
  workflow: WorkflowDefinition;
  applicant_name: string;
  applicant_id_number: string | null;
  applicant_phone: string | null;
  delivery: { method: 'online' | 'post'; recipient?: string; address?: string; phone?: string };
  submitted_at: Date | null;
  received_at: Date | null;
  due_at: Date | null;
  finished_at: Date | null;
}

export interface FormHistoryRow {
  seq: number;
  action: string;
  from_state: string | null;
  to_state: string;
  actor_role: string;
  actor_name: string | null;
  comment: string | null;
  data: Record<string, unknown> | null;
  at: Date;
}

export interface RegisterRow {
  code: string | null;
  procedure_name: string;
  applicant_name: string;
  received_at: Date;
  due_at: Date | null;
  finished_at: Date | null;
  state: string;
  workflow: WorkflowDefinition;
  result_number: string | null;
}

/**
 * What the official forms read (src/forms): the dossier, its history with the actors' names, its documents, its
 * apologies and an agency's register. Reads only; the tables belong to the dossier, procedure and agency
 * modules, which write them.
 */
@Injectable()
export class FormsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  dossier(id: string): Promise<FormDossierRow | undefined> {
    return selectOne<FormDossierRow>(
      this.db,
      `SELECT d.id, d.code, d.state, d.agency_id, g.name AS agency_name, g.code AS agency_code, g.calendar,
              p.code AS procedure_code, p.name AS procedure_name, v.processing_days, v.time_limits, d.channel,
              v.required_documents, v.workflow,
              a.full_name AS applicant_name, a.id_number AS applicant_id_number, a.phone AS applicant_phone, d.delivery,
              d.submitted_at, d.received_at, d.due_at, d.finished_at,
              rg.code AS received_agency_code, rg.name AS received_agency_name
         FROM dossiers d JOIN agencies g ON g.id = d.agency_id JOIN procedures p ON p.id = d.procedure_id
         LEFT JOIN agencies rg ON rg.id = d.received_agency_id
         JOIN procedure_versions v ON v.id = d.procedure_version_id JOIN accounts a ON a.id = d.applicant_id
        WHERE d.id = $1`,
      [id],
    );
  }

  history(dossierId: string): Promise<FormHistoryRow[]> {
    return selectRows<FormHistoryRow>(
      this.db,
      `SELECT h.seq, h.action, h.from_state, h.to_state, h.actor_role, a.full_name AS actor_name, h.comment, h.data, h.at
         FROM dossier_history h LEFT JOIN accounts a ON a.id = h.actor_id
        WHERE h.dossier_id = $1 ORDER BY h.seq`,
      [dossierId],
    );
  }

  /** The dossier's papers up to `until`: how many files per document key. */
  documents(dossierId: string, until: Date): Promise<{ document_key: string; count: number }[]> {
    return selectRows(
      this.db,
      `SELECT document_key, count(*)::int AS count FROM dossier_documents
        WHERE dossier_id = $1 AND created_at <= $2 GROUP BY document_key ORDER BY document_key`,
      [dossierId, until],
    );
  }

  latestApology(
    dossierId: string,
  ): Promise<{ reason: string; new_due_at: Date; at: Date; issuer_name: string | null } | undefined> {
    return selectOne(
      this.db,
      `SELECT x.reason, x.new_due_at, x.at, a.full_name AS issuer_name
         FROM dossier_apologies x LEFT JOIN accounts a ON a.id = x.issued_by
        WHERE x.dossier_id = $1 ORDER BY x.at DESC, x.id LIMIT 1`,
      [dossierId],
    );
  }

  /** Agency names by code (the handovers of a transfer between agencies). */
  async agencyNames(codes: string[]): Promise<Record<string, string>> {
    if (codes.length === 0) return {};
    const rows = await selectRows<{ code: string; name: string }>(
      this.db,
      `SELECT code, name FROM agencies WHERE code = ANY($1::text[])`,
      [codes],
    );
    return Object.fromEntries(rows.map((r) => [r.code, r.name]));
  }

  agency(id: string): Promise<{ id: string; name: string; code: string } | undefined> {
    return selectOne(this.db, `SELECT id, name, code FROM agencies WHERE id = $1`, [id]);
  }

  agencyByCode(code: string): Promise<{ id: string; name: string; code: string } | undefined> {
    return selectOne(this.db, `SELECT id, name, code FROM agencies WHERE code = $1`, [code]);
  }

  /** Form 06: the agency's dossiers received in [from, to), in order of receipt. */
  register(agencyId: string, from: Date, to: Date): Promise<RegisterRow[]> {
    return selectRows<RegisterRow>(
      this.db,
      `SELECT d.code, p.name AS procedure_name, a.full_name AS applicant_name, d.received_at, d.due_at, d.finished_at,
              d.state, v.workflow,
              (SELECT r.number FROM dossier_results r WHERE r.dossier_id = d.id AND r.status IN ('generating','issued')) AS result_number
         FROM dossiers d JOIN procedures p ON p.id = d.procedure_id JOIN procedure_versions v ON v.id = d.procedure_version_id
         JOIN accounts a ON a.id = d.applicant_id
        WHERE d.agency_id = $1 AND d.received_at >= $2 AND d.received_at < $3
        ORDER BY d.received_at, d.code`,
      [agencyId, from, to],
    );
  }
}
