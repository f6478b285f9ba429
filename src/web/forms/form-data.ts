import type { FieldError } from '../../common/problem';
import type { FormErrors } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { schemaError, schemaLabel } from './schema-text';

/**
 * Between a procedure's form schema and an HTML form: the names of the inputs are dotted paths (`owner.name`,
 * `items.0.name`; a date is three inputs `dateOfBirth.day|month|year`), their ids the same path with `-`
 * (`items-0-name`). `parseForm` reads the urlencoded body into the form data the schema describes (types coerced,
 * '' absent, unknown names ignored); `toRaw` is the reverse (an answer's inputs, to prefill the form);
 * `fieldErrors` turns the validator's messages into the citizen's words.
 */
export interface SchemaNode {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  title?: string;
  'x-money'?: boolean;
  'x-order'?: string[];
}

/** The values of the form's inputs by name: what the citizen typed, kept as typed. */
export type RawForm = Record<string, string>;

export type ProblemKind =
  | 'required'
  | 'choose'
  | 'tooShort'
  | 'tooLong'
  | 'tooSmall'
  | 'tooBig'
  | 'notWhole'
  | 'notNumber'
  | 'notDate'
  | 'pattern'
  | 'tooFew'
  | 'tooMany'
  | 'invalid';

/** An answer that could not be read (a word where a number goes, an impossible date): at its path. */
export interface ParseProblem {
  path: string;
  kind: ProblemKind;
}

export const DATE_PARTS = ['day', 'month', 'year'] as const;

/** The id of the input (or fieldset) at a dotted path: letters, digits, `_` and `-` only. */
export const fieldId = (path: string): string => path.replace(/[^A-Za-z0-9_-]/g, '-');

export const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

export const typeOf = (node: SchemaNode): string | undefined =>
  Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;

export const isDate = (node: SchemaNode) => typeOf(node) === 'string' && node.format === 'date';

const isMoneyName = (node: SchemaNode, path: string) =>
  node['x-money'] === true || /Vnd$/.test(path.split('.').pop() ?? '');

/**
 * An object's fields in the order of the form: those its `x-order` lists first, in that order, then the others as
 * stored (Postgres keeps a jsonb object's keys sorted by length, not as written).
 */
export function propertyEntries(node: SchemaNode): [string, SchemaNode][] {
  const all = Object.entries(node.properties ?? {});
  const order = Array.isArray(node['x-order']) ? node['x-order'] : [];
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return all
    .map((x, i) => [x, i] as const)
    .sort((a, b) => rank(a[0][0]) - rank(b[0][0]) || a[1] - b[1])
    .map((x) => x[0]);
}

/** The schema node at a dotted path of the data (array indexes step into `items`), or undefined. */
export function nodeAt(schema: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const key of path.split('.').filter(Boolean)) {
    if (!node) return undefined;
    node = typeOf(node) === 'array' && /^\d+$/.test(key) ? node.items : node.properties?.[key];
  }
  return node;
}

/** How many items of the array at `path` the raw form has (the highest index with a non-empty input, plus one). */
export function itemCount(raw: RawForm, path: string): number {
  const prefix = `${path}.`;
  let count = 0;
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(prefix) || value === '') continue;
    const i = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(i) && i >= 0 && i < 1000) count = Math.max(count, i + 1);
  }
  return count;
}

/** The raw form without item `index` of the array at `path` (later items move up). */
export function removeItem(raw: RawForm, path: string, index: number): RawForm {
  const prefix = `${path}.`;
  const out: RawForm = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(prefix)) {
      out[name] = value;
      continue;
    }
    const [head, ...rest] = name.slice(prefix.length).split('.');
    const i = Number(head);
    if (!Number.isInteger(i) || i === index) continue;
    out[[path, i > index ? i - 1 : i, ...rest].join('.')] = value;
  }
  return out;
}

export interface ParsedForm {
  /** The form data for the service: only what was answered and could be read. */
  data: Record<string, unknown>;
  /** The inputs as typed, with empty array items dropped and the others numbered again (so errors line up). */
  raw: RawForm;
  problems: ParseProblem[];
}

