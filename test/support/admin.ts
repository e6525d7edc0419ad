// Test helpers for the admin API: an in-process admin port on a real SQLite store with simple service fakes, and clients.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from './node-sha256.ts';
import { z } from 'zod';
import {
  ControlError,
  type AdminDeps,
  type AuditService,
  type BucketService,
  type BucketView,
  type CacheService,
  type CacheSettings,
  type CacheStats,
  type JobService,
  type JobView,
  type LocationService,
  type LocationView,
  type NewLocationInput,
  type ReadyReport,
  type RttStats,
  type TelemetryService,
} from '../../src/admin/deps.ts';
import { ROUTES } from '../../src/admin/openapi.ts';
import { problemSchema } from '../../src/admin/schemas.ts';
import { compileRoutes } from '../../src/admin/routes/route.ts';
import { createAdminListener } from '../../src/admin/server.ts';
import { LocationRegistry } from '../../src/dispersal/registry.ts';
import { isMetaError, openMetadata, PROBE_KINDS, type MetadataStore, type ProbeKind, type Scope } from '../../src/meta/index.ts';
import { KeyCustody } from '../../src/objects/custody.ts';

// ---------------------------------------------------------------------------------------------------------------------
// Service fakes: small, in memory where the service is not the metadata store's business.

export class FakeJobs implements JobService {
  readonly jobs: JobView[] = [];
  private next = 1;
  constructor(private readonly now: () => number) {}

  start(kind: 'scrub' | 'repair' | 'evacuate', options: { readonly mode?: 'head' | 'full'; readonly bucket?: string; readonly location?: string }): JobView {
    const job: JobView = { id: `job-${this.next++}`, kind, state: 'running', startedAt: this.now() + this.next, done: 0, total: 0, summary: {}, ...(options.bucket === undefined && options.location === undefined ? {} : { target: options.bucket ?? options.location }) };
    this.jobs.push(job);
    return job;
  }

  get(id: string): JobView | undefined {
    return this.jobs.find((j) => j.id === id);
  }

  list(): JobView[] {
    return [...this.jobs];
  }

  lastScrub(): JobView | undefined {
    return this.jobs.filter((j) => j.kind === 'scrub' && j.state !== 'running').at(-1);
  }

  /** Marks a job finished, as the runner would. */
  finish(id: string, summary: Record<string, number>): void {
    const i = this.jobs.findIndex((j) => j.id === id);
    const job = this.jobs[i];
    if (job === undefined) throw new Error(`no job ${id}`);
    this.jobs[i] = { ...job, state: 'done', finishedAt: job.startedAt + 1000, done: 3, total: 3, summary };
  }
}

/** Locations recorded in the real metadata store; the store check is what the fake leaves out. */
export class FakeLocations implements LocationService {
  constructor(
    private readonly meta: MetadataStore,
    private readonly jobs: FakeJobs,
  ) {}

  private view(record: Awaited<ReturnType<MetadataStore['listLocations']>>[number]): LocationView {
    return {
      record,
      status: record.retiredAt === undefined ? 'active' : 'retired',
      health: record.retiredAt === undefined ? { breaker: 'closed', errorRate: 0, successes: 5, failures: { error: 0, timeout: 0, integrity: 0 }, latency: { small: { ewmaMs: 1.5, p95Ms: 2, samples: 5 }, large: { ewmaMs: null, p95Ms: null, samples: 0 } } } : undefined,
    };
  }

  async list(): Promise<LocationView[]> {
    return (await this.meta.listLocations()).map((r) => this.view(r));
  }

  async get(id: string): Promise<LocationView> {
    const record = await this.meta.getLocation(id);
    if (record === undefined) throw new ControlError('not-found', `no location ${JSON.stringify(id)}`);
    return this.view(record);
  }

