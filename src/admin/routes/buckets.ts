// Buckets: listed with their usage per team, their policy version, deleted when empty, or crypto-shredded.

import type { z } from 'zod';
import { effectiveScope } from '../../meta/types.ts';
import type { AdminPrincipal, BucketView } from '../deps.ts';
import { bucketDeleteQuerySchema, bucketListSchema, bucketSchema, policySchema, shreddedSchema } from '../schemas.ts';
import { policyView } from './policies.ts';
import { caller, defineRoute, iso, json, noContent, notFound, param, type Route, type RouteContext } from './route.ts';

export function bucketView(b: BucketView): z.output<typeof bucketSchema> {
  return {
    name: b.name,
    team_id: b.teamId,
    policy: { name: b.policy.name, version: b.policy.version },
    objects: b.objects,
    logical_bytes: b.logicalBytes,
    stored_bytes: b.storedBytes,
    created_at: iso(b.createdAt),
  };
}

/** Administrators see every bucket; a key sees its team's buckets its scope does not shut it out of. */
function visible(who: AdminPrincipal, bucket: BucketView): boolean {
  if (who.admin) return true;
  return who.key !== undefined && effectiveScope(who.key, { name: bucket.name, teamId: bucket.teamId }) !== 'none';
}

/** A bucket the caller may see; one it may not is reported exactly as a missing one. */
async function visibleBucket(ctx: RouteContext<unknown, unknown>): Promise<BucketView> {
  const name = param(ctx, 'name');
  const bucket = await ctx.deps.buckets.get(name);
  if (!visible(caller(ctx), bucket)) throw notFound(`no bucket ${JSON.stringify(name)}`);
  return bucket;
}

export const bucketRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/buckets',
    operationId: 'listBuckets',
    summary: "Buckets with their usage (administrators see every team's)",
    tag: 'buckets',
    auth: 'any',
    responses: [{ status: 200, description: 'Buckets by name', schema: bucketListSchema }],
    handle: async (ctx) => {
      const who = caller(ctx);
      const buckets = await ctx.deps.buckets.list(who.admin ? undefined : who.teamId);
      return json(200, bucketListSchema, { buckets: buckets.filter((b) => visible(who, b)).map(bucketView) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/buckets/{name}',
    operationId: 'getBucket',
    summary: 'One bucket',
    tag: 'buckets',
    auth: 'any',
    responses: [{ status: 200, description: 'The bucket', schema: bucketSchema }],
    handle: async (ctx) => json(200, bucketSchema, bucketView(await visibleBucket(ctx))),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/buckets/{name}/policy',
    operationId: 'getBucketPolicy',
    summary: 'The policy version the bucket uses',
    tag: 'buckets',
    auth: 'any',
    responses: [{ status: 200, description: 'The policy version', schema: policySchema }],
    handle: async (ctx) => {
      const bucket = await visibleBucket(ctx);
      const stored = await ctx.deps.meta.getPolicy(bucket.policy.name, bucket.policy.version);
      if (stored === undefined) throw new Error(`bucket ${bucket.name} refers to a missing policy ${bucket.policy.name} v${bucket.policy.version}`);
      return json(200, policySchema, policyView(stored));
    },
  }),
  defineRoute<undefined, z.output<typeof bucketDeleteQuerySchema>>({
    method: 'DELETE',
    path: '/api/v1/buckets/{name}',
    operationId: 'deleteBucket',
    summary: 'Deletes an empty bucket; with shred=true destroys its key first, making every object unrecoverable',
    tag: 'buckets',
    auth: 'admin',
    query: bucketDeleteQuerySchema,
    responses: [
      { status: 204, description: 'Deleted (empty bucket)' },
      { status: 200, description: 'Shredded', schema: shreddedSchema },
    ],
    audit: { operation: 'bucket.delete', target: (params) => `bucket/${params.name ?? '-'}` },
    handle: async (ctx) => {
      const name = param(ctx, 'name');
      if (ctx.query.shred === 'true') {
        ctx.refineAudit({ operation: 'bucket.shred' });
        const who = caller(ctx);
        const { objects } = await ctx.deps.buckets.shred(name, { accessKeyId: who.accessKeyId, teamId: who.teamId, requestId: ctx.requestId });
        return json(200, shreddedSchema, { shredded: true, objects });
      }
      await ctx.deps.buckets.remove(name);
      return noContent;
    },
  }),
];
