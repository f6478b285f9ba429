import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, TestApp } from './support/app';

/**
 * The OpenAPI document as served at /docs/json: written to dist/openapi.json
 * (what `npm run lint:openapi` hands to Spectral), complete for every
 * operation, and Spectral-clean with the spectral:oas ruleset
 * (@stoplight/spectral-cli, a dev dependency; SPECTRAL_BIN may point at another binary).
 */
const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'dist', 'openapi.json');
const PROBLEM_REF = '#/components/schemas/Problem';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

interface Operation {
  operationId: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: {
    tags: { name: string; description?: string }[];
    paths: Record<string, Record<string, Operation>>;
    servers?: unknown[];
  };
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ name: `${m.toUpperCase()} ${path}`, op: item[m] })),
    );

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.http.get('/docs/json').expect(200);
    doc = res.body;
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    writeFileSync(OUT, JSON.stringify(doc, null, 2));
  });
  afterAll(() => t?.close());

  it('has servers, and tags that are all declared with a description', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    const declared = new Map(doc.tags.map((tag) => [tag.name, tag.description]));
    for (const { name, op } of operations()) {
      expect({ name, tags: op.tags?.length }).toEqual({ name, tags: 1 });
      expect({ name, declared: declared.get(op.tags![0]) }).toEqual({ name, declared: expect.any(String) });
    }
  });

  it('describes every operation: a summary, a success answer with its content, errors as problem+json, 401 where a token is needed', () => {
    const gaps: string[] = [];
    for (const { name, op } of operations()) {
      if (!op.summary) gaps.push(`${name}: no summary`);
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => /^[23]\d\d$/.test(s));
      if (success.length === 0) gaps.push(`${name}: no success answer`);
      for (const s of success) {
        const content = op.responses[s].content;
        if (s === '204' || s.startsWith('3')) continue;
        if (!content || Object.values(content).some((m) => !m.schema)) gaps.push(`${name}: ${s} without a body schema`);
        for (const media of Object.values(content ?? {})) {
          const schema = media.schema ?? {};
          if (schema.type === 'object' && !schema.properties && !schema.additionalProperties)
            gaps.push(`${name}: ${s} is a bare object`);
        }
      }
      const errors = statuses.filter((s) => /^[45]\d\d$/.test(s));
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      if (!isPublic && !errors.includes('401')) gaps.push(`${name}: needs a token, yet no 401 documented`);
      for (const s of errors) {
        const ref = op.responses[s].content?.['application/problem+json']?.schema?.$ref;
        if (ref !== PROBLEM_REF) gaps.push(`${name}: ${s} is not the problem+json schema`);
      }
    }
    expect(gaps).toEqual([]);
  });

  it('passes Spectral (spectral:oas) with no warnings', () => {
    // @stoplight/spectral-cli is a dev dependency: a missing binary is a failure, not a skip.
    const bin = process.env.SPECTRAL_BIN ?? join(ROOT, 'node_modules', '.bin', 'spectral');
    expect(existsSync(bin)).toBe(true);
    const args = ['lint', '--ruleset', join(ROOT, '.spectral.yaml'), '--fail-severity', 'warn', OUT];
    try {
      execFileSync(bin, args, { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const out = (e as { stdout?: string }).stdout ?? String(e);
      throw new Error(`spectral lint failed:\n${out}`);
    }
  });
});