  async add(input: NewLocationInput): Promise<LocationView> {
    if (input.store.type !== 'fs' && input.store.endpoint.includes('unreachable')) throw new ControlError('unavailable', `location ${input.id} does not answer`);
    if ((await this.meta.getLocation(input.id)) !== undefined) throw new ControlError('conflict', `location ${input.id} exists already`);
    const kind = input.store.type === 'fs' ? 'local' : input.store.type === 's3' ? 'cloud' : 'edge';
    const record = await this.meta.putLocation({ id: input.id, kind, store: input.store, wrappedSecret: new Uint8Array(0), attributes: input.attributes, trustZone: input.trustZone ?? input.id, isolationTier: input.isolationTier ?? 0 });
    return this.view(record);
  }

  async updateAttributes(id: string, change: { readonly attributes?: Readonly<Record<string, unknown>>; readonly trustZone?: string; readonly isolationTier?: number }): Promise<LocationView> {
    const current = await this.get(id);
    let attributes: Record<string, unknown> | undefined;
    if (change.attributes !== undefined) {
      const removed = new Set(Object.entries(change.attributes).filter(([, v]) => v === null).map(([k]) => k));
      const merged = { ...(current.record.attributes as Record<string, unknown>), ...change.attributes };
      attributes = Object.fromEntries(Object.entries(merged).filter(([k]) => !removed.has(k)));
    }
    const record = await this.meta.updateLocation(id, { ...(attributes === undefined ? {} : { attributes }), ...(change.trustZone === undefined ? {} : { trustZone: change.trustZone }), ...(change.isolationTier === undefined ? {} : { isolationTier: change.isolationTier }) });
    return this.view(record);
  }

  async retire(id: string): Promise<JobView> {
    await this.get(id);
    for (const policy of await this.meta.listPolicies()) {
      const d = policy.document as { backends?: string[]; edge_devices?: string[]; locations?: string[] };
      if ([...(d.backends ?? []), ...(d.edge_devices ?? []), ...(d.locations ?? [])].includes(id)) throw new ControlError('conflict', `policy ${policy.name} stores new objects on ${id}`);
    }
    await this.meta.retireLocation(id, Date.now());
    return this.jobs.start('evacuate', { location: id });
  }
}

/** Buckets straight from the real metadata store. */
export class FakeBuckets implements BucketService {
  readonly shredded: { name: string; actor: string }[] = [];
  constructor(private readonly meta: MetadataStore) {}

  private async view(name: string): Promise<BucketView> {
    const b = await this.meta.getBucket(name);
    if (b === undefined) throw new ControlError('not-found', `no bucket ${JSON.stringify(name)}`);
    const stats = await this.meta.bucketStats(name);
    return { name: b.name, teamId: b.teamId, policy: { name: b.policyName, version: b.policyVersion }, objects: stats.objects, logicalBytes: stats.logicalBytes, storedBytes: stats.storedBytes, createdAt: b.createdAt };
  }

  async list(teamId?: string): Promise<BucketView[]> {
    return Promise.all((await this.meta.listBuckets(teamId)).map((b) => this.view(b.name)));
  }

  get(name: string): Promise<BucketView> {
    return this.view(name);
  }

  async remove(name: string): Promise<void> {
    await this.view(name);
    try {
      await this.meta.deleteBucket(name);
    } catch (error) {
      if (isMetaError(error, 'bucket-not-empty')) throw new ControlError('conflict', `bucket ${name} is not empty`);
      throw error;
    }
  }

  async shred(name: string, actor: { readonly accessKeyId: string }): Promise<{ readonly objects: number }> {
    await this.view(name);
    const objects = await this.meta.shredBucket(name);
    this.shredded.push({ name, actor: actor.accessKeyId });
    return { objects };
  }
}

export class FakeTelemetry implements TelemetryService {
  probes = 0;
  readonly asked: { locationId: string; sinceMs: number; samples: boolean }[] = [];

