// Composition root of `dispersa serve`: metadata, key custody, locations, the object service, the S3 front door and the control plane.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { AuditLog, s3AuditEntry } from './admin/audit.ts';
import { BucketManager } from './admin/buckets.ts';
import { JobRunner, startRepairWorker } from './admin/jobs.ts';
import { LocationManager } from './admin/locations.ts';
import { createMetrics } from './admin/metrics.ts';
import { readiness } from './admin/ready.ts';
import { createAdminListener } from './admin/server.ts';
import { Benchmarker } from './admin/telemetry.ts';
import { getGfKernel } from './core/gf256/index.ts';
import { FragmentPool } from './core/pipeline.ts';
import { LocationRegistry } from './dispersal/index.ts';
import { openMetadata, type AccessKey, type MetadataConfig, type MetadataStore } from './meta/index.ts';
import { openObjectCache, type ObjectCache } from './objects/cache.ts';
import { KeyCustody, loadMasterKey } from './objects/custody.ts';
import { GatewayBackend, parsePolicyDocument, type GatewayPrincipal } from './objects/gateway-backend.ts';
import { KeyVault } from './objects/key-vault.ts';
import type { PolicyDocument } from './objects/policy-document.ts';
import { listenOn, listenS3 } from './s3/http.ts';
import { createS3Listener } from './s3/server.ts';
import { FsStore } from './stores/index.ts';

export interface GatewayConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  /** Default: SQLite at <dataDir>/meta.sqlite. */
  readonly metadata?: MetadataConfig;
  readonly requestTimeoutMs?: number;
  /** Enables virtual-host style requests (`<bucket>.<domain>`). */
  readonly domain?: string;
  /** Writes in flight longer than this at start-up are taken for crashed and their fragments collected. */
  readonly staleWriteMs?: number;
  /** The admin API, metrics, health and portal listen on this port (0: a free one); no admin listener when unset. */
  readonly adminPort?: number;
  /** Between two telemetry probe rounds; 0 or unset: no scheduled probes (they still run on request). */
  readonly probeIntervalMs?: number;
  /** Between two passes over the repair queue; default 60 s, 0 turns the worker off. */
  readonly repairIntervalMs?: number;
  /** Initial cache settings (the config file's `cache` object); settings stored by the admin API win. */
  readonly cache?: Readonly<Record<string, unknown>>;
  /** Where bucket keys are kept; default <dataDir>/keys. Gateways sharing a metadata store must share it. */
  readonly keyVaultDir?: string;
  /** Static files of the developer portal, served on the admin port at `/`. */
  readonly portalDir?: string;
  readonly log?: (message: string) => void;
}

export interface RunningGateway {
  readonly url: string;
  /** The admin API's base URL; undefined when no admin port was asked for. */
  readonly adminUrl: string | undefined;
  /** Set when the root credentials were generated on this start: shown once, stored only wrapped. */
  readonly generatedRoot: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly backend: GatewayBackend;
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  readonly jobs: JobRunner;
  readonly telemetry: Benchmarker;
  readonly cache: ObjectCache;
  close(): Promise<void>;
}

export const ROOT_TEAM = 'root';
export const DEFAULT_POLICY = 'default';
const LOCATION_COUNT = 6;

/** The embedded default policy: k=4, r=2 over the six local locations, deflate, AES-256-GCM, 4 MiB generations. */
export function defaultPolicyDocument(locations: readonly string[]): PolicyDocument {
  return {
    description: `the embedded default: k=4 r=2 over ${locations.length} local locations, any 2 may fail`,
    backends: locations,
    edge_devices: [],
    redundancy: { scheme: 'RLNC', data_packets: 4, redundant_packets: 2, systematic: false },
    compression: { scheme: 'DEFLATE', level: 6 },
    encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
    generation_size: 4 * 1024 * 1024,
    write_quorum: locations.length,
    coefficients: 'inline',
  };
}