/** Reads the body into form data as the schema describes it. */
export function parseForm(schema: SchemaNode, body: Record<string, string | undefined>): ParsedForm {
  const raw: RawForm = {};
  const problems: ParseProblem[] = [];
  const get = (name: string) => {
    const v = body[name];
    return typeof v === 'string' ? v.trim() : '';
  };

  function value(node: SchemaNode, src: string, dst: string): unknown {
    const type = typeOf(node);
    if (type === 'object' && node.properties) {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node.properties)) {
        const v = value(child, join(src, key), join(dst, key));
        if (v !== undefined) out[key] = v;
      }
      return Object.keys(out).length ? out : undefined;
    }
    if (type === 'array' && node.items) {
      const items: unknown[] = [];
      const count = itemCount(body as RawForm, src);
      for (let i = 0; i < count; i++) {
        const v = value(node.items, join(src, i), join(dst, items.length));
        if (v !== undefined) items.push(v);
      }
      return items.length ? items : undefined;
    }
    if (isDate(node)) {
      const parts = DATE_PARTS.map((p) => get(`${src}.${p}`));
      DATE_PARTS.forEach((p, i) => parts[i] && (raw[`${dst}.${p}`] = parts[i]));
      if (parts.every((p) => p === '')) return undefined;
      const date = readDate(parts[0], parts[1], parts[2]);
      if (!date) problems.push({ path: dst, kind: 'notDate' });
      return date ?? undefined;
    }
    const text = get(src);
    if (text === '') return undefined;
    raw[dst] = text;
    if (Array.isArray(node.enum)) {
      const found = node.enum.find((v) => String(v) === text);
      if (found === undefined) problems.push({ path: dst, kind: 'choose' });
      return found;
    }
    if (type === 'integer' || type === 'number') {
      const plain = isMoneyName(node, dst) ? text.replace(/[\s.,₫]|VND|đ/gi, '') : text.replace(/\s/g, '');
      const n =
        type === 'integer' ? (/^-?\d{1,15}$/.test(plain) ? Number(plain) : NaN) : Number(plain.replace(',', '.'));
      if (!Number.isFinite(n) || plain === '') {
        problems.push({ path: dst, kind: type === 'integer' ? 'notWhole' : 'notNumber' });
        return undefined;
      }
      return n;
    }
    if (type === 'boolean') {
      if (text === 'true' || text === 'false') return text === 'true';
      problems.push({ path: dst, kind: 'choose' });
      return undefined;
    }
    return text;
  }

  const data = (value(schema, '', '') as Record<string, unknown> | undefined) ?? {};
  return { data, raw, problems };
}

