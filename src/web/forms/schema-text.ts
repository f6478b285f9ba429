import type { Lang } from '../i18n';

/**
 * The words of a form schema, in the citizen's language. A schema node's `title` and `description` are Vietnamese
 * (the portal's first language); `x-title-en` and `x-description-en` are their English, and `x-error-vi` /
 * `x-error-en` the message shown when the field's answer is not valid. These keywords are registered with Ajv
 * (src/procedures/form-schema.ts), so a procedure version may carry them under strict mode.
 */
export interface SchemaWords {
  title?: string;
  description?: string;
  'x-title-en'?: string;
  'x-description-en'?: string;
  'x-error-vi'?: string;
  'x-error-en'?: string;
  /** The names of an `enum`'s values, in the same order (Vietnamese; `-en`: English). */
  'x-enum-titles'?: string[];
  'x-enum-titles-en'?: string[];
  /** An integer that is an amount of VND (shown with thousands separators); also a name ending in `Vnd`. */
  'x-money'?: boolean;
  /** The order of an object's fields on the form (the database keeps JSON objects' keys in its own order). */
  'x-order'?: string[];
}

/** The annotation keywords the portal reads; src/procedures/form-schema.ts registers the same list with Ajv. */
export const SCHEMA_WORD_KEYWORDS = [
  'x-title-en',
  'x-description-en',
  'x-error-vi',
  'x-error-en',
  'x-enum-titles',
  'x-enum-titles-en',
  'x-money',
  'x-order',
] as const;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

/** The field's label: its title in this language, else the Vietnamese title, else the property name. */
export function schemaLabel(node: unknown, lang: Lang, name: string): string {
  const n = (node ?? {}) as SchemaWords;
  return (lang === 'en' ? text(n['x-title-en']) : undefined) ?? text(n.title) ?? name;
}

/** The field's hint (its description), in this language when there is one. */
export function schemaHint(node: unknown, lang: Lang): string | undefined {
  const n = (node ?? {}) as SchemaWords;
  return (lang === 'en' ? text(n['x-description-en']) : undefined) ?? text(n.description);
}

/** The procedure's own message for an invalid answer to this field, when it has one. */
export function schemaError(node: unknown, lang: Lang): string | undefined {
  const n = (node ?? {}) as SchemaWords;
  return lang === 'en' ? (text(n['x-error-en']) ?? text(n['x-error-vi'])) : text(n['x-error-vi']);
}

/** The name of an `enum` value: its `x-enum-titles(-en)` entry, else the value itself. */
export function schemaEnumTitle(node: unknown, lang: Lang, value: unknown): string {
  const n = (node ?? {}) as SchemaWords & { enum?: unknown[] };
  const i = Array.isArray(n.enum) ? n.enum.findIndex((v) => v === value) : -1;
  const pick = (titles: unknown) => (i >= 0 && Array.isArray(titles) ? text(titles[i]) : undefined);
  return (lang === 'en' ? pick(n['x-enum-titles-en']) : undefined) ?? pick(n['x-enum-titles']) ?? String(value);
}

/** Whether a field holds an amount of money (VND): `x-money`, or an integer whose name ends in `Vnd`. */
export function isMoney(node: unknown, name: string): boolean {
  const n = (node ?? {}) as SchemaWords & { type?: unknown };
  return n['x-money'] === true || ((n.type === 'integer' || n.type === 'number') && /Vnd$/.test(name));
}