function rootKeyFromEnv(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } | undefined {
  const accessKeyId = env.DISPERSA_ROOT_ACCESS_KEY;
  const secretAccessKey = env.DISPERSA_ROOT_SECRET_KEY;
  if (accessKeyId === undefined || accessKeyId === '' || secretAccessKey === undefined || secretAccessKey === '') return undefined;
  return { accessKeyId, secretAccessKey };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const log = config.log ?? (() => undefined);
  const onBackgroundError = (error: unknown): void => { log(`background task failed: ${error instanceof Error ? error.message : String(error)}`); };
  const requestTimeoutMs = config.requestTimeoutMs ?? 30_000;
  const staleWriteMs = config.staleWriteMs ?? 10 * 60_000;
  mkdirSync(config.dataDir, { recursive: true });
  const custody = new KeyCustody(loadMasterKey(join(config.dataDir, 'master.key'), config.env), new KeyVault(config.keyVaultDir ?? join(config.dataDir, 'keys')));
  const meta = await openMetadata(config.metadata ?? { engine: 'sqlite', path: join(config.dataDir, 'meta.sqlite') });
  const kernel = getGfKernel();

  // Locations: recorded in metadata (the six local disks of the embedded default on a first start), then loaded.
  const registry = new LocationRegistry();
  const metrics = createMetrics({ repairQueueDepth: () => meta.repairQueueDepth() });
  registry.observer = metrics.fragmentObserver;
  const locations = new LocationManager({ meta, registry, custody, requestTimeoutMs });
  await locations.seedLocalLocations(config.dataDir, LOCATION_COUNT);
  await locations.load(async (_id, store) => {
    // Half-written fragment files of writes a crash interrupted (nothing is being written yet).
    if (store instanceof FsStore) await store.removeStaleTemporaries(staleWriteMs);
  });
  if ((await meta.getPolicy(DEFAULT_POLICY)) === undefined) {
    const ids = Array.from({ length: LOCATION_COUNT }, (_, i) => `local-${i + 1}`);
    await meta.putPolicy(DEFAULT_POLICY, defaultPolicyDocument(ids));
  }
  if ((await meta.getTeam(ROOT_TEAM)) === undefined) await meta.createTeam({ id: ROOT_TEAM, name: 'root' });

  // Root credentials: from the environment (never stored), else generated once and stored wrapped.
  const envRoot = rootKeyFromEnv(config.env);
  let generatedRoot: RunningGateway['generatedRoot'];
  if (envRoot === undefined && (await meta.listAccessKeys(ROOT_TEAM)).length === 0) {
    const accessKeyId = `DSP${randomBytes(8).toString('hex').toUpperCase()}`;
    const { secret, wrapped } = custody.newSecret(accessKeyId);
    await meta.createAccessKey({ accessKeyId, teamId: ROOT_TEAM, wrappedSecret: wrapped, defaultScope: 'full' });
    generatedRoot = { accessKeyId, secretAccessKey: secret };
  }
  const envRootKey: AccessKey | undefined = envRoot === undefined ? undefined : { accessKeyId: envRoot.accessKeyId, teamId: ROOT_TEAM, wrappedSecret: new Uint8Array(0), defaultScope: 'full', scopes: {}, createdAt: 0 };

  const cache = await openObjectCache({ dir: join(config.dataDir, 'cache'), ...(config.cache === undefined ? {} : { settings: config.cache }), meta, onError: onBackgroundError });
  metrics.collectCacheStats(() => cache.stats());
  const backend = new GatewayBackend({
    meta,
    registry,
    custody,
    kernel,
    pool: new FragmentPool(),
    random: (n) => new Uint8Array(randomBytes(n)),
    defaultPolicy: DEFAULT_POLICY,
    region: 'us-east-1',
    requestTimeoutMs,
    cache,
    onBackgroundError,
  });
  const lookup = async (accessKeyId: string): Promise<GatewayPrincipal | null> => {
    if (envRoot !== undefined && envRootKey !== undefined && accessKeyId === envRoot.accessKeyId) {
      return { accessKeyId, teamId: ROOT_TEAM, key: envRootKey, secretKey: envRoot.secretAccessKey };
    }
    const key = await meta.getAccessKey(accessKeyId);
    if (key === undefined || key.revokedAt !== undefined) return null;
    return { accessKeyId, teamId: key.teamId, key, secretKey: custody.secret(accessKeyId, key.wrappedSecret) };
  };
  const audit = new AuditLog(meta);
  const listener = createS3Listener<GatewayPrincipal>({
    backend,
    lookup,
    region: 'us-east-1',
    ...(config.domain === undefined ? {} : { baseDomain: config.domain }),
    onInternalError: (error, requestId) => { log(`internal error in request ${requestId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`); },
    onRequestDone: (record) => {
      metrics.onS3Request(record);
      const entry = s3AuditEntry(record);
      if (entry !== undefined) audit.record(entry).catch(onBackgroundError);
    },
  });

  const jobs = new JobRunner({ meta, registry, kernel, requestTimeoutMs, now: Date.now, onError: onBackgroundError });
  locations.jobs = jobs;
  const buckets = new BucketManager({ meta, custody, audit, collectGarbageSoon: () => { backend.collectGarbageSoon(); }, purgeCache: async (name) => { await cache.purgeBucket(name); } });
  const telemetry = new Benchmarker({
    meta,
    registry,
    intervalMs: config.probeIntervalMs ?? 0,
    timeoutMs: requestTimeoutMs,
    onProbe: (id, probe, rttMs) => { metrics.onProbe(id, probe, rttMs); },
    onLocationProbed: (id, up) => { metrics.setLocationUp(id, up); },
    log,
  });
  const ready = readiness({
    meta,
    registry,
    defaultPolicy: async () => {
      const stored = await meta.getPolicy(DEFAULT_POLICY);
      if (stored === undefined) throw new Error('the default policy is missing');
      const policy = parsePolicyDocument(stored.document, registry);
      return { k: policy.codec.k, locations: policy.locations };
    },
  });

  // Writes a crash interrupted: their fragments are collected before serving.
  await backend.collectGarbage(staleWriteMs);
  const running = await listenS3(listener, config.host, config.port);
  let admin: { url: string; close(): Promise<void> } | undefined;
  if (config.adminPort !== undefined) {
    const rootToken = config.env.DISPERSA_ADMIN_TOKEN;
    const adminListener = createAdminListener({
      meta,
      registry,
      custody,
      locations,
      buckets,
      jobs,
      telemetry,
      cache,
      audit,
      metricsText: () => metrics.text(),
      ready,
      lookupKey: async (accessKeyId) => {
        const principal = await lookup(accessKeyId);
        return principal === null ? null : { secretKey: principal.secretKey, key: principal.key, teamId: principal.teamId };
      },
      ...(rootToken === undefined || rootToken === '' ? {} : { rootToken }),
      rootTeam: ROOT_TEAM,
      defaultPolicy: DEFAULT_POLICY,
      version: packageVersion(),
      s3Url: running.url,
      ...(config.portalDir === undefined ? {} : { portalDir: config.portalDir }),
      now: Date.now,
      log,
    });
    try {
      admin = await listenOn(createServer(adminListener), config.host, config.adminPort);
    } catch (error) {
      await running.close();
      throw error;
    }
  }
  telemetry.start();
  const stopRepairs = (config.repairIntervalMs ?? 60_000) > 0 ? startRepairWorker(jobs, config.repairIntervalMs ?? 60_000) : () => undefined;
  const gcTimer = setInterval(() => { backend.collectGarbageSoon(); }, 60_000);
  gcTimer.unref();
  return {
    url: running.url,
    adminUrl: admin?.url,
    generatedRoot,
    backend,
    meta,
    registry,
    jobs,
    telemetry,
    cache,
    async close() {
      clearInterval(gcTimer);
      stopRepairs();
      await telemetry.stop();
      await admin?.close();
      await running.close();
      await jobs.close();
      await backend.idle();
      await cache.close();
      await meta.close();
      await registry.close();
    },
  };
}
