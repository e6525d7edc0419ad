// Table-driven GF(2^8) slice kernel in plain TypeScript: the portable fast path when WebAssembly SIMD is unavailable.

import { gfMul } from './field.ts';
import type { GfKernel } from './kernel.ts';
import { assertDotProductShape, assertSameLength } from './slice-checks.ts';

let fullTable: Uint8Array | undefined;

/** The whole multiplication table, MUL[(c << 8) | x] = c·x (64 KiB), built on first use. */
function mulTable(): Uint8Array {
  if (fullTable !== undefined) return fullTable;
  const table = new Uint8Array(65536);
  for (let c = 0; c < 256; c++) for (let x = 0; x < 256; x++) table[(c << 8) | x] = gfMul(c, x);
  fullTable = table;
  return table;
}

/*
 * Single-coefficient slices use per-coefficient word tables: 4 × 256 int32 entries,
 * entry [256·b + x] = (c·x) << 8b, so a 32-bit word maps to its product with four lookups and
 * three XORs. Multiplication is byte-wise, so the tables work on either endianness.
 */
const wordTables: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(256).fill(undefined);

function wordTable(c: number): Int32Array {
  const cached = wordTables[c];
  if (cached !== undefined) return cached;
  const mul = mulTable();
  const table = new Int32Array(1024);
  for (let x = 0; x < 256; x++) {
    const p = mul[(c << 8) | x] ?? 0;
    table[x] = p;
    table[256 + x] = p << 8;
    table[512 + x] = p << 16;
    table[768 + x] = p << 24;
  }
  wordTables[c] = table;
  return table;
}

function int32View(a: Uint8Array, firstByte: number, words: number): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset + firstByte, words);
}

function mulWords(t: Int32Array, s: Int32Array, d: Int32Array): void {
  for (let i = 0; i < s.length; i++) {
    const a = s[i] ?? 0;
    d[i] = (t[a & 255] ?? 0) ^ (t[256 + ((a >>> 8) & 255)] ?? 0) ^ (t[512 + ((a >>> 16) & 255)] ?? 0) ^ (t[768 + (a >>> 24)] ?? 0);
  }
}

function mulAddWords(t: Int32Array, s: Int32Array, d: Int32Array): void {
  for (let i = 0; i < s.length; i++) {
    const a = s[i] ?? 0;
    d[i] =
      (d[i] ?? 0) ^ (t[a & 255] ?? 0) ^ (t[256 + ((a >>> 8) & 255)] ?? 0) ^ (t[512 + ((a >>> 16) & 255)] ?? 0) ^ (t[768 + (a >>> 24)] ?? 0);
  }
}

function xorWords(s: Int32Array, d: Int32Array): void {
  for (let i = 0; i < s.length; i++) d[i] = (d[i] ?? 0) ^ (s[i] ?? 0);
}

/**
 * Runs a word loop on the 4-byte-aligned middle of src/dst and `byteOp` on the head and tail.
 * When src and dst sit at different offsets modulo 4 no common word grid exists: bytes only.
 */
function wordsWithByteEdges(
  src: Uint8Array,
  dst: Uint8Array,
  wordOp: (s: Int32Array, d: Int32Array) => void,
  byteOp: (from: number, to: number) => void,
): void {
  const length = src.length;
  const phase = src.byteOffset & 3;
  if (phase !== (dst.byteOffset & 3) || length < 16) {
    byteOp(0, length);
    return;
  }
  const head = (4 - phase) & 3;
  const words = (length - head) >>> 2;
  byteOp(0, head);
  wordOp(int32View(src, head, words), int32View(dst, head, words));
  byteOp(head + words * 4, length);
}

