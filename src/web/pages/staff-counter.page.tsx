import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import '@fastify/multipart';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ApplicationsService } from '../../applications/applications.service';
import type { ListedDocument, ReusableItem } from '../../applications/documents.repository';
import { DocumentsService } from '../../applications/documents.service';
import type { DossierView } from '../../applications/dossier.view';
import type { AuthUser } from '../../auth/auth-user';
import { AppError, Conflict, FieldError, NotFound, ValidationFailed } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import { CounterService } from '../../counter/counter.service';
import { CounterApplicantDto } from '../../counter/dto';
import { FormsService } from '../../forms/forms.service';
import type { ProcedureView } from '../../procedures/dto';
import { validateFormData } from '../../procedures/form-schema';
import { ProceduresService, type PublishedVersion } from '../../procedures/procedures.service';
import { readOneFile } from '../../storage/upload';
import {
  Button,
  Csrf,
  e,
  ErrorMessage,
  ErrorSummary,
  errorOf,
  type FormErrors,
  Input,
  Notice,
  SummaryList,
} from '../components';
import { fieldErrors, itemCount, parseForm, removeItem, type RawForm, type SchemaNode } from '../forms/form-data';
import { hasArrays, SchemaFields } from '../forms/schema-form';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { CsrfFailure, field, Html, type PageContext, type PageResult, type PageRoute, Raw, Redirect } from '../page';
import { staffUser } from '../staff';
import { WebSessions } from '../web-sessions';
import { DeliveryChoice, readDelivery } from './filing.page';
import { stateLabel } from './public.page';

