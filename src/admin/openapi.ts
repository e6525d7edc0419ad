// The route table of the admin API and the OpenAPI 3.1 document generated from it, so routing and docs cannot drift.

import { z } from 'zod';
import { requestRegistry, responseRegistry } from './schemas.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { auditRoutes } from './routes/audit.ts';
import { bucketRoutes } from './routes/buckets.ts';
import { cacheRoutes } from './routes/cache.ts';
import { jobRoutes } from './routes/jobs.ts';
import { keyRoutes } from './routes/keys.ts';
import { locationRoutes } from './routes/locations.ts';
import { policyRoutes } from './routes/policies.ts';
import { portalRoutes } from './routes/portal.ts';
import { defineRoute, type Reply, type Route } from './routes/route.ts';
import { serranoRoutes } from './routes/serrano.ts';
import { systemRoutes } from './routes/system.ts';
import { telemetryRoutes } from './routes/telemetry.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { whoamiRoutes } from './routes/whoami.ts';

const openApiRoute = defineRoute({
  method: 'GET',
  path: '/api/v1/openapi.json',
  operationId: 'openapi',
  summary: 'This description (OpenAPI 3.1)',
  tag: 'system',
  auth: 'public',
  responses: [{ status: 200, description: 'The OpenAPI document' }],
  handle: ({ deps }) => Promise.resolve<Reply>({ kind: 'json', status: 200, body: servedDocument(deps.version) }),
});

const served = new Map<string, object>();

/** Generated once per version: the routes and schemas do not change while the process runs. */
function servedDocument(version: string): object {
  let document = served.get(version);
  if (document === undefined) {
    document = buildOpenApiDocument(version);
    served.set(version, document);
  }
  return document;
}

/** Every route of the admin port. */
export const ROUTES: readonly Route[] = [
  ...portalRoutes,
  openApiRoute,
  ...systemRoutes,
  ...whoamiRoutes,
  ...policyRoutes,
  ...serranoRoutes,
  ...locationRoutes,
  ...telemetryRoutes,
  ...keyRoutes,
  ...tokenRoutes,
  ...bucketRoutes,
  ...cacheRoutes,
  ...auditRoutes,
  ...jobRoutes,
];

type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = (id: string): string => `#/components/schemas/${id}`;

/** JSON Schema as OpenAPI 3.1 embeds it: no per-schema `$schema`/`$id`, and no regex spelling out RFC 3339. */
function tidy(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === 'pattern' && schema.format === 'date-time') continue;
    out[key] = tidyValue(value);
  }
  return out;
}

function tidyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidyValue);
  if (typeof value === 'object' && value !== null) return tidy(value as JsonSchema);
  return value;
}

function components(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [registry, io] of [[requestRegistry, 'input'], [responseRegistry, 'output']] as const) {
    const { schemas } = z.toJSONSchema(registry, { uri: COMPONENT_REF, io, unrepresentable: 'any' });
    for (const [id, schema] of Object.entries(schemas)) {
      if (out[id] !== undefined) throw new Error(`schema id ${id} is used twice`);
      out[id] = tidy(schema);
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** A schema of a route: a reference when registered, else inline. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const registry = io === 'input' ? requestRegistry : responseRegistry;
  const meta = registry.get(schema);
  if (meta !== undefined) return { $ref: COMPONENT_REF(meta.id) };
  return tidy(z.toJSONSchema(schema, { io, unrepresentable: 'any' }));
}

function queryParameters(query: z.ZodType | undefined): JsonSchema[] {
  if (query === undefined) return [];
  const schema = tidy(z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }));
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: required.has(name), ...(description === undefined ? {} : { description }), schema: rest };
  });
}

function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
}

const problemResponse = (description: string): JsonSchema => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: COMPONENT_REF('Problem') } } } });

function operation(route: Route): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const r of route.responses) {
    const contentType = r.contentType ?? 'application/json';
    responses[String(r.status)] =
      r.status === 204
        ? { description: r.description }
        : { description: r.description, content: { [contentType]: { schema: r.schema === undefined ? (contentType.startsWith('application/json') ? { type: 'object' } : { type: 'string' }) : schemaOf(r.schema, 'output') } } };
  }
  if (route.body !== undefined || route.query !== undefined) responses['400'] = problemResponse('Malformed JSON, a field out of range or an unknown field');
  if (route.auth !== 'public') responses['401'] = problemResponse('No or bad credentials');
  if (route.auth === 'admin') responses['403'] = problemResponse('The caller is not an administrator');
  responses.default = problemResponse('A problem (RFC 9457)');
  const parameters = [...pathParameters(route.path), ...queryParameters(route.query)];
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(route.auth === 'public' ? { security: [] } : {}),
    ...(route.auth === 'admin' ? { 'x-dispersa-admin-only': true } : {}),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } }),
    responses,
  };
}

/** The OpenAPI 3.1 document of the admin API, generated from the route table and the zod schemas. */
export function buildOpenApiDocument(version: string): object {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ROUTES) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Dispersa admin API',
      version,
      description: 'Control plane of a Dispersa gateway: storage policies (also in the SERRANO shape), locations and their telemetry, keys and tokens, buckets, cache, audit log, jobs. See docs/admin-api.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [...new Set(ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ sigv4: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4 (service s3, any region) with an access key; X-Amz-Content-Sha256 the SHA-256 of the body or UNSIGNED-PAYLOAD.',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /api/v1/tokens, or the root token DISPERSA_ADMIN_TOKEN.' },
      },
      schemas: components(),
    },
  };
}