  summary(locationId: string, options: { readonly sinceMs: number; readonly samples: boolean }) {
    this.asked.push({ locationId, ...options });
    const stats = (kind: ProbeKind): RttStats => ({ count: 3, failures: kind === 'upload-1MB' ? 1 : 0, meanMs: 2, p50Ms: 2, p95Ms: 3, minMs: 1, maxMs: 3, lastMs: 2, lastAt: 1_700_000_000_000 });
    const rtt = Object.fromEntries(PROBE_KINDS.map((k) => [k, stats(k)])) as Record<ProbeKind, RttStats>;
    return Promise.resolve({
      locationId,
      rtt,
      unavailability: [
        { id: 1, locationId, start: 1_700_000_000_000, lastFailure: 1_700_000_060_000, end: 1_700_000_120_000 },
        { id: 2, locationId, start: 1_700_000_500_000, lastFailure: 1_700_000_500_000 },
      ],
      ...(options.samples ? { samples: [{ probe: 'upload-1B' as const, at: 1_700_000_000_000, ok: true, rttMs: 1.5 }, { probe: 'download-1MB' as const, at: 1_700_000_000_100, ok: false, rttMs: null }] } : {}),
    });
  }

  probeAll(): Promise<void> {
    this.probes++;
    return Promise.resolve();
  }
}

export class FakeCache implements CacheService {
  current: CacheSettings = { enabled: false, maxSizeBytes: 1 << 30, minFreeDiskBytes: 1 << 28, maxFileSizeBytes: 1 << 26, mimeBlacklist: ['video/*'], readThrough: true, encrypt: false };
  readonly counters: CacheStats = { entries: 2, bytes: 2048, hits: 5, misses: 1, evictions: 0, corruptions: 0, failures: 0 };

  settings(): CacheSettings {
    return this.current;
  }

  update(change: Partial<CacheSettings>): Promise<CacheSettings> {
    if (change.maxSizeBytes !== undefined && change.maxSizeBytes < 1024 * 1024) {
      return Promise.reject(new ControlError('invalid', 'max_size_bytes must be at least 1048576', [{ path: 'max_size_bytes', message: 'must be at least 1048576' }]));
    }
    this.current = { ...this.current, ...change };
    return Promise.resolve(this.current);
  }

