import { e, errorOf, type FieldProblem, type FormErrors } from '../components';
import type { Texts } from '../i18n';
import {
  fieldId,
  isDate,
  itemCount,
  join,
  problemMessage,
  propertyEntries,
  type ProblemKind,
  type RawForm,
  type SchemaNode,
  typeOf,
} from './form-data';
import { isMoney, schemaEnumTitle, schemaHint, schemaLabel } from './schema-text';

/**
 * The inputs of a procedure's form schema, GOV.UK style: text (a textarea past 200 characters), numbers, dates
 * (day, month, year), choices (radios up to 5, else a select), yes/no, nested objects as fieldsets and arrays as a
 * list of fieldsets with "add another" and "remove" (submit buttons, `_action=add:path` / `remove:path.i`, so they
 * work without JavaScript). The HTML constraints come from the schema for the inline check
 * (assets/enhance/form-check.js), whose messages are data- attributes; the form itself is `novalidate`.
 */
export interface SchemaFormProps {
  tx: Texts;
  schema: object;
  /** The inputs as typed (or prefilled from the dossier with `toRaw`). */
  raw: RawForm;
  errors?: FormErrors;
  /** Arrays shown with more (empty) items than they have: after "add another". */
  extraItems?: Record<string, number>;
}

interface Ctx extends SchemaFormProps {
  root: SchemaNode;
}

/** Whether a form for this schema has array items (and so "add" and "remove" buttons). */
export function hasArrays(node: SchemaNode): boolean {
  if (typeOf(node) === 'array') return true;
  return Object.values(node.properties ?? {}).some(hasArrays);
}

export function SchemaFields(p: SchemaFormProps): JSX.Element {
  const root = p.schema as SchemaNode;
  const c: Ctx = { ...p, root };
  return <>{properties(c, root, '')}</>;
}

function properties(c: Ctx, node: SchemaNode, path: string): JSX.Element[] {
  return propertyEntries(node).map(([key, child]) =>
    field(c, child, join(path, key), (node.required ?? []).includes(key), schemaLabel(child, c.tx.lang, key)),
  );
}

function field(c: Ctx, node: SchemaNode, path: string, required: boolean, label: string): JSX.Element {
  const type = typeOf(node);
  if (type === 'object' && node.properties) return objectField(c, node, path, label);
  if (type === 'array' && node.items) return arrayField(c, node, path, label);
  if (isDate(node)) return dateField(c, node, path, required, label);
  if (Array.isArray(node.enum)) {
    const choices = node.enum.map((v) => ({ value: String(v), label: schemaEnumTitle(node, c.tx.lang, v) }));
    return choices.length <= 5
      ? radiosField(c, node, path, required, label, choices)
      : selectField(c, node, path, required, label, choices);
  }
  if (type === 'boolean') {
    const choices = [
      { value: 'true', label: c.tx.t('filing.yes') },
      { value: 'false', label: c.tx.t('filing.no') },
    ];
    return radiosField(c, node, path, required, label, choices, true);
  }
  return inputField(c, node, path, required, label);
}

// ------------------------------------------------------------------------------------------------ pieces

function ErrorText({ tx, id, error }: { tx: Texts; id: string; error?: FieldProblem }): JSX.Element {
  if (!error) return '';
  return (
    <p id={`${id}-error`} class="govuk-error-message">
      <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
      {e(error.message)}
    </p>
  );
}

function Hint({ id, hint }: { id: string; hint?: string }): JSX.Element {
  return hint ? (
    <div id={`${id}-hint`} class="govuk-hint">
      {e(hint)}
    </div>
  ) : (
    ''
  );
}

const describedBy = (id: string, hint?: string, error?: FieldProblem) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

const group = (error?: FieldProblem) => `govuk-form-group${error ? ' govuk-form-group--error' : ''}`;

/** The data- attributes the inline check reads: each constraint's message, from the schema or the catalogue. */
function checks(c: Ctx, path: string, kinds: Partial<Record<string, ProblemKind>>): Record<string, string> {
  const out: Record<string, string> = { 'data-check': '' };
  for (const [name, kind] of Object.entries(kinds)) {
    if (kind) out[`data-msg-${name}`] = problemMessage(c.tx, c.root, path, kind);
  }
  return out;
}

/** A JSON Schema pattern as an HTML `pattern` (which is anchored and a JavaScript `v` regular expression), if any. */
function htmlPattern(pattern: string | undefined): string | undefined {
  if (!pattern) return undefined;
  const anchored = `${pattern.startsWith('^') ? '' : '.*'}${pattern}${pattern.endsWith('$') ? '' : '.*'}`;
  try {
    new RegExp(anchored, 'v');
    return anchored;
  } catch {
    return undefined;
  }
}

