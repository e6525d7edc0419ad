// GF(2^8) slice kernels for WebAssembly SIMD (split-nibble tables + i8x16 swizzle), compiled twice: plain and relaxed swizzle.

/*
 * Linear memory layout, fixed at build time. The memory is created with initial = maximum size,
 * so it can never grow and a view the host holds is never detached.
 *
 *   0x00000  reserved (AssemblyScript statics; none are used)
 *   0x10000  NIBBLE_TABLES  256 × 32 bytes: for c, bytes 0..15 = c·x and 16..31 = c·(x << 4), x = 0..15
 *   0x12000  SRC_POINTERS   MAX_INPUTS u32 addresses of the input slices
 *   0x12400  DST_POINTERS   MAX_OUTPUTS u32 addresses of the output slices
 *   0x12800  COEFFICIENTS   MAX_OUTPUTS × MAX_INPUTS bytes, row-major (output o, input j at o·k + j)
 *   0x20000  TABLES         expanded 32-byte tables, in the order the dot product consumes them
 *   0x60000  SCRATCH        SCRATCH_BYTES for stripes the host copies in and out
 */
export const NIBBLE_TABLES: u32 = 0x10000;
export const SRC_POINTERS: u32 = 0x12000;
export const DST_POINTERS: u32 = 0x12400;
export const COEFFICIENTS: u32 = 0x12800;
export const TABLES: u32 = 0x20000;
export const SCRATCH: u32 = 0x60000;
export const SCRATCH_BYTES: u32 = 0x200000;
export const MAX_INPUTS: u32 = 128;
export const MAX_OUTPUTS: u32 = 64;
/** Outputs computed per pass over the inputs; the last pass of a call takes the remainder. */
export const GROUP_WIDTH: u32 = 4;
/** 1 when this build uses i8x16.relaxed_swizzle, so the host can tell the artifacts apart. */
export const RELAXED: u32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 0;

