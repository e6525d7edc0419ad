// Generator matrices: random-looking yet MDS (every k rows invertible) via Cauchy rows 1/(x_i + y_j) from a seed.

import { createHash } from 'node:crypto';
import { gfInv } from '../gf256/field.ts';
import { gfMatrix, type GfMatrix, matrixRow } from './matrix.ts';
import { packetCount, type RlncParams, validateRlncParams } from './params.ts';
import { RlncError } from './errors.ts';

export const COEFFICIENT_SEED_LENGTH = 16;
const DOMAIN = new TextEncoder().encode('dispersa/rlnc-cauchy/v1');

/**
 * Deterministic byte stream: SHA-256(domain ‖ seed ‖ generation u32 BE ‖ block u32 BE), block = 0, 1, ...
 * The seed is random per object version; deriving per generation makes every generation's matrix differ.
 */
function seedStream(seed: Uint8Array, generation: number): () => number {
  let block = 0;
  let buf = new Uint8Array(0);
  let pos = 0;
  const tail = new Uint8Array(8);
  const view = new DataView(tail.buffer);
  return () => {
    if (pos === buf.length) {
      view.setUint32(0, generation >>> 0);
      view.setUint32(4, block++);
      buf = createHash('sha256').update(DOMAIN).update(seed).update(tail).digest();
      pos = 0;
    }
    return buf[pos++] ?? 0;
  };
}

/** Fisher–Yates shuffle of the 256 field elements, with rejection sampling so every permutation is equally likely. */
export function fieldPermutation(seed: Uint8Array, generation: number): Uint8Array {
  if (seed.length !== COEFFICIENT_SEED_LENGTH) {
    throw new RlncError('invalid-parameters', `coefficient seed must be ${COEFFICIENT_SEED_LENGTH} bytes, got ${seed.length}`);
  }
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new RlncError('invalid-parameters', `generation index must be in [0, 2^32), got ${generation}`);
  }
  const next = seedStream(seed, generation);
  const perm = new Uint8Array(256);
  for (let i = 0; i < 256; i++) perm[i] = i;
  for (let i = 255; i > 0; i--) {
    const range = i + 1;
    const limit = 256 - (256 % range);
    let b = next();
    while (b >= limit) b = next();
    const j = b % range;
    const t = perm[i] ?? 0;
    perm[i] = perm[j] ?? 0;
    perm[j] = t;
  }
  return perm;
}

/**
 * The n × k generator matrix of one generation. Coded rows are Cauchy rows 1/(x_i + y_j) with the x's and y's
 * distinct field elements drawn from the seeded permutation: every square submatrix of a Cauchy matrix is
 * invertible, so any k rows (also mixed with identity rows of a systematic code) decode.
 */
export function generatorMatrix(params: RlncParams, seed: Uint8Array, generation: number): GfMatrix {
  validateRlncParams(params);
  const { k, systematic } = params;
  const n = packetCount(params);
  const perm = fieldPermutation(seed, generation);
  const m = gfMatrix(n, k);
  const first = systematic ? k : 0;
  for (let i = 0; i < first; i++) m.data[i * k + i] = 1;
  const codedRows = n - first;
  for (let i = 0; i < codedRows; i++) {
    const x = perm[i] ?? 0;
    const row = matrixRow(m, first + i);
    for (let j = 0; j < k; j++) row[j] = gfInv(x ^ (perm[codedRows + j] ?? 0));
  }
  return m;
}