/*
 * Dot products use "transposed" tables so one lookup serves four outputs at once. For four
 * outputs and input j, Q[x] packs the four products c_{o,j}·x into the four bytes of an int32.
 * XORing Q over all inputs for the byte at word position p yields r_p, whose byte q is output
 * q's byte p; a 4×4 byte transpose of r_0..r_3 then gives the four output words. That costs
 * 4 lookups per input word for 4 outputs, against 16 with per-coefficient tables, and the
 * transpose is paid once per output word, not once per input.
 * Outputs go in groups of eight (two interleaved tables per input, one byte extraction shared
 * by both), the last group of at most four outputs in a group of four.
 *
 * The inputs are copied stripe by stripe into one flat Int32Array (and results out of another):
 * the inner loop then reads a single monomorphic array whatever the alignment of the caller's
 * slices, and a stripe of every input stays in cache while all output groups consume it.
 */

/** Scratch budget in 32-bit words for the input plus output stripes (256 KiB: L2-sized). */
const STRIPE_BUDGET_WORDS = 1 << 16;
const MAX_STRIPE_WORDS = 4096;
const MIN_STRIPE_WORDS = 256;

function group4(q: Int32Array, inputRows: Int32Array, inputCount: number, x: Int32Array, y: Int32Array, yBase: number, stride: number, words: number): void {
  for (let i = 0; i < words; i++) {
    let r0 = 0;
    let r1 = 0;
    let r2 = 0;
    let r3 = 0;
    for (let j = 0, t = 0; j < inputCount; j++, t += 256) {
      const a = x[(inputRows[j] ?? 0) + i] ?? 0;
      r0 ^= q[t + (a & 255)] ?? 0;
      r1 ^= q[t + ((a >>> 8) & 255)] ?? 0;
      r2 ^= q[t + ((a >>> 16) & 255)] ?? 0;
      r3 ^= q[t + (a >>> 24)] ?? 0;
    }
    // 4×4 byte transpose: swap bytes between word pairs, then 16-bit halves.
    const t0 = (r0 & 0x00ff00ff) | ((r1 & 0x00ff00ff) << 8);
    const t1 = ((r0 >>> 8) & 0x00ff00ff) | (r1 & 0xff00ff00);
    const t2 = (r2 & 0x00ff00ff) | ((r3 & 0x00ff00ff) << 8);
    const t3 = ((r2 >>> 8) & 0x00ff00ff) | (r3 & 0xff00ff00);
    y[yBase + i] = (t0 & 0xffff) | (t2 << 16);
    y[yBase + stride + i] = (t1 & 0xffff) | (t3 << 16);
    y[yBase + 2 * stride + i] = (t0 >>> 16) | (t2 & 0xffff0000);
    y[yBase + 3 * stride + i] = (t1 >>> 16) | (t3 & 0xffff0000);
  }
}

