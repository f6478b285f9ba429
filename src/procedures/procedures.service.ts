import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Agency } from '../agencies/agency.entity';
import { Conflict, FieldError, NotFound, ValidationFailed } from '../common/problem';
import { validateWorkflow } from '../workflow/validate';
import type { WorkflowDefinition } from '../workflow/definition';
import { CreateProcedureDto, CreateVersionDto, ProcedureView } from './dto';
import { checkFormSchema } from './form-schema';
import { Procedure, ProcedureVersion } from './procedure.entity';

/** A published version, as the dossier services need it; immutable, so cacheable in memory. */
export interface PublishedVersion extends ProcedureVersion {
  workflow: WorkflowDefinition;
}

const CATALOG_SQL = `
  SELECT p.code, p.name, p.level, a.code AS "agencyCode", a.name AS "agencyName",
         v.version, v.fees, v.fee_timing AS "feeTiming", v.processing_days AS "processingDays",
         v.delivery_options AS "deliveryOptions", v.postal_fee_vnd AS "postalFee", v.form_schema AS "formSchema",
         v.required_documents AS "requiredDocuments", v.published_at AS "publishedAt"
    FROM procedures p
    JOIN agencies a ON a.id = p.agency_id
    JOIN LATERAL (
      SELECT * FROM procedure_versions pv
       WHERE pv.procedure_id = p.id AND pv.published_at IS NOT NULL
       ORDER BY pv.version DESC LIMIT 1
    ) v ON true`;

@Injectable()
export class ProceduresService {
  private readonly versions = new Map<string, PublishedVersion>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async catalog(): Promise<ProcedureView[]> {
    const rows = await this.db.query(`${CATALOG_SQL} ORDER BY a.code, p.code`);
    return rows.map(withTotal);
  }

  async findPublished(code: string): Promise<ProcedureView> {
    const rows = await this.db.query(`${CATALOG_SQL} WHERE p.code = $1`, [code]);
    if (!rows[0]) throw new NotFound('procedure');
    return withTotal(rows[0]);
  }

  /** The newest published version of a procedure, for starting a dossier. */
  async latestPublished(code: string): Promise<{ procedure: Procedure; version: PublishedVersion }> {
    const procedure = await this.db.getRepository(Procedure).findOneBy({ code });
    if (!procedure) throw new NotFound('procedure');
    const published = await this.db.query(
      `SELECT id FROM procedure_versions WHERE procedure_id = $1 AND published_at IS NOT NULL ORDER BY version DESC LIMIT 1`,
      [procedure.id],
    );
    if (!published[0]) throw new NotFound('procedure');
    return { procedure, version: await this.version(published[0].id) };
  }

  /** A published version by id (dossiers are pinned to one), cached: it never changes. */
  async version(id: string): Promise<PublishedVersion> {
    const cached = this.versions.get(id);
    if (cached) return cached;
    const row = await this.db.getRepository(ProcedureVersion).findOneBy({ id });
    if (!row || !row.publishedAt) throw new NotFound('procedure version');
    const checked = validateWorkflow(row.workflow);
    if (!checked.valid) throw new Error(`published workflow ${id} does not validate`);
    const version = { ...row, workflow: checked.definition } as PublishedVersion;
    this.versions.set(id, version);
    return version;
  }

