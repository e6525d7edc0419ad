// Boot self-test: a known-answer encode and decode; the server refuses to start when the codec computes wrong bytes.

import { createHash } from 'node:crypto';
import type { GfKernel } from './gf256/kernel.ts';
import { decodeObject, ObjectEncoder, type CodecPolicy } from './pipeline.ts';
import { seededBytes, seededRandom } from './seeded.ts';

export class SelfTestError extends Error {
  readonly kind = 'self-test-failed';
  constructor(message: string) {
    super(message);
    this.name = 'SelfTestError';
  }
}

const POLICY: CodecPolicy = { k: 4, r: 2, systematic: false, generationSize: 4096, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' };
const INPUT_SEED = 0x5e1f7e57;
const INPUT_LENGTH = 10_000;
const RANDOM_SEED = 0x0b00715e;
const KEK_SEED = 0x00c0ffee;
/** SHA-256 over every fragment of the encoding, in generation then packet order; frozen with fragment format v1. */
export const SELF_TEST_FRAGMENTS_SHA256 = '5bb6b3919f89567c09b789c07898e2dcfd0c8e60fbf96cc255987c47a7cd2491';

export interface SelfTestReport {
  readonly backend: string;
  readonly fragmentsSha256: string;
}

/** Encodes a frozen input, compares every fragment byte with the known answer, then decodes it from redundant packets only. */
export async function runCodecSelfTest(kernel: GfKernel, expectedSha256: string = SELF_TEST_FRAGMENTS_SHA256): Promise<SelfTestReport> {
  const input = seededBytes(INPUT_SEED, INPUT_LENGTH);
  const bucketKek = seededBytes(KEK_SEED, 32);
  const encoder = new ObjectEncoder(POLICY, { kernel, bucketKek, random: seededRandom(RANDOM_SEED) });
  const hash = createHash('sha256');
  const stored = new Map<string, Uint8Array>();
  for await (const generation of encoder.encode([input])) {
    for (const f of generation.fragments) {
      hash.update(f.bytes);
      stored.set(`${generation.index}/${f.packetIndex}`, f.bytes);
    }
  }
  const fragmentsSha256 = hash.digest('hex');
  if (fragmentsSha256 !== expectedSha256) {
    throw new SelfTestError(`codec self-test (${kernel.backend}): fragments hash ${fragmentsSha256}, expected ${expectedSha256}`);
  }
  // Packets 0 and 1 are withheld, so decoding needs the redundant packets and a real matrix inversion.
  const source = {
    fetch: (g: number, p: number) => Promise.resolve(p < 2 ? null : (stored.get(`${g}/${p}`) ?? null)),
  };
  const parts: Uint8Array[] = [];
  for await (const part of decodeObject(encoder.manifest(), source, { kernel, bucketKek })) parts.push(part);
  if (Buffer.compare(Buffer.concat(parts), input) !== 0) throw new SelfTestError(`codec self-test (${kernel.backend}): decoded bytes differ from the input`);
  return { backend: kernel.backend, fragmentsSha256 };
}
