import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PublishedVersion } from '../procedures/procedures.service';
import type { DossierRow } from './dossier';

/** What a dossier reads as over HTTP; internal columns (hash chain, counters) never leak. */
export class DossierView {
  @ApiProperty() id: string;
  @ApiPropertyOptional({ nullable: true }) code: string | null;
  @ApiProperty() state: string;
  @ApiProperty() stateLabel: string;
  @ApiProperty() procedureCode: string;
  @ApiProperty() procedureName: string;
  @ApiProperty() procedureVersion: number;
  @ApiProperty() agencyCode: string;
  @ApiProperty() formData: Record<string, unknown>;
  @ApiProperty() delivery: Record<string, unknown>;
  @ApiPropertyOptional({ nullable: true }) assigneeId: string | null;
  @ApiPropertyOptional({ nullable: true }) submittedAt: Date | null;
  @ApiPropertyOptional({ nullable: true }) receivedAt: Date | null;
  @ApiPropertyOptional({ nullable: true }) dueAt: Date | null;
  @ApiPropertyOptional({ nullable: true }) finishedAt: Date | null;
  @ApiProperty({ description: 'Whether the deadline clock is paused (supplementation)' }) clockPaused: boolean;
  @ApiPropertyOptional({ enum: ['overdue', 'on_time', 'late', 'running'], nullable: true }) standing: string | null;
  @ApiProperty({ type: [String] }) availableActions: string[];
  @ApiPropertyOptional({ nullable: true, description: 'What the dossier owes or paid: {stage, items, amountVnd, status, paidAt}' })
  payment: PaymentSummary | null;
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

export function toDossierView(row: DossierRow, availableActions: string[], version: PublishedVersion, payment: PaymentSummary | null): DossierView {
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
    payment,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function standing(row: Pick<DossierRow, 'due_at' | 'finished_at'>): string | null {
  if (!row.due_at) return null;
  if (row.finished_at) return row.finished_at <= row.due_at ? 'on_time' : 'late';
  return row.due_at < new Date() ? 'overdue' : 'running';
}