  async createProcedure(dto: CreateProcedureDto): Promise<{ code: string }> {
    const agency = await this.db.getRepository(Agency).findOneBy({ code: dto.agencyCode });
    if (!agency) throw new ValidationFailed([{ field: 'agencyCode', message: 'no agency has this code' }]);
    const rows = await this.db.query(
      `INSERT INTO procedures (code, name, agency_id, level) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [dto.code, dto.name, agency.id, dto.level],
    );
    if (!rows[0]) throw new Conflict(`A procedure with code ${dto.code} already exists.`);
    return { code: dto.code };
  }

  async addVersion(code: string, dto: CreateVersionDto): Promise<{ code: string; version: number }> {
    const procedure = await this.db.getRepository(Procedure).findOneBy({ code });
    if (!procedure) throw new NotFound('procedure');
    // The next number is computed and inserted in one statement; the unique key settles races.
    const rows = await this.db.query(
      `INSERT INTO procedure_versions
         (procedure_id, version, form_schema, required_documents, fees, fee_timing, processing_days, delivery_options, workflow,
          postal_fee_vnd, refundable, result_template)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM procedure_versions WHERE procedure_id = $1
       RETURNING version`,
      [
        procedure.id,
        dto.formSchema,
        JSON.stringify(dto.requiredDocuments),
        JSON.stringify(dto.fees),
        dto.feeTiming,
        dto.processingDays,
        dto.deliveryOptions,
        dto.workflow,
        dto.postalFee ?? 0,
        dto.refundable ?? true,
        dto.resultTemplate ? JSON.stringify(dto.resultTemplate) : null,
      ],
    );
    return { code, version: rows[0].version };
  }

  async listVersions(code: string) {
    const procedure = await this.db.getRepository(Procedure).findOneBy({ code });
    if (!procedure) throw new NotFound('procedure');
    const rows = await this.db
      .getRepository(ProcedureVersion)
      .find({ where: { procedureId: procedure.id }, order: { version: 'ASC' } });
    return rows.map(({ id: _id, procedureId: _p, ...v }) => v);
  }

  /**
   * Publishing checks the whole definition and lists every problem (422).
   * Once published, a version is immutable (the database enforces it).
   */
  async publish(code: string, versionNumber: number): Promise<{ code: string; version: number; publishedAt: Date }> {
    const procedure = await this.db.getRepository(Procedure).findOneBy({ code });
    if (!procedure) throw new NotFound('procedure');
    const version = await this.db
      .getRepository(ProcedureVersion)
      .findOneBy({ procedureId: procedure.id, version: versionNumber });
    if (!version) throw new NotFound('procedure version');
    if (version.publishedAt) throw new Conflict(`Version ${versionNumber} is already published.`, 'already-published');
    const problems = definitionProblems(version);
    if (problems.length)
      throw new ValidationFailed(
        problems,
        `Version ${versionNumber} cannot be published: ${problems.length} problem(s).`,
      );
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows] = await this.db.query(
      `UPDATE procedure_versions SET published_at = now() WHERE id = $1 AND published_at IS NULL RETURNING published_at`,
      [version.id],
    );
    if (!rows[0]) throw new Conflict(`Version ${versionNumber} is already published.`, 'already-published');
    return { code, version: versionNumber, publishedAt: rows[0].published_at };
  }
}

export function definitionProblems(
  v: Pick<ProcedureVersion, 'formSchema' | 'workflow' | 'requiredDocuments' | 'fees' | 'feeTiming'> &
    Partial<Pick<ProcedureVersion, 'postalFeeVnd'>>,
): FieldError[] {
  const problems: FieldError[] = [...checkFormSchema(v.formSchema)];
  const checked = validateWorkflow(v.workflow);
  if (!checked.valid) {
    problems.push(
      ...checked.problems.map((p) => ({ field: `workflow.${p.path}`.replace(/\.workflow$/, ''), message: p.message })),
    );
  }
  const keys = v.requiredDocuments.map((d) => d.key);
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i)
      problems.push({ field: `requiredDocuments[${i}].key`, message: `duplicate document key ${k}` });
  });
  const total = v.fees.reduce((s, f) => s + f.amount, 0);
  if (v.feeTiming === 'exempt' && total > 0)
    problems.push({ field: 'feeTiming', message: 'an exempt procedure cannot list fees above 0' });
  if (v.feeTiming !== 'exempt' && total === 0)
    problems.push({ field: 'fees', message: `fees are collected ${v.feeTiming} but add up to 0` });
  if (v.feeTiming === 'exempt' && (v.postalFeeVnd ?? 0) > 0) {
    problems.push({
      field: 'postalFee',
      message:
        'nothing is collected online for an exempt procedure, so its postal fee would never be charged (a free shipment): set it to 0',
    });
  }
  if (checked.valid) problems.push(...paymentProblems(checked.definition, v.feeTiming));
  return problems;
}

/**
 * Payment wiring: fees collected means some action opens them (`requirePayment`);
 * every state such an action enters must be left by the portal itself once the
 * payment is confirmed (a `system` action with trigger `payment.succeeded`),
 * or a paying dossier would be stuck.
 */
function paymentProblems(def: WorkflowDefinition, feeTiming: ProcedureVersion['feeTiming']): FieldError[] {
  const problems: FieldError[] = [];
  const opening = def.actions.map((a, i) => ({ a, i })).filter(({ a }) => a.effects?.includes('requirePayment'));
  if (feeTiming === 'exempt') {
    opening.forEach(({ i }) =>
      problems.push({
        field: `workflow.actions[${i}].effects`,
        message: 'requirePayment on an exempt procedure: nothing would be due',
      }),
    );
    return problems;
  }
  if (opening.length === 0)
    problems.push({
      field: 'workflow.actions',
      message: `fees are collected ${feeTiming} but no action has the requirePayment effect`,
    });
  for (const { a, i } of opening) {
    const leaves = def.actions.some((x) => x.trigger === 'payment.succeeded' && x.from.includes(a.to));
    if (!leaves)
      problems.push({
        field: `workflow.actions[${i}]`,
        message: `state ${a.to} waits for payment but no system action with trigger payment.succeeded leaves it`,
      });
  }
  return problems;
}

function withTotal(row: Omit<ProcedureView, 'totalFee'>): ProcedureView {
  return { ...row, totalFee: row.fees.reduce((s, f) => s + f.amount, 0) };
}
