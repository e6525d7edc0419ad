// The OpenAPI document: regenerated here and compared with docs/openapi.json, complete against the routes and the spec.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { buildOpenApiDocument, ROUTES } from '../../src/admin/openapi.ts';
import { locationCreateSchema, policyCreateSchema, problemSchema } from '../../src/admin/schemas.ts';
import { PARSE_OPTIONS } from '../../src/objects/policy-document.ts';
import { OPENAPI_PATH, openApiText } from '../../scripts/gen-openapi.ts';

interface OpenApi {
  openapi: string;
  info: { version: string; title: string };
  paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string }[]; security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const doc = buildOpenApiDocument(packageVersion) as OpenApi;
const spec = readFileSync(new URL('../../docs/admin-api.md', import.meta.url), 'utf8');

/** `/api/v1/policies/{name}` and `/api/v1/policies/{id}` are the same path. */
const shape = (path: string): string => path.replace(/\{[^}]+\}/g, '{}');

/** Every `$ref` anywhere in a value. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

/** A JSON block of the spec that follows a heading. */
function specExample(heading: string): unknown {
  const at = spec.indexOf(heading);
  assert.ok(at >= 0, `docs/admin-api.md has a section ${heading}`);
  const block = /```json\n([\s\S]*?)```/.exec(spec.slice(at));
  return JSON.parse(must(block?.[1], `a JSON example under ${heading}`));
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}`);
  return value;
}

describe('OpenAPI document', () => {
  it('docs/openapi.json is what the code generates', () => {
    const committed = readFileSync(OPENAPI_PATH, 'utf8');
    assert.ok(committed === openApiText(), 'docs/openapi.json is stale: run `npm run gen:openapi` and commit the result');
  });

  it('is OpenAPI 3.1 with the package version', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, packageVersion);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'sigv4']);
  });

  it('describes every route of the table, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    const routed = ROUTES.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual([...documented].sort(), [...routed].sort());
    const ids = ROUTES.map((r) => r.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('routes every route of docs/admin-api.md', () => {
    const inSpec = [...spec.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s[?]*)/g)].map((m) => `${m[1] ?? ''} ${shape(m[2] ?? '')}`);
    assert.ok(inSpec.length > 40, 'found the route tables');
    const routed = new Set(ROUTES.map((r) => `${r.method} ${shape(r.path)}`));
    assert.deepEqual([...new Set(inSpec)].filter((r) => !routed.has(r)), []);
  });

  it('declares every path parameter and marks public routes', () => {
    for (const route of ROUTES) {
      const op = must(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      assert.deepEqual(declared, [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]), `${route.method} ${route.path}`);
      assert.equal(op.security !== undefined && op.security.length === 0, route.auth === 'public', `${route.method} ${route.path} security`);
      if (route.auth !== 'public') assert.ok('401' in op.responses);
      if (route.auth === 'admin') assert.ok('403' in op.responses);
    }
  });

  it('resolves every $ref, and every component is a usable JSON Schema', () => {
    for (const ref of refs(doc)) {
      const id = ref.replace('#/components/schemas/', '');
      assert.ok(ref.startsWith('#/components/schemas/') && id in doc.components.schemas, `${ref} resolves`);
    }
    const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/')) as Record<string, unknown>;
    for (const id of Object.keys(defs)) {
      assert.doesNotThrow(() => z.fromJSONSchema({ $defs: defs, $ref: `#/$defs/${id}` } as z.core.JSONSchema.JSONSchema), id);
    }
    assert.ok(!JSON.stringify(doc).includes('"$schema"'), 'components carry no $schema of their own');
  });

  it("accepts the spec's own examples", () => {
    const policy = specExample('## Storage policies');
    assert.equal(policyCreateSchema.safeParse(policy, PARSE_OPTIONS).success, true);
    const location = specExample('## Locations');
    assert.equal(locationCreateSchema.safeParse(location, PARSE_OPTIONS).success, true, JSON.stringify(locationCreateSchema.safeParse(location).error?.issues));
    const problem = specExample('## Errors');
    assert.equal(problemSchema.safeParse(problem).success, true);
    // The generated JSON Schema agrees with the zod schema on the same example.
    const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/')) as Record<string, unknown>;
    const fromDoc = z.fromJSONSchema({ $defs: defs, $ref: '#/$defs/PolicyCreate' } as z.core.JSONSchema.JSONSchema);
    assert.equal(fromDoc.safeParse(policy).success, true);
    assert.equal(fromDoc.safeParse({ ...(policy as object), unknown_field: 1 }).success, false);
  });
});
