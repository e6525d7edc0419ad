// Locations under /api/v1/locations: listed with their live health, added after a store check, edited, retired.

import type { z } from 'zod';
import type { HealthSnapshot } from '../../dispersal/health.ts';
import type { LocationStoreSpec, LocationView, NewLocationInput } from '../deps.ts';
import { Problem } from '../problem.ts';
import { ATTRIBUTE_NAMES, jobAcceptedSchema, locationCreateSchema, locationListSchema, locationPatchSchema, locationSchema, type AttributeName } from '../schemas.ts';
import { jobView } from './jobs.ts';
import { defineRoute, iso, isoOrNull, json, param, rawField, type Route } from './route.ts';

type LocationJson = z.output<typeof locationSchema>;
type StoreJson = LocationJson['store'];
type HealthJson = NonNullable<LocationJson['health']>;

const KIND_OF_STORE = { fs: 'local', s3: 'cloud', edge: 'edge' } as const;

function storeView(spec: LocationStoreSpec): StoreJson {
  switch (spec.type) {
    case 'fs':
      return { type: 'fs', dir: spec.dir };
    case 's3':
    case 'edge':
      return { type: spec.type, endpoint: spec.endpoint, bucket: spec.bucket, region: spec.region, access_key_id: spec.accessKeyId, prefix: spec.prefix ?? '' };
    default: {
      const unknown: never = spec;
      throw new Error(`unknown store type ${JSON.stringify(unknown)}`);
    }
  }
}

function healthView(h: HealthSnapshot): HealthJson {
  const latency = (c: HealthSnapshot['latency']['small']) => ({ ewma_ms: c.ewmaMs, p95_ms: c.p95Ms, samples: c.samples });
  return {
    breaker: h.breaker,
    error_rate: h.errorRate,
    successes: h.successes,
    failures: { error: h.failures.error, timeout: h.failures.timeout, integrity: h.failures.integrity },
    latency: { small: latency(h.latency.small), large: latency(h.latency.large) },
  };
}

/** The stored attributes the API knows, as stored (snake_case). */
export function attributesOf(stored: unknown): Partial<Record<AttributeName, unknown>> {
  const out: Partial<Record<AttributeName, unknown>> = {};
  if (typeof stored !== 'object' || stored === null) return out;
  for (const name of ATTRIBUTE_NAMES) {
    const value = (stored as Record<string, unknown>)[name];
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

export function locationKind(kind: string): LocationJson['kind'] {
  if (kind === 'local' || kind === 'cloud' || kind === 'edge') return kind;
  throw new Error(`stored location has an unknown kind ${JSON.stringify(kind)}`);
}

export function locationView(view: LocationView): LocationJson {
  const r = view.record;
  return {
    id: r.id,
    kind: locationKind(r.kind),
    store: storeView(r.store as LocationStoreSpec),
    attributes: attributesOf(r.attributes) as LocationJson['attributes'],
    trust_zone: r.trustZone,
    isolation_tier: r.isolationTier,
    status: view.status,
    created_at: iso(r.createdAt),
    retired_at: isoOrNull(r.retiredAt),
    health: view.health === undefined ? null : healthView(view.health),
  };
}

function withoutNulls(attributes: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) if (value !== null && value !== undefined) out[name] = value;
  return out;
}

function newLocationInput(body: z.output<typeof locationCreateSchema>): NewLocationInput {
  const expected = KIND_OF_STORE[body.store.type];
  if (body.kind !== undefined && body.kind !== expected) {
    throw Problem.invalid([{ path: 'kind', message: `must be ${JSON.stringify(expected)} for a store of type ${body.store.type}, got ${JSON.stringify(body.kind)}` }]);
  }
  const store: LocationStoreSpec =
    body.store.type === 'fs'
      ? { type: 'fs', dir: body.store.dir }
      : {
          type: body.store.type,
          endpoint: body.store.endpoint,
          bucket: body.store.bucket,
          region: body.store.region,
          accessKeyId: body.store.access_key_id,
          ...(body.store.prefix === undefined ? {} : { prefix: body.store.prefix }),
        };
  if (store.type !== 'fs' && body.secret_access_key === undefined) {
    throw Problem.invalid([{ path: 'secret_access_key', message: `is required for a store of type ${store.type}` }]);
  }
  return {
    id: body.id,
    store,
    attributes: withoutNulls(body.attributes),
    ...(body.secret_access_key === undefined ? {} : { secretAccessKey: body.secret_access_key }),
    ...(body.trust_zone === undefined ? {} : { trustZone: body.trust_zone }),
    ...(body.isolation_tier === undefined ? {} : { isolationTier: body.isolation_tier }),
  };
}

const target = (params: Readonly<Record<string, string>>, body: unknown): string => `location/${params.id ?? rawField(body, 'id') ?? '-'}`;

export const locationRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/locations',
    operationId: 'listLocations',
    summary: 'Every location, retired ones included',
    tag: 'locations',
    auth: 'any',
    responses: [{ status: 200, description: 'Locations by id', schema: locationListSchema }],
    handle: async ({ deps }) => json(200, locationListSchema, { locations: (await deps.locations.list()).map(locationView) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/locations',
    operationId: 'addLocation',
    summary: 'Adds a location once its store answers (write, read and delete of a probe object)',
    tag: 'locations',
    auth: 'admin',
    body: locationCreateSchema,
    responses: [{ status: 201, description: 'The new location', schema: locationSchema }],
    audit: { operation: 'location.create', target },
    handle: async ({ deps, body }) => json(201, locationSchema, locationView(await deps.locations.add(newLocationInput(body)))),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/locations/{id}',
    operationId: 'getLocation',
    summary: 'One location',
    tag: 'locations',
    auth: 'any',
    responses: [{ status: 200, description: 'The location', schema: locationSchema }],
    handle: async (ctx) => json(200, locationSchema, locationView(await ctx.deps.locations.get(param(ctx, 'id')))),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/v1/locations/{id}',
    operationId: 'updateLocation',
    summary: 'Replaces the attributes given (null removes one), the trust zone or the isolation tier',
    tag: 'locations',
    auth: 'admin',
    body: locationPatchSchema,
    responses: [{ status: 200, description: 'The location', schema: locationSchema }],
    audit: { operation: 'location.update', target },
    handle: async (ctx) => {
      const { attributes, trust_zone: trustZone, isolation_tier: isolationTier } = ctx.body;
      const view = await ctx.deps.locations.updateAttributes(param(ctx, 'id'), {
        ...(attributes === undefined ? {} : { attributes }),
        ...(trustZone === undefined ? {} : { trustZone }),
        ...(isolationTier === undefined ? {} : { isolationTier }),
      });
      return json(200, locationSchema, locationView(view));
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/locations/{id}',
    operationId: 'retireLocation',
    summary: 'Retires a location: nothing new goes there and an evacuation job moves its fragments elsewhere',
    tag: 'locations',
    auth: 'admin',
    responses: [{ status: 202, description: 'The evacuation job', schema: jobAcceptedSchema }],
    audit: { operation: 'location.retire', target },
    handle: async (ctx) => json(202, jobAcceptedSchema, { job: jobView(await ctx.deps.locations.retire(param(ctx, 'id'))) }),
  }),
];
