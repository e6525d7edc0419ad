// Request and response bodies of the admin API as zod schemas: what requests are checked against and what OpenAPI says.

import { z } from 'zod';
import { LOCATION_ID_PATTERN, policyDocumentFields, policyNameSchema } from '../objects/policy-document.ts';

/** Named schemas become components of the OpenAPI document; requests are documented as input, responses as output. */
export interface SchemaMeta {
  readonly id: string;
  readonly description?: string;
}

export const requestRegistry = z.registry<SchemaMeta>();
export const responseRegistry = z.registry<SchemaMeta>();

function request<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  requestRegistry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

function response<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responseRegistry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

/** RFC 3339 in UTC with milliseconds, as Date#toISOString writes it. */
const time = z.iso.datetime().meta({ description: 'RFC 3339 time in UTC.' });
const nullableTime = time.nullable();
const count = z.number().int().nonnegative();

// ---------------------------------------------------------------------------------------------------------------------
// Problems (RFC 9457)

export const fieldErrorSchema = z.strictObject({
  path: z.string().meta({ description: 'Dotted path of the field, e.g. `redundancy.redundant_packets`; empty for the whole body.' }),
  message: z.string(),
});

export const problemSchema = response(
  'Problem',
  z.strictObject({
    type: z.string().meta({ description: '`urn:dispersa:problem:<kind>`' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(fieldErrorSchema).optional(),
    instance: z.string(),
    request_id: z.string(),
  }),
  'An error, as application/problem+json.',
);

// ---------------------------------------------------------------------------------------------------------------------
// Root, health, system

export const rootSchema = response('ApiPointer', z.strictObject({ name: z.literal('dispersa'), version: z.string(), openapi: z.string() }));
export const liveSchema = response('Live', z.strictObject({ status: z.literal('live') }));
export const readySchema = response(
  'Ready',
  z.strictObject({ ready: z.boolean(), metadata: z.boolean(), healthy_locations: count, needed: count, detail: z.string() }),
  'Ready when the metadata store answers and at least k locations of the default policy are healthy.',
);

// ---------------------------------------------------------------------------------------------------------------------
// Jobs

export const jobSchema = response(
  'Job',
  z.strictObject({
    id: z.string(),
    kind: z.enum(['scrub', 'repair', 'evacuate']),
    state: z.enum(['running', 'done', 'failed']),
    target: z.string().nullable(),
    started_at: time,
    finished_at: nullableTime,
    done: count,
    total: count,
    summary: z.record(z.string(), z.number()),
    error: z.string().nullable(),
  }),
);
export const jobAcceptedSchema = response('JobAccepted', z.strictObject({ job: jobSchema }));
export const jobListSchema = response('JobList', z.strictObject({ jobs: z.array(jobSchema) }));
export const scrubRequestSchema = request(
  'ScrubRequest',
  z.strictObject({
    mode: z.enum(['head', 'full']).optional().meta({ description: '`head` checks fragments exist, `full` also reads and hashes them; default full.' }),
    bucket: z.string().min(1).optional(),
  }),
);
export const repairRequestSchema = request('RepairRequest', z.strictObject({}));

export const systemSchema = response(
  'System',
  z.strictObject({
    version: z.string(),
    s3_url: z.string().nullable().meta({ description: 'The S3 endpoint clients (the portal) call.' }),
    gf_backend: z.string(),
    metadata_engine: z.enum(['sqlite', 'postgres']),
    repair_queue_depth: count,
    last_scrub: jobSchema.nullable(),
    jobs_running: count,
    locations: z.strictObject({ total: count, healthy: count }),
  }),
);

// ---------------------------------------------------------------------------------------------------------------------
// Storage policies

const policyResponseFields = {
  id: z.string().meta({ description: 'The name (the SERRANO id).' }),
  name: z.string(),
  version: z.number().int().positive(),
  created_at: time,
  description: z.string(),
  backends: z.array(z.string()),
  edge_devices: z.array(z.string()),
  redundancy: z.strictObject({ scheme: z.literal('RLNC'), data_packets: z.number().int(), redundant_packets: z.number().int(), systematic: z.boolean() }),
  compression: z.strictObject({ scheme: z.enum(['NONE', 'DEFLATE', 'BROTLI']), level: z.number().int() }),
  encryption: z.strictObject({ scheme: z.literal('AES'), key_size: z.literal(256), mode: z.literal('GCM') }),
  generation_size: z.number().int(),
  write_quorum: z.number().int(),
  coefficients: z.enum(['inline', 'metadata']),
};

export const policySchema = response('Policy', z.strictObject(policyResponseFields), 'A stored policy version with every default filled in.');
export const policyListSchema = response('PolicyList', z.strictObject({ policies: z.array(policySchema) }));
export const policyVersionsSchema = response('PolicyVersions', z.strictObject({ versions: z.array(policySchema) }));
export const serranoPolicyListSchema = response('SerranoPolicyList', z.array(policySchema));

export const policyCreateSchema = request('PolicyCreate', z.strictObject({ name: policyNameSchema, ...policyDocumentFields }));
export const policyUpdateSchema = request(
  'PolicyUpdate',
  z.strictObject({ name: policyNameSchema.optional().meta({ description: 'When given, must be the name in the path.' }), ...policyDocumentFields }),
);
export const serranoPolicyCreateSchema = request(
  'SerranoPolicyCreate',
  z.strictObject({ name: policyNameSchema, id: policyNameSchema.optional().meta({ description: 'When given, must equal name.' }), ...policyDocumentFields }),
);
export const serranoPolicyUpdateSchema = request(
  'SerranoPolicyUpdate',
  z.strictObject({ id: policyNameSchema, name: policyNameSchema.optional().meta({ description: 'When given, must equal id.' }), ...policyDocumentFields }),
);

export const policyGetQuerySchema = z.strictObject({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, { error: (issue) => `must be a version number >= 1, got ${JSON.stringify(issue.input)}` })
    .transform(Number)
    .optional(),
});

// ---------------------------------------------------------------------------------------------------------------------
// Locations and telemetry

const locationId = z.string().regex(LOCATION_ID_PATTERN);
const locationKind = z.enum(['local', 'cloud', 'edge']);

const attributeTypes = {
  provider: z.string(),
  url: z.string(),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  country: z.string(),
  city: z.string(),
  region: z.string(),
  jurisdiction: z.string(),
  gdpr_compliant: z.boolean(),
  storage_cost_per_gb_month: z.number().nonnegative(),
  ingress_cost_per_gb: z.number().nonnegative(),
  egress_cost_per_gb: z.number().nonnegative(),
  name: z.string(),
  description: z.string(),
  cluster_id: z.string(),
  team_id: z.string(),
} as const;
export type AttributeName = keyof typeof attributeTypes;
export const ATTRIBUTE_NAMES = Object.keys(attributeTypes) as AttributeName[];

/** Input: every attribute optional; `null` removes one on PATCH. */
export const locationAttributesInputSchema = request(
  'LocationAttributesInput',
  z.strictObject(Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, attributeTypes[name].nullable().optional()])) as { [K in AttributeName]: z.ZodOptional<z.ZodNullable<(typeof attributeTypes)[K]>> }),
  'SERRANO attributes of a cloud location, and the fields of an edge location; `null` removes one.',
);
export const locationAttributesSchema = response(
  'LocationAttributes',
  z.strictObject(Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, attributeTypes[name].optional()])) as { [K in AttributeName]: z.ZodOptional<(typeof attributeTypes)[K]> }),
);

