// A test cluster: n in-process locations (memory stores behind fault injectors) and a k=4, n=6 dispersal policy.

import { LocationRegistry, type DispersalPolicy, type DispersedObject, type HealthOptions, type Location } from '../../src/dispersal/index.ts';
import { readObject, type ReadOptions } from '../../src/dispersal/reader.ts';
import { writeObject, type WriteOptions } from '../../src/dispersal/writer.ts';
import { FaultyStore, MemoryStore } from '../../src/stores/index.ts';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import type { CodecPolicy } from '../../src/core/pipeline.ts';
import { testKernel } from './kernel.ts';

export const kernel = testKernel();
export const bucketKek = seededBytes(0xb0c, 32);

/** Uniform [0, 1) from a seed (xorshift32), for fault injection that repeats run after run. */
export function seededUniform(seed: number): () => number {
  const next = seededRandom(seed);
  return () => {
    const b = next(4);
    return ((((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0) / 2 ** 32;
  };
}

export interface Cluster {
  readonly registry: LocationRegistry;
  readonly stores: readonly FaultyStore[];
  readonly ids: readonly string[];
  readonly policy: DispersalPolicy;
  write(data: Uint8Array, options?: Partial<WriteOptions>): ReturnType<typeof writeObject>;
  read(object: DispersedObject, options?: Partial<ReadOptions>): Promise<Uint8Array>;
  /** Every fragment key stored anywhere. */
  storedKeys(): Promise<string[]>;
}

export function location(id: string, zone = id): Location {
  return { id, kind: 'local', attributes: { country: 'DK' }, trustZone: zone, isolationTier: 1 };
}

export function makeCluster(
  options: { n?: number; extra?: number; codec?: Partial<CodecPolicy>; writeQuorum?: number; seed?: number; latenciesMs?: readonly number[]; healthOptions?: Partial<HealthOptions> } = {},
): Cluster {
  const n = options.n ?? 6;
  const total = n + (options.extra ?? 0);
  const registry = new LocationRegistry({ openMs: 50, ...options.healthOptions });
  const random = seededUniform(options.seed ?? 1);
  const stores: FaultyStore[] = [];
  const ids: string[] = [];
  for (let i = 0; i < total; i++) {
    const id = `loc-${i}`;
    const store = new FaultyStore(new MemoryStore(), { random, latencyMs: options.latenciesMs?.[i] ?? 0 });
    registry.add(location(id), store);
    stores.push(store);
    ids.push(id);
  }
  const codec: CodecPolicy = { k: 4, r: n - 4, systematic: false, generationSize: 4096, compression: { scheme: 'none', level: 0 }, coefficients: 'inline', ...options.codec };
  const policy: DispersalPolicy = { codec, locations: ids.slice(0, n), writeQuorum: options.writeQuorum ?? n };
  const randomBytes = seededRandom((options.seed ?? 1) * 7919);
  return {
    registry,
    stores,
    ids,
    policy,
    write: (data, w = {}) => writeObject([data], policy, registry, { kernel, bucketKek, random: randomBytes, requestTimeoutMs: 2_000, ...w }),
    async read(object, r = {}) {
      const parts: Uint8Array[] = [];
      for await (const part of readObject(object, registry, { kernel, bucketKek, requestTimeoutMs: 5_000, defaultHedgeMs: 20, ...r })) parts.push(part);
      return Buffer.concat(parts);
    },
    async storedKeys() {
      const keys: string[] = [];
      for (const s of stores) for await (const f of s.inner.list('')) keys.push(f.key);
      return keys.sort();
    },
  };
}
