/**
 * A structural comparison of two procedure versions, part by part, for the administrator's compare page: form
 * fields (the schema's properties, recursively), workflow states and actions (by key), required documents (by
 * key), fees (by name) and the simple settings. Pure; each change says what it is and where.
 */

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  kind: ChangeKind;
  /** What changed: a field path (`owner.address`), a state or action key, a document key, a fee's name, a setting. */
  item: string;
  before?: string;
  after?: string;
}

export type DiffPart = 'formSchema' | 'states' | 'actions' | 'requiredDocuments' | 'fees' | 'settings';
export const DIFF_PARTS: readonly DiffPart[] = [
  'formSchema',
  'states',
  'actions',
  'requiredDocuments',
  'fees',
  'settings',
];

export interface ComparableVersion {
  formSchema: unknown;
  workflow: unknown;
  requiredDocuments: unknown;
  fees: unknown;
  feeTiming: string;
  processingDays: number;
  deliveryOptions: string[];
  postalFeeVnd: number;
  refundable: boolean;
  resultTemplate: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with sorted keys, so that key order never counts as a change. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Compares two keyed maps: entries only in one side are added/removed, entries that differ are changed. */
function keyed(a: Map<string, unknown>, b: Map<string, unknown>): Change[] {
  const changes: Change[] = [];
  for (const [k, v] of a) {
    if (!b.has(k)) changes.push({ kind: 'removed', item: k, before: canonical(v) });
    else if (canonical(v) !== canonical(b.get(k)))
      changes.push({ kind: 'changed', item: k, before: canonical(v), after: canonical(b.get(k)) });
  }
  for (const [k, v] of b) if (!a.has(k)) changes.push({ kind: 'added', item: k, after: canonical(v) });
  return changes;
}

const byField = (list: unknown, field: string): Map<string, unknown> => {
  const out = new Map<string, unknown>();
  (Array.isArray(list) ? list : []).forEach((x: unknown, i) => {
    const k = isObj(x) && typeof x[field] === 'string' ? x[field] : `#${i + 1}`;
    out.set(k, x);
  });
  return out;
};

/** The schema's fields by path (nested objects' properties too), each without its own children. */
function fields(schema: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (!isObj(schema)) return out;
  const required = Array.isArray(schema.required) ? (schema.required as unknown[]) : [];
  const props = isObj(schema.properties) ? schema.properties : {};
  for (const [k, child] of Object.entries(props)) {
    const p = path ? `${path}.${k}` : k;
    if (isObj(child)) {
      const { properties: _p, required: _r, ...own } = child;
      out.set(p, { ...own, required: required.includes(k) });
      fields(child, p, out);
      if (isObj(child.items)) fields(child.items, `${p}[]`, out);
    } else out.set(p, child);
  }
  return out;
}

/** The schema's settings that are not fields (title, order, additionalProperties...). */
function schemaRest(schema: unknown): Map<string, unknown> {
  if (!isObj(schema)) return new Map([['(schema)', schema]]);
  const { properties: _p, required: _r, ...rest } = schema;
  return new Map(Object.entries(rest).map(([k, v]) => [`(${k})`, v]));
}

export function diffVersions(a: ComparableVersion, b: ComparableVersion): Record<DiffPart, Change[]> {
  const wa = isObj(a.workflow) ? a.workflow : {};
  const wb = isObj(b.workflow) ? b.workflow : {};
  const settings = (v: ComparableVersion) =>
    new Map<string, unknown>([
      ['feeTiming', v.feeTiming],
      ['processingDays', v.processingDays],
      ['deliveryOptions', v.deliveryOptions],
      ['postalFee', v.postalFeeVnd],
      ['refundable', v.refundable],
      ['resultTemplate', v.resultTemplate ?? null],
    ]);
  return {
    formSchema: [
      ...keyed(fields(a.formSchema), fields(b.formSchema)),
      ...keyed(schemaRest(a.formSchema), schemaRest(b.formSchema)),
    ],
    states: keyed(byField(wa.states, 'key'), byField(wb.states, 'key')),
    actions: keyed(byField(wa.actions, 'key'), byField(wb.actions, 'key')),
    requiredDocuments: keyed(byField(a.requiredDocuments, 'key'), byField(b.requiredDocuments, 'key')),
    fees: keyed(byField(a.fees, 'name'), byField(b.fees, 'name')),
    settings: keyed(settings(a), settings(b)),
  };
}
