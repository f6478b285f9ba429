import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { AppError, NotFound } from '../../common/problem';
import { CreateProcedureDto, CreateVersionDto } from '../../procedures/dto';
import { checkFormSchema } from '../../procedures/form-schema';
import { ProceduresService } from '../../procedures/procedures.service';
import type { AdminProcedureRow } from '../../procedures/procedures.repository';
import {
  Button,
  Csrf,
  e,
  ErrorSummary,
  type FormErrors,
  Input,
  Notice,
  Radios,
  Select,
  SummaryList,
} from '../components';
import { type Change, type ComparableVersion, DIFF_PARTS, diffVersions } from '../diagram/version-diff';
import { readJson } from '../diagram/json-text';
import { WorkflowDiagram } from '../diagram/workflow-diagram';
import { marksOf } from '../diagram/workflow-layout';
import { SchemaFields } from '../forms/schema-form';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { field, Html, type PageContext, type PageResult, type PageRoute, Raw, Redirect } from '../page';
import { staffUser } from '../staff';

type Version = Awaited<ReturnType<ProceduresService['listVersions']>>[number];

/** The JSON parts of a version, each one textarea (its id is the DTO's field name). */
const JSON_FIELDS = ['formSchema', 'workflow', 'requiredDocuments', 'fees', 'resultTemplate'] as const;
type JsonField = (typeof JSON_FIELDS)[number];

/** A version as its form holds it: the JSON parts as typed, the simple settings as strings. */
interface VersionForm {
  formSchema: string;
  workflow: string;
  requiredDocuments: string;
  fees: string;
  resultTemplate: string;
  feeTiming: string;
  processingDays: string;
  postalFee: string;
  deliveryOnline: boolean;
  deliveryPost: boolean;
  refundable: string;
}