  stats(): CacheStats {
    return this.counters;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The admin port under test

export const ROOT_TEAM = 'root';
export const ROOT_TOKEN = 'root-token-for-tests-0123456789abcdefghij';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface TestAdmin {
  readonly url: string;
  readonly port: number;
  readonly meta: MetadataStore;
  readonly deps: AdminDeps;
  readonly root: Credentials;
  readonly jobs: FakeJobs;
  readonly buckets: FakeBuckets;
  readonly telemetry: FakeTelemetry;
  readonly cache: FakeCache;
  readonly logs: string[];
  /** The admin API's clock (token expiry); SigV4 requests are signed with the real time, so move it only for bearer tests. */
  readonly clock: { offsetMs: number };
  /** Replace to simulate readiness or a failing audit log. */
  readonly hooks: { ready: ReadyReport; auditFails: boolean; metricsFail: boolean };
  /** A key of a new team, with its secret. */
  createKey(teamId: string, defaultScope?: Scope, scopes?: Record<string, Scope>): Promise<Credentials>;
  close(): Promise<void>;
}

export interface AdminOptions {
  readonly portalDir?: string;
}

export async function startAdmin(options: AdminOptions = {}): Promise<TestAdmin> {
  const dir = await mkdtemp(join(tmpdir(), 'dispersa-admin-'));
  const meta = await openMetadata({ engine: 'sqlite', path: join(dir, 'meta.sqlite') });
  const custody = new KeyCustody(new Uint8Array(randomBytes(32)));
  const clock = { offsetMs: 0 };
  const now = (): number => Date.now() + clock.offsetMs;
  const jobs = new FakeJobs(now);
  const buckets = new FakeBuckets(meta);
  const telemetry = new FakeTelemetry();
  const cache = new FakeCache();
  const logs: string[] = [];
  const hooks = { ready: { ready: true, metadata: true, healthyLocations: 6, needed: 4, detail: 'metadata answers; 6 of 6 locations healthy, 4 needed' } as ReadyReport, auditFails: false, metricsFail: false };

  await meta.createTeam({ id: ROOT_TEAM, name: 'root' });
  const createKey = async (teamId: string, defaultScope: Scope = 'full', scopes?: Record<string, Scope>): Promise<Credentials> => {
    if ((await meta.getTeam(teamId)) === undefined) await meta.createTeam({ id: teamId, name: teamId });
    const accessKeyId = `DSP${randomBytes(8).toString('hex').toUpperCase()}`;
    const { secret, wrapped } = custody.newSecret(accessKeyId);
    await meta.createAccessKey({ accessKeyId, teamId, wrappedSecret: wrapped, defaultScope, ...(scopes === undefined ? {} : { scopes }) });
    return { accessKeyId, secretAccessKey: secret };
  };
  const root = await createKey(ROOT_TEAM);

  const local = (id: string) => ({ id, kind: 'local', store: { type: 'fs', dir: join(dir, id) }, wrappedSecret: new Uint8Array(0), attributes: { provider: 'local disk' }, trustZone: id, isolationTier: 0 });
  for (let i = 1; i <= 4; i++) await meta.putLocation(local(`local-${i}`));
  await meta.putLocation({ ...local('cloud-1'), kind: 'cloud', store: { type: 's3', endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'frag', region: 'eu-central-1', accessKeyId: 'AKIAEXAMPLE' }, attributes: { provider: 'AWS', country: 'DE', city: 'Frankfurt', latitude: 50.11, longitude: 8.68, gdpr_compliant: true, storage_cost_per_gb_month: 0.0245 } });
  for (const id of ['edge-1', 'edge-2']) {
    await meta.putLocation({ ...local(id), kind: 'edge', store: { type: 'edge', endpoint: `http://${id}.factory.local:9100`, bucket: 'frag', region: 'local', accessKeyId: 'EDGE' }, attributes: { name: `Factory ${id}`, cluster_id: 'c1', team_id: 'plant' } });
  }
  await meta.putLocation(local('retired-1'));
  await meta.retireLocation('retired-1', Date.now());
  // The embedded default, in the legacy stored shape existing data directories have.
  const defaultPolicy = { codec: { k: 2, r: 1, systematic: false, generationSize: 4 * 1024 * 1024, compression: { scheme: 'deflate', level: 6 }, coefficients: 'inline' }, locations: ['local-1', 'local-2', 'local-3'], writeQuorum: 3 };
  await meta.putPolicy('default', defaultPolicy);

  const audit: AuditService = {
    record: (entry) => (hooks.auditFails ? Promise.reject(new Error('audit store is down')) : meta.appendAudit(entry)),
  };

  const deps: AdminDeps = {
    meta,
    registry: new LocationRegistry(),
    custody,
    locations: new FakeLocations(meta, jobs),
    buckets,
    jobs,
    telemetry,
    cache,
    audit,
    metricsText: () => (hooks.metricsFail ? Promise.reject(new Error('secret internal detail: /var/lib/dispersa exploded')) : Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '# HELP dispersa_up 1 when up\n# TYPE dispersa_up gauge\ndispersa_up 1\n' })),
    ready: () => Promise.resolve(hooks.ready),
    lookupKey: async (accessKeyId) => {
      const key = await meta.getAccessKey(accessKeyId);
      if (key === undefined || key.revokedAt !== undefined) return null;
      return { secretKey: custody.secret(accessKeyId, key.wrappedSecret), key, teamId: key.teamId };
    },
    rootToken: ROOT_TOKEN,
    rootTeam: ROOT_TEAM,
    defaultPolicy: 'default',
    version: '9.9.9-test',
    ...(options.portalDir === undefined ? {} : { portalDir: options.portalDir }),
    now,
    log: (message) => logs.push(message),
  };