/** `yyyy-mm-dd` for a real calendar date given as day, month and year; else null. */
export function readDate(day: string, month: string, year: string): string | null {
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return null;
  const [d, m, y] = [Number(day), Number(month), Number(year)];
  const at = new Date(Date.UTC(y, m - 1, d));
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== m - 1 || at.getUTCDate() !== d) return null;
  return `${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The inputs that show an answer (to prefill the form from saved form data). */
export function toRaw(schema: SchemaNode, data: unknown): RawForm {
  const raw: RawForm = {};
  function walk(node: SchemaNode, path: string, v: unknown): void {
    if (v === undefined || v === null) return;
    const type = typeOf(node);
    if (type === 'object' && node.properties && typeof v === 'object' && !Array.isArray(v)) {
      for (const [key, child] of Object.entries(node.properties)) {
        walk(child, join(path, key), (v as Record<string, unknown>)[key]);
      }
    } else if (type === 'array' && node.items && Array.isArray(v)) {
      v.forEach((item, i) => walk(node.items!, join(path, i), item));
    } else if (isDate(node) && typeof v === 'string') {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      if (m) [raw[`${path}.day`], raw[`${path}.month`], raw[`${path}.year`]] = [m[3], m[2], m[1]];
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      raw[path] = String(v);
    }
  }
  walk(schema, '', data);
  return raw;
}

/** The kind of problem an Ajv message (as src/procedures/form-schema.ts words it) names. */
export function problemKind(message: string, node: SchemaNode | undefined): ProblemKind {
  const choice = node && (Array.isArray(node.enum) || typeOf(node) === 'boolean');
  if (/is required/.test(message)) return choice ? 'choose' : 'required';
  if (/fewer than \d+ characters/.test(message)) return 'tooShort';
  if (/more than \d+ characters/.test(message)) return 'tooLong';
  if (/fewer than \d+ items/.test(message)) return 'tooFew';
  if (/more than \d+ items/.test(message)) return 'tooMany';
  if (/must be >=? /.test(message)) return 'tooSmall';
  if (/must be <=? /.test(message)) return 'tooBig';
  if (/must be integer/.test(message)) return 'notWhole';
  if (/must be number/.test(message)) return 'notNumber';
  if (/format "date"/.test(message)) return 'notDate';
  if (/allowed values|must be boolean/.test(message)) return 'choose';
  if (/must match pattern|must match format/.test(message)) return 'pattern';
  return 'invalid';
}

const KIND_KEYS: Record<ProblemKind, MessageKey> = {
  required: 'filing.error.required',
  choose: 'filing.error.choose',
  tooShort: 'filing.error.tooShort',
  tooLong: 'filing.error.tooLong',
  tooSmall: 'filing.error.tooSmall',
  tooBig: 'filing.error.tooBig',
  notWhole: 'filing.error.notWhole',
  notNumber: 'filing.error.notNumber',
  notDate: 'filing.error.notDate',
  pattern: 'filing.error.pattern',
  tooFew: 'filing.error.tooFew',
  tooMany: 'filing.error.tooMany',
  invalid: 'filing.error.invalid',
};

const lowerFirst = (s: string) => s.charAt(0).toLocaleLowerCase() + s.slice(1);

/** The citizen's words for a problem with the field at `path`: the schema's own message, else the catalogue's. */
export function problemMessage(tx: Texts, schema: SchemaNode, path: string, kind: ProblemKind): string {
  const node = nodeAt(schema, path);
  const own = schemaError(node, tx.lang);
  if (own) return own;
  const key = path.split('.').pop() ?? path;
  const label = schemaLabel(node, tx.lang, key);
  const exclusive = (v: number | undefined, d: number) => (v === undefined ? undefined : v + d);
  const params = {
    Field: label,
    field: lowerFirst(label),
    min: node?.minLength ?? node?.minItems ?? node?.minimum ?? exclusive(node?.exclusiveMinimum, 1) ?? '',
    max: node?.maxLength ?? node?.maxItems ?? node?.maximum ?? exclusive(node?.exclusiveMaximum, -1) ?? '',
  };
  return tx.t(KIND_KEYS[kind], params);
}

/**
 * The problems of a form, one per field (the first), as the page shows them: linked by the field's id, in the
 * order of the form. `errors` are the validator's (`formData.a.b`); `problems` what could not be read.
 */
export function fieldErrors(
  tx: Texts,
  schema: SchemaNode,
  errors: readonly FieldError[],
  problems: readonly ParseProblem[] = [],
): FormErrors {
  const seen = new Map<string, string>();
  const add = (path: string, kind: ProblemKind) => {
    const id = fieldId(path);
    if (!seen.has(id)) seen.set(id, problemMessage(tx, schema, path, kind));
  };
  for (const p of problems) add(p.path, p.kind);
  for (const e of errors) {
    const path = e.field.replace(/^formData\.?/, '');
    add(path, problemKind(e.message, nodeAt(schema, path)));
  }
  const order = formOrder(schema);
  return [...seen.entries()]
    .map(([field, message]) => ({ field, message }))
    .sort((a, b) => rank(order, a.field) - rank(order, b.field));
}

/** The ids of the schema's fields in the order the form shows them (array items by their first index). */
function formOrder(schema: SchemaNode): string[] {
  const ids: string[] = [];
  const walk = (node: SchemaNode, path: string) => {
    if (path) ids.push(fieldId(path));
    if (typeOf(node) === 'object' && node.properties) {
      for (const [k, child] of propertyEntries(node)) walk(child, join(path, k));
    } else if (typeOf(node) === 'array' && node.items) walk(node.items, join(path, 0));
  };
  walk(schema, '');
  return ids;
}

function rank(order: string[], id: string): number {
  // An item's field ranks with the same field of the first item, then by its index.
  const generic = id.replace(/-(\d+)(?=-|$)/g, '-0');
  const at = order.indexOf(generic);
  const index = Number(/-(\d+)(?=-|$)/.exec(id)?.[1] ?? 0);
  return (at < 0 ? order.length : at) * 1000 + index;
}
