// Golden vector cases: how each frozen vector's input, keys and randomness are derived (shared by the generator and the test).

import type { CodecPolicy } from '../../src/core/pipeline.ts';
import { seededBytes } from '../../src/core/seeded.ts';

export type VectorInputKind = 'random' | 'letters';

export interface VectorCase {
  readonly name: string;
  readonly description: string;
  readonly policy: CodecPolicy;
  readonly input: { readonly kind: VectorInputKind; readonly seed: number; readonly length: number };
  /** Seed of the seededRandom source that yields, in order: DEK, object version id, coefficient seed, wrap nonce. */
  readonly randomSeed: number;
  /** Seed of the 32-byte bucket key (seededBytes). */
  readonly kekSeed: number;
}

/** 'random': seededBytes(seed, length). 'letters': seededBytes(seed, length) mapped to 'a' + (byte mod 16), compressible. */
export function vectorInput(input: VectorCase['input']): Uint8Array {
  const bytes = seededBytes(input.seed, input.length);
  if (input.kind === 'letters') for (let i = 0; i < bytes.length; i++) bytes[i] = 0x61 + ((bytes[i] ?? 0) & 0x0f);
  return bytes;
}

export const VECTOR_CASES: readonly VectorCase[] = [
  {
    name: 'v1-coded-inline-none',
    description: 'k=4 r=2, all packets coded, coefficients inline, no compression, 3 generations (last partial)',
    policy: { k: 4, r: 2, systematic: false, generationSize: 1024, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' },
    input: { kind: 'random', seed: 1, length: 2500 },
    randomSeed: 1001,
    kekSeed: 2001,
  },
  {
    name: 'v1-systematic-aside-deflate',
    description: 'k=3 r=2 systematic, coefficients kept aside, deflate level 6, 2 generations',
    policy: { k: 3, r: 2, systematic: true, generationSize: 2048, compression: { scheme: 'deflate', level: 6 }, coefficients: 'aside' },
    input: { kind: 'letters', seed: 2, length: 4000 },
    randomSeed: 1002,
    kekSeed: 2002,
  },
  {
    name: 'v1-coded-inline-brotli',
    description: 'k=5 r=3, all packets coded, coefficients inline, brotli quality 1, exactly 2 full generations',
    policy: { k: 5, r: 3, systematic: false, generationSize: 1024, compression: { scheme: 'brotli', level: 1 }, coefficients: 'inline' },
    input: { kind: 'letters', seed: 3, length: 2048 },
    randomSeed: 1003,
    kekSeed: 2003,
  },
  {
    name: 'v1-empty',
    description: 'k=2 r=1 systematic, empty object: one sealed, empty last generation',
    policy: { k: 2, r: 1, systematic: true, generationSize: 1024, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' },
    input: { kind: 'random', seed: 4, length: 0 },
    randomSeed: 1004,
    kekSeed: 2004,
  },
  {
    name: 'v1-k1-replication',
    description: 'k=1 r=2 systematic (replication with coded copies), coefficients aside, no compression',
    policy: { k: 1, r: 2, systematic: true, generationSize: 1024, compression: { scheme: 'none', level: 0 }, coefficients: 'aside' },
    input: { kind: 'random', seed: 5, length: 1500 },
    randomSeed: 1005,
    kekSeed: 2005,
  },
];

/** The stored form of a vector under test/vectors/<name>.json. */
export interface VectorFile extends VectorCase {
  readonly inputSha256: string;
  readonly manifest: unknown;
  /** "generation/packet" → fragment bytes in hex. */
  readonly fragments: Record<string, string>;
}
