import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { appendFileSync } from 'node:fs';
import request from 'supertest';
import { buildOpenApiDocument } from '../../src/openapi/openapi';

/**
 * The response check: every answer an e2e suite receives through `TestApp.http`
 * is held against the OpenAPI document of the app under test. The status must
 * be documented for the operation, the content type must be one the document
 * lists for that status, and a JSON body must match its schema, where an object
 * schema that lists properties admits no others (response DTOs are complete).
 * A mismatch fails the request's test with the operation, the status and the
 * Ajv error. Requests to paths or methods the document does not know (unknown
 * routes answering 404) are not checked.
 */

type Schema = Record<string, unknown>;
interface MediaType {
  schema?: Schema;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
interface Route {
  template: string;
  pattern: RegExp;
  params: number;
  operations: Record<string, Operation>;
}
export interface CheckedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  text?: string;
}

const SCHEMA_ID = 'openapi';
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

export class ContractError extends Error {}

export class ContractChecker {
  private readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: OpenAPIObject) {
    this.routes = Object.entries(document.paths as Record<string, Record<string, Operation>>)
      .map(([template, operations]) => ({
        template,
        operations,
        params: (template.match(/\{[^}]+\}/g) ?? []).length,
        pattern: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
      }))
      // The most literal template first: /queue/x before /{a}/{b}.
      .sort((a, b) => a.params - b.params);
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(this.ajv);
    for (const f of ['binary', 'byte', 'int32', 'int64', 'float', 'double']) this.ajv.addFormat(f, true);
    const components = (document.components?.schemas ?? {}) as Record<string, Schema>;
    this.ajv.addSchema({
      $id: SCHEMA_ID,
      definitions: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, toJsonSchema(v)])),
    });
  }

  /** The operation a request reaches, or undefined when the document does not describe it. */
  operation(method: string, url: string): { template: string; op: Operation } | undefined {
    const path = new URL(url, 'http://localhost').pathname;
    const m = method.toLowerCase();
    for (const route of this.routes) {
      if (route.pattern.test(path) && route.operations[m]) return { template: route.template, op: route.operations[m] };
    }
    return undefined;
  }

  check(method: string, url: string, res: CheckedResponse): void {
    if (method.toUpperCase() === 'HEAD' || method.toUpperCase() === 'OPTIONS') return;
    const found = this.operation(method, url);
    if (!found) return;
    const { template, op } = found;
    // CONTRACT_COVERAGE=<file>: one line per checked answer, to see which documented answers the suites reach.
    if (process.env.CONTRACT_COVERAGE)
      appendFileSync(process.env.CONTRACT_COVERAGE, `${method.toUpperCase()} ${template} ${res.status}\n`);
    const name = `${method.toUpperCase()} ${template} (${op.operationId ?? '?'})`;
    const documented = Object.keys(op.responses);
    const key = [String(res.status), `${Math.floor(res.status / 100)}XX`, 'default'].find((k) => op.responses[k]);
    if (!key) {
      throw new ContractError(
        `Contract: ${name} answered ${res.status}, which the document does not list (documented: ${documented.join(', ')}).` +
          `\n  body: ${preview(res)}`,
      );
    }
    const response = op.responses[key];
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const hasBody =
      (res.text ?? '').length > 0 || Buffer.isBuffer(res.body) || Number(res.headers['content-length']) > 0;
    if (!hasBody || res.status === 204 || (res.status >= 300 && res.status < 400)) return;
    const media = response.content ?? {};
    const mediaKey = Object.keys(media).find((k) => k.toLowerCase() === contentType);
    if (!mediaKey) {
      throw new ContractError(
        `Contract: ${name} answered ${res.status} as "${contentType || '(no content type)'}", ` +
          `not documented for that status (documented: ${Object.keys(media).join(', ') || 'no body'}).\n  body: ${preview(res)}`,
      );
    }
    const schema = media[mediaKey].schema;
    if (!schema || !JSON_TYPE.test(contentType)) return;
    const validate = this.validator(`${name} ${key} ${mediaKey}`, schema);
    // A suite may read bodies as bytes (a binary parser): JSON is parsed from them here.
    const body: unknown = Buffer.isBuffer(res.body)
      ? JSON.parse(res.body.toString('utf8'))
      : (res.body ?? JSON.parse(res.text ?? 'null'));
    if (!validate(body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 8)
        .map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
      throw new ContractError(
        `Contract: ${name} answered ${res.status} with a body that does not match the document:\n  ` +
          errors.join('\n  ') +
          `\n  body: ${preview(res)}`,
      );
    }
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(toJsonSchema(schema));
      this.validators.set(key, v);
    }
    return v;
  }
}

/**
 * OpenAPI 3.0 schema -> JSON Schema for Ajv: `nullable` becomes a null type,
 * refs point into the document's components, and an object schema that lists
 * its properties admits no others unless it says so.
 */
export function toJsonSchema(input: unknown): Schema {
  if (Array.isArray(input)) return input.map(toJsonSchema) as unknown as Schema;
  if (!input || typeof input !== 'object') return input as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(input as Schema)) {
    if (k === '$ref' && typeof v === 'string')
      out.$ref = v.replace('#/components/schemas/', `${SCHEMA_ID}#/definitions/`);
    else if (k === 'properties' && v && typeof v === 'object')
      out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, toJsonSchema(s)]));
    else if (k === 'example' || k === 'examples') continue;
    else if (v && typeof v === 'object') out[k] = toJsonSchema(v);
    else out[k] = v;
  }
  if (out.properties && !('additionalProperties' in out)) out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    const composed = ['$ref', 'allOf', 'anyOf', 'oneOf'].some((k) => k in out);
    if (typeof out.type === 'string' && !composed) {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
      return out;
    }
    if (composed && out.type === 'object') delete out.type;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function preview(res: CheckedResponse): string {
  const text = res.text ?? (res.body !== undefined && !Buffer.isBuffer(res.body) ? JSON.stringify(res.body) : '');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

type Agent = ReturnType<typeof request>;
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options']);

/** The supertest agent, with every request's answer checked against the document (a supertest assertion). */
export function checkedAgent(agent: Agent, checker: ContractChecker): Agent {
  return new Proxy(agent, {
    get(target, prop, receiver) {
      const original: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !METHODS.has(prop) || typeof original !== 'function') return original;
      return (url: string) => {
        const test = (original as (url: string) => request.Test).call(target, url);
        // Runs before the test's own expectations, whether it awaits the request or calls .expect()/.end().
        return test.expect((res: request.Response) => {
          checker.check(test.method, test.url, res);
        });
      };
    },
  });
}

const checkers = new WeakMap<object, ContractChecker>();

/** The check for an app started by a suite itself (not through createTestApp): its own document, built once. */
export function contractOf(app: INestApplication, url: string): ContractChecker {
  let checker = checkers.get(app);
  if (!checker) {
    checker = new ContractChecker(buildOpenApiDocument(app, url));
    checkers.set(app, checker);
  }
  return checker;
}

/** `request(url)`, checked against the app's document. */
export function checkedRequest(app: INestApplication, url: string): Agent {
  return checkedAgent(request(url), contractOf(app, url));
}