  const server: Server = createServer(createAdminListener(deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    meta,
    deps,
    root,
    jobs,
    buckets,
    telemetry,
    cache,
    logs,
    clock,
    hooks,
    createKey,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await meta.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Clients

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the body is JSON, else the text. */
  readonly body: unknown;
  readonly text: string;
}

export type Auth = { readonly kind: 'sigv4'; readonly credentials: Credentials; readonly unsignedPayload?: boolean; readonly claimedHash?: string } | { readonly kind: 'bearer'; readonly token: string } | { readonly kind: 'none' };

export interface CallOptions {
  readonly body?: unknown;
  /** Sent as is (for malformed JSON). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

const table = compileRoutes(ROUTES);

/**
 * Checks a successful JSON answer against the response schema of the route that produced it: what the OpenAPI
 * document promises is what the server sends.
 */
function checkAgainstSchema(method: string, path: string, status: number, body: unknown): void {
  const match = table.match(method, path.split('?')[0]?.split('/').slice(1).map((s) => decodeURIComponent(s)) ?? []);
  if (match.kind !== 'found') return;
  const spec = match.route.responses.find((r) => r.status === status);
  if (spec?.schema === undefined) return;
  const parsed = spec.schema.safeParse(body);
  if (!parsed.success) throw new Error(`${method} ${path} answered ${status} with a body its schema refuses: ${z.prettifyError(parsed.error)}\n${JSON.stringify(body)}`);
}

/** Calls the admin API as a client would: SigV4-signed with the AWS SDK's signer, with a bearer token, or anonymous. */
export async function call(admin: Pick<TestAdmin, 'url' | 'port'>, auth: Auth, method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
  const payload = options.rawBody ?? (options.body === undefined ? '' : JSON.stringify(options.body));
  const headers: Record<string, string> = { ...(payload === '' ? {} : { 'content-type': 'application/json' }), ...options.headers };
  switch (auth.kind) {
    case 'none':
      break;
    case 'bearer':
      headers.authorization = `Bearer ${auth.token}`;
      break;
    case 'sigv4': {
      const q = path.indexOf('?');
      const query: Record<string, string> = {};
      if (q >= 0) for (const [k, v] of new URLSearchParams(path.slice(q + 1))) query[k] = v;
      const signer = new SignatureV4({ service: 's3', region: 'eu-west-1', credentials: auth.credentials, sha256: NodeSha256, uriEscapePath: false });
      const contentSha = auth.unsignedPayload === true ? 'UNSIGNED-PAYLOAD' : (auth.claimedHash ?? createHash('sha256').update(payload).digest('hex'));
      const signed = await signer.sign({
        method,
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: admin.port,
        path: q < 0 ? path : path.slice(0, q),
        query,
        headers: { ...headers, host: `127.0.0.1:${admin.port}`, 'x-amz-content-sha256': contentSha },
        body: payload,
      });
      for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') headers[name] = value;
      break;
    }
    default: {
      const unknown: never = auth;
      throw new Error(`unknown auth ${JSON.stringify(unknown)}`);
    }
  }
  const res = await fetch(`${admin.url}${path}`, { method, headers, ...(payload === '' ? {} : { body: payload }) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json') && text !== '' ? JSON.parse(text) : text;
  if (res.status < 300) checkAgainstSchema(method, path, res.status, body);
  return { status: res.status, headers: res.headers, body, text };
}

/** The problem+json body of a failed call, checked for the RFC 9457 shape. */
export function problem(res: ApiResponse): z.output<typeof problemSchema> {
  const type = res.headers.get('content-type');
  if (type !== 'application/problem+json') throw new Error(`expected application/problem+json, got ${String(type)} (${res.status}: ${res.text})`);
  const body = problemSchema.parse(res.body);
  if (body.status !== res.status) throw new Error(`problem status ${body.status} differs from the HTTP status ${res.status}`);
  if (body.request_id !== res.headers.get('x-request-id')) throw new Error('problem request_id differs from x-request-id');
  return body;
}