function gfMulSlow(a: u32, b: u32): u32 {
  let p: u32 = 0;
  let x = a;
  let y = b;
  while (y != 0) {
    if (y & 1) p ^= x;
    y >>= 1;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return p;
}

/** Fills NIBBLE_TABLES; the host calls it once after instantiation. */
export function init(): void {
  for (let c: u32 = 0; c < 256; c++) {
    const t = NIBBLE_TABLES + c * 32;
    for (let x: u32 = 0; x < 16; x++) {
      store<u8>(t + x, gfMulSlow(c, x));
      store<u8>(t + 16 + x, gfMulSlow(c, x << 4));
    }
  }
}

@inline
function groupWidthAt(first: u32, n: u32): u32 {
  return min(GROUP_WIDTH, n - first);
}

/**
 * Lays out the tables for an n × k coefficient block: output groups in order; inside a group
 * input-major, then output, so the inner loop walks TABLES linearly.
 */
export function prepare(n: u32, k: u32): void {
  let t = TABLES;
  for (let first: u32 = 0; first < n; first += GROUP_WIDTH) {
    const w = groupWidthAt(first, n);
    for (let j: u32 = 0; j < k; j++) {
      for (let q: u32 = 0; q < w; q++) {
        const c: u32 = load<u8>(COEFFICIENTS + (first + q) * k + j);
        v128.store(t, v128.load(NIBBLE_TABLES + c * 32));
        v128.store(t, v128.load(NIBBLE_TABLES + c * 32, 16), 16);
        t += 32;
      }
    }
  }
}

@inline
function shuffle(table: v128, index: v128): v128 {
  // Indices are always 0..15, where both instructions agree; relaxed maps to one pshufb on x64.
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(table, index);
  return i8x16.swizzle(table, index);
}

@inline
function product(t: usize, offset: usize, lo: v128, hi: v128): v128 {
  return v128.xor(shuffle(v128.load(t + offset), lo), shuffle(v128.load(t + offset + 16), hi));
}

/**
 * One pass over all k inputs computing `w` outputs (w is a constant after inlining, so unused
 * accumulators vanish). Accumulators stay in v128 locals; each input vector is loaded once
 * per pass and split into nibbles once for all w outputs.
 */
@inline
function pass(w: u32, first: u32, k: u32, tables: usize, length: u32, accumulate: bool): void {
  const mask = i8x16.splat(0x0f);
  const d0: usize = <usize>load<u32>(DST_POINTERS + first * 4);
  const d1: usize = w > 1 ? <usize>load<u32>(DST_POINTERS + first * 4 + 4) : 0;
  const d2: usize = w > 2 ? <usize>load<u32>(DST_POINTERS + first * 4 + 8) : 0;
  const d3: usize = w > 3 ? <usize>load<u32>(DST_POINTERS + first * 4 + 12) : 0;
  const stride: usize = w * 32;
  for (let i: usize = 0; i < length; i += 16) {
    let a0 = i8x16.splat(0);
    let a1 = i8x16.splat(0);
    let a2 = i8x16.splat(0);
    let a3 = i8x16.splat(0);
    if (accumulate) {
      a0 = v128.load(d0 + i);
      if (w > 1) a1 = v128.load(d1 + i);
      if (w > 2) a2 = v128.load(d2 + i);
      if (w > 3) a3 = v128.load(d3 + i);
    }
    let t = tables;
    let p: usize = SRC_POINTERS;
    const end: usize = SRC_POINTERS + k * 4;
    while (p < end) {
      const x = v128.load(<usize>load<u32>(p) + i);
      const lo = v128.and(x, mask);
      const hi = v128.and(i16x8.shr_u(x, 4), mask);
      a0 = v128.xor(a0, product(t, 0, lo, hi));
      if (w > 1) a1 = v128.xor(a1, product(t, 32, lo, hi));
      if (w > 2) a2 = v128.xor(a2, product(t, 64, lo, hi));
      if (w > 3) a3 = v128.xor(a3, product(t, 96, lo, hi));
      t += stride;
      p += 4;
    }
    v128.store(d0 + i, a0);
    if (w > 1) v128.store(d1 + i, a1);
    if (w > 2) v128.store(d2 + i, a2);
    if (w > 3) v128.store(d3 + i, a3);
  }
}

// One function per width: V8 allocates registers per function, and a small loop nest keeps
// the accumulators and the current input vector in registers.
function pass1(first: u32, k: u32, tables: usize, length: u32, accumulate: bool): void { pass(1, first, k, tables, length, accumulate); }
function pass2(first: u32, k: u32, tables: usize, length: u32, accumulate: bool): void { pass(2, first, k, tables, length, accumulate); }
function pass3(first: u32, k: u32, tables: usize, length: u32, accumulate: bool): void { pass(3, first, k, tables, length, accumulate); }
function pass4(first: u32, k: u32, tables: usize, length: u32, accumulate: bool): void { pass(4, first, k, tables, length, accumulate); }

/**
 * dst_o[0..length) (^)= XOR_j c_{o,j} · src_j for the block `prepare(n, k)` laid out, with the
 * addresses in SRC_POINTERS / DST_POINTERS. length must be a multiple of 16. An output may be
 * an input at the same address only with `accumulate` set (that is how mulAdd runs in place).
 */
export function dot(n: u32, k: u32, length: u32, accumulate: bool): void {
  let tables: usize = TABLES;
  for (let first: u32 = 0; first < n; first += GROUP_WIDTH) {
    const w = groupWidthAt(first, n);
    if (w == 1) pass1(first, k, tables, length, accumulate);
    else if (w == 2) pass2(first, k, tables, length, accumulate);
    else if (w == 3) pass3(first, k, tables, length, accumulate);
    else pass4(first, k, tables, length, accumulate);
    tables += w * k * 32;
  }
}
