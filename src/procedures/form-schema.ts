import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { RegExpEngine, RegExpLike } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import type { FieldError } from '../common/problem';

/**
 * Form schemas come from administrators, and their `pattern`s run against
 * what any citizen types. A backtracking engine lets `^(a+)+$` against
 * `aaaa…a!` hold the event loop for hours; RE2 (re2js, pure JavaScript)
 * matches in time linear in the input. JavaScript syntax is translated to
 * RE2's; what RE2 cannot express (look-around, back-references) is refused
 * at publish. `toString` keys Ajv's cache of compiled patterns.
 */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string): RegExpLike => {
    const re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    const compiled: RegExpLike & { toString(): string } = {
      test: (s: string) => re.test(s),
      toString: () => `re2js:${pattern}`,
    };
    return compiled;
  },
  // Only read when generating standalone code, which the portal never does.
  { code: 'require("re2js").RE2JS' },
);

/**
 * Form schemas are JSON Schema (draft 2020-12 subset that Ajv supports),
 * compiled once per immutable procedure version and cached. Drafts are checked
 * without `required` (a citizen saves as they go); submission is checked in full.
 */
// addUsedSchema: false: a compiled form schema is not registered under its `$id`, so two versions (or two
// procedures) whose schemas declare the same `$id` do not collide, and no form can `$ref` another's.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  coerceTypes: false,
  useDefaults: false,
  addUsedSchema: false,
  code: { regExp: linearRegExp },
});
addFormats(ajv);
// The form's words in both languages, its choices' names, which numbers are money and the order of its fields (src/web/forms/schema-text.ts):
// annotations, not assertions.
ajv.addVocabulary([
  'x-title-en',
  'x-description-en',
  'x-error-vi',
  'x-error-en',
  'x-enum-titles',
  'x-enum-titles-en',
  'x-money',
  'x-order',
]);

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
  const patterns = patternProblems(schema, 'formSchema', false);
  if (patterns.length) return patterns;
  try {
    ajv.compile(schema);
    return [];
  } catch (e) {
    return [{ field: 'formSchema', message: `invalid JSON Schema: ${(e as Error).message}` }];
  }
}

export function validateFormData(
  cacheKey: string,
  schema: object,
  data: unknown,
  mode: 'full' | 'partial',
): FieldError[] {
  const cache = mode === 'full' ? full : partial;
  let fn = cache.get(cacheKey);
  if (!fn) {
    fn = ajv.compile((mode === 'full' ? schema : withoutRequired(schema)) as object);
    cache.set(cacheKey, fn);
  }
  return fn(data) ? [] : (fn.errors ?? []).map(toFieldError);
}

/** Keywords whose value is data, not a schema: a `pattern` key inside them is not a pattern. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'title', 'description', '$comment', 'required']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** Each `pattern` and `patternProperties` key the linear-time engine cannot compile, at its place in the schema. */
function patternProblems(node: unknown, path: string, isMap: boolean): FieldError[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => patternProblems(v, `${path}[${i}]`, false));
  if (!node || typeof node !== 'object') return [];
  const problems: FieldError[] = [];
  for (const [key, value] of Object.entries(node)) {
    const at = `${path}.${key}`;
    if (isMap) {
      problems.push(...patternProblems(value, at, false));
      continue;
    }
    if (DATA_KEYWORDS.has(key)) continue;
    if (key === 'pattern' && typeof value === 'string') {
      const problem = unsupportedPattern(value);
      if (problem) problems.push({ field: at, message: problem });
      continue;
    }
    if (key === 'patternProperties' && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const p of Object.keys(value as object)) {
        const problem = unsupportedPattern(p);
        if (problem) problems.push({ field: `${at}.${p}`, message: problem });
      }
    }
    problems.push(...patternProblems(value, at, SCHEMA_MAPS.has(key)));
  }
  return problems;
}

function unsupportedPattern(pattern: string): string | null {
  try {
    linearRegExp(pattern, 'u');
    return null;
  } catch (e) {
    return `pattern not supported by the linear-time (RE2) engine: no look-around or back-references (${(e as Error).message})`;
  }
}

function toFieldError(e: ErrorObject): FieldError {
  const path = e.instancePath.split('/').filter(Boolean).join('.');
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
  const extra =
    e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
  const field = ['formData', path, missing ?? extra].filter(Boolean).join('.');
  const message = missing ? 'is required' : extra ? 'is not a field of this form' : (e.message ?? 'is not valid');
  return { field, message };
}

function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'required' && Array.isArray(v)) continue;
    out[k] = withoutRequired(v);
  }
  return out;
}