const fsStoreInput = z.strictObject({ type: z.literal('fs'), dir: z.string().min(1) });
const s3StoreInput = z.strictObject({
  type: z.enum(['s3', 'edge']),
  endpoint: z.url({ protocol: /^https?$/ }),
  bucket: z.string().min(1),
  region: z.string().min(1),
  access_key_id: z.string().min(1),
  prefix: z.string().optional(),
});
export const locationStoreInputSchema = request('LocationStoreInput', z.discriminatedUnion('type', [fsStoreInput, s3StoreInput]));

const locationStoreSchema = response(
  'LocationStore',
  z.union([
    z.strictObject({ type: z.literal('fs'), dir: z.string() }),
    z.strictObject({ type: z.enum(['s3', 'edge']), endpoint: z.string(), bucket: z.string(), region: z.string(), access_key_id: z.string(), prefix: z.string() }),
  ]),
);

export const locationCreateSchema = request(
  'LocationCreate',
  z.strictObject({
    id: locationId,
    kind: locationKind.optional().meta({ description: 'Follows from store.type (fs: local, s3: cloud, edge: edge); when given, must agree.' }),
    store: locationStoreInputSchema,
    secret_access_key: z.string().min(1).optional().meta({ description: 'Input only: stored wrapped by the master key, never returned.' }),
    attributes: locationAttributesInputSchema.optional(),
    trust_zone: z.string().min(1).optional(),
    isolation_tier: z.number().int().nonnegative().optional(),
  }),
);
export const locationPatchSchema = request(
  'LocationPatch',
  z.strictObject({ attributes: locationAttributesInputSchema.optional(), trust_zone: z.string().min(1).optional(), isolation_tier: z.number().int().nonnegative().optional() }),
);

