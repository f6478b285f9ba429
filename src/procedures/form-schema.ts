import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '../common/problem';

/**
 * Form schemas are JSON Schema (draft 2020-12 subset that Ajv supports),
 * compiled once per immutable procedure version and cached. Drafts are checked
 * without `required` (a citizen saves as they go); submission is checked in full.
 */
// addUsedSchema: false: a compiled form schema is not registered under its `$id`, so two versions (or two
// procedures) whose schemas declare the same `$id` do not collide, and no form can `$ref` another's.
const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false, addUsedSchema: false });
addFormats(ajv);

const full = new Map<string, ValidateFunction>();
const partial = new Map<string, ValidateFunction>();

/** Problems with the schema itself, for publishing. */
export function checkFormSchema(schema: unknown): FieldError[] {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    return [{ field: 'formSchema', message: 'formSchema must be a JSON Schema object' }];
  }
  if ((schema as { type?: unknown }).type !== 'object') {
    return [{ field: 'formSchema.type', message: 'the form schema must describe an object (type: "object")' }];
  }
  try {
    ajv.compile(schema as object);
    return [];
  } catch (e) {
    return [{ field: 'formSchema', message: `invalid JSON Schema: ${(e as Error).message}` }];
  }
}

export function validateFormData(cacheKey: string, schema: object, data: unknown, mode: 'full' | 'partial'): FieldError[] {
  const cache = mode === 'full' ? full : partial;
  let fn = cache.get(cacheKey);
  if (!fn) {
    fn = ajv.compile(mode === 'full' ? schema : withoutRequired(schema));
    cache.set(cacheKey, fn);
  }
  return fn(data) ? [] : (fn.errors ?? []).map(toFieldError);
}

function toFieldError(e: ErrorObject): FieldError {
  const path = e.instancePath.split('/').filter(Boolean).join('.');
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
  const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
  const field = ['formData', path, missing ?? extra].filter(Boolean).join('.');
  const message = missing ? 'is required' : extra ? 'is not a field of this form' : e.message ?? 'is not valid';
  return { field, message };
}

function withoutRequired(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'required' && Array.isArray(v)) continue;
    out[k] = withoutRequired(v);
  }
  return out;
}