const ROLES = ['clerk', 'supervisor'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_NUMBER = /^\d{12}$/;
const DOC_KEY = /^[a-z0-9_]{1,64}$/;
const SOURCE = /^(document|result):([0-9a-f-]{36})$/i;
/** The applicant's inputs on the form (prefixed: the procedure's form may have its own `fullName`). */
const APPLICANT_FIELDS = ['fullName', 'phone', 'email', 'address'] as const;
type ApplicantField = (typeof APPLICANT_FIELDS)[number];
const APPLICANT_MESSAGES: Record<ApplicantField, MessageKey> = {
  fullName: 'counter.applicant.fullName.required',
  phone: 'validation.phone',
  email: 'validation.email',
  address: 'counter.applicant.address.tooLong',
};

/** What the intake form is about: the procedure's newest published version and who files. */
interface Intake {
  procedure: ProcedureView;
  version: PublishedVersion;
  idNumber: string;
  /** The citizen account the dossier goes to, when one has this verified ID number. */
  existingName?: string;
  /** The procedure is another agency's of the province: the dossier is routed to it. */
  routed: boolean;
}

interface IntakeState {
  raw: RawForm;
  applicant: Partial<Record<ApplicantField, string>>;
  delivery: Record<string, string>;
  errors?: FormErrors;
  extraItems?: Record<string, number>;
}

/**
 * `/staff/counter`: the counter clerk's intake (issue 13, the one-stop shop), server-rendered and working without
 * JavaScript. (1) the procedure, from the clerk's agency or another agency of the province (province-wide
 * acceptance), and the citizen's ID number; (2) the applicant (the existing account's name, or a new applicant from
 * the card), the procedure's form (the schema form of /dossiers/new) and the delivery, received in one step through
 * CounterService.file, as POST /api/v1/counter/applications; (3) `/staff/counter/:id`: the received dossier, where
 * the clerk scans the papers (uploads marked digitised), reuses the citizen's earlier papers and results, and
 * prints form 01.
 */
/** A counter page in the staff layout: the counter's navigation item; a form with errors says so in the title. */
function CounterLayout(p: {
  c: PageContext;
  user: AuthUser;
  title: string;
  errors?: FormErrors;
  children?: JSX.Element | JSX.Element[];
}): JSX.Element {
  return (
    <Layout
      tx={p.c.tx}
      title={p.title}
      path={p.c.path}
      signedIn
      csrf={p.c.csrf()}
      nav="counter"
      role={p.user.role}
      hasErrors={!!p.errors?.length}
    >
      {p.children}
    </Layout>
  );
}

@Injectable()
export class StaffCounterPages {
  constructor(
    private readonly counter: CounterService,
    private readonly applications: ApplicationsService,
    private readonly documents: DocumentsService,
    private readonly procedures: ProceduresService,
    private readonly forms: FormsService,
    private readonly sessions: WebSessions,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  routes(): PageRoute[] {
    const r = (
      method: 'GET' | 'POST',
      url: string,
      handler: (c: PageContext) => Promise<PageResult>,
      extra: Partial<PageRoute> = {},
    ): PageRoute => ({ method, url: `/staff/counter${url}`, handler, signedIn: true, ...extra });
    return [
      r('GET', '', (c) => this.start(c)),
      r('POST', '', (c) => this.choose(c)),
      r('POST', '/file', (c) => this.file(c)),
      r('GET', '/:id', (c) => this.received(c)),
      r('POST', '/:id/documents', (c) => this.upload(c), { multipart: true }),
      r('POST', '/:id/reuse', (c) => this.reuse(c)),
      r('GET', '/:id/form-01', (c) => this.form01(c)),
    ];
  }

  private user(c: PageContext): AuthUser {
    const user = staffUser(c, ROLES);
    if (!user.agencyId) throw new NotFound('page');
    return user;
  }

  // ------------------------------------------------------------------ step 1: procedure and ID number

  private async start(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    return this.startPage(c, user, { procedure: '', idNumber: '' });
  }

  private async startPage(
    c: PageContext,
    user: AuthUser,
    values: { procedure: string; idNumber: string },
    errors?: FormErrors,
  ): Promise<JSX.Element> {
    const { tx } = c;
    const { agencyCode, procedures: list } = await this.counter.receivable(user);
    const groups = new Map<string, ProcedureView[]>();
    for (const p of list) groups.set(p.agencyName, [...(groups.get(p.agencyName) ?? []), p]);
    const title = tx.t('counter.title');
    const procedureError = errorOf(errors, 'procedure');
    return (
      <CounterLayout c={c} user={user} title={title} errors={errors}>
        <ErrorSummary tx={tx} errors={errors} />
        <h1 class="govuk-heading-l">{e(title)}</h1>
        <p class="govuk-body">{e(tx.t('counter.lead'))}</p>
        <form method="post" action="/staff/counter" novalidate>
          <Csrf token={c.csrf()} />
          <div class={`govuk-form-group${procedureError ? ' govuk-form-group--error' : ''}`}>
            <label class="govuk-label govuk-label--s" for="procedure">
              {e(tx.t('counter.procedure'))}
            </label>
            <div class="govuk-hint" id="procedure-hint">
              {e(tx.t('counter.procedure.hint'))}
            </div>
            <ErrorMessage tx={tx} id="procedure" error={procedureError} />
            <select
              class={`govuk-select portal-counter-select${procedureError ? ' govuk-select--error' : ''}`}
              id="procedure"
              name="procedure"
              aria-describedby={`procedure-hint${procedureError ? ' procedure-error' : ''}`}
            >
              <option value="" selected={values.procedure === ''}>
                {e(tx.t('counter.procedure.choose'))}
              </option>
              {[...groups].map(([agency, procs]) => (
                <optgroup
                  label={
                    procs[0].agencyCode === agencyCode
                      ? tx.t('counter.procedure.own', { agency })
                      : tx.t('counter.procedure.other', { agency })
                  }
                >
                  {procs.map((p) => (
                    <option value={p.code} selected={values.procedure === p.code}>
                      {e(`${p.name} (${p.code})`)}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </div>
          <Input
            tx={tx}
            name="idNumber"
            label={tx.t('counter.idNumber')}
            hint={tx.t('counter.idNumber.hint')}
            value={values.idNumber}
            inputmode="numeric"
            autocomplete="off"
            spellcheck={false}
            width={20}
            errors={errors}
          />
          <Button>{e(tx.t('counter.continue'))}</Button>
        </form>
      </CounterLayout>
    );
  }

  /** Step 1 posted: the procedure must be one this counter receives, the ID number 12 digits; then step 2. */
  private async choose(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const values = { procedure: field(c.body, 'procedure'), idNumber: field(c.body, 'idNumber') };
    const intake = await this.intake(c, user, values.procedure, values.idNumber);
    if (!('procedure' in intake)) return new Html(await this.startPage(c, user, values, intake.errors), 422);
    return this.intakePage(c, user, intake, { raw: {}, applicant: {}, delivery: this.defaultDelivery(intake) });
  }

  /** The procedure (one this counter receives) and the ID number, or the errors of step 1. */
  private async intake(
    c: PageContext,
    user: AuthUser,
    code: string,
    idNumber: string,
  ): Promise<Intake | { errors: FormErrors }> {
    const { tx } = c;
    const errors: FormErrors = [];
    const { agencyCode, procedures } = await this.counter.receivable(user);
    const procedure = code ? procedures.find((p) => p.code === code) : undefined;
    if (!procedure) errors.push({ field: 'procedure', message: tx.t('counter.procedure.required') });
    if (!ID_NUMBER.test(idNumber)) errors.push({ field: 'idNumber', message: tx.t('validation.idNumber') });
    if (errors.length || !procedure) return { errors };
    const [{ version }, existingName] = await Promise.all([
      this.procedures.latestPublished(procedure.code),
      this.counter.citizenName(user, idNumber),
    ]);
    return { procedure, version, idNumber, existingName, routed: procedure.agencyCode !== agencyCode };
  }

  private defaultDelivery(intake: Intake): Record<string, string> {
    const options = intake.version.deliveryOptions;
    return { method: options.length === 1 ? options[0] : '' };
  }

  // ------------------------------------------------------------------ step 2: applicant and form, received

  private intakePage(c: PageContext, user: AuthUser, intake: Intake, state: IntakeState, status = 200): PageResult {
    const { tx } = c;
    const { procedure, version } = intake;
    const errors = state.errors;
    const page = (
      <CounterLayout c={c} user={user} title={procedure.name} errors={errors}>
        <a href="/staff/counter" class="govuk-back-link">
          {e(tx.t('counter.back'))}
        </a>
        <ErrorSummary tx={tx} errors={errors} />
        <span class="govuk-caption-l">{e(tx.t('counter.title'))}</span>
        <h1 class="govuk-heading-l">{e(procedure.name)}</h1>
        {intake.routed ? (
          <div class="govuk-inset-text" id="counter-routed">
            {e(tx.t('counter.routed', { agency: procedure.agencyName }))}
          </div>
        ) : (
          ''
        )}
        <form
          method="post"
          action="/staff/counter/file"
          id="counter-form"
          novalidate
          data-form-check=""
          data-error-prefix={tx.t('errors.prefix')}
        >
          <Csrf token={c.csrf()} />
          <input type="hidden" name="counter-procedure" value={procedure.code} />
          <input type="hidden" name="counter-idNumber" value={intake.idNumber} />
          {hasArrays(version.formSchema) ? (
            <button
              type="submit"
              name="_action"
              value="save"
              class="govuk-visually-hidden"
              tabindex="-1"
              aria-hidden="true"
            >
              {e(tx.t('counter.receive'))}
            </button>
          ) : (
            ''
          )}
          <h2 class="govuk-heading-m">{e(tx.t('counter.applicant'))}</h2>
          <SummaryList rows={[[tx.t('counter.idNumber'), <span id="counter-id-number">{e(intake.idNumber)}</span>]]} />
          {intake.existingName ? (
            <div class="govuk-inset-text" id="counter-existing">
              {e(tx.t('counter.existing', { name: intake.existingName }))}
            </div>
          ) : (
            <>
              <p class="govuk-body" id="counter-new">
                {e(tx.t('counter.new'))}
              </p>
              <Input
                tx={tx}
                name="applicant-fullName"
                label={tx.t('counter.applicant.fullName')}
                value={state.applicant.fullName}
                autocomplete="off"
                errors={errors}
              />
              <Input
                tx={tx}
                name="applicant-phone"
                label={tx.t('counter.applicant.phone')}
                value={state.applicant.phone}
                type="tel"
                autocomplete="off"
                width={20}
                errors={errors}
              />
              <Input
                tx={tx}
                name="applicant-email"
                label={tx.t('counter.applicant.email')}
                value={state.applicant.email}
                type="email"
                autocomplete="off"
                spellcheck={false}
                errors={errors}
              />
            </>
          )}
          <Input
            tx={tx}
            name="applicant-address"
            label={tx.t('counter.applicant.address')}
            hint={tx.t('counter.applicant.address.hint')}
            value={state.applicant.address}
            autocomplete="off"
            errors={errors}
          />
          <h2 class="govuk-heading-m">{e(tx.t('counter.formHeading'))}</h2>
          <SchemaFields
            tx={tx}
            schema={version.formSchema}
            raw={state.raw}
            errors={errors}
            extraItems={state.extraItems}
          />
          {version.deliveryOptions.length > 1 ? (
            <DeliveryChoice
              tx={tx}
              subject={{ deliveryOptions: version.deliveryOptions, postalFee: version.postalFeeVnd }}
              state={state}
            />
          ) : (
            ''
          )}
          <Button>{e(tx.t('counter.receive'))}</Button>
        </form>
      </CounterLayout>
    );
    return status === 200 ? page : new Html(page, status);
  }

  /** Step 2 posted: read and check everything, then file and receive in one step (the API's service). */
  private async file(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = this.user(c);
    const intake = await this.intake(c, user, field(c.body, 'counter-procedure'), field(c.body, 'counter-idNumber'));
    if (!('procedure' in intake)) {
      const values = { procedure: field(c.body, 'counter-procedure'), idNumber: field(c.body, 'counter-idNumber') };
      return new Html(await this.startPage(c, user, values, intake.errors), 422);
    }
    const schema = intake.version.formSchema as SchemaNode;
    const action = c.body._action ?? 'save';
    let body: RawForm = Object.fromEntries(Object.entries(c.body).filter((x): x is [string, string] => !!x[1]));
    const remove = /^remove:(.+)\.(\d{1,3})$/.exec(action);
    if (remove) body = removeItem(body, remove[1], Number(remove[2]));
    const parsed = parseForm(schema, body);
    const applicant = Object.fromEntries(APPLICANT_FIELDS.map((f) => [f, field(c.body, `applicant-${f}`)])) as Record<
      ApplicantField,
      string
    >;
    const deliveryRaw = Object.fromEntries(
      ['method', 'recipient', 'address', 'phone'].map((k) => [k, (c.body[`delivery.${k}`] ?? '').trim()]),
    );
    const add = /^add:(.+)$/.exec(action);
    if (remove || add) {
      const extraItems = add ? { [add[1]]: Math.max(itemCount(parsed.raw, add[1]), 1) + 1 } : undefined;
      return this.intakePage(c, user, intake, { raw: parsed.raw, applicant, delivery: deliveryRaw, extraItems });
    }

    const errors: FormErrors = [];
    const dto = plainToInstance(CounterApplicantDto, {
      idNumber: intake.idNumber,
      fullName: intake.existingName ?? applicant.fullName,
      ...(intake.existingName ? {} : { phone: applicant.phone || undefined, email: applicant.email || undefined }),
      address: applicant.address || undefined,
    });
    const wrong = new Set(validateSync(dto).map((x) => x.property));
    for (const f of APPLICANT_FIELDS) {
      if (wrong.has(f)) errors.push({ field: `applicant-${f}`, message: tx.t(APPLICANT_MESSAGES[f]) });
    }
    const invalid = validateFormData(intake.version.id, schema, parsed.data, 'full');
    errors.push(...fieldErrors(tx, schema, invalid, parsed.problems));
    const { delivery, problems } = readDelivery(tx, intake.version, deliveryRaw);
    errors.push(...problems);
    const state: IntakeState = { raw: parsed.raw, applicant, delivery: deliveryRaw, errors };
    if (errors.length) return this.intakePage(c, user, intake, state, 422);
    try {
      const d = await this.counter.file(user, {
        procedureCode: intake.procedure.code,
        applicant: dto,
        formData: parsed.data,
        delivery: delivery,
      });
      return new Redirect(`/staff/counter/${d.id}?done=received`);
    } catch (err) {
      const refused = this.refusal(tx, schema, err);
      return this.intakePage(c, user, intake, { ...state, errors: refused.errors }, refused.status);
    }
  }

  /** What the service refused, as the form's errors. */
  private refusal(tx: Texts, schema: SchemaNode, err: unknown): { errors: FormErrors; status: number } {
    if (err instanceof ValidationFailed) {
      const fields: FieldError[] = err.errors ?? [];
      const form = fieldErrors(
        tx,
        schema,
        fields.filter((x) => x.field.startsWith('formData')),
      );
      const other: FormErrors = fields
        .filter((x) => !x.field.startsWith('formData'))
        .map((x) =>
          x.field === 'applicant.idNumber'
            ? { field: 'counter-id-number', message: tx.t('counter.idNumber.staff') }
            : x.field.startsWith('delivery.')
              ? { field: 'delivery-method', message: tx.t('filing.delivery.choose') }
              : { field: 'counter-form', message: tx.t('counter.refused') },
        );
      return { errors: [...form, ...other], status: 422 };
    }
    if (err instanceof Conflict && err.slug === 'counter-not-receivable') {
      return { errors: [{ field: 'counter-form', message: tx.t('counter.notReceivable') }], status: 409 };
    }
    throw err;
  }

  // ------------------------------------------------------------------ step 3: the received dossier

  private param(c: PageContext): string {
    const id = (c.req.params as { id?: string }).id ?? '';
    if (!UUID.test(id)) throw new NotFound('page');
    return id;
  }

  /** A dossier filed at a counter or by post that this clerk may see (their agency's, or received at their counter). */
  private async load(
    c: PageContext,
  ): Promise<{ user: AuthUser; id: string; d: DossierView; version: PublishedVersion }> {
    const user = this.user(c);
    const id = this.param(c);
    const row = await this.applications.find(user, id);
    if (row.channel === 'online') throw new NotFound('page');
    const [d, version] = await Promise.all([
      this.applications.get(user, id),
      this.procedures.version(row.procedure_version_id),
    ]);
    return { user, id, d, version };
  }

  private async received(c: PageContext, errors?: FormErrors, status = 200): Promise<PageResult> {
    const { tx } = c;
    const { user, id, d, version } = await this.load(c);
    const [docs, sources, procedure, own] = await Promise.all([
      this.documents.list(user, id),
      this.documents.reusableSources(user, id),
      this.procedures.findPublished(d.procedureCode).catch(() => undefined),
      this.counter.agency(user),
    ]);
    // The counter that received it, by name: the clerk's own agency or the competent one are at hand; another
    // agency's counter (the competent agency reading a dossier received elsewhere) is looked up.
    const counterCode = d.receivedAgencyCode;
    const counterName = !counterCode
      ? undefined
      : counterCode === own.code
        ? own.name
        : counterCode === d.agencyCode && procedure
          ? procedure.agencyName
          : await this.counter.agencyName(counterCode);
    const base = `/staff/counter/${id}`;
    const title = tx.t('counter.received.title', { code: d.code ?? '' });
    // The agency that works the dossier opens it in the console; a counter that routed it elsewhere only reads it.
    const works = d.agencyCode === own.code || d.currentAgencyCode === own.code;
    const done =
      c.query.done === 'received'
        ? 'counter.received.done'
        : c.query.done === 'uploaded'
          ? 'counter.upload.done'
          : c.query.done === 'reused'
            ? 'counter.reuse.done'
            : undefined;
    const sourceLabel = (s: ReusableItem) =>
      s.kind === 'result'
        ? tx.t('counter.reuse.result', { procedure: s.procedureName, code: s.dossierCode ?? '' })
        : tx.t('counter.reuse.document', { name: s.fileName, code: s.dossierCode ?? '' });
    const page = (
      <CounterLayout c={c} user={user} title={title} errors={errors}>
        <ErrorSummary tx={tx} errors={errors} />
        {done && !errors?.length ? (
          <Notice tx={tx} success>
            {e(tx.t(done, { code: d.code ?? '' }))}
          </Notice>
        ) : (
          ''
        )}
        <span class="govuk-caption-l">{e(tx.t('counter.title'))}</span>
        <h1 class="govuk-heading-l">{e(title)}</h1>
        <SummaryList
          rows={[
            [tx.t('counter.received.procedure'), <span>{e(`${d.procedureName} (${d.procedureCode})`)}</span>],
            [
              tx.t('counter.received.agency'),
              <span id="counter-agency">
                {e(procedure ? `${procedure.agencyName} (${d.agencyCode})` : d.agencyCode)}
              </span>,
            ],
            [
              tx.t('counter.received.counter'),
              <span id="counter-received-at">
                {e(counterName ? `${counterName} (${counterCode})` : (counterCode ?? ''))}
              </span>,
            ],
            [tx.t('counter.received.state'), <span>{e(stateLabel(tx, d.state))}</span>],
            [tx.t('counter.received.at'), <span>{e(d.receivedAt ? tx.dateTime(d.receivedAt) : '')}</span>],
            [tx.t('counter.received.due'), <span>{e(d.dueAt ? tx.dateTime(d.dueAt) : '')}</span>],
          ]}
        />
        <p class="govuk-body">
          <a class="govuk-link" href={`${base}/form-01`} id="counter-form-01">
            {e(tx.t('counter.form01'))}
          </a>
        </p>
        {works ? (
          <p class="govuk-body">
            <a class="govuk-link" href={`/staff/dossiers/${id}`}>
              {e(tx.t('counter.openDossier'))}
            </a>
          </p>
        ) : (
          <p class="govuk-body" id="counter-routed-note">
            {e(tx.t('counter.routedNote', { agency: procedure?.agencyName ?? d.agencyCode }))}
          </p>
        )}
        <h2 class="govuk-heading-m" id="papers">
          {e(tx.t('counter.papers'))}
        </h2>
        <p class="govuk-body">{e(tx.t('counter.papers.lead'))}</p>
        <>{version.requiredDocuments.map((r) => this.paper(c, base, r, docs, sources, sourceLabel, errors))}</>
        <p class="govuk-body">
          <a class="govuk-link" href="/staff/counter">
            {e(tx.t('counter.another'))}
          </a>
        </p>
      </CounterLayout>
    );
    return status === 200 ? page : new Html(page, status);
  }

  /** One required paper: what the dossier holds, the scan upload, and reuse of an earlier paper or result. */
  private paper(
    c: PageContext,
    base: string,
    r: { key: string; name: string; required?: boolean },
    docs: ListedDocument[],
    sources: ReusableItem[],
    sourceLabel: (s: ReusableItem) => string,
    errors?: FormErrors,
  ): JSX.Element {
    const { tx } = c;
    const held = docs.filter((x) => x.documentKey === r.key);
    const inputId = `doc-${r.key}`;
    const reuseId = `reuse-${r.key}`;
    const uploadError = errorOf(errors, inputId);
    const reuseError = errorOf(errors, reuseId);
    // The same kind of paper first, then the rest (a result may stand for any paper).
    const offered = [...sources].sort((a, b) => Number(b.documentKey === r.key) - Number(a.documentKey === r.key));
    return (
      <div class="govuk-summary-card" id={`paper-${r.key}`}>
        <div class="govuk-summary-card__title-wrapper">
          <h3 class="govuk-summary-card__title">
            {e(r.name)}
            {r.required ? '' : <span class="govuk-body-s"> {e(tx.t('counter.papers.optional'))}</span>}
          </h3>
        </div>
        <div class="govuk-summary-card__content">
          {held.length ? (
            <ul class="govuk-list">
              {held.map((doc) => (
                <li>
                  <a class="govuk-link" href={`/staff/dossiers/${base.split('/').pop()}/documents/${doc.id}`}>
                    {e(doc.fileName)}
                  </a>{' '}
                  <strong class="govuk-tag govuk-tag--grey">
                    {e(
                      tx.t(
                        doc.reusedFromDocumentId || doc.reusedFromResultId
                          ? 'counter.papers.reused'
                          : doc.digitised
                            ? 'counter.papers.scanned'
                            : 'counter.papers.file',
                      ),
                    )}
                  </strong>
                </li>
              ))}
            </ul>
          ) : (
            <p class="govuk-body">{e(tx.t('counter.papers.none'))}</p>
          )}
          <form method="post" action={`${base}/documents?key=${r.key}`} enctype="multipart/form-data" novalidate>
            <Csrf token={c.csrf()} />
            <div class={`govuk-form-group${uploadError ? ' govuk-form-group--error' : ''}`}>
              <label class="govuk-label" for={inputId}>
                {e(tx.t('counter.upload.label', { name: r.name }))}
              </label>
              <ErrorMessage tx={tx} id={inputId} error={uploadError} />
              <input
                class={`govuk-file-upload${uploadError ? ' govuk-file-upload--error' : ''}`}
                id={inputId}
                name="file"
                type="file"
                accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
                aria-describedby={uploadError ? `${inputId}-error` : undefined}
              />
            </div>
            <Button secondary>{e(tx.t('counter.upload.submit'))}</Button>
          </form>
          {offered.length ? (
            <form method="post" action={`${base}/reuse`} novalidate>
              <Csrf token={c.csrf()} />
              <input type="hidden" name="documentKey" value={r.key} />
              <div class={`govuk-form-group${reuseError ? ' govuk-form-group--error' : ''}`}>
                <label class="govuk-label" for={reuseId}>
                  {e(tx.t('counter.reuse.label', { name: r.name }))}
                </label>
                <ErrorMessage tx={tx} id={reuseId} error={reuseError} />
                <select
                  class={`govuk-select govuk-!-width-full portal-counter-select${reuseError ? ' govuk-select--error' : ''}`}
                  id={reuseId}
                  name="source"
                  aria-describedby={reuseError ? `${reuseId}-error` : undefined}
                >
                  <option value="">{e(tx.t('counter.reuse.choose'))}</option>
                  {offered.map((s) => (
                    <option value={`${s.kind}:${s.id}`}>{e(sourceLabel(s))}</option>
                  ))}
                </select>
              </div>
              <Button secondary>{e(tx.t('counter.reuse.submit'))}</Button>
            </form>
          ) : (
            ''
          )}
        </div>
      </div>
    );
  }

  private maxFileMb(): number {
    return Math.floor(this.config.get('UPLOAD_MAX_BYTES', { infer: true }) / (1024 * 1024));
  }

  /** A scan of a paper received in hand: stored by DocumentsService, marked digitised by this clerk. */
  private async upload(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = this.user(c);
    const id = this.param(c);
    const key = DOC_KEY.test(c.query.key ?? '') ? c.query.key! : '';
    const fieldId = `doc-${key}`;
    let upload;
    try {
      upload = await readOneFile(c.req, ['_csrf']);
    } catch (err) {
      const status = (err as { statusCode?: number; status?: number }).statusCode ?? (err as AppError).status;
      if (status === 413)
        return this.received(
          c,
          [{ field: fieldId, message: tx.t('dossier.upload.tooBig', { size: this.maxFileMb() }) }],
          413,
        );
      if (err instanceof AppError && (status === 415 || status === 422 || status === 400))
        return this.received(c, [{ field: fieldId, message: tx.t('dossier.upload.choose') }], 422);
      throw err;
    }
    if (!this.sessions.checkCsrf(c.req, c.session, upload.fields._csrf)) throw new CsrfFailure();
    try {
      await this.documents.upload(user, id, key, { fileName: upload.fileName, content: upload.content }, true);
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status === 403) throw err;
      const message =
        err.status === 415
          ? tx.t('dossier.upload.type')
          : err instanceof Conflict && err.slug.startsWith('dossier-')
            ? tx.t('dossier.upload.limit')
            : err.status === 409
              ? tx.t('counter.closed')
              : tx.t('dossier.upload.choose');
      return this.received(c, [{ field: fieldId, message }], err.status === 415 ? 415 : 422);
    }
    return new Redirect(`/staff/counter/${id}?done=uploaded#papers`);
  }

  /** An earlier paper or result of the same citizen, reused for one of the dossier's papers. */
  private async reuse(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = this.user(c);
    const id = this.param(c);
    const key = field(c.body, 'documentKey');
    if (!DOC_KEY.test(key)) throw new NotFound('page');
    const fieldId = `reuse-${key}`;
    const source = SOURCE.exec(field(c.body, 'source'));
    if (!source) return this.received(c, [{ field: fieldId, message: tx.t('counter.reuse.required') }], 422);
    try {
      await this.documents.reuse(user, id, {
        documentKey: key,
        ...(source[1] === 'result' ? { sourceResultId: source[2] } : { sourceDocumentId: source[2] }),
      });
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status === 403) throw err;
      const message =
        err.status === 409 && !(err instanceof Conflict && err.slug.startsWith('dossier-'))
          ? tx.t('counter.closed')
          : err.status === 409
            ? tx.t('dossier.upload.limit')
            : tx.t('counter.reuse.required');
      return this.received(c, [{ field: fieldId, message }], err.status === 409 ? 409 : 422);
    }
    return new Redirect(`/staff/counter/${id}?done=reused#papers`);
  }

  /** Form 01, the receipt the citizen takes home (the API's FormsService: the counter that received it may read it). */
  private async form01(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c);
    const file = await this.forms.forDossier(user, id, '01');
    return new Raw(file.content, {
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    });
  }
}