function group8(q: Int32Array, inputRows: Int32Array, inputCount: number, x: Int32Array, y: Int32Array, yBase: number, stride: number, words: number): void {
  for (let i = 0; i < words; i++) {
    let r0 = 0;
    let r1 = 0;
    let r2 = 0;
    let r3 = 0;
    let u0 = 0;
    let u1 = 0;
    let u2 = 0;
    let u3 = 0;
    for (let j = 0, t = 0; j < inputCount; j++, t += 512) {
      const a = x[(inputRows[j] ?? 0) + i] ?? 0;
      const i0 = t + (a & 255);
      const i1 = t + ((a >>> 8) & 255);
      const i2 = t + ((a >>> 16) & 255);
      const i3 = t + (a >>> 24);
      r0 ^= q[i0] ?? 0;
      r1 ^= q[i1] ?? 0;
      r2 ^= q[i2] ?? 0;
      r3 ^= q[i3] ?? 0;
      u0 ^= q[i0 + 256] ?? 0;
      u1 ^= q[i1 + 256] ?? 0;
      u2 ^= q[i2 + 256] ?? 0;
      u3 ^= q[i3 + 256] ?? 0;
    }
    let t0 = (r0 & 0x00ff00ff) | ((r1 & 0x00ff00ff) << 8);
    let t1 = ((r0 >>> 8) & 0x00ff00ff) | (r1 & 0xff00ff00);
    let t2 = (r2 & 0x00ff00ff) | ((r3 & 0x00ff00ff) << 8);
    let t3 = ((r2 >>> 8) & 0x00ff00ff) | (r3 & 0xff00ff00);
    y[yBase + i] = (t0 & 0xffff) | (t2 << 16);
    y[yBase + stride + i] = (t1 & 0xffff) | (t3 << 16);
    y[yBase + 2 * stride + i] = (t0 >>> 16) | (t2 & 0xffff0000);
    y[yBase + 3 * stride + i] = (t1 >>> 16) | (t3 & 0xffff0000);
    t0 = (u0 & 0x00ff00ff) | ((u1 & 0x00ff00ff) << 8);
    t1 = ((u0 >>> 8) & 0x00ff00ff) | (u1 & 0xff00ff00);
    t2 = (u2 & 0x00ff00ff) | ((u3 & 0x00ff00ff) << 8);
    t3 = ((u2 >>> 8) & 0x00ff00ff) | (u3 & 0xff00ff00);
    y[yBase + 4 * stride + i] = (t0 & 0xffff) | (t2 << 16);
    y[yBase + 5 * stride + i] = (t1 & 0xffff) | (t3 << 16);
    y[yBase + 6 * stride + i] = (t0 >>> 16) | (t2 & 0xffff0000);
    y[yBase + 7 * stride + i] = (t1 >>> 16) | (t3 & 0xffff0000);
  }
}

interface OutputGroup {
  /** Packed tables for this group: 256 entries per active input and per four outputs. */
  readonly q: Int32Array;
  /** Inputs with a non-zero coefficient in this group, as offsets into the input scratch. */
  readonly inputRows: Int32Array;
  readonly firstOutput: number;
  /** 4 or 8: how many outputs one pass computes (extra outputs get zero coefficients). */
  readonly width: 4 | 8;
}

function planGroups(coefficients: Uint8Array, k: number, n: number, stripeWords: number): OutputGroup[] {
  const mul = mulTable();
  const groups: OutputGroup[] = [];
  for (let firstOutput = 0; firstOutput < n; firstOutput += 8) {
    const outputCount = Math.min(8, n - firstOutput);
    const width = outputCount > 4 ? 8 : 4;
    const active: number[] = [];
    for (let j = 0; j < k; j++) {
      for (let o = 0; o < outputCount; o++) {
        if ((coefficients[(firstOutput + o) * k + j] ?? 0) !== 0) {
          active.push(j);
          break;
        }
      }
    }
    const q = new Int32Array(active.length * width * 64);
    active.forEach((j, slot) => {
      const base = slot * width * 64;
      for (let o = 0; o < outputCount; o++) {
        const row = (coefficients[(firstOutput + o) * k + j] ?? 0) << 8;
        const t = base + (o >>> 2) * 256;
        const shift = 8 * (o & 3);
        for (let v = 0; v < 256; v++) q[t + v] = (q[t + v] ?? 0) | ((mul[row | v] ?? 0) << shift);
      }
    });
    groups.push({ q, inputRows: Int32Array.from(active, (j) => j * stripeWords), firstOutput, width });
  }
  return groups;
}

class DotScratch {
  x = new Int32Array(0);
  y = new Int32Array(0);
  x8 = new Uint8Array(0);
  y8 = new Uint8Array(0);

  ensure(inputWords: number, outputWords: number): void {
    if (this.x.length < inputWords) {
      this.x = new Int32Array(inputWords);
      this.x8 = new Uint8Array(this.x.buffer);
    }
    if (this.y.length < outputWords) {
      this.y = new Int32Array(outputWords);
      this.y8 = new Uint8Array(this.y.buffer);
    }
  }
}

