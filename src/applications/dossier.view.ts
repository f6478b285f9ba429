import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PublishedVersion } from '../procedures/procedures.service';
import type { DossierRow } from './dossier';
import { ApologyEntryDto, PaymentSummaryDto, RatingViewDto, ResultSummaryDto, ShipmentSummaryDto } from './views.dto';

/** What a dossier reads as over HTTP; internal columns (hash chain, counters) never leak. */
export class DossierView {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, nullable: true, description: 'Assigned on first submission' }) code: string | null;
  @ApiProperty() state: string;
  @ApiProperty() stateLabel: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty() procedureName: string;
  @ApiProperty() procedureVersion: number;
  @ApiProperty() agencyCode: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Transfer between agencies: the agency working the dossier while a workflow state hands it to another agency; null while the owning agency (agencyCode) works it',
  })
  currentAgencyCode: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Counter and post filings: the agency whose counter received the papers (another agency of the province when it received them for agencyCode, the competent one); null online',
  })
  receivedAgencyCode: string | null;
  @ApiProperty({
    enum: ['online', 'counter', 'post'],
    description: 'How it was filed: online, at the counter, or received by post',
  })
  channel: 'online' | 'counter' | 'post';
  @ApiProperty({ type: 'object', additionalProperties: true }) formData: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{method, recipient?, address?, phone?}' })
  delivery: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assigneeId: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) submittedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) receivedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: Date | null;
  @ApiProperty({ description: 'Whether the deadline clock is paused (supplementation)' }) clockPaused: boolean;
  @ApiPropertyOptional({ enum: ['running', 'due_soon', 'overdue', 'on_time', 'late'], nullable: true }) standing:
    string | null;
  @ApiProperty({ type: [String] }) availableActions: string[];
  @ApiProperty({
    type: () => PaymentSummaryDto,
    nullable: true,
    description: 'What the dossier owes or paid: {stage, items, amountVnd, status, paidAt}',
  })
  payment: PaymentSummary | null;
  @ApiProperty({
    type: () => ResultSummaryDto,
    nullable: true,
    description: 'The issued result: {id, verificationCode, sha256, issuedAt, number}',
  })
  result: { id: string; verificationCode: string; sha256: string | null; issuedAt: Date; number: string } | null;
  @ApiProperty({
    type: () => ShipmentSummaryDto,
    nullable: true,
    description: 'The parcel when the result goes by post: {waybill, status}',
  })
  shipment: { waybill: string; status: string } | null;
  @ApiProperty({
    type: () => [ApologyEntryDto],
    description: 'Apologies with a new date; the dossier still counts as late',
  })
  apologies: { reason: string; newDueAt: Date; at: Date }[];
  @ApiProperty({ type: () => RatingViewDto, nullable: true }) rating: {
    score: number;
    comment: string | null;
    at: Date;
  } | null;
  @ApiProperty({
    type: 'integer',
    description: 'How many supplementation rounds the dossier has had (requests of the agency, one per round)',
  })
  supplementRounds: number;
  @ApiProperty() version: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export interface PaymentSummary {
  stage: string;
  items: { kind: string; name: string; amount: number }[];
  amountVnd: number;
  status: 'open' | 'paid' | 'refund_pending' | 'refunded' | 'void';
  paidAt: Date | null;
}

export interface DossierSurroundings {
  payment: PaymentSummary | null;
  result: DossierView['result'];
  shipment: DossierView['shipment'];
  apologies: DossierView['apologies'];
  rating: DossierView['rating'];
  supplementRounds: number;
}

/** Timestamps built by json_build_object arrive as Postgres text; the API speaks ISO 8601 everywhere. */
const asDate = (v: Date | string | null | undefined): Date | null => (v ? new Date(v) : null);

export function toDossierView(
  row: DossierRow,
  availableActions: string[],
  version: PublishedVersion,
  extra: DossierSurroundings,
): DossierView {
  const state = version.workflow.states.find((s) => s.key === row.state);
  return {
    id: row.id,
    code: row.code,
    state: row.state,
    stateLabel: state?.label ?? row.state,
    procedureCode: row.procedure_code,
    procedureName: row.procedure_name,
    procedureVersion: row.procedure_version,
    agencyCode: row.agency_code,
    currentAgencyCode: row.transfer_agency_id ? row.current_agency_code : null,
    receivedAgencyCode: row.received_agency_code ?? null,
    channel: row.channel,
    formData: row.form_data,
    delivery: row.delivery,
    assigneeId: row.assignee_id,
    submittedAt: row.submitted_at,
    receivedAt: row.received_at,
    dueAt: row.due_at,
    finishedAt: row.finished_at,
    clockPaused: row.paused_at !== null,
    standing: standing(row),
    availableActions,
    payment: extra.payment && { ...extra.payment, paidAt: asDate(extra.payment.paidAt) },
    result: extra.result && { ...extra.result, issuedAt: asDate(extra.result.issuedAt)! },
    shipment: extra.shipment,
    apologies: extra.apologies.map((a) => ({ ...a, newDueAt: asDate(a.newDueAt)!, at: asDate(a.at)! })),
    rating: extra.rating && { ...extra.rating, at: asDate(extra.rating.at)! },
    supplementRounds: extra.supplementRounds ?? 0,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** on_time / late once finished; otherwise overdue, due_soon (flagged by the deadline sweep) or running. A paused clock does not run late. */
function standing(row: Pick<DossierRow, 'due_at' | 'finished_at' | 'paused_at' | 'deadline_alert'>): string | null {
  if (!row.due_at) return null;
  if (row.finished_at) return row.finished_at <= row.due_at ? 'on_time' : 'late';
  if (row.due_at < (row.paused_at ?? new Date())) return 'overdue';
  return row.deadline_alert === 'due_soon' ? 'due_soon' : 'running';
}
