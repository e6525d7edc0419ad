// Test helper: a gateway like `dispersa serve` (SQLite, six local-disk locations, the default policy) with the object
// cache wired into its object service, on a free 127.0.0.1 port.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPolicyDocument, DEFAULT_POLICY, ROOT_TEAM } from '../../src/app.ts';
import type { CacheSettings } from '../../src/admin/deps.ts';
import { getGfKernel } from '../../src/core/gf256/index.ts';
import { FragmentPool } from '../../src/core/pipeline.ts';
import { LocationRegistry } from '../../src/dispersal/index.ts';
import { openMetadata, type MetadataStore } from '../../src/meta/index.ts';
import { openObjectCache, type ObjectCache } from '../../src/objects/cache.ts';
import { KeyCustody, loadMasterKey } from '../../src/objects/custody.ts';
import { GatewayBackend, type GatewayPrincipal } from '../../src/objects/gateway-backend.ts';
import { listenS3 } from '../../src/s3/http.ts';
import { createS3Listener } from '../../src/s3/server.ts';
import { FsStore } from '../../src/stores/index.ts';

export interface CachedGateway {
  readonly url: string;
  readonly root: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly custody: KeyCustody;
  readonly backend: GatewayBackend;
  readonly meta: MetadataStore;
  readonly cache: ObjectCache;
  readonly cacheDir: string;
  close(): Promise<void>;
}

export async function startCachedGateway(dataDir: string, settings: Partial<CacheSettings>): Promise<CachedGateway> {
  mkdirSync(dataDir, { recursive: true });
  const custody = new KeyCustody(loadMasterKey(join(dataDir, 'master.key'), {}));
  const meta = await openMetadata({ engine: 'sqlite', path: join(dataDir, 'meta.sqlite') });
  const registry = new LocationRegistry();
  const ids: string[] = [];
  for (let i = 1; i <= 6; i++) {
    const id = `local-${i}`;
    const dir = join(dataDir, 'locations', id);
    mkdirSync(dir, { recursive: true });
    registry.add({ id, kind: 'local', attributes: { provider: 'local disk' }, trustZone: id, isolationTier: 0 }, new FsStore({ dir }));
    ids.push(id);
  }
  await meta.putPolicy(DEFAULT_POLICY, defaultPolicyDocument(ids));
  if ((await meta.getTeam(ROOT_TEAM)) === undefined) await meta.createTeam({ id: ROOT_TEAM, name: 'root' });
  const accessKeyId = `DSP${randomBytes(8).toString('hex').toUpperCase()}`;
  const { secret, wrapped } = custody.newSecret(accessKeyId);
  await meta.createAccessKey({ accessKeyId, teamId: ROOT_TEAM, wrappedSecret: wrapped, defaultScope: 'full' });

  const cacheDir = join(dataDir, 'cache');
  const cache = await openObjectCache({ dir: cacheDir, settings, meta, onError: () => undefined });
  const backend = new GatewayBackend({
    meta,
    registry,
    custody,
    kernel: getGfKernel(),
    pool: new FragmentPool(),
    random: (n) => new Uint8Array(randomBytes(n)),
    defaultPolicy: DEFAULT_POLICY,
    region: 'us-east-1',
    requestTimeoutMs: 5_000,
    onBackgroundError: () => undefined,
    cache,
  });
  const lookup = async (id: string): Promise<GatewayPrincipal | null> => {
    const key = await meta.getAccessKey(id);
    if (key === undefined || key.revokedAt !== undefined) return null;
    return { accessKeyId: id, teamId: key.teamId, key, secretKey: custody.secret(id, key.wrappedSecret) };
  };
  const listener = createS3Listener<GatewayPrincipal>({ backend, lookup, region: 'us-east-1', onInternalError: () => undefined });
  const running = await listenS3(listener, '127.0.0.1', 0);
  return {
    url: running.url,
    root: { accessKeyId, secretAccessKey: secret },
    custody,
    backend,
    meta,
    cache,
    cacheDir,
    async close() {
      await running.close();
      await backend.idle();
      await cache.close();
      await meta.close();
      await registry.close();
    },
  };
}
