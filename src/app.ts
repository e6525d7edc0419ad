// Composition root of `dispersa serve`: metadata, key custody, locations, the object service and the S3 front door.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getGfKernel } from './core/gf256/index.ts';
import { FragmentPool } from './core/pipeline.ts';
import { LocationRegistry, type DispersalPolicy } from './dispersal/index.ts';
import { openMetadata, type AccessKey, type MetadataConfig, type MetadataStore } from './meta/index.ts';
import { KeyCustody, loadMasterKey } from './objects/custody.ts';
import { GatewayBackend, type GatewayPrincipal } from './objects/gateway-backend.ts';
import { listenS3 } from './s3/http.ts';
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
  readonly log?: (message: string) => void;
}

export interface RunningGateway {
  readonly url: string;
  /** Set when the root credentials were generated on this start: shown once, stored only wrapped. */
  readonly generatedRoot: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly backend: GatewayBackend;
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  close(): Promise<void>;
}

export const ROOT_TEAM = 'root';
export const DEFAULT_POLICY = 'default';
const LOCATION_COUNT = 6;

/** The embedded default policy: k=4, r=2 over the six local locations, deflate, AES-256-GCM, 4 MiB generations. */
export function defaultPolicyDocument(locations: readonly string[]): DispersalPolicy {
  return {
    codec: { k: 4, r: 2, systematic: false, generationSize: 4 * 1024 * 1024, compression: { scheme: 'deflate', level: 6 }, coefficients: 'inline' },
    locations,
    writeQuorum: locations.length,
  };
}

function rootKeyFromEnv(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } | undefined {
  const accessKeyId = env.DISPERSA_ROOT_ACCESS_KEY;
  const secretAccessKey = env.DISPERSA_ROOT_SECRET_KEY;
  if (accessKeyId === undefined || accessKeyId === '' || secretAccessKey === undefined || secretAccessKey === '') return undefined;
  return { accessKeyId, secretAccessKey };
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const log = config.log ?? (() => undefined);
  mkdirSync(config.dataDir, { recursive: true });
  const custody = new KeyCustody(loadMasterKey(join(config.dataDir, 'master.key'), config.env));
  const meta = await openMetadata(config.metadata ?? { engine: 'sqlite', path: join(config.dataDir, 'meta.sqlite') });
  const registry = new LocationRegistry();
  const locationIds: string[] = [];
  const staleWriteMs = config.staleWriteMs ?? 10 * 60_000;
  for (let i = 1; i <= LOCATION_COUNT; i++) {
    const id = `local-${i}`;
    const dir = join(config.dataDir, 'locations', id);
    mkdirSync(dir, { recursive: true });
    const store = new FsStore({ dir });
    // Half-written fragment files of writes a crash interrupted (nothing is being written yet).
    await store.removeStaleTemporaries(staleWriteMs);
    registry.add({ id, kind: 'local', attributes: { provider: 'local disk' }, trustZone: id, isolationTier: 0 }, store);
    locationIds.push(id);
  }
  await meta.putPolicy(DEFAULT_POLICY, defaultPolicyDocument(locationIds));
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

  const backend = new GatewayBackend({
    meta,
    registry,
    custody,
    kernel: getGfKernel(),
    pool: new FragmentPool(),
    random: (n) => new Uint8Array(randomBytes(n)),
    defaultPolicy: DEFAULT_POLICY,
    region: 'us-east-1',
    requestTimeoutMs: config.requestTimeoutMs ?? 30_000,
    onBackgroundError: (error) => { log(`background task failed: ${error instanceof Error ? error.message : String(error)}`); },
  });
  const lookup = async (accessKeyId: string): Promise<GatewayPrincipal | null> => {
    if (envRoot !== undefined && envRootKey !== undefined && accessKeyId === envRoot.accessKeyId) {
      return { accessKeyId, teamId: ROOT_TEAM, key: envRootKey, secretKey: envRoot.secretAccessKey };
    }
    const key = await meta.getAccessKey(accessKeyId);
    if (key === undefined || key.revokedAt !== undefined) return null;
    return { accessKeyId, teamId: key.teamId, key, secretKey: custody.secret(accessKeyId, key.wrappedSecret) };
  };
  const listener = createS3Listener<GatewayPrincipal>({
    backend,
    lookup,
    region: 'us-east-1',
    ...(config.domain === undefined ? {} : { baseDomain: config.domain }),
    onInternalError: (error, requestId) => { log(`internal error in request ${requestId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`); },
  });
  // Writes a crash interrupted: their fragments are collected before serving.
  await backend.collectGarbage(staleWriteMs);
  const running = await listenS3(listener, config.host, config.port);
  const gcTimer = setInterval(() => { backend.collectGarbageSoon(); }, 60_000);
  gcTimer.unref();
  return {
    url: running.url,
    generatedRoot,
    backend,
    meta,
    registry,
    async close() {
      clearInterval(gcTimer);
      await running.close();
      await backend.idle();
      await meta.close();
      await registry.close();
    },
  };
}