function inputField(c: Ctx, node: SchemaNode, path: string, required: boolean, label: string): JSX.Element {
  const id = fieldId(path);
  const error = errorOf(c.errors, id);
  const type = typeOf(node);
  const numeric = type === 'integer' || type === 'number';
  const money = numeric && isMoney(node, path.split('.').pop() ?? '');
  const hint = schemaHint(node, c.tx.lang) ?? (money ? c.tx.t('filing.money.hint') : undefined);
  const value = c.raw[path] ?? '';
  const common = {
    id,
    name: path,
    'aria-describedby': describedBy(id, hint, error),
    required,
  };
  const pattern = numeric ? undefined : htmlPattern(node.pattern);
  const data = checks(c, path, {
    required: required ? 'required' : undefined,
    minlength: !numeric && node.minLength ? 'tooShort' : undefined,
    maxlength: !numeric && node.maxLength ? 'tooLong' : undefined,
    pattern: pattern ? 'pattern' : undefined,
    integer: type === 'integer' ? 'notWhole' : undefined,
    number: type === 'number' ? 'notNumber' : undefined,
    min: numeric && (node.minimum ?? node.exclusiveMinimum) !== undefined ? 'tooSmall' : undefined,
    max: numeric && (node.maximum ?? node.exclusiveMaximum) !== undefined ? 'tooBig' : undefined,
  });
  let control: JSX.Element;
  if (!numeric && (node.maxLength ?? 0) > 200) {
    control = (
      <textarea
        class={`govuk-textarea${error ? ' govuk-textarea--error' : ''}`}
        rows="3"
        minlength={node.minLength}
        maxlength={node.maxLength}
        {...common}
        {...data}
      >
        {e(value)}
      </textarea>
    );
  } else {
    const width = numeric ? ' govuk-input--width-10' : (node.maxLength ?? 999) <= 20 ? ' govuk-input--width-20' : '';
    const input = (
      <input
        class={`govuk-input${width}${error ? ' govuk-input--error' : ''}`}
        type="text"
        value={value}
        inputmode={numeric ? (type === 'integer' ? 'numeric' : 'decimal') : undefined}
        spellcheck={numeric ? 'false' : undefined}
        minlength={numeric ? undefined : node.minLength}
        maxlength={numeric ? undefined : node.maxLength}
        pattern={pattern}
        data-min={numeric ? (node.minimum ?? bound(node.exclusiveMinimum, 1, type)) : undefined}
        data-max={numeric ? (node.maximum ?? bound(node.exclusiveMaximum, -1, type)) : undefined}
        data-money={money ? 'true' : undefined}
        {...common}
        {...data}
      />
    );
    control = money ? (
      <div class="govuk-input__wrapper">
        {input}
        <div class="govuk-input__suffix" aria-hidden="true">
          ₫
        </div>
      </div>
    ) : (
      input
    );
  }
  return (
    <div class={group(error)}>
      <label class="govuk-label" for={id}>
        {e(label)}
      </label>
      <Hint id={id} hint={hint} />
      <ErrorText tx={c.tx} id={id} error={error} />
      {control}
    </div>
  );
}

const bound = (v: number | undefined, d: number, type: string | undefined) =>
  v === undefined ? undefined : type === 'integer' ? v + d : v;

function dateField(c: Ctx, node: SchemaNode, path: string, required: boolean, label: string): JSX.Element {
  const id = fieldId(path);
  const error = errorOf(c.errors, id);
  const hint = schemaHint(node, c.tx.lang) ?? c.tx.t('filing.date.hint');
  const parts = [
    { part: 'day', id, width: 2, label: c.tx.t('filing.date.day') },
    { part: 'month', id: `${id}-month`, width: 2, label: c.tx.t('filing.date.month') },
    { part: 'year', id: `${id}-year`, width: 4, label: c.tx.t('filing.date.year') },
  ];
  return (
    <div class={group(error)}>
      <fieldset class="govuk-fieldset" role="group" aria-describedby={describedBy(id, hint, error)}>
        <legend class="govuk-fieldset__legend">{e(label)}</legend>
        <Hint id={id} hint={hint} />
        <ErrorText tx={c.tx} id={id} error={error} />
        <div class="govuk-date-input">
          {parts.map((x) => (
            <div class="govuk-date-input__item">
              <div class="govuk-form-group">
                <label class="govuk-label govuk-date-input__label" for={x.id}>
                  {e(x.label)}
                </label>
                <input
                  class={`govuk-input govuk-date-input__input govuk-input--width-${x.width}${error ? ' govuk-input--error' : ''}`}
                  id={x.id}
                  name={`${path}.${x.part}`}
                  type="text"
                  inputmode="numeric"
                  value={c.raw[`${path}.${x.part}`] ?? ''}
                  required={required}
                />
              </div>
            </div>
          ))}
        </div>
      </fieldset>
    </div>
  );
}

interface Choice {
  value: string;
  label: string;
}

