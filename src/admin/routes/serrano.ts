// The SERRANO-compatible Storage Policy and Telemetry API: the paths and shapes SERRANO's callers use, no /api/v1 prefix.

import { Problem } from '../problem.ts';
import { policySchema, serranoPolicyCreateSchema, serranoPolicyListSchema, serranoPolicyUpdateSchema } from '../schemas.ts';
import { createPolicy, deletePolicy, documentFields, policyView, updatePolicy } from './policies.ts';
import { defineRoute, json, noContent, param, rawField, type Route } from './route.ts';
import { locationTelemetryRoute } from './telemetry.ts';

const target = (params: Readonly<Record<string, string>>, body: unknown): string => `policy/${params.name ?? rawField(body, 'id') ?? rawField(body, 'name') ?? '-'}`;

export const serranoRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/storage_policy',
    operationId: 'serranoListPolicies',
    summary: 'SERRANO: every policy (latest versions), as a bare array',
    tag: 'serrano',
    auth: 'any',
    responses: [{ status: 200, description: 'Policies', schema: serranoPolicyListSchema }],
    handle: async ({ deps }) => json(200, serranoPolicyListSchema, (await deps.meta.listPolicies()).map(policyView)),
  }),
  defineRoute({
    method: 'POST',
    path: '/storage_policy',
    operationId: 'serranoCreatePolicy',
    summary: 'SERRANO: creates a policy',
    tag: 'serrano',
    auth: 'admin',
    body: serranoPolicyCreateSchema,
    responses: [{ status: 201, description: 'The stored policy', schema: policySchema }],
    audit: { operation: 'policy.create', target },
    handle: async ({ deps, body }) => {
      if (body.id !== undefined && body.id !== body.name) throw Problem.invalid([{ path: 'id', message: `must equal name (${JSON.stringify(body.name)}), got ${JSON.stringify(body.id)}` }]);
      return json(201, policySchema, await createPolicy(deps, body.name, documentFields(body)));
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/storage_policy',
    operationId: 'serranoUpdatePolicy',
    summary: 'SERRANO: stores a new version of the policy named by `id`',
    tag: 'serrano',
    auth: 'admin',
    body: serranoPolicyUpdateSchema,
    responses: [{ status: 200, description: 'The latest version', schema: policySchema }],
    audit: { operation: 'policy.update', target },
    handle: async ({ deps, body }) => {
      if (body.name !== undefined && body.name !== body.id) throw Problem.invalid([{ path: 'name', message: `must equal id (${JSON.stringify(body.id)}), got ${JSON.stringify(body.name)}` }]);
      return json(200, policySchema, await updatePolicy(deps, body.id, documentFields(body)));
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/storage_policy/{name}',
    operationId: 'serranoDeletePolicy',
    summary: 'SERRANO: deletes a policy no bucket uses',
    tag: 'serrano',
    auth: 'admin',
    responses: [{ status: 204, description: 'Deleted' }],
    audit: { operation: 'policy.delete', target },
    handle: async (ctx) => {
      await deletePolicy(ctx.deps, param(ctx, 'name'));
      return noContent;
    },
  }),
  locationTelemetryRoute('cloud', '/cloud_locations', 'serranoCloudLocations', 'SERRANO: telemetry of local and cloud locations', 'serrano'),
  locationTelemetryRoute('edge', '/edge_locations', 'serranoEdgeLocations', 'SERRANO: telemetry of edge locations', 'serrano'),
];