const latencySchema = z.strictObject({ ewma_ms: z.number().nullable(), p95_ms: z.number().nullable(), samples: count });
export const locationHealthSchema = response(
  'LocationHealth',
  z.strictObject({
    breaker: z.enum(['closed', 'open', 'half-open']),
    error_rate: z.number(),
    successes: count,
    failures: z.strictObject({ error: count, timeout: count, integrity: count }),
    latency: z.strictObject({ small: latencySchema, large: latencySchema }),
  }),
);

export const locationSchema = response(
  'Location',
  z.strictObject({
    id: z.string(),
    kind: locationKind,
    store: locationStoreSchema,
    attributes: locationAttributesSchema,
    trust_zone: z.string(),
    isolation_tier: count,
    status: z.enum(['active', 'retiring', 'retired']),
    created_at: time,
    retired_at: nullableTime,
    health: locationHealthSchema.nullable().meta({ description: 'As this gateway sees it; null when it is not loaded.' }),
  }),
);
export const locationListSchema = response('LocationList', z.strictObject({ locations: z.array(locationSchema) }));

export const rttStatsSchema = response(
  'RttStats',
  z.strictObject({
    count,
    failures: count,
    mean_ms: z.number().nullable(),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
    min_ms: z.number().nullable(),
    max_ms: z.number().nullable(),
    last_ms: z.number().nullable(),
    last_at: nullableTime,
  }),
);
const rttSchema = z.strictObject({ upload_1B: rttStatsSchema, download_1B: rttStatsSchema, upload_1MB: rttStatsSchema, download_1MB: rttStatsSchema });
const outageSchema = z.strictObject({ start: time, end: nullableTime });
const sampleSchema = z.strictObject({ probe: z.enum(['upload_1B', 'download_1B', 'upload_1MB', 'download_1MB']), at: time, ok: z.boolean(), rtt_ms: z.number().nullable() });
const telemetryFields = {
  status: z.enum(['active', 'retiring', 'retired']),
  rtt: rttSchema,
  unavailability: z.array(outageSchema).meta({ description: 'Every period of unavailability, oldest first; `end` null while it lasts.' }),
  samples: z.array(sampleSchema).optional().meta({ description: 'Raw samples of the window, with `samples=true`.' }),
};