function radiosField(
  c: Ctx,
  node: SchemaNode,
  path: string,
  required: boolean,
  label: string,
  choices: Choice[],
  inline = false,
): JSX.Element {
  const id = fieldId(path);
  const error = errorOf(c.errors, id);
  const hint = schemaHint(node, c.tx.lang);
  const value = c.raw[path] ?? '';
  return (
    <div class={group(error)}>
      <fieldset class="govuk-fieldset" aria-describedby={describedBy(id, hint, error)}>
        <legend class="govuk-fieldset__legend">{e(label)}</legend>
        <Hint id={id} hint={hint} />
        <ErrorText tx={c.tx} id={id} error={error} />
        <div
          class={`govuk-radios govuk-radios--small${inline ? ' govuk-radios--inline' : ''}`}
          data-module="govuk-radios"
        >
          {choices.map((x, i) => {
            // The first radio carries the field's id: the error summary's link lands on it.
            const rid = i === 0 ? id : `${id}-${i + 1}`;
            return (
              <div class="govuk-radios__item">
                <input
                  class="govuk-radios__input"
                  id={rid}
                  name={path}
                  type="radio"
                  value={x.value}
                  checked={x.value === value}
                  required={required}
                />
                <label class="govuk-label govuk-radios__label" for={rid}>
                  {e(x.label)}
                </label>
              </div>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}

function selectField(
  c: Ctx,
  node: SchemaNode,
  path: string,
  required: boolean,
  label: string,
  choices: Choice[],
): JSX.Element {
  const id = fieldId(path);
  const error = errorOf(c.errors, id);
  const hint = schemaHint(node, c.tx.lang);
  const value = c.raw[path] ?? '';
  return (
    <div class={group(error)}>
      <label class="govuk-label" for={id}>
        {e(label)}
      </label>
      <Hint id={id} hint={hint} />
      <ErrorText tx={c.tx} id={id} error={error} />
      <select
        class={`govuk-select${error ? ' govuk-select--error' : ''}`}
        id={id}
        name={path}
        required={required}
        aria-describedby={describedBy(id, hint, error)}
        {...checks(c, path, { required: required ? 'choose' : undefined })}
      >
        <option value="">{e(c.tx.t('filing.choose'))}</option>
        {choices.map((x) => (
          <option value={x.value} selected={x.value === value}>
            {e(x.label)}
          </option>
        ))}
      </select>
    </div>
  );
}

function objectField(c: Ctx, node: SchemaNode, path: string, label: string): JSX.Element {
  const id = fieldId(path);
  const error = errorOf(c.errors, id);
  const hint = schemaHint(node, c.tx.lang);
  return (
    <div class={group(error)}>
      <fieldset class="govuk-fieldset" id={id} aria-describedby={describedBy(id, hint, error)}>
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{e(label)}</legend>
        <Hint id={id} hint={hint} />
        <ErrorText tx={c.tx} id={id} error={error} />
        {properties(c, node, path)}
      </fieldset>
    </div>
  );
}

function arrayField(c: Ctx, node: SchemaNode, path: string, label: string): JSX.Element {
  const id = fieldId(path);
  const error = errorOf(c.errors, id);
  const hint = schemaHint(node, c.tx.lang);
  const items = node.items!;
  const itemLabel = schemaLabel(items, c.tx.lang, label);
  const count = Math.max(itemCount(c.raw, path), c.extraItems?.[path] ?? 0, node.minItems ?? 0, 1);
  const lowered = itemLabel.charAt(0).toLocaleLowerCase() + itemLabel.slice(1);
  return (
    <div class={group(error)}>
      <fieldset class="govuk-fieldset" id={id} aria-describedby={describedBy(id, hint, error)}>
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{e(label)}</legend>
        <Hint id={id} hint={hint} />
        <ErrorText tx={c.tx} id={id} error={error} />
        {Array.from({ length: count }, (_, i) => {
          const at = join(path, i);
          const name = c.tx.t('filing.item', { label: itemLabel, n: i + 1 });
          const inner =
            typeOf(items) === 'object' && items.properties
              ? properties(c, items, at)
              : [field(c, items, at, false, name)];
          return (
            <fieldset class="govuk-fieldset portal-item" id={`${fieldId(at)}-item`}>
              <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{e(name)}</legend>
              {inner}
              {count > (node.minItems ?? 0) ? (
                <button
                  type="submit"
                  name="_action"
                  value={`remove:${at}`}
                  class="govuk-button govuk-button--secondary"
                  data-module="govuk-button"
                >
                  {e(c.tx.t('filing.remove', { item: `${lowered} ${i + 1}` }))}
                </button>
              ) : (
                ''
              )}
            </fieldset>
          );
        })}
        {node.maxItems === undefined || count < node.maxItems ? (
          <button
            type="submit"
            name="_action"
            value={`add:${path}`}
            class="govuk-button govuk-button--secondary"
            data-module="govuk-button"
          >
            {e(c.tx.t('filing.add', { item: lowered }))}
          </button>
        ) : (
          ''
        )}
      </fieldset>
    </div>
  );
}