function dotTransposed(scratch: DotScratch, coefficients: Uint8Array, srcs: readonly Uint8Array[], dsts: readonly Uint8Array[]): void {
  const k = srcs.length;
  const n = dsts.length;
  const length = dsts[0]?.length ?? 0;
  const outputRows = (n + 7) & ~7;
  const stripeWords = Math.max(MIN_STRIPE_WORDS, Math.min(MAX_STRIPE_WORDS, Math.floor(STRIPE_BUDGET_WORDS / (k + outputRows))));
  const stripeBytes = stripeWords * 4;
  const groups = planGroups(coefficients, k, n, stripeWords);

  scratch.ensure(k * stripeWords, outputRows * stripeWords);
  const { x, y, x8, y8 } = scratch;
  for (let from = 0; from < length; from += stripeBytes) {
    const to = Math.min(length, from + stripeBytes);
    const bytes = to - from;
    // Bytes past `bytes` in the last word are stale, but products are byte-wise so they only
    // reach result bytes that are never copied out.
    const words = (bytes + 3) >>> 2;
    for (let j = 0; j < k; j++) x8.set((srcs[j] as Uint8Array).subarray(from, to), j * stripeBytes);
    for (const group of groups) {
      const yBase = group.firstOutput * stripeWords;
      const inputs = group.inputRows.length;
      if (inputs === 0) y.fill(0, yBase, yBase + group.width * stripeWords);
      else if (group.width === 8) group8(group.q, group.inputRows, inputs, x, y, yBase, stripeWords, words);
      else group4(group.q, group.inputRows, inputs, x, y, yBase, stripeWords, words);
    }
    for (let o = 0; o < n; o++) (dsts[o] as Uint8Array).set(y8.subarray(o * stripeBytes, o * stripeBytes + bytes), from);
  }
}

function mulSlice(c: number, src: Uint8Array, dst: Uint8Array): void {
  assertSameLength(src, dst);
  const coefficient = c & 0xff;
  if (coefficient === 0) {
    dst.fill(0);
    return;
  }
  if (coefficient === 1) {
    if (src !== dst) dst.set(src);
    return;
  }
  const t = wordTable(coefficient);
  const row = mulTable().subarray(coefficient << 8, (coefficient << 8) + 256);
  wordsWithByteEdges(src, dst, (s, d) => { mulWords(t, s, d); }, (from, to) => {
    for (let i = from; i < to; i++) dst[i] = row[src[i] ?? 0] ?? 0;
  });
}

function mulAddSlice(c: number, src: Uint8Array, dst: Uint8Array): void {
  assertSameLength(src, dst);
  const coefficient = c & 0xff;
  if (coefficient === 0) return;
  if (coefficient === 1) {
    wordsWithByteEdges(src, dst, xorWords, (from, to) => {
      for (let i = from; i < to; i++) dst[i] = (dst[i] ?? 0) ^ (src[i] ?? 0);
    });
    return;
  }
  const t = wordTable(coefficient);
  const row = mulTable().subarray(coefficient << 8, (coefficient << 8) + 256);
  wordsWithByteEdges(src, dst, (s, d) => { mulAddWords(t, s, d); }, (from, to) => {
    for (let i = from; i < to; i++) dst[i] = (dst[i] ?? 0) ^ (row[src[i] ?? 0] ?? 0);
  });
}

export function createJsKernel(): GfKernel {
  const scratch = new DotScratch();
  return {
    backend: 'js',
    mulSlice,
    mulAddSlice,
    dotProduct(coefficients: Uint8Array, srcs: readonly Uint8Array[], dsts: readonly Uint8Array[]): void {
      assertDotProductShape(coefficients, srcs, dsts);
      const length = dsts[0]?.length ?? 0;
      if (length === 0) return;
      if (srcs.length === 0) {
        for (const d of dsts) d.fill(0);
        return;
      }
      dotTransposed(scratch, coefficients, srcs, dsts);
    },
  };
}