export const cloudLocationTelemetrySchema = response(
  'CloudLocationTelemetry',
  z.strictObject({
    id: z.string(),
    kind: z.enum(['local', 'cloud']),
    provider: z.string().nullable(),
    url: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    country: z.string().nullable(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    jurisdiction: z.string().nullable(),
    gdpr_compliant: z.boolean().nullable(),
    storage_cost_per_gb_month: z.number().nullable(),
    ingress_cost_per_gb: z.number().nullable(),
    egress_cost_per_gb: z.number().nullable(),
    ...telemetryFields,
  }),
);
export const edgeLocationTelemetrySchema = response(
  'EdgeLocationTelemetry',
  z.strictObject({
    id: z.string(),
    kind: z.literal('edge'),
    name: z.string().nullable(),
    description: z.string().nullable(),
    cluster_id: z.string().nullable(),
    s3_url: z.string().nullable(),
    team_id: z.string().nullable(),
    region: z.string().nullable(),
    ...telemetryFields,
  }),
);
export const cloudTelemetryListSchema = response('CloudLocationTelemetryList', z.array(cloudLocationTelemetrySchema));
export const edgeTelemetryListSchema = response('EdgeLocationTelemetryList', z.array(edgeLocationTelemetrySchema));
export const telemetryQuerySchema = z.strictObject({
  days: z
    .string()
    .regex(/^([1-9]|[12][0-9]|30)$/, { error: (issue) => `must be a whole number of days in [1, 30], got ${JSON.stringify(issue.input)}` })
    .transform(Number)
    .optional(),
  samples: z.enum(['true', 'false']).optional(),
});
export const probeResultSchema = response('ProbeResult', z.strictObject({ locations: count, finished_at: time }));

// ---------------------------------------------------------------------------------------------------------------------
// Keys, tokens, whoami

const scope = z.enum(['full', 'read', 'none']);
const bucketName = z.string().min(1).max(255);
const teamId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: (issue) => `must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, got ${JSON.stringify(issue.input)}` });

const keyFields = {
  access_key_id: z.string(),
  team_id: z.string(),
  default_scope: scope,
  scopes: z.record(z.string(), scope),
  created_at: time,
  revoked_at: nullableTime,
};
export const keySchema = response('AccessKey', z.strictObject(keyFields));
export const keyCreatedSchema = response(
  'AccessKeyCreated',
  z.strictObject({ ...keyFields, secret_access_key: z.string().meta({ description: 'Shown this once.' }) }),
);
export const keyListSchema = response('AccessKeyList', z.strictObject({ keys: z.array(keySchema) }));
export const keyCreateSchema = request(
  'AccessKeyCreate',
  z.strictObject({
    team_id: teamId.optional().meta({ description: "Default: the caller's team; created when new." }),
    default_scope: scope.optional().meta({ description: 'Default full.' }),
    scopes: z.record(bucketName, scope).optional(),
  }),
);
export const scopesUpdateSchema = request(
  'ScopesUpdate',
  z.strictObject({ default_scope: scope.optional(), scopes: z.record(bucketName, scope.nullable()).meta({ description: "`null` removes a bucket's scope." }) }),
);
export const keysQuerySchema = z.strictObject({ team: z.string().min(1).optional() });

export const tokenCreateSchema = request(
  'TokenCreate',
  z.strictObject({
    access_key_id: z.string().min(1).optional().meta({ description: "Default: the caller's key; only administrators may name another." }),
    ttl_seconds: z.number().int().min(60).max(2_592_000).optional().meta({ description: 'Default 86400.' }),
    description: z.string().max(256).optional(),
  }),
);
export const tokenCreatedSchema = response(
  'TokenCreated',
  z.strictObject({ id: z.string(), token: z.string().meta({ description: 'Shown this once: `dsp_` and 43 base64url characters.' }), access_key_id: z.string(), expires_at: time }),
);
export const tokenSchema = response(
  'Token',
  z.strictObject({ id: z.string(), access_key_id: z.string(), description: z.string(), created_at: time, expires_at: nullableTime, revoked_at: nullableTime }),
);
export const tokenListSchema = response('TokenList', z.strictObject({ tokens: z.array(tokenSchema) }));

