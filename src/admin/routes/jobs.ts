// Background jobs: start a scrub or a repair run, follow any job (evacuations too).

import type { z } from 'zod';
import type { JobView } from '../deps.ts';
import { jobAcceptedSchema, jobListSchema, jobSchema, repairRequestSchema, scrubRequestSchema } from '../schemas.ts';
import { defineRoute, iso, isoOrNull, json, notFound, param, rawField, type Route } from './route.ts';

export function jobView(job: JobView): z.output<typeof jobSchema> {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    target: job.target ?? null,
    started_at: iso(job.startedAt),
    finished_at: isoOrNull(job.finishedAt),
    done: job.done,
    total: job.total,
    summary: { ...job.summary },
    error: job.error ?? null,
  };
}

export const jobRoutes: readonly Route[] = [
  defineRoute({
    method: 'POST',
    path: '/api/v1/scrub',
    operationId: 'startScrub',
    summary: 'Starts a scrub: checks every fragment (exists, or also its hash) and queues repairs',
    tag: 'jobs',
    auth: 'admin',
    body: scrubRequestSchema,
    responses: [{ status: 202, description: 'The scrub job', schema: jobAcceptedSchema }],
    audit: { operation: 'scrub.start', target: (_params, body) => `scrub/${rawField(body, 'bucket') ?? '*'}` },
    handle: async ({ deps, body }) => {
      // A scrub of one bucket needs the bucket: a typo is a 404, not an empty job.
      if (body.bucket !== undefined) await deps.buckets.get(body.bucket);
      const job = deps.jobs.start('scrub', { mode: body.mode ?? 'full', ...(body.bucket === undefined ? {} : { bucket: body.bucket }) });
      return json(202, jobAcceptedSchema, { job: jobView(job) });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/repair',
    operationId: 'startRepair',
    summary: 'Starts a repair run over the repair queue (recoding needs no key)',
    tag: 'jobs',
    auth: 'admin',
    body: repairRequestSchema,
    responses: [{ status: 202, description: 'The repair job', schema: jobAcceptedSchema }],
    audit: { operation: 'repair.start', target: () => 'repair' },
    handle: ({ deps }) => Promise.resolve(json(202, jobAcceptedSchema, { job: jobView(deps.jobs.start('repair', {})) })),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/jobs',
    operationId: 'listJobs',
    summary: 'Jobs, newest first',
    tag: 'jobs',
    auth: 'admin',
    responses: [{ status: 200, description: 'Jobs', schema: jobListSchema }],
    handle: ({ deps }) => Promise.resolve(json(200, jobListSchema, { jobs: [...deps.jobs.list()].sort((a, b) => b.startedAt - a.startedAt).map(jobView) })),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/jobs/{id}',
    operationId: 'getJob',
    summary: 'One job',
    tag: 'jobs',
    auth: 'admin',
    responses: [{ status: 200, description: 'The job', schema: jobSchema }],
    handle: (ctx) => {
      const id = param(ctx, 'id');
      const job = ctx.deps.jobs.get(id);
      if (job === undefined) throw notFound(`no job ${JSON.stringify(id)}`);
      return Promise.resolve(json(200, jobSchema, jobView(job)));
    },
  }),
];
