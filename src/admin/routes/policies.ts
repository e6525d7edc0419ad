// Storage policies under /api/v1/policies: versioned documents, validated against the locations the gateway knows.

import type { z } from 'zod';
import { isMetaError } from '../../meta/errors.ts';
import type { StoragePolicy } from '../../meta/types.ts';
import { checkPolicyLocations, normalisePolicyDocument, readStoredPolicyDocument, type KnownLocation, type PolicyDocument, type PolicyDocumentInput } from '../../objects/policy-document.ts';
import type { AdminDeps } from '../deps.ts';
import { Problem } from '../problem.ts';
import { policyCreateSchema, policyGetQuerySchema, policyListSchema, policySchema, policyUpdateSchema, policyVersionsSchema } from '../schemas.ts';
import { defineRoute, iso, json, noContent, notFound, param, rawField, type Route } from './route.ts';

export type PolicyView = z.output<typeof policySchema>;

/** A stored version as the API shows it (either stored shape), defaults filled in. */
export function policyView(stored: StoragePolicy): PolicyView {
  const doc = readStoredPolicyDocument(stored.document);
  return {
    id: stored.name,
    name: stored.name,
    version: stored.version,
    created_at: iso(stored.createdAt),
    description: doc.description,
    backends: [...doc.backends],
    edge_devices: [...doc.edge_devices],
    redundancy: { ...doc.redundancy },
    compression: { ...doc.compression },
    encryption: { ...doc.encryption },
    generation_size: doc.generation_size,
    write_quorum: doc.write_quorum,
    coefficients: doc.coefficients,
  };
}

/** Every location the gateway knows, recorded or only registered (the embedded local disks). */
async function knownLocations(deps: AdminDeps): Promise<Map<string, KnownLocation>> {
  const known = new Map<string, KnownLocation>();
  for (const rt of deps.registry.all()) known.set(rt.location.id, { kind: rt.location.kind, retired: rt.retired });
  for (const record of await deps.meta.listLocations()) known.set(record.id, { kind: record.kind, retired: record.retiredAt !== undefined });
  return known;
}

/** The normalised document of a request body, or a 400 naming every bad field; nothing is stored before this passes. */
export async function validatedDocument(deps: AdminDeps, fields: Omit<PolicyDocumentInput, 'name'>): Promise<PolicyDocument> {
  const normalised = normalisePolicyDocument(fields);
  if (!normalised.ok) throw Problem.invalid(normalised.errors);
  const errors = checkPolicyLocations(normalised.document, await knownLocations(deps));
  if (errors.length > 0) throw Problem.invalid(errors);
  return normalised.document;
}

/** Strips the naming fields a body may carry: the stored document is the policy alone. */
function documentFields<T extends { name?: string | undefined; id?: string | undefined }>(body: T): Omit<T, 'name' | 'id'> {
  const { name: _name, id: _id, ...fields } = body;
  return fields;
}

export async function createPolicy(deps: AdminDeps, name: string, fields: Omit<PolicyDocumentInput, 'name'>): Promise<PolicyView> {
  const document = await validatedDocument(deps, fields);
  if ((await deps.meta.getPolicy(name)) !== undefined) throw new Problem('conflict', `policy ${JSON.stringify(name)} exists already: PUT a new version instead`);
  return policyView(await deps.meta.putPolicy(name, document));
}

export async function updatePolicy(deps: AdminDeps, name: string, fields: Omit<PolicyDocumentInput, 'name'>): Promise<PolicyView> {
  if ((await deps.meta.getPolicy(name)) === undefined) throw notFound(`no policy ${JSON.stringify(name)}`);
  const document = await validatedDocument(deps, fields);
  return policyView(await deps.meta.putPolicy(name, document));
}

