// Cloud and edge telemetry in the SERRANO shape: static attributes, probe round-trip times, periods of unavailability.

import type { z } from 'zod';
import { PROBE_KINDS, type ProbeKind } from '../../meta/types.ts';
import type { AdminDeps, LocationTelemetry, LocationView, RttStats } from '../deps.ts';
import { cloudLocationTelemetrySchema, cloudTelemetryListSchema, edgeLocationTelemetrySchema, edgeTelemetryListSchema, probeResultSchema, rttStatsSchema, telemetryQuerySchema } from '../schemas.ts';
import { attributesOf, locationKind } from './locations.ts';
import { defineRoute, iso, isoOrNull, json, type Route } from './route.ts';

export type TelemetryQuery = z.output<typeof telemetryQuerySchema>;
type CloudJson = z.output<typeof cloudLocationTelemetrySchema>;
type EdgeJson = z.output<typeof edgeLocationTelemetrySchema>;
type ProbeName = 'upload_1B' | 'download_1B' | 'upload_1MB' | 'download_1MB';

const DAY_MS = 86_400_000;

function probeName(kind: ProbeKind): ProbeName {
  switch (kind) {
    case 'upload-1B':
      return 'upload_1B';
    case 'download-1B':
      return 'download_1B';
    case 'upload-1MB':
      return 'upload_1MB';
    case 'download-1MB':
      return 'download_1MB';
    default: {
      const unknown: never = kind;
      throw new Error(`unknown probe ${String(unknown)}`);
    }
  }
}

function rttView(s: RttStats): z.output<typeof rttStatsSchema> {
  return { count: s.count, failures: s.failures, mean_ms: s.meanMs, p50_ms: s.p50Ms, p95_ms: s.p95Ms, min_ms: s.minMs, max_ms: s.maxMs, last_ms: s.lastMs, last_at: isoOrNull(s.lastAt) };
}

function dynamicView(t: LocationTelemetry, status: LocationView['status']): Pick<CloudJson, 'status' | 'rtt' | 'unavailability' | 'samples'> {
  const rtt = Object.fromEntries(PROBE_KINDS.map((kind) => [probeName(kind), rttView(t.rtt[kind])])) as CloudJson['rtt'];
  return {
    status,
    rtt,
    unavailability: t.unavailability.map((o) => ({ start: iso(o.start), end: isoOrNull(o.end) })),
    ...(t.samples === undefined ? {} : { samples: t.samples.map((s) => ({ probe: probeName(s.probe), at: iso(s.at), ok: s.ok, rtt_ms: s.rttMs })) }),
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

async function summaries(deps: AdminDeps, query: TelemetryQuery, wanted: (kind: 'local' | 'cloud' | 'edge') => boolean): Promise<{ view: LocationView; telemetry: LocationTelemetry }[]> {
  const sinceMs = deps.now() - (query.days ?? 30) * DAY_MS;
  const views = (await deps.locations.list()).filter((v) => wanted(locationKind(v.record.kind)));
  return Promise.all(views.map(async (view) => ({ view, telemetry: await deps.telemetry.summary(view.record.id, { sinceMs, samples: query.samples === 'true' }) })));
}

export async function cloudTelemetry(deps: AdminDeps, query: TelemetryQuery): Promise<CloudJson[]> {
  const found = await summaries(deps, query, (kind) => kind !== 'edge');
  return found.map(({ view, telemetry }) => {
    const a = attributesOf(view.record.attributes);
    const kind = locationKind(view.record.kind);
    return {
      id: view.record.id,
      kind: kind === 'edge' ? 'cloud' : kind,
      provider: str(a.provider),
      url: str(a.url),
      latitude: num(a.latitude),
      longitude: num(a.longitude),
      country: str(a.country),
      city: str(a.city),
      region: str(a.region),
      jurisdiction: str(a.jurisdiction),
      gdpr_compliant: bool(a.gdpr_compliant),
      storage_cost_per_gb_month: num(a.storage_cost_per_gb_month),
      ingress_cost_per_gb: num(a.ingress_cost_per_gb),
      egress_cost_per_gb: num(a.egress_cost_per_gb),
      ...dynamicView(telemetry, view.status),
    };
  });
}

export async function edgeTelemetry(deps: AdminDeps, query: TelemetryQuery): Promise<EdgeJson[]> {
  const found = await summaries(deps, query, (kind) => kind === 'edge');
  return found.map(({ view, telemetry }) => {
    const a = attributesOf(view.record.attributes);
    const store = view.record.store as { readonly endpoint?: unknown };
    return {
      id: view.record.id,
      kind: 'edge' as const,
      name: str(a.name),
      description: str(a.description),
      cluster_id: str(a.cluster_id),
      s3_url: str(store.endpoint),
      team_id: str(a.team_id),
      region: str(a.region),
      ...dynamicView(telemetry, view.status),
    };
  });
}

/** The telemetry of local and cloud locations (`cloud`) or of edge locations (`edge`), at `path`. */
export function locationTelemetryRoute(kind: 'cloud' | 'edge', path: string, operationId: string, summary: string, tag: string): Route {
  if (kind === 'cloud') {
    return defineRoute<undefined, TelemetryQuery>({
      method: 'GET',
      path,
      operationId,
      summary,
      tag,
      auth: 'any',
      query: telemetryQuerySchema,
      responses: [{ status: 200, description: 'Locations with their telemetry', schema: cloudTelemetryListSchema }],
      handle: async ({ deps, query }) => json(200, cloudTelemetryListSchema, await cloudTelemetry(deps, query)),
    });
  }
  return defineRoute<undefined, TelemetryQuery>({
    method: 'GET',
    path,
    operationId,
    summary,
    tag,
    auth: 'any',
    query: telemetryQuerySchema,
    responses: [{ status: 200, description: 'Edge locations with their telemetry', schema: edgeTelemetryListSchema }],
    handle: async ({ deps, query }) => json(200, edgeTelemetryListSchema, await edgeTelemetry(deps, query)),
  });
}

export const telemetryRoutes: readonly Route[] = [
  locationTelemetryRoute('cloud', '/api/v1/cloud_locations', 'cloudLocations', 'Local and cloud locations: SERRANO attributes, probe round-trip times, unavailability', 'telemetry'),
  locationTelemetryRoute('edge', '/api/v1/edge_locations', 'edgeLocations', 'Edge locations: their fields, probe round-trip times, unavailability', 'telemetry'),
  defineRoute({
    method: 'POST',
    path: '/api/v1/telemetry/probe',
    operationId: 'probeNow',
    summary: 'Runs a probe round over every active location now, and answers when it is done',
    tag: 'telemetry',
    auth: 'admin',
    responses: [{ status: 200, description: 'The round finished', schema: probeResultSchema }],
    audit: { operation: 'telemetry.probe', target: () => 'locations' },
    handle: async ({ deps }) => {
      await deps.telemetry.probeAll();
      const active = (await deps.locations.list()).filter((v) => v.status === 'active').length;
      return json(200, probeResultSchema, { locations: active, finished_at: iso(deps.now()) });
    },
  }),
];
