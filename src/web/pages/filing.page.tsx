import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ApplicationsService } from '../../applications/applications.service';
import { DeliveryDto } from '../../applications/dto';
import type { AuthUser } from '../../auth/auth-user';
import { Conflict, FieldError, NotFound, ValidationFailed } from '../../common/problem';
import { validateFormData } from '../../procedures/form-schema';
import { ProceduresService } from '../../procedures/procedures.service';
import { canEdit } from '../../workflow/engine';
import { Button, Csrf, e, ErrorSummary, errorOf, type FormErrors } from '../components';
import {
  fieldErrors,
  itemCount,
  parseForm,
  removeItem,
  type RawForm,
  type SchemaNode,
  toRaw,
} from '../forms/form-data';
import { hasArrays, SchemaFields } from '../forms/schema-form';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { Html, type PageContext, type PageResult, type PageRoute, Redirect } from '../page';
import { stateLabel } from './public.page';

const DELIVERY_REFUSED: Partial<Record<string, MessageKey>> = {
  'delivery.recipient': 'filing.delivery.recipient.required',
  'delivery.address': 'filing.delivery.address.required',
  'delivery.phone': 'filing.delivery.phone.required',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the filing form is about: the procedure's (pinned or newest) version, as the form needs it. */
interface FormSubject {
  name: string;
  schema: SchemaNode;
  /** Keys the validator's cache: one per immutable version. */
  cacheKey: string;
  deliveryOptions: string[];
  postalFee: number;
}

interface FormState {
  raw: RawForm;
  delivery: Record<string, string>;
  errors?: FormErrors;
  extraItems?: Record<string, number>;
}

export type Delivery = { method: 'online' | 'post'; recipient?: string; address?: string; phone?: string };

/**
 * `/dossiers/new?procedure=CODE` (start a dossier: the procedure's form and the delivery choice, saved as a draft
 * through ApplicationsService.create, as POST /api/v1/applications) and `/dossiers/:id/edit` (change the answers
 * while the workflow lets the citizen edit: ApplicationsService.update, as PATCH /api/v1/applications/:id). Both
 * go on to `/dossiers/:id`.
 */
@Injectable()
export class FilingPages {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly procedures: ProceduresService,
  ) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/dossiers/new', handler: (c) => this.newForm(c), signedIn: true },
      { method: 'POST', url: '/dossiers/new', handler: (c) => this.create(c), signedIn: true },
      { method: 'GET', url: '/dossiers/:id/edit', handler: (c) => this.editForm(c), signedIn: true },
      { method: 'POST', url: '/dossiers/:id/edit', handler: (c) => this.update(c), signedIn: true },
    ];
  }

  // ---------------------------------------------------------------------------------------------- new

  private async published(c: PageContext): Promise<{ code: string; subject: FormSubject }> {
    citizenOf(c);
    const code = c.query.procedure ?? '';
    if (!code || code.length > 64) throw new NotFound('procedure');
    const p = await this.procedures.findPublished(code);
    return {
      code: p.code,
      subject: {
        name: p.name,
        schema: p.formSchema,
        cacheKey: `web:${p.code}:${p.version}`,
        deliveryOptions: p.deliveryOptions,
        postalFee: p.postalFee,
      },
    };
  }

  private async newForm(c: PageContext): Promise<JSX.Element> {
    const { code, subject } = await this.published(c);
    const delivery = { method: subject.deliveryOptions.length === 1 ? subject.deliveryOptions[0] : '' };
    return this.page(c, subject, { raw: {}, delivery: { ...delivery, recipient: c.session!.fullName ?? '' } }, code);
  }

  private async create(c: PageContext): Promise<PageResult> {
    const user = citizenOf(c);
    const { code, subject } = await this.published(c);
    const read = this.read(c, subject);
    if (read instanceof Html || read.state.errors?.length) {
      return read instanceof Html ? read : new Html(this.page(c, subject, read.state, code), 422);
    }
    try {
      const d = await this.applications.create(user, {
        procedureCode: code,
        formData: read.data,
        delivery: read.delivery,
      });
      return new Redirect(`/dossiers/${d.id}?notice=saved`);
    } catch (err) {
      const errors = this.refusal(c.tx, subject, err);
      return new Html(this.page(c, subject, { ...read.state, errors }, code), errors.status);
    }
  }

  // ---------------------------------------------------------------------------------------------- edit

  private async dossier(c: PageContext) {
    const user = citizenOf(c);
    const id = (c.req.params as { id: string }).id;
    if (!UUID.test(id)) throw new NotFound('dossier');
    const row = await this.applications.find(user, id);
    const view = await this.applications.get(user, id);
    const version = await this.procedures.version(row.procedure_version_id);
    const subject: FormSubject = {
      name: view.procedureName,
      schema: version.formSchema,
      cacheKey: version.id,
      deliveryOptions: version.deliveryOptions,
      postalFee: version.postalFeeVnd,
    };
    return { user, id, view, subject, editable: canEdit(version.workflow, row.state, 'citizen') };
  }

  private async editForm(c: PageContext): Promise<PageResult> {
    const { id, view, subject, editable } = await this.dossier(c);
    if (!editable) return this.notEditable(c, id, view.state);
    const d = view.delivery;
    const delivery = Object.fromEntries(
      ['method', 'recipient', 'address', 'phone'].map((k) => [k, typeof d[k] === 'string' ? d[k] : '']),
    );
    return this.page(c, subject, { raw: toRaw(subject.schema, view.formData), delivery }, undefined, id);
  }

  private async update(c: PageContext): Promise<PageResult> {
    const { user, id, view, subject, editable } = await this.dossier(c);
    if (!editable) return this.notEditable(c, id, view.state);
    const read = this.read(c, subject);
    if (read instanceof Html || read.state.errors?.length) {
      return read instanceof Html ? read : new Html(this.page(c, subject, read.state, undefined, id), 422);
    }
    // The page shows the whole form: an answer taken out is removed (the service merges what it is given).
    const formData: Record<string, unknown> = { ...read.data };
    for (const key of Object.keys(subject.schema.properties ?? {})) if (!(key in formData)) formData[key] = undefined;
    try {
      await this.applications.update(user, id, {
        formData,
        delivery: subject.deliveryOptions.length > 1 ? read.delivery : undefined,
      });
      return new Redirect(`/dossiers/${id}?notice=saved`);
    } catch (err) {
      if (err instanceof Conflict && err.slug === 'not-editable') return this.notEditable(c, id, view.state);
      const errors = this.refusal(c.tx, subject, err);
      return new Html(this.page(c, subject, { ...read.state, errors }, undefined, id), errors.status);
    }
  }

  private notEditable(c: PageContext, id: string, state: string): Html {
    const { tx } = c;
    return new Html(
      <Layout tx={tx} title={tx.t('filing.notEditable.title')} path={c.path} signedIn csrf={c.csrf()} nav="dossiers">
        <h1 class="govuk-heading-l">{e(tx.t('filing.notEditable.title'))}</h1>
        <p class="govuk-body">{e(tx.t('filing.notEditable.body', { state: stateLabel(tx, state) }))}</p>
        <p class="govuk-body">
          <a class="govuk-link" href={`/dossiers/${id}`}>
            {e(tx.t('filing.backToDossier'))}
          </a>
        </p>
      </Layout>,
      409,
    );
  }

  // ---------------------------------------------------------------------------------------------- reading the form

  /**
   * The posted form: "add another" / "remove" re-show it (200, nothing saved); otherwise the form data and the
   * delivery, with what could not be read or is not valid as errors (the validator of drafts: no `required`).
   */
  private read(
    c: PageContext,
    subject: FormSubject,
  ): Html | { data: Record<string, unknown>; delivery?: Delivery; state: FormState } {
    const action = c.body._action ?? 'save';
    let body: RawForm = Object.fromEntries(Object.entries(c.body).filter((x): x is [string, string] => !!x[1]));
    const remove = /^remove:(.+)\.(\d{1,3})$/.exec(action);
    if (remove) body = removeItem(body, remove[1], Number(remove[2]));
    const parsed = parseForm(subject.schema, body);
    const deliveryRaw = Object.fromEntries(
      ['method', 'recipient', 'address', 'phone'].map((k) => [k, (c.body[`delivery.${k}`] ?? '').trim()]),
    );
    const add = /^add:(.+)$/.exec(action);
    if (remove || add) {
      const extraItems = add ? { [add[1]]: Math.max(itemCount(parsed.raw, add[1]), 1) + 1 } : undefined;
      const id = (c.req.params as { id?: string }).id;
      const state = { raw: parsed.raw, delivery: deliveryRaw, extraItems };
      return new Html(this.page(c, subject, state, id ? undefined : c.query.procedure, id), 200);
    }
    const { delivery, problems } = readDelivery(c.tx, subject, deliveryRaw);
    const errors: FormErrors = [];
    if (parsed.problems.length) {
      const invalid = validateFormData(subject.cacheKey, subject.schema, parsed.data, 'partial');
      errors.push(...fieldErrors(c.tx, subject.schema, invalid, parsed.problems));
    }
    errors.push(...problems);
    return { data: parsed.data, delivery, state: { raw: parsed.raw, delivery: deliveryRaw, errors } };
  }

  /** What the service refused, as the form's errors: its field errors, the draft limit, a fixed delivery. */
  private refusal(tx: Texts, subject: FormSubject, err: unknown): FormErrors & { status: number } {
    const out = (errors: FormErrors, status: number) => Object.assign(errors, { status });
    if (err instanceof ValidationFailed) {
      const fields: FieldError[] = err.errors ?? [];
      const form = fields.filter((x) => x.field.startsWith('formData'));
      const delivery: FormErrors = fields
        .filter((x) => x.field.startsWith('delivery.'))
        .map((x) => ({
          field: x.field.replace('.', '-'),
          message: tx.t(DELIVERY_REFUSED[x.field] ?? 'filing.delivery.choose'),
        }));
      return out([...fieldErrors(tx, subject.schema, form), ...delivery], 422);
    }
    if (err instanceof Conflict && err.slug === 'draft-limit') {
      return out([{ field: 'filing-form', message: tx.t('filing.draftLimit') }], 409);
    }
    if (err instanceof Conflict && err.slug === 'delivery-fixed') {
      return out([{ field: 'delivery-method', message: tx.t('filing.delivery.fixed') }], 409);
    }
    throw err;
  }

  // ---------------------------------------------------------------------------------------------- the page

  private page(c: PageContext, subject: FormSubject, state: FormState, code?: string, id?: string): JSX.Element {
    const { tx } = c;
    const action = id ? `/dossiers/${id}/edit` : `/dossiers/new?procedure=${encodeURIComponent(code ?? '')}`;
    const back = id ? `/dossiers/${id}` : `/procedures/${encodeURIComponent(code ?? '')}`;
    const errors = state.errors;
    return (
      <Layout
        tx={tx}
        title={subject.name}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="dossiers"
        hasErrors={!!errors?.length}
      >
        <a href={back} class="govuk-back-link">
          {e(tx.t(id ? 'filing.backToDossier' : 'filing.back'))}
        </a>
        <ErrorSummary tx={tx} errors={errors} />
        <span class="govuk-caption-l">{e(tx.t(id ? 'filing.edit.caption' : 'filing.new.caption'))}</span>
        <h1 class="govuk-heading-l">{e(subject.name)}</h1>
        <p class="govuk-body">{e(tx.t('filing.lead'))}</p>
        <form
          method="post"
          action={action}
          id="filing-form"
          novalidate
          data-form-check=""
          data-error-prefix={tx.t('errors.prefix')}
        >
          <Csrf token={c.csrf()} />
          {hasArrays(subject.schema) ? (
            // Enter in a text box presses the first submit button: let it be "save", not an item's "remove".
            <button
              type="submit"
              name="_action"
              value="save"
              class="govuk-visually-hidden"
              tabindex="-1"
              aria-hidden="true"
            >
              {e(tx.t('filing.save'))}
            </button>
          ) : (
            ''
          )}
          <SchemaFields tx={tx} schema={subject.schema} raw={state.raw} errors={errors} extraItems={state.extraItems} />
          {subject.deliveryOptions.length > 1 ? <DeliveryChoice tx={tx} subject={subject} state={state} /> : ''}
          <Button>{e(tx.t('filing.save'))}</Button>
        </form>
      </Layout>
    );
  }
}