export async function deletePolicy(deps: AdminDeps, name: string): Promise<void> {
  if (name === deps.defaultPolicy) throw new Problem('conflict', `the default policy ${JSON.stringify(name)} cannot be deleted`);
  try {
    await deps.meta.deletePolicy(name);
  } catch (error) {
    if (isMetaError(error, 'policy-in-use')) throw new Problem('conflict', `policy ${JSON.stringify(name)} is used by a bucket`, { cause: error });
    if (isMetaError(error, 'no-such-policy')) throw notFound(`no policy ${JSON.stringify(name)}`);
    throw error;
  }
}

const policyTarget = (params: Readonly<Record<string, string>>, body: unknown): string => `policy/${params.name ?? rawField(body, 'name') ?? rawField(body, 'id') ?? '-'}`;

export const policyRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/policies',
    operationId: 'listPolicies',
    summary: 'The latest version of every policy',
    tag: 'policies',
    auth: 'any',
    responses: [{ status: 200, description: 'Policies by name', schema: policyListSchema }],
    handle: async ({ deps }) => json(200, policyListSchema, { policies: (await deps.meta.listPolicies()).map(policyView) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/policies',
    operationId: 'createPolicy',
    summary: 'Creates version 1 of a policy',
    tag: 'policies',
    auth: 'admin',
    body: policyCreateSchema,
    responses: [{ status: 201, description: 'The stored policy', schema: policySchema }],
    audit: { operation: 'policy.create', target: policyTarget },
    handle: async ({ deps, body }) => json(201, policySchema, await createPolicy(deps, body.name, documentFields(body))),
  }),
  defineRoute<undefined, z.output<typeof policyGetQuerySchema>>({
    method: 'GET',
    path: '/api/v1/policies/{name}',
    operationId: 'getPolicy',
    summary: 'The latest (or the given) version of a policy',
    tag: 'policies',
    auth: 'any',
    query: policyGetQuerySchema,
    responses: [{ status: 200, description: 'The policy version', schema: policySchema }],
    handle: async (ctx) => {
      const name = param(ctx, 'name');
      const stored = await ctx.deps.meta.getPolicy(name, ctx.query.version);
      if (stored === undefined) throw notFound(ctx.query.version === undefined ? `no policy ${JSON.stringify(name)}` : `policy ${JSON.stringify(name)} has no version ${ctx.query.version}`);
      return json(200, policySchema, policyView(stored));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/policies/{name}/versions',
    operationId: 'listPolicyVersions',
    summary: 'Every version of a policy, oldest first',
    tag: 'policies',
    auth: 'any',
    responses: [{ status: 200, description: 'The versions', schema: policyVersionsSchema }],
    handle: async (ctx) => {
      const name = param(ctx, 'name');
      const versions = await ctx.deps.meta.listPolicyVersions(name);
      if (versions.length === 0) throw notFound(`no policy ${JSON.stringify(name)}`);
      return json(200, policyVersionsSchema, { versions: [...versions].sort((a, b) => a.version - b.version).map(policyView) });
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/v1/policies/{name}',
    operationId: 'updatePolicy',
    summary: 'Stores the body as the next version (an identical body returns the latest version unchanged)',
    tag: 'policies',
    auth: 'admin',
    body: policyUpdateSchema,
    responses: [{ status: 200, description: 'The latest version', schema: policySchema }],
    audit: { operation: 'policy.update', target: policyTarget },
    handle: async (ctx) => {
      const name = param(ctx, 'name');
      if (ctx.body.name !== undefined && ctx.body.name !== name) {
        throw Problem.invalid([{ path: 'name', message: `must be the name in the path (${JSON.stringify(name)}), got ${JSON.stringify(ctx.body.name)}` }]);
      }
      return json(200, policySchema, await updatePolicy(ctx.deps, name, documentFields(ctx.body)));
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/policies/{name}',
    operationId: 'deletePolicy',
    summary: 'Deletes every version of a policy no bucket uses',
    tag: 'policies',
    auth: 'admin',
    responses: [{ status: 204, description: 'Deleted' }],
    audit: { operation: 'policy.delete', target: policyTarget },
    handle: async (ctx) => {
      await deletePolicy(ctx.deps, param(ctx, 'name'));
      return noContent;
    },
  }),
];

export { documentFields };