export const whoamiSchema = response(
  'Whoami',
  z.strictObject({ access_key_id: z.string(), team_id: z.string(), admin: z.boolean(), via: z.enum(['sigv4', 'token', 'root-token']), default_scope: scope, scopes: z.record(z.string(), scope) }),
);

// ---------------------------------------------------------------------------------------------------------------------
// Buckets

export const bucketSchema = response(
  'Bucket',
  z.strictObject({
    name: z.string(),
    team_id: z.string(),
    policy: z.strictObject({ name: z.string(), version: z.number().int() }),
    objects: count,
    logical_bytes: count,
    stored_bytes: count,
    created_at: time,
  }),
);
export const bucketListSchema = response('BucketList', z.strictObject({ buckets: z.array(bucketSchema) }));
export const bucketDeleteQuerySchema = z.strictObject({ shred: z.enum(['true', 'false']).optional() });
export const shreddedSchema = response('Shredded', z.strictObject({ shredded: z.literal(true), objects: count }));

// ---------------------------------------------------------------------------------------------------------------------
// Cache

const cacheFields = {
  enabled: z.boolean(),
  max_size_bytes: count,
  min_free_disk_bytes: count,
  max_file_size_bytes: count,
  mime_blacklist: z.array(z.string().min(1)).meta({ description: 'MIME types (exact, or `type/*`) never cached.' }),
  read_through: z.boolean(),
  encrypt: z.boolean().meta({ description: 'Encrypt cached files with a gateway-local key.' }),
};
export const cacheSettingsSchema = response('CacheSettings', z.strictObject(cacheFields));
export const cacheStatsSchema = response(
  'CacheStats',
  z.strictObject({ entries: count, bytes: count, hits: count, misses: count, evictions: count, corruptions: count, failures: count.meta({ description: 'Copies the cache could not keep (disk full, write errors): dropped, never served.' }) }),
);
export const cacheViewSchema = response('Cache', z.strictObject({ settings: cacheSettingsSchema, stats: cacheStatsSchema }));
export const cacheUpdateSchema = request('CacheUpdate', z.strictObject(cacheFields).partial());

// ---------------------------------------------------------------------------------------------------------------------
// Audit

export const auditEntrySchema = response(
  'AuditEntry',
  z.strictObject({
    seq: z.number().int().positive(),
    at: time,
    actor: z.string(),
    team_id: z.string(),
    operation: z.string(),
    target: z.string(),
    result: z.string(),
    request_id: z.string(),
    prev_hash: z.string(),
    hash: z.string().meta({ description: 'SHA-256 (hex) of the JSON array [seq, at_ms, actor, team_id, operation, target, result, request_id, prev_hash].' }),
  }),
);
export const auditPageSchema = response('AuditPage', z.strictObject({ entries: z.array(auditEntrySchema), next: z.number().int().nullable() }));
export const auditVerifySchema = response(
  'AuditVerification',
  z.strictObject({
    ok: z.boolean(),
    entries: count,
    first_problem: z.strictObject({ seq: z.number().int(), kind: z.enum(['altered', 'removed']), message: z.string() }).nullable(),
  }),
);
export const auditQuerySchema = z.strictObject({
  since: z
    .string()
    .refine((s) => /^[0-9]{1,15}$/.test(s) || (/^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s))), {
      error: (issue) => `must be a sequence number or an RFC 3339 time, got ${JSON.stringify(issue.input)}`,
    })
    .optional()
    .meta({ description: 'A sequence number (exclusive: the `next` of the previous page) or an RFC 3339 time (inclusive).' }),
  limit: z
    .string()
    .regex(/^([1-9][0-9]{0,2}|1000)$/, { error: (issue) => `must be a whole number in [1, 1000], got ${JSON.stringify(issue.input)}` })
    .transform(Number)
    .optional()
    .meta({ description: '1..1000, default 100.' }),
});