/** The delivery choice, checked as the API's DTO checks it (and as the service asks for delivery by post). */
export function readDelivery(
  tx: Texts,
  subject: Pick<FormSubject, 'deliveryOptions'>,
  raw: Record<string, string>,
): { delivery?: Delivery; problems: FormErrors } {
  if (subject.deliveryOptions.length <= 1) return { delivery: undefined, problems: [] };
  const problems: FormErrors = [];
  const say = (field: string, key: MessageKey) => problems.push({ field: `delivery-${field}`, message: tx.t(key) });
  if (raw.method !== 'online' && raw.method !== 'post') {
    say('method', 'filing.delivery.choose');
    return { problems };
  }
  if (raw.method === 'online') return { delivery: { method: 'online' }, problems };
  const delivery: Delivery = { method: 'post', recipient: raw.recipient, address: raw.address, phone: raw.phone };
  const dto = plainToInstance(DeliveryDto, delivery);
  const wrong = new Set(validateSync(dto).map((x) => x.property));
  if (!raw.recipient) say('recipient', 'filing.delivery.recipient.required');
  else if (wrong.has('recipient')) say('recipient', 'filing.delivery.recipient.tooLong');
  if (!raw.address || (wrong.has('address') && raw.address.length < 5))
    say('address', 'filing.delivery.address.required');
  else if (wrong.has('address')) say('address', 'filing.delivery.address.tooLong');
  if (!raw.phone) say('phone', 'filing.delivery.phone.required');
  else if (wrong.has('phone')) say('phone', 'validation.phone');
  return { delivery, problems };
}
/** The signed-in citizen; staff have their own console
 (these pages are 404 for them, as /dossiers is). */
