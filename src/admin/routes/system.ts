// The gateway itself: version and state at a glance, Prometheus metrics, liveness and readiness.

import { getGfKernel } from '../../core/gf256/index.ts';
import { liveSchema, readySchema, systemSchema } from '../schemas.ts';
import { jobView } from './jobs.ts';
import { defineRoute, json, type Route } from './route.ts';

export const systemRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/system',
    operationId: 'system',
    summary: 'Version, S3 endpoint, GF backend, metadata engine, repair queue, last scrub, running jobs, location health',
    tag: 'system',
    auth: 'any',
    responses: [{ status: 200, description: 'The gateway', schema: systemSchema }],
    handle: async ({ deps }) => {
      const views = await deps.locations.list();
      const healthy = views.filter((v) => v.status === 'active' && v.health !== undefined && v.health.breaker === 'closed').length;
      const lastScrub = deps.jobs.lastScrub();
      return json(200, systemSchema, {
        version: deps.version,
        s3_url: deps.s3Url ?? null,
        gf_backend: getGfKernel().backend,
        metadata_engine: deps.meta.engine,
        repair_queue_depth: await deps.meta.repairQueueDepth(),
        last_scrub: lastScrub === undefined ? null : jobView(lastScrub),
        jobs_running: deps.jobs.list().filter((j) => j.state === 'running').length,
        locations: { total: views.length, healthy },
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus text exposition',
    tag: 'system',
    auth: 'public',
    responses: [{ status: 200, description: 'Metrics', contentType: 'text/plain; version=0.0.4' }],
    handle: async ({ deps }) => {
      const { contentType, body } = await deps.metricsText();
      return { kind: 'text', status: 200, contentType, body };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/health/live',
    operationId: 'live',
    summary: 'Answers while the process serves',
    tag: 'system',
    auth: 'public',
    responses: [{ status: 200, description: 'Live', schema: liveSchema }],
    handle: () => Promise.resolve(json(200, liveSchema, { status: 'live' })),
  }),
  defineRoute({
    method: 'GET',
    path: '/health/ready',
    operationId: 'ready',
    summary: 'Ready when the metadata store answers and at least k locations of the default policy are healthy',
    tag: 'system',
    auth: 'public',
    responses: [
      { status: 200, description: 'Ready', schema: readySchema },
      { status: 503, description: 'Not ready; the body says why', schema: readySchema },
    ],
    handle: async ({ deps }) => {
      const r = await deps.ready();
      return json(r.ready ? 200 : 503, readySchema, { ready: r.ready, metadata: r.metadata, healthy_locations: r.healthyLocations, needed: r.needed, detail: r.detail });
    },
  }),
];
