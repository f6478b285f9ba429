import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { TimeLimits } from '../workflow/deadline';
import type { WorkflowDefinition } from '../workflow/definition';

export type ProcedureLevel = 'full' | 'partial';
export type FeeTiming = 'before_receipt' | 'after_approval' | 'exempt';
export type DeliveryMethod = 'online' | 'post';

export interface FeeItem {
  kind: 'fee' | 'charge';
  name: string;
  /** Integer VND. */
  amount: number;
}

export interface RequiredDocument {
  key: string;
  name: string;
  required: boolean;
}

@Entity('procedures')
export class Procedure {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column() code: string;
  @Column() name: string;
  @Column({ name: 'agency_id', type: 'uuid' }) agencyId: string;
  @Column({ type: 'text' }) level: ProcedureLevel;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** Immutable once published (a database trigger refuses updates). */
@Entity('procedure_versions')
export class ProcedureVersion {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'procedure_id', type: 'uuid' }) procedureId: string;
  @Column({ type: 'int' }) version: number;
  @Column({ name: 'form_schema', type: 'jsonb' }) formSchema: Record<string, unknown>;
  @Column({ name: 'required_documents', type: 'jsonb' }) requiredDocuments: RequiredDocument[];
  @Column({ type: 'jsonb' }) fees: FeeItem[];
  @Column({ name: 'fee_timing', type: 'text' }) feeTiming: FeeTiming;
  @Column({ name: 'processing_days', type: 'int' }) processingDays: number;
  /** Time limits per filing channel in working days and/or hours; `processingDays` applies without one. */
  @Column({ name: 'time_limits', type: 'jsonb', nullable: true }) timeLimits: TimeLimits | null;
  @Column({ name: 'delivery_options', type: 'text', array: true }) deliveryOptions: DeliveryMethod[];
  @Column({ type: 'jsonb' }) workflow: WorkflowDefinition;
  /** Added to what a citizen pays when they chose delivery by post (integer VND). */
  @Column({ name: 'postal_fee_vnd', type: 'int' }) postalFeeVnd: number;
  /** How a generated result reads: title, paragraphs with {{placeholders}}, the signer's title. */
  @Column({ name: 'result_template', type: 'jsonb', nullable: true }) resultTemplate: {
    title?: string;
    paragraphs?: string[];
    signerTitle?: string;
  } | null;
  /** Whether fees are given back when the dossier is refused, rejected or withdrawn. */
  @Column({ type: 'boolean' }) refundable: boolean;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