function citizenOf(c: PageContext): AuthUser {
  const s = c.session!;
  if (s.role !== 'citizen') throw new NotFound('page');
  return { id: s.accountId, role: s.role, agencyId: s.agencyId };
}

/** Online or by post; by post reveals the recipient, address and phone (shown as well without JavaScript). */
export function DeliveryChoice({
  tx,
  subject,
  state,
}: {
  tx: Texts;
  subject: Pick<FormSubject, 'deliveryOptions' | 'postalFee'>;
  state: Pick<FormState, 'delivery' | 'errors'>;
}): JSX.Element {
  const method = state.delivery.method ?? '';
  const error = errorOf(state.errors, 'delivery-method');
  const text = (name: 'recipient' | 'address' | 'phone', autocomplete: string, hint?: string) => {
    const id = `delivery-${name}`;
    const err = errorOf(state.errors, id);
    const described = [hint ? `${id}-hint` : '', err ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div class={`govuk-form-group${err ? ' govuk-form-group--error' : ''}`}>
        <label class="govuk-label" for={id}>
          {e(tx.t(`filing.delivery.${name}`))}
        </label>
        {hint ? (
          <div class="govuk-hint" id={`${id}-hint`}>
            {e(hint)}
          </div>
        ) : (
          ''
        )}
        {err ? (
          <p id={`${id}-error`} class="govuk-error-message">
            <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
            {e(err.message)}
          </p>
        ) : (
          ''
        )}
        {name === 'address' ? (
          <textarea
            class={`govuk-textarea${err ? ' govuk-textarea--error' : ''}`}
            id={id}
            name={`delivery.${name}`}
            rows="2"
            {...{ autocomplete }}
            aria-describedby={described}
          >
            {e(state.delivery[name] ?? '')}
          </textarea>
        ) : (
          <input
            class={`govuk-input${name === 'phone' ? ' govuk-input--width-20' : ''}${err ? ' govuk-input--error' : ''}`}
            id={id}
            name={`delivery.${name}`}
            type={name === 'phone' ? 'tel' : 'text'}
            value={state.delivery[name] ?? ''}
            autocomplete={autocomplete}
            aria-describedby={described}
          />
        )}
      </div>
    );
  };
  const options = subject.deliveryOptions.map((o, i) => ({
    value: o,
    id: i === 0 ? 'delivery-method' : `delivery-method-${i + 1}`,
    label:
      o === 'post'
        ? tx.t('filing.delivery.post', { fee: tx.money(subject.postalFee) })
        : tx.t('filing.delivery.online'),
  }));
  return (
    <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
      <fieldset class="govuk-fieldset" aria-describedby={error ? 'delivery-method-error' : undefined}>
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">
          <h2 class="govuk-fieldset__heading">{e(tx.t('filing.delivery'))}</h2>
        </legend>
        {error ? (
          <p id="delivery-method-error" class="govuk-error-message">
            <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
            {e(error.message)}
          </p>
        ) : (
          ''
        )}
        <div class="govuk-radios">
          {options.map((o) => [
            <div class="govuk-radios__item">
              <input
                class="govuk-radios__input"
                id={o.id}
                name="delivery.method"
                type="radio"
                value={o.value}
                checked={method === o.value}
                data-reveal={o.value === 'post' ? 'conditional-delivery-post' : undefined}
              />
              <label class="govuk-label govuk-radios__label" for={o.id}>
                {e(o.label)}
              </label>
            </div>,
            o.value === 'post' ? (
              <div
                class={`govuk-radios__conditional${method === 'post' ? '' : ' govuk-radios__conditional--hidden'}`}
                id="conditional-delivery-post"
              >
                {text('recipient', 'name')}
                {text('address', 'street-address', tx.t('filing.delivery.address.hint'))}
                {text('phone', 'tel')}
              </div>
            ) : (
              ''
            ),
          ])}
        </div>
      </fieldset>
    </div>
  );
}
