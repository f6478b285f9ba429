import { Injectable } from '@nestjs/common';
import { AgenciesRepository } from '../agencies/agencies.repository';
import { Conflict, FieldError, NotFound, ValidationFailed } from '../common/problem';
import { timeLimitProblems } from '../workflow/deadline';
import { validateWorkflow } from '../workflow/validate';
import type { WorkflowDefinition } from '../workflow/definition';
import { CreateProcedureDto, CreateVersionDto, ProcedureView } from './dto';
import { checkFormSchema } from './form-schema';
import { Procedure, ProcedureVersion } from './procedure.entity';
import { AdminProcedureRow, ProceduresRepository } from './procedures.repository';

/** A published version, as the dossier services need it; immutable, so cacheable in memory. */
export interface PublishedVersion extends ProcedureVersion {
  workflow: WorkflowDefinition;
}

@Injectable()
export class ProceduresService {
  private readonly versions = new Map<string, PublishedVersion>();

  constructor(
    private readonly procedures: ProceduresRepository,
    private readonly agencies: AgenciesRepository,
  ) {}

  async catalog(): Promise<ProcedureView[]> {
    const rows = await this.procedures.catalog();
    return rows.map(withTotal);
  }

  /** The published procedures a counter of this agency receives (its own, then its province's). */
  async counterCatalog(agencyId: string): Promise<ProcedureView[]> {
    const rows = await this.procedures.counterCatalog(agencyId);
    return rows.map(withTotal);
  }

  async findPublished(code: string): Promise<ProcedureView> {
    const row = await this.procedures.catalogEntry(code);
    if (!row) throw new NotFound('procedure');
    return withTotal(row);
  }

  /** The newest published version of a procedure, for starting a dossier. */
  async latestPublished(code: string): Promise<{ procedure: Procedure; version: PublishedVersion }> {
    const procedure = await this.procedures.findByCode(code);
    if (!procedure) throw new NotFound('procedure');
    const publishedId = await this.procedures.latestPublishedVersionId(procedure.id);
    if (!publishedId) throw new NotFound('procedure');
    return { procedure, version: await this.version(publishedId) };
  }

  /** A published version by id (dossiers are pinned to one), cached: it never changes. */
  async version(id: string): Promise<PublishedVersion> {
    const cached = this.versions.get(id);
    if (cached) return cached;
    const row = await this.procedures.findVersionById(id);
    if (!row || !row.publishedAt) throw new NotFound('procedure version');
    const checked = validateWorkflow(row.workflow);
    if (!checked.valid) throw new Error(`published workflow ${id} does not validate`);
    const version = { ...row, workflow: checked.definition };
    this.versions.set(id, version);
    return version;
  }

  async createProcedure(dto: CreateProcedureDto): Promise<{ code: string }> {
    const agencyId = await this.agencies.idOf(dto.agencyCode);
    if (!agencyId) throw new ValidationFailed([{ field: 'agencyCode', message: 'no agency has this code' }]);
    const id = await this.procedures.insert({ code: dto.code, name: dto.name, agencyId, level: dto.level });
    if (!id) throw new Conflict(`A procedure with code ${dto.code} already exists.`, 'procedure-exists');
    return { code: dto.code };
  }

  async addVersion(code: string, dto: CreateVersionDto): Promise<{ code: string; version: number }> {
    const procedure = await this.procedures.findByCode(code);
    if (!procedure) throw new NotFound('procedure');
    return { code, version: await this.procedures.insertVersion(procedure.id, dto) };
  }

  async listVersions(code: string) {
    const procedure = await this.procedures.findByCode(code);
    if (!procedure) throw new NotFound('procedure');
    const rows = await this.procedures.listVersions(procedure.id);
    return rows.map(({ id: _id, procedureId: _p, ...v }) => v);
  }

  /** Every procedure, published or not, for the administrator's list. */
  adminList(): Promise<AdminProcedureRow[]> {
    return this.procedures.adminList();
  }

  /** One procedure as the administrator's list shows it. */
  async adminProcedure(code: string): Promise<AdminProcedureRow> {
    const [row] = await this.procedures.adminList(code);
    if (!row) throw new NotFound('procedure');
    return row;
  }

  /** The agencies a procedure can belong to (code and name). */
  async agencyChoices(): Promise<{ code: string; name: string }[]> {
    return (await this.agencies.list()).map((a) => ({ code: a.code, name: a.name }));
  }

  /** Replaces a draft version's content (as adding it did); a published version never changes (409). */
  async updateVersion(
    code: string,
    versionNumber: number,
    dto: CreateVersionDto,
  ): Promise<{ code: string; version: number }> {
    const procedure = await this.procedures.findByCode(code);
    if (!procedure) throw new NotFound('procedure');
    const version = await this.procedures.findVersion(procedure.id, versionNumber);
    if (!version) throw new NotFound('procedure version');
    if (version.publishedAt || !(await this.procedures.updateDraft(version.id, dto)))
      throw new Conflict(`Version ${versionNumber} is already published.`, 'already-published');
    return { code, version: versionNumber };
  }

  /**
   * Publishing checks the whole definition and lists every problem (422).
   * Once published, a version is immutable (the database enforces it).
   */
  async publish(code: string, versionNumber: number): Promise<{ code: string; version: number; publishedAt: Date }> {
    const procedure = await this.procedures.findByCode(code);
    if (!procedure) throw new NotFound('procedure');
    const version = await this.procedures.findVersion(procedure.id, versionNumber);
    if (!version) throw new NotFound('procedure version');
    if (version.publishedAt) throw new Conflict(`Version ${versionNumber} is already published.`, 'already-published');
    const problems = [...definitionProblems(version), ...(await this.transferProblems(version.workflow))];
    if (problems.length)
      throw new ValidationFailed(
        problems,
        `Version ${versionNumber} cannot be published: ${problems.length} problem(s).`,
      );
    const publishedAt = await this.procedures.publish(version.id);
    if (!publishedAt) throw new Conflict(`Version ${versionNumber} is already published.`, 'already-published');
    return { code, version: versionNumber, publishedAt };
  }

  /** Transfer between agencies: every agency a state names (`agency`) exists. */
  private async transferProblems(workflow: unknown): Promise<FieldError[]> {
    const states: unknown = (workflow as { states?: unknown } | null)?.states;
    if (!Array.isArray(states)) return [];
    const problems: FieldError[] = [];
    for (const [i, s] of states.entries()) {
      const agency = (s as { agency?: unknown } | null)?.agency;
      if (typeof agency !== 'string' || agency.trim() === '') continue;
      if (!(await this.agencies.idOf(agency)))
        problems.push({ field: `workflow.states[${i}].agency`, message: `no agency has the code ${agency}` });
    }
    return problems;
  }
}

export function definitionProblems(
  v: Pick<ProcedureVersion, 'formSchema' | 'workflow' | 'requiredDocuments' | 'fees' | 'feeTiming'> &
    Partial<Pick<ProcedureVersion, 'postalFeeVnd' | 'timeLimits'>>,
): FieldError[] {
  const problems: FieldError[] = [...checkFormSchema(v.formSchema)];
  problems.push(
    ...timeLimitProblems(v.timeLimits).map((p) => ({
      field: p.path ? `timeLimits.${p.path}` : 'timeLimits',
      message: p.message,
    })),
  );
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
