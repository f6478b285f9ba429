import { createHash } from 'node:crypto';
import { canonicalJson } from '../security/canonical-json';
import type { WorkCalendar } from '../workflow/calendar';

/** A dossier row as the services read it, joined with what every action needs. */
export interface DossierRow {
  id: string;
  code: string | null;
  agency_id: string;
  agency_code: string;
  /** Transfer between agencies: the agency working the dossier now (the owner's unless a state names another). */
  current_agency_id: string;
  current_agency_code: string;
  /** The receiving agency while transferred, else null. */
  transfer_agency_id: string | null;
  /** Counter and post filings: the agency whose counter received the papers (another one of the province, or the owner); null online. */
  received_agency_id: string | null;
  received_agency_code: string | null;
  calendar: WorkCalendar;
  procedure_id: string;
  procedure_code: string;
  procedure_name: string;
  procedure_version_id: string;
  procedure_version: number;
  applicant_id: string;
  assignee_id: string | null;
  state: string;
  /** How the dossier was filed: online by the citizen, at the counter, or received by post (both by a clerk). */
  channel: 'online' | 'counter' | 'post';
  form_data: Record<string, unknown>;
  delivery: { method: 'online' | 'post'; recipient?: string; address?: string; phone?: string };
  version: number;
  submitted_at: Date | null;
  received_at: Date | null;
  due_at: Date | null;
  paused_at: Date | null;
  paused_ms: string;
  finished_at: Date | null;
  deadline_alert: 'due_soon' | 'overdue' | null;
  history_seq: number;
  history_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface HistoryEntry {
  dossierId: string;
  seq: number;
  action: string;
  fromState: string | null;
  toState: string;
  actorId: string | null;
  actorRole: string;
  comment: string | null;
  data: Record<string, unknown> | null;
  at: Date;
}

/**
 * History rows are hash-chained: each row's hash covers its content and the
 * previous row's hash, so altering any row after the fact breaks the chain.
 */
export function historyHash(prevHash: string | null, e: HistoryEntry): string {
  // Keys in jsonb order: the hash can be recomputed from the stored row (scripts/audit-verify.ts).
  const canonical = canonicalJson([
    e.dossierId,
    e.seq,
    e.action,
    e.fromState,
    e.toState,
    e.actorId,
    e.actorRole,
    e.comment,
    e.data,
    e.at.toISOString(),
  ]);
  return createHash('sha256')
    .update(`${prevHash ?? ''}|${canonical}`)
    .digest('hex');
}

/** `<agency code>-YYMMDD-NNNN`, the date in the agency's local time. */
export function dossierCode(agencyCode: string, localDay: string, seq: number): string {
  return `${dossierCodePrefix(agencyCode, localDay)}${String(seq).padStart(4, '0')}`;
}

/** `<agency code>-YYMMDD-`: what precedes the day's number in a dossier code. */
export function dossierCodePrefix(agencyCode: string, localDay: string): string {
  return `${agencyCode}-${localDay.slice(2).replace(/-/g, '')}-`;
}
