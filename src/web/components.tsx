import { escapeHtml } from '@kitajs/html';
import type { Texts } from './i18n';

/** Escapes text for HTML (every value that is not a literal of ours goes through this or a `safe` element). */
export const e = (value: unknown): string => escapeHtml(value);

/** A field error: the field's name (its `id` is `name`) and the message shown beside it and in the summary. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type FormErrors = FieldProblem[];

export const errorOf = (errors: FormErrors | undefined, field: string) => errors?.find((x) => x.field === field);

/** GOV.UK error summary: a linked list of every error, focused first (the heading is what screen readers read). */
export function ErrorSummary({ tx, errors }: { tx: Texts; errors?: FormErrors }): JSX.Element {
  if (!errors?.length) return '';
  return (
    <div class="govuk-error-summary" data-module="govuk-error-summary">
      <div role="alert">
        <h2 class="govuk-error-summary__title" safe>
          {tx.t('errors.summary')}
        </h2>
        <div class="govuk-error-summary__body">
          <ul class="govuk-list govuk-error-summary__list">
            {errors.map((x) => (
              <li>
                <a href={`#${x.field}`} safe>
                  {x.message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </div>
  );
}

/** A field's error message (`<id>-error`), or nothing. */
export function ErrorMessage({ tx, id, error }: { tx: Texts; id: string; error?: FieldProblem }): JSX.Element {
  if (!error) return '';
  return (
    <p id={`${id}-error`} class="govuk-error-message">
      <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
      {e(error.message)}
    </p>
  );
}

const describedBy = (id: string, hint?: string, error?: FieldProblem) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

export interface InputProps {
  tx: Texts;
  name: string;
  label: string;
  value?: string | null;
  hint?: string;
  errors?: FormErrors;
  type?: 'text' | 'email' | 'tel' | 'password' | 'search';
  autocomplete?: string;
  inputmode?: 'numeric' | 'email' | 'tel' | 'text';
  width?: 10 | 20 | 30;
  /** The label as the page heading (a one-question page). */
  spellcheck?: boolean;
}

export function Input(p: InputProps): JSX.Element {
  const error = errorOf(p.errors, p.name);
  const classes = ['govuk-input', p.width ? `govuk-input--width-${p.width}` : '', error ? 'govuk-input--error' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
      <label class="govuk-label" for={p.name} safe>
        {p.label}
      </label>
      {p.hint ? (
        <div id={`${p.name}-hint`} class="govuk-hint" safe>
          {p.hint}
        </div>
      ) : (
        ''
      )}
      <ErrorMessage tx={p.tx} id={p.name} error={error} />
      <input
        class={classes}
        id={p.name}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.type === 'password' ? undefined : (p.value ?? undefined)}
        autocomplete={p.autocomplete}
        inputmode={p.inputmode}
        spellcheck={p.spellcheck === false ? 'false' : undefined}
        aria-describedby={describedBy(p.name, p.hint, error)}
      />
    </div>
  );
}

export interface Choice {
  value: string;
  label: string;
}

export function Select(p: {
  tx: Texts;
  name: string;
  label: string;
  value?: string;
  choices: Choice[];
  errors?: FormErrors;
}): JSX.Element {
  const error = errorOf(p.errors, p.name);
  return (
    <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
      <label class="govuk-label" for={p.name} safe>
        {p.label}
      </label>
      <ErrorMessage tx={p.tx} id={p.name} error={error} />
      <select
        class={`govuk-select${error ? ' govuk-select--error' : ''}`}
        id={p.name}
        name={p.name}
        aria-describedby={describedBy(p.name, undefined, error)}
      >
        {p.choices.map((c) => (
          <option value={c.value} selected={c.value === (p.value ?? '')} safe>
            {c.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Radios(p: {
  tx: Texts;
  name: string;
  legend: string;
  value?: string;
  choices: Choice[];
  errors?: FormErrors;
  inline?: boolean;
  hint?: string;
}): JSX.Element {
  const error = errorOf(p.errors, p.name);
  return (
    <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
      <fieldset class="govuk-fieldset" aria-describedby={describedBy(p.name, p.hint, error)}>
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s" safe>
          {p.legend}
        </legend>
        {p.hint ? (
          <div id={`${p.name}-hint`} class="govuk-hint" safe>
            {p.hint}
          </div>
        ) : (
          ''
        )}
        <ErrorMessage tx={p.tx} id={p.name} error={error} />
        <div class={`govuk-radios govuk-radios--small${p.inline ? ' govuk-radios--inline' : ''}`}>
          {p.choices.map((c, i) => {
            // The first radio carries the field's id, so the error summary's link lands on it.
            const id = i === 0 ? p.name : `${p.name}-${i + 1}`;
            return (
              <div class="govuk-radios__item">
                <input
                  class="govuk-radios__input"
                  id={id}
                  name={p.name}
                  type="radio"
                  value={c.value}
                  checked={c.value === (p.value ?? '')}
                />
                <label class="govuk-label govuk-radios__label" for={id} safe>
                  {c.label}
                </label>
              </div>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}

export function Csrf({ token }: { token: string }): JSX.Element {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function Button({ children, secondary, warning }: { children: string; secondary?: boolean; warning?: boolean }) {
  const modifier = secondary ? ' govuk-button--secondary' : warning ? ' govuk-button--warning' : '';
  return (
    <button type="submit" class={`govuk-button${modifier}`} data-module="govuk-button" data-prevent-double-click="true">
      {children}
    </button>
  );
}

export function Notice({ tx, children, success }: { tx: Texts; children: string; success?: boolean }): JSX.Element {
  return (
    <div
      class={`govuk-notification-banner${success ? ' govuk-notification-banner--success' : ''}`}
      role={success ? 'alert' : 'region'}
      aria-labelledby="notice-title"
      data-module="govuk-notification-banner"
    >
      <div class="govuk-notification-banner__header">
        <h2 class="govuk-notification-banner__title" id="notice-title">
          {e(tx.t(success ? 'notice.success' : 'notice.important'))}
        </h2>
      </div>
      <div class="govuk-notification-banner__content">
        <p class="govuk-notification-banner__heading">{children}</p>
      </div>
    </div>
  );
}

export function SummaryList({ rows }: { rows: [string, JSX.Element][] }): JSX.Element {
  return (
    <dl class="govuk-summary-list">
      {rows.map(([key, value]) => (
        <div class="govuk-summary-list__row">
          <dt class="govuk-summary-list__key" safe>
            {key}
          </dt>
          <dd class="govuk-summary-list__value">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