/** Where a problem's path (`workflow.actions[2].to`, `deliveryOptions`) is edited on the form: the input's id. */
export function anchorOf(path: string): string {
  const head = /^[A-Za-z]+/.exec(path)?.[0] ?? '';
  if (head === 'deliveryOptions') return 'deliveryOnline';
  return ['feeTiming', 'processingDays', 'postalFee', 'refundable', ...JSON_FIELDS].includes(head)
    ? head
    : 'formSchema';
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** A new procedure's first draft: an empty form and the smallest workflow that publishes (free, online). */
const SKELETON: VersionForm = {
  formSchema: pretty({ type: 'object', additionalProperties: false, required: [], properties: {} }),
  workflow: pretty({
    states: [
      { key: 'draft', start: true, editableBy: ['citizen'] },
      { key: 'submitted', clock: 'stopped' },
      { key: 'processing', clock: 'running' },
      { key: 'completed', terminal: true },
    ],
    actions: [
      { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
      { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock', 'issueReceipt'] },
      { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'], effects: ['issueResult'] },
    ],
  }),
  requiredDocuments: '[]',
  fees: '[]',
  resultTemplate: '',
  feeTiming: 'exempt',
  processingDays: '5',
  postalFee: '0',
  deliveryOnline: true,
  deliveryPost: false,
  refundable: 'true',
};

function formOf(v: Version): VersionForm {
  return {
    formSchema: pretty(v.formSchema),
    workflow: pretty(v.workflow),
    requiredDocuments: pretty(v.requiredDocuments),
    fees: pretty(v.fees),
    resultTemplate: v.resultTemplate ? pretty(v.resultTemplate) : '',
    feeTiming: v.feeTiming,
    processingDays: String(v.processingDays),
    postalFee: String(v.postalFeeVnd),
    deliveryOnline: v.deliveryOptions.includes('online'),
    deliveryPost: v.deliveryOptions.includes('post'),
    refundable: String(v.refundable),
  };
}

function formFromBody(body: Record<string, string | undefined>): VersionForm {
  return {
    formSchema: body.formSchema ?? '',
    workflow: body.workflow ?? '',
    requiredDocuments: body.requiredDocuments ?? '',
    fees: body.fees ?? '',
    resultTemplate: body.resultTemplate ?? '',
    feeTiming: field(body, 'feeTiming'),
    processingDays: field(body, 'processingDays'),
    postalFee: field(body, 'postalFee'),
    deliveryOnline: body.deliveryOnline === 'online',
    deliveryPost: body.deliveryPost === 'post',
    refundable: field(body, 'refundable'),
  };
}

/** The error of a JSON textarea that does not parse, with where. */
function jsonProblem(
  tx: Texts,
  name: JsonField,
  text: string,
): { field: string; message: string } | { value: unknown } {
  const read = readJson(text);
  if (read.ok) return { value: read.value };
  return {
    field: name,
    message: tx.t('admin.proc.json.invalid', {
      part: tx.t(`admin.proc.field.${name}`),
      line: read.line,
      column: read.column,
    }),
  };
}

/** class-validator's errors, one per constraint, at the field's input, with the path inside it. */
function dtoProblems(errors: ValidationError[], path = ''): FormErrors {
  return errors.flatMap((err) => {
    const here = path
      ? /^\d+$/.test(err.property)
        ? `${path}[${err.property}]`
        : `${path}.${err.property}`
      : err.property;
    const own = Object.values(err.constraints ?? {}).map((m) => ({ field: anchorOf(here), message: `${here}: ${m}` }));
    return [...own, ...dtoProblems(err.children ?? [], here)];
  });
}

/** The form read into the add-version DTO (validated as the API validates it), or every problem on the form. */
function readVersion(tx: Texts, f: VersionForm): { dto?: CreateVersionDto; errors: FormErrors } {
  const errors: FormErrors = [];
  const json: Partial<Record<JsonField, unknown>> = {};
  for (const name of JSON_FIELDS) {
    if (name === 'resultTemplate' && f.resultTemplate.trim() === '') continue;
    const read = jsonProblem(tx, name, f[name]);
    if ('value' in read) json[name] = read.value;
    else errors.push(read);
  }
  if (errors.length) return { errors };
  const num = (s: string) => (/^\d{1,10}$/.test(s) ? Number(s) : s);
  const plain = {
    ...json,
    feeTiming: f.feeTiming,
    processingDays: num(f.processingDays),
    postalFee: num(f.postalFee || '0'),
    deliveryOptions: [f.deliveryOnline ? 'online' : '', f.deliveryPost ? 'post' : ''].filter(Boolean),
    refundable: f.refundable === 'true' ? true : f.refundable === 'false' ? false : f.refundable,
  };
  const dto = plainToInstance(CreateVersionDto, plain);
  const problems = dtoProblems(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }));
  return problems.length ? { errors: problems } : { dto, errors: [] };
}

/**
 * The administrator's procedure pages (`/admin/procedures`, admins only): the list and creating a procedure
 * (ProceduresService.createProcedure, as POST /api/v1/admin/procedures), a procedure's versions, adding a draft
 * version prefilled from the newest, editing a draft (one textarea per JSON part) with a preview of the citizen's
 * form and the workflow drawn from its definition, publishing with every problem shown where it is, a published
 * version read-only, and comparing two versions.
 */
@Injectable()
export class AdminProcedurePages {
  constructor(private readonly procedures: ProceduresService) {}

  routes(): PageRoute[] {
    const r = (method: 'GET' | 'POST', url: string, handler: (c: PageContext) => Promise<PageResult>): PageRoute => ({
      method,
      url,
      handler,
      signedIn: true,
    });
    return [
      r('GET', '/admin/procedures', (c) => this.list(c)),
      r('POST', '/admin/procedures', (c) => this.create(c)),
      r('POST', '/admin/procedures/preview', (c) => this.previewFragment(c)),
      r('GET', '/admin/procedures/:code', (c) => this.versions(c)),
      r('GET', '/admin/procedures/:code/compare', (c) => this.compare(c)),
      r('GET', '/admin/procedures/:code/versions/new', (c) => this.newVersion(c)),
      r('POST', '/admin/procedures/:code/versions/new', (c) => this.addVersion(c)),
      r('GET', '/admin/procedures/:code/versions/:version', (c) => this.version(c)),
      r('POST', '/admin/procedures/:code/versions/:version', (c) => this.saveVersion(c)),
    ];
  }

  private admin(c: PageContext) {
    return staffUser(c, ['admin']);
  }

  private params(c: PageContext): { code: string; version?: number } {
    const p = c.req.params as { code: string; version?: string };
    if (!p.code || p.code.length > 64) throw new NotFound('procedure');
    if (p.version === undefined) return { code: p.code };
    if (!/^\d{1,6}$/.test(p.version)) throw new NotFound('procedure version');
    return { code: p.code, version: Number(p.version) };
  }

  private layout(c: PageContext, title: string, children: JSX.Element | JSX.Element[], hasErrors = false) {
    return (
      <Layout
        tx={c.tx}
        title={title}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="admin"
        role={c.session?.role}
        hasErrors={hasErrors}
      >
        {children}
      </Layout>
    );
  }

  private notice(c: PageContext): JSX.Element {
    return c.notice ? (
      <Notice tx={c.tx} success>
        {e(c.tx.t(c.notice))}
      </Notice>
    ) : (
      ''
    );
  }

  // ---------------------------------------------------------------------------------------------- list, create

  private async list(c: PageContext, form: Record<string, string> = {}, errors?: FormErrors): Promise<JSX.Element> {
    this.admin(c);
    const { tx } = c;
    const [rows, agencies] = await Promise.all([this.procedures.adminList(), this.procedures.agencyChoices()]);
    return this.layout(
      c,
      tx.t('admin.proc.list.title'),
      <>
        <ErrorSummary tx={tx} errors={errors} />
        <h1 class="govuk-heading-l">{e(tx.t('admin.proc.list.title'))}</h1>
        <table class="govuk-table portal-admin-table">
          <caption class="govuk-table__caption govuk-visually-hidden">{e(tx.t('admin.proc.list.title'))}</caption>
          <thead class="govuk-table__head">
            <tr class="govuk-table__row">
              <th scope="col" class="govuk-table__header">
                {e(tx.t('admin.proc.col.procedure'))}
              </th>
              <th scope="col" class="govuk-table__header">
                {e(tx.t('admin.proc.col.agency'))}
              </th>
              <th scope="col" class="govuk-table__header">
                {e(tx.t('admin.proc.col.versions'))}
              </th>
            </tr>
          </thead>
          <tbody class="govuk-table__body">
            {rows.map((p) => (
              <tr class="govuk-table__row">
                <td class="govuk-table__cell">
                  <a class="govuk-link" href={`/admin/procedures/${encodeURIComponent(p.code)}`}>
                    {e(p.code)}
                  </a>
                  <br />
                  {e(p.name)}
                </td>
                <td class="govuk-table__cell">{e(p.agencyName)}</td>
                <td class="govuk-table__cell">{e(versionSummary(tx, p))}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2 class="govuk-heading-m" id="create">
          {e(tx.t('admin.proc.create.title'))}
        </h2>
        <form method="post" action="/admin/procedures" novalidate>
          <Csrf token={c.csrf()} />
          <Input
            tx={tx}
            name="code"
            label={tx.t('admin.proc.create.code')}
            hint={tx.t('admin.proc.create.code.hint')}
            value={form.code}
            errors={errors}
            width={20}
            spellcheck={false}
          />
          <Input tx={tx} name="name" label={tx.t('admin.proc.create.name')} value={form.name} errors={errors} />
          <Select
            tx={tx}
            name="agencyCode"
            label={tx.t('admin.proc.create.agency')}
            value={form.agencyCode}
            errors={errors}
            choices={[
              { value: '', label: tx.t('admin.proc.create.agency.choose') },
              ...agencies.map((a) => ({ value: a.code, label: a.name })),
            ]}
          />
          <Radios
            tx={tx}
            name="level"
            legend={tx.t('admin.proc.create.level')}
            value={form.level ?? 'full'}
            errors={errors}
            choices={[
              { value: 'full', label: tx.t('level.full') },
              { value: 'partial', label: tx.t('level.partial') },
            ]}
          />
          <Button>{tx.t('admin.proc.create.submit')}</Button>
        </form>
      </>,
      !!errors?.length,
    );
  }

  private async create(c: PageContext): Promise<PageResult> {
    this.admin(c);
    const form = {
      code: field(c.body, 'code'),
      name: field(c.body, 'name'),
      agencyCode: field(c.body, 'agencyCode'),
      level: field(c.body, 'level'),
    };
    const dto = plainToInstance(CreateProcedureDto, form);
    const invalid = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
    const message = (name: string): string => c.tx.t(`admin.proc.create.${name}.invalid` as MessageKey);
    let errors: FormErrors = invalid.map((err) => ({ field: err.property, message: message(err.property) }));
    if (!errors.length) {
      try {
        await this.procedures.createProcedure(dto);
        return new Redirect(`/admin/procedures/${encodeURIComponent(dto.code)}?notice=procedure-created`);
      } catch (err) {
        if (!(err instanceof AppError) || (err.status !== 409 && err.status !== 422)) throw err;
        errors =
          err.status === 409
            ? [{ field: 'code', message: c.tx.t('admin.proc.create.code.taken') }]
            : [{ field: 'agencyCode', message: message('agencyCode') }];
      }
    }
    return new Html(await this.list(c, form, errors), 422);
  }

  // ---------------------------------------------------------------------------------------------- versions

  private async versions(c: PageContext): Promise<JSX.Element> {
    this.admin(c);
    const { tx } = c;
    const { code } = this.params(c);
    const p = await this.procedures.adminProcedure(code);
    const versions = await this.procedures.listVersions(code);
    const base = `/admin/procedures/${encodeURIComponent(code)}`;
    const choices = versions.map((v) => ({ value: String(v.version), label: String(v.version) }));
    return this.layout(
      c,
      p.name,
      <>
        {this.notice(c)}
        <span class="govuk-caption-l">{e(p.code)}</span>
        <h1 class="govuk-heading-l">{e(p.name)}</h1>
        <SummaryList
          rows={[
            [tx.t('admin.proc.col.agency'), <>{e(p.agencyName)}</>],
            [tx.t('admin.proc.create.level'), <>{e(tx.t(p.level === 'partial' ? 'level.partial' : 'level.full'))}</>],
          ]}
        />
        <h2 class="govuk-heading-m">{e(tx.t('admin.proc.versions.title'))}</h2>
        {versions.length ? (
          <ul class="govuk-list govuk-list--spaced">
            {versions.map((v) => (
              <li>
                <a class="govuk-link" href={`${base}/versions/${v.version}`}>
                  {e(tx.t('admin.proc.version.name', { version: v.version }))}
                </a>{' '}
                –{' '}
                {e(
                  v.publishedAt
                    ? tx.t('admin.proc.version.publishedOn', { date: tx.date(v.publishedAt) })
                    : tx.t('admin.proc.version.draft'),
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p class="govuk-body">{e(tx.t('admin.proc.versions.none'))}</p>
        )}
        <a
          class="govuk-button"
          data-module="govuk-button"
          role="button"
          draggable="false"
          href={`${base}/versions/new`}
        >
          {e(tx.t('admin.proc.versions.add'))}
        </a>
        {versions.length > 1 ? (
          <form method="get" action={`${base}/compare`}>
            <h2 class="govuk-heading-m">{e(tx.t('admin.proc.compare.title'))}</h2>
            <Select
              tx={tx}
              name="a"
              label={tx.t('admin.proc.compare.a')}
              value={String(versions[versions.length - 2].version)}
              choices={choices}
            />
            <Select
              tx={tx}
              name="b"
              label={tx.t('admin.proc.compare.b')}
              value={String(versions[versions.length - 1].version)}
              choices={choices}
            />
            <Button secondary>{tx.t('admin.proc.compare.submit')}</Button>
          </form>
        ) : (
          ''
        )}
        <p class="govuk-body">
          <a class="govuk-link" href="/admin/procedures">
            {e(tx.t('admin.proc.back'))}
          </a>
        </p>
      </>,
    );
  }

  private async loadVersion(code: string, n: number): Promise<Version> {
    const v = (await this.procedures.listVersions(code)).find((x) => x.version === n);
    if (!v) throw new NotFound('procedure version');
    return v;
  }

  // ---------------------------------------------------------------------------------------------- add, edit

  private async newVersion(c: PageContext): Promise<JSX.Element> {
    this.admin(c);
    const { code } = this.params(c);
    const p = await this.procedures.adminProcedure(code);
    const versions = await this.procedures.listVersions(code);
    const latest = versions[versions.length - 1];
    return this.editor(c, p, undefined, latest ? formOf(latest) : SKELETON);
  }

  private async addVersion(c: PageContext): Promise<PageResult> {
    this.admin(c);
    const { code } = this.params(c);
    const p = await this.procedures.adminProcedure(code);
    const form = formFromBody(c.body);
    const read = readVersion(c.tx, form);
    if (c.body._action === 'preview')
      return new Html(await this.editor(c, p, undefined, form, read.errors), read.errors.length ? 422 : 200);
    if (!read.dto) return new Html(await this.editor(c, p, undefined, form, read.errors), 422);
    const added = await this.procedures.addVersion(code, read.dto);
    return new Redirect(
      `/admin/procedures/${encodeURIComponent(code)}/versions/${added.version}?notice=procedure-saved`,
    );
  }

  private async version(c: PageContext): Promise<JSX.Element> {
    this.admin(c);
    const { code, version } = this.params(c);
    const p = await this.procedures.adminProcedure(code);
    const v = await this.loadVersion(code, version!);
    if (v.publishedAt) return this.published(c, p, v);
    return this.editor(c, p, v.version, formOf(v));
  }

  private async saveVersion(c: PageContext): Promise<PageResult> {
    this.admin(c);
    const { code, version } = this.params(c);
    const p = await this.procedures.adminProcedure(code);
    const v = await this.loadVersion(code, version!);
    const base = `/admin/procedures/${encodeURIComponent(code)}/versions/${v.version}`;
    if (v.publishedAt) return new Redirect(base);
    const form = formFromBody(c.body);
    const read = readVersion(c.tx, form);
    if (c.body._action === 'preview')
      return new Html(await this.editor(c, p, v.version, form, read.errors), read.errors.length ? 422 : 200);
    if (!read.dto) return new Html(await this.editor(c, p, v.version, form, read.errors), 422);
    await this.procedures.updateVersion(code, v.version, read.dto);
    if (c.body._action !== 'publish') return new Redirect(`${base}?notice=procedure-saved`);
    try {
      await this.procedures.publish(code, v.version);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 422 || !err.errors) throw err;
      const problems = err.errors.map((x) => ({
        field: anchorOf(x.field),
        message: `${x.field}: ${x.message}`,
        path: x.field,
      }));
      return new Html(
        await this.editor(
          c,
          p,
          v.version,
          form,
          problems,
          problems.map((x) => x.path),
        ),
        422,
      );
    }
    return new Redirect(`${base}?notice=procedure-published`);
  }

  /** The draft's form: JSON parts, settings, the workflow diagram, the preview of the citizen's form. */
  private editor(
    c: PageContext,
    p: AdminProcedureRow,
    version: number | undefined,
    f: VersionForm,
    errors: FormErrors = [],
    problemPaths: string[] = [],
  ): JSX.Element {
    const { tx } = c;
    const base = `/admin/procedures/${encodeURIComponent(p.code)}`;
    const title = version === undefined ? tx.t('admin.proc.version.new') : tx.t('admin.proc.version.edit', { version });
    const workflow = readJson(f.workflow);
    const area = (name: JsonField, rows: number) => (
      <JsonArea tx={tx} name={name} value={f[name]} rows={rows} errors={errors} />
    );
    return this.layout(
      c,
      `${title} – ${p.name}`,
      <>
        {this.notice(c)}
        <ErrorSummary tx={tx} errors={errors} />
        <span class="govuk-caption-l">
          {e(p.code)} · {e(p.name)}
        </span>
        <h1 class="govuk-heading-l">{e(title)}</h1>
        <form
          method="post"
          action={version === undefined ? `${base}/versions/new` : `${base}/versions/${version}`}
          novalidate
        >
          <Csrf token={c.csrf()} />
          {area('formSchema', 14)}
          {area('workflow', 18)}
          <h2 class="govuk-heading-m">{e(tx.t('admin.proc.diagram.heading'))}</h2>
          {workflow.ok ? (
            <WorkflowDiagram tx={tx} workflow={workflow.value} marks={marksOf(problemPaths, workflow.value)} />
          ) : (
            <p class="govuk-body">{e(tx.t('admin.proc.diagram.unreadable'))}</p>
          )}
          {area('requiredDocuments', 6)}
          {area('fees', 6)}
          <Select
            tx={tx}
            name="feeTiming"
            label={tx.t('admin.proc.field.feeTiming')}
            value={f.feeTiming}
            errors={errors}
            choices={(['exempt', 'before_receipt', 'after_approval'] as const).map((t) => ({
              value: t,
              label: tx.t(`procedure.timing.${t}`),
            }))}
          />
          <Input
            tx={tx}
            name="processingDays"
            label={tx.t('admin.proc.field.processingDays')}
            value={f.processingDays}
            inputmode="numeric"
            width={10}
            errors={errors}
          />
          <DeliveryChoices tx={tx} f={f} errors={errors} />
          <Input
            tx={tx}
            name="postalFee"
            label={tx.t('admin.proc.field.postalFee')}
            value={f.postalFee}
            inputmode="numeric"
            width={10}
            errors={errors}
          />
          <Radios
            tx={tx}
            name="refundable"
            legend={tx.t('admin.proc.field.refundable')}
            value={f.refundable}
            errors={errors}
            inline
            choices={[
              { value: 'true', label: tx.t('filing.yes') },
              { value: 'false', label: tx.t('filing.no') },
            ]}
          />
          {area('resultTemplate', 8)}
          <div class="govuk-button-group">
            <button type="submit" name="_action" value="save" class="govuk-button" data-module="govuk-button">
              {e(tx.t('admin.proc.save'))}
            </button>
            <button
              type="submit"
              name="_action"
              value="preview"
              class="govuk-button govuk-button--secondary"
              data-module="govuk-button"
            >
              {e(tx.t('admin.proc.preview.button'))}
            </button>
            {version !== undefined ? (
              <button
                type="submit"
                name="_action"
                value="publish"
                class="govuk-button govuk-button--warning"
                data-module="govuk-button"
              >
                {e(tx.t('admin.proc.publish'))}
              </button>
            ) : (
              ''
            )}
          </div>
        </form>
        <section
          class="portal-preview"
          aria-labelledby="preview-title"
          data-schema-preview
          data-source="formSchema"
          data-preview-url="/admin/procedures/preview"
          data-updated={tx.t('admin.proc.preview.updated')}
        >
          <h2 class="govuk-heading-m" id="preview-title">
            {e(tx.t('admin.proc.preview.title'))}
          </h2>
          <p class="govuk-body-s">{e(tx.t('admin.proc.preview.hint'))}</p>
          <div inert data-preview-body>
            <Preview tx={tx} text={f.formSchema} />
          </div>
        </section>
        <p class="govuk-body">
          <a class="govuk-link" href={base}>
            {e(tx.t('admin.proc.versions.back'))}
          </a>
        </p>
      </>,
      errors.length > 0,
    );
  }

  /** POST /admin/procedures/preview: the preview's HTML alone, for the enhancement (same origin, CSRF-checked). */
  private async previewFragment(c: PageContext): Promise<PageResult> {
    this.admin(c);
    const html = await Preview({ tx: c.tx, text: c.body.formSchema ?? '' });
    return new Raw(html, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  }

  /** A published version: read-only, with its diagram. */
  private published(c: PageContext, p: AdminProcedureRow, v: Version): JSX.Element {
    const { tx } = c;
    const base = `/admin/procedures/${encodeURIComponent(p.code)}`;
    const title = tx.t('admin.proc.version.name', { version: v.version });
    const json = (name: JsonField, value: unknown) => (
      <>
        <h2 class="govuk-heading-m">{e(tx.t(`admin.proc.field.${name}`))}</h2>
        <pre class="portal-json" tabindex="0">
          {e(value === null || value === undefined ? '–' : pretty(value))}
        </pre>
      </>
    );
    return this.layout(
      c,
      `${title} – ${p.name}`,
      <>
        {this.notice(c)}
        <span class="govuk-caption-l">
          {e(p.code)} · {e(p.name)}
        </span>
        <h1 class="govuk-heading-l">{e(title)}</h1>
        <div class="govuk-inset-text">
          {e(tx.t('admin.proc.version.immutable', { date: tx.dateTime(v.publishedAt!) }))}
        </div>
        <SummaryList
          rows={[
            [tx.t('admin.proc.field.feeTiming'), <>{e(tx.t(`procedure.timing.${v.feeTiming}`))}</>],
            [tx.t('admin.proc.field.processingDays'), <>{e(String(v.processingDays))}</>],
            [tx.t('admin.proc.field.deliveryOptions'), <>{e(v.deliveryOptions.join(', '))}</>],
            [tx.t('admin.proc.field.postalFee'), <>{e(tx.money(v.postalFeeVnd))}</>],
            [tx.t('admin.proc.field.refundable'), <>{e(tx.t(v.refundable ? 'filing.yes' : 'filing.no'))}</>],
          ]}
        />
        <h2 class="govuk-heading-m">{e(tx.t('admin.proc.diagram.heading'))}</h2>
        <WorkflowDiagram tx={tx} workflow={v.workflow} />
        {json('formSchema', v.formSchema)}
        {json('workflow', v.workflow)}
        {json('requiredDocuments', v.requiredDocuments)}
        {json('fees', v.fees)}
        {json('resultTemplate', v.resultTemplate)}
        <p class="govuk-body">
          <a class="govuk-link" href={base}>
            {e(tx.t('admin.proc.versions.back'))}
          </a>
        </p>
      </>,
    );
  }

  // ---------------------------------------------------------------------------------------------- compare

  private async compare(c: PageContext): Promise<JSX.Element> {
    this.admin(c);
    const { tx } = c;
    const { code } = this.params(c);
    const p = await this.procedures.adminProcedure(code);
    const versions = await this.procedures.listVersions(code);
    const pick = (q: string | undefined) => versions.find((v) => String(v.version) === q);
    const a = pick(c.query.a);
    const b = pick(c.query.b);
    if (!a || !b) throw new NotFound('procedure version');
    const diff = diffVersions(comparable(a), comparable(b));
    const title = tx.t('admin.proc.compare.heading', { a: a.version, b: b.version });
    return this.layout(
      c,
      `${title} – ${p.name}`,
      <>
        <span class="govuk-caption-l">
          {e(p.code)} · {e(p.name)}
        </span>
        <h1 class="govuk-heading-l">{e(title)}</h1>
        {DIFF_PARTS.map((part) => (
          <>
            <h2 class="govuk-heading-m">{e(tx.t(`admin.proc.diff.${part}`))}</h2>
            {diff[part].length ? (
              <ul class="govuk-list portal-diff">
                {diff[part].map((ch) => (
                  <ChangeItem tx={tx} ch={ch} />
                ))}
              </ul>
            ) : (
              <p class="govuk-body">{e(tx.t('admin.proc.diff.same'))}</p>
            )}
          </>
        ))}
        <p class="govuk-body">
          <a class="govuk-link" href={`/admin/procedures/${encodeURIComponent(p.code)}`}>
            {e(tx.t('admin.proc.versions.back'))}
          </a>
        </p>
      </>,
    );
  }
}

const comparable = (v: Version): ComparableVersion => ({ ...v, resultTemplate: v.resultTemplate });

function versionSummary(tx: Texts, p: AdminProcedureRow): string {
  if (p.latestVersion === null) return tx.t('admin.proc.versions.none');
  const published =
    p.latestPublished === null
      ? tx.t('admin.proc.list.unpublished')
      : tx.t('admin.proc.list.published', { version: p.latestPublished });
  return `${tx.t('admin.proc.list.latest', { version: p.latestVersion })} · ${published}`;
}

const TAG: Record<Change['kind'], string> = {
  added: 'govuk-tag--green',
  removed: 'govuk-tag--red',
  changed: 'govuk-tag--yellow',
};

function ChangeItem({ tx, ch }: { tx: Texts; ch: Change }): JSX.Element {
  return (
    <li class="portal-diff__item">
      <strong class={`govuk-tag ${TAG[ch.kind]}`}>{e(tx.t(`admin.proc.diff.${ch.kind}`))}</strong>{' '}
      <code class="portal-wrap">{e(ch.item)}</code>
      {ch.before !== undefined ? (
        <p class="govuk-body-s govuk-!-margin-bottom-0">
          {e(tx.t('admin.proc.diff.before'))} <code class="portal-wrap">{e(ch.before)}</code>
        </p>
      ) : (
        ''
      )}
      {ch.after !== undefined ? (
        <p class="govuk-body-s govuk-!-margin-bottom-0">
          {e(tx.t('admin.proc.diff.after'))} <code class="portal-wrap">{e(ch.after)}</code>
        </p>
      ) : (
        ''
      )}
    </li>
  );
}

/** One JSON part of a version: a textarea, its hint, and beside it every problem found in that part (with its path). */
function JsonArea(p: { tx: Texts; name: JsonField; value: string; rows: number; errors: FormErrors }): JSX.Element {
  const { tx, name } = p;
  const mine = p.errors.filter((x) => x.field === name);
  const hint = tx.t(`admin.proc.hint.${name}`);
  return (
    <div class={`govuk-form-group${mine.length ? ' govuk-form-group--error' : ''}`}>
      <label class="govuk-label govuk-label--s" for={name}>
        {e(tx.t(`admin.proc.field.${name}`))}
      </label>
      <div id={`${name}-hint`} class="govuk-hint">
        {e(hint)}
      </div>
      {mine.length ? (
        <div id={`${name}-error`} class="govuk-error-message">
          <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
          <ul class="govuk-list portal-problems">
            {mine.map((x) => (
              <li class="portal-wrap">{e(x.message)}</li>
            ))}
          </ul>
        </div>
      ) : (
        ''
      )}
      <textarea
        class={`govuk-textarea portal-json-input${mine.length ? ' govuk-textarea--error' : ''}`}
        id={name}
        name={name}
        rows={String(p.rows)}
        spellcheck="false"
        autocapitalize="off"
        aria-describedby={mine.length ? `${name}-hint ${name}-error` : `${name}-hint`}
      >
        {e(p.value)}
      </textarea>
    </div>
  );
}

function DeliveryChoices({ tx, f, errors }: { tx: Texts; f: VersionForm; errors: FormErrors }): JSX.Element {
  const mine = errors.filter((x) => x.field === 'deliveryOnline');
  const box = (id: string, value: string, checked: boolean, label: string) => (
    <div class="govuk-checkboxes__item">
      <input class="govuk-checkboxes__input" id={id} name={id} type="checkbox" value={value} checked={checked} />
      <label class="govuk-label govuk-checkboxes__label" for={id}>
        {e(label)}
      </label>
    </div>
  );
  return (
    <div class={`govuk-form-group${mine.length ? ' govuk-form-group--error' : ''}`}>
      <fieldset class="govuk-fieldset" aria-describedby={mine.length ? 'deliveryOptions-error' : undefined}>
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">
          {e(tx.t('admin.proc.field.deliveryOptions'))}
        </legend>
        {mine.length ? (
          <p id="deliveryOptions-error" class="govuk-error-message">
            <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
            {e(mine.map((x) => x.message).join('; '))}
          </p>
        ) : (
          ''
        )}
        <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
          {box('deliveryOnline', 'online', f.deliveryOnline, tx.t('admin.proc.delivery.online'))}
          {box('deliveryPost', 'post', f.deliveryPost, tx.t('admin.proc.delivery.post'))}
        </div>
      </fieldset>
    </div>
  );
}

/** The citizen's form as the schema draws it (inputs inert: a picture, not a form), or why it cannot be drawn. */
export async function Preview({ tx, text }: { tx: Texts; text: string }): Promise<string> {
  const read = readJson(text);
  if (!read.ok)
    return (
      <p class="govuk-body">
        {e(
          tx.t('admin.proc.json.invalid', {
            part: tx.t('admin.proc.field.formSchema'),
            line: read.line,
            column: read.column,
          }),
        )}
      </p>
    );
  const problems = checkFormSchema(read.value);
  if (problems.length)
    return (
      <ul class="govuk-list">
        {problems.map((x) => (
          <li class="portal-wrap">{e(`${x.field}: ${x.message}`)}</li>
        ))}
      </ul>
    );
  try {
    return await (<SchemaFields tx={tx} schema={read.value as object} raw={{}} />);
  } catch {
    return <p class="govuk-body">{e(tx.t('admin.proc.preview.failed'))}</p>;
  }
}
