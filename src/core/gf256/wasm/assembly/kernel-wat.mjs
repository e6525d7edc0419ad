// GF(2^8) slice kernels for WebAssembly SIMD, generated as WebAssembly text: one unrolled function per pass width, kept separate so V8 compiles each on its own.
//
// The text is assembled without an optimiser (scripts/build-wasm.mjs), so the module keeps the
// shape written below: binaryen -O3 used to inline every pass back into one function, and V8
// allocates registers per function.

/*
 * Linear memory layout, fixed at build time. The memory is created with initial = maximum size,
 * so it can never grow and a view the host holds is never detached.
 *
 *   0x00000  reserved
 *   0x10000  NIBBLE_TABLES  256 × 32 bytes: for c, bytes 0..15 = c·x and 16..31 = c·(x << 4), x = 0..15 (data segment)
 *   0x12800  COEFFICIENTS   MAX_OUTPUTS × MAX_INPUTS bytes, row-major (output o, input j at o·k + j)
 *   0x20000  TABLES         expanded 32-byte tables, in the order the dot product consumes them
 *   0x60000  SCRATCH        SCRATCH_BYTES for stripes the host copies in and out
 */
export const layout = Object.freeze({
  NIBBLE_TABLES: 0x10000,
  COEFFICIENTS: 0x12800,
  TABLES: 0x20000,
  SCRATCH: 0x60000,
  SCRATCH_BYTES: 0x200000,
  MAX_INPUTS: 128,
  MAX_OUTPUTS: 64,
  /** Widest pass: 8 accumulators (4 outputs × 2 vectors) still fit V8's 15 usable xmm registers with few spills. */
  GROUP_WIDTH: 4,
  /** Bytes per column step: two vectors, so every table load serves two products. `dot` lengths are multiples of it. */
  LENGTH_MULTIPLE: 32,
});

/** Memory pages (64 KiB): SCRATCH is the last area. */
export const MEMORY_PAGES = (layout.SCRATCH + layout.SCRATCH_BYTES) / 0x10000;

const UNROLL = layout.LENGTH_MULTIPLE / 16;

/** Table-free shift-and-add multiply modulo x^8 + x^4 + x^3 + x^2 + 1. */
function gfMul(a, b) {
  let p = 0;
  for (let x = a, y = b; y !== 0; y >>= 1) {
    if (y & 1) p ^= x;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return p;
}

function nibbleTablesData() {
  const bytes = [];
  for (let c = 0; c < 256; c++) {
    for (let x = 0; x < 16; x++) bytes.push(gfMul(c, x));
    for (let x = 0; x < 16; x++) bytes.push(gfMul(c, x << 4));
  }
  return bytes.map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

const range = (n) => Array.from({ length: n }, (_, i) => i);

/**
 * prepare(n, k): COEFFICIENTS → TABLES. Outputs are split into ceil(n / GROUP_WIDTH) passes of
 * balanced widths (pass p has floor((n + p) / passes) outputs, so 6 outputs run as 3 + 3, not
 * 4 + 2); inside a pass the tables are input-major, then output, so a pass walks TABLES linearly.
 */
function prepareFunc() {
  const { GROUP_WIDTH: W, COEFFICIENTS, NIBBLE_TABLES, TABLES } = layout;
  return `
 (func $prepare (export "prepare") (param $n i32) (param $k i32)
  (local $passes i32) (local $p i32) (local $first i32) (local $w i32) (local $j i32) (local $q i32) (local $t i32) (local $c i32)
  (local.set $passes (i32.div_u (i32.add (local.get $n) (i32.const ${W - 1})) (i32.const ${W})))
  (local.set $t (i32.const ${TABLES}))
  (block $done
   (br_if $done (i32.eqz (local.get $k)))
   (loop $pass
    (br_if $done (i32.ge_u (local.get $p) (local.get $passes)))
    (local.set $w (i32.div_u (i32.add (local.get $n) (local.get $p)) (local.get $passes)))
    (local.set $j (i32.const 0))
    (loop $input
     (local.set $q (i32.const 0))
     (loop $output
      (local.set $c (i32.shl (i32.load8_u offset=${COEFFICIENTS}
       (i32.add (i32.mul (i32.add (local.get $first) (local.get $q)) (local.get $k)) (local.get $j))) (i32.const 5)))
      (v128.store (local.get $t) (v128.load offset=${NIBBLE_TABLES} (local.get $c)))
      (v128.store offset=16 (local.get $t) (v128.load offset=${NIBBLE_TABLES + 16} (local.get $c)))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $output (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $w))))
     (br_if $input (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $k))))
    (local.set $first (i32.add (local.get $first) (local.get $w)))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (br $pass))))`;
}

/**
 * One pass of width w: dst_o[i..end) (^)= XOR_j c_{o,j} · src_j for o < w. Per 32-byte column
 * the accumulators (w outputs × 2 vectors) live in locals; each input vector is loaded and split
 * into nibbles once, and each table load serves both vectors. The first input initialises the
 * accumulators, the rest are folded in by the input loop.
 */
function passFunc(w, swizzle) {
  const acc = (o, u) => `$a${o}_${u}`;
  const out = (o) => (o === 0 ? '$dst' : `$d${o}`);
  const lines = [];
  const emit = (s) => lines.push(s);
  const input = (first) => {
    for (const u of range(UNROLL)) {
      emit(`    (local.set $x${u} (v128.load offset=${16 * u} (local.get $s)))`);
      emit(`    (local.set $lo${u} (v128.and (local.get $x${u}) (local.get $mask)))`);
      emit(`    (local.set $hi${u} (v128.and (i16x8.shr_u (local.get $x${u}) (i32.const 4)) (local.get $mask)))`);
    }
    for (const o of range(w)) {
      emit(`    (local.set $table (v128.load offset=${32 * o} (local.get $t)))`);
      for (const u of range(UNROLL)) {
        const product = `(${swizzle} (local.get $table) (local.get $lo${u}))`;
        emit(`    (local.set ${acc(o, u)} ${first ? product : `(v128.xor (local.get ${acc(o, u)}) ${product})`})`);
      }
      emit(`    (local.set $table (v128.load offset=${32 * o + 16} (local.get $t)))`);
      for (const u of range(UNROLL)) {
        emit(`    (local.set ${acc(o, u)} (v128.xor (local.get ${acc(o, u)}) (${swizzle} (local.get $table) (local.get $hi${u}))))`);
      }
    }
    emit('    (local.set $s (i32.add (local.get $s) (local.get $srcStride)))');
    emit(`    (local.set $t (i32.add (local.get $t) (i32.const ${32 * w})))`);
  };
  const locals = [
    ...range(w - 1).map((o) => `(local ${out(o + 1)} i32)`),
    ...range(w).flatMap((o) => range(UNROLL).map((u) => `(local ${acc(o, u)} v128)`)),
    ...range(UNROLL).map((u) => `(local $x${u} v128) (local $lo${u} v128) (local $hi${u} v128)`),
  ];
  emit(`
 (func $pass${w} (param $t0 i32) (param $k i32) (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
  (param $i i32) (param $end i32) (param $accumulate i32)
  (local $mask v128) (local $table v128) (local $t i32) (local $tEnd i32) (local $s i32)
  ${locals.join(' ')}
  (local.set $mask (v128.const i8x16 ${range(16).map(() => '0x0f').join(' ')}))
  (local.set $tEnd (i32.add (local.get $t0) (i32.mul (local.get $k) (i32.const ${32 * w}))))`);
  for (const o of range(w).slice(1)) emit(`  (local.set ${out(o)} (i32.add (local.get $dst) (i32.mul (local.get $dstStride) (i32.const ${o}))))`);
  emit('  (loop $column');
  emit('   (local.set $t (local.get $t0))');
  emit('   (local.set $s (i32.add (local.get $src) (local.get $i)))');
  input(true);
  emit('   (if (local.get $accumulate) (then');
  for (const o of range(w)) {
    for (const u of range(UNROLL)) {
      emit(`    (local.set ${acc(o, u)} (v128.xor (local.get ${acc(o, u)}) (v128.load offset=${16 * u} (i32.add (local.get ${out(o)}) (local.get $i)))))`);
    }
  }
  emit('   ))');
  emit('   (block $inputsDone');
  emit('    (br_if $inputsDone (i32.ge_u (local.get $t) (local.get $tEnd)))');
  emit('    (loop $input');
  input(false);
  emit('     (br_if $input (i32.lt_u (local.get $t) (local.get $tEnd)))))');
  for (const o of range(w)) {
    for (const u of range(UNROLL)) emit(`   (v128.store offset=${16 * u} (i32.add (local.get ${out(o)}) (local.get $i)) (local.get ${acc(o, u)}))`);
  }
  emit(`   (br_if $column (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const ${layout.LENGTH_MULTIPLE}))) (local.get $end)))))`);
  return lines.join('\n');
}

/**
 * dot(n, k, length, accumulate, src, srcStride, dst, dstStride): output o at dst + o·dstStride
 * (^)= XOR_j c_{o,j} · (input j at src + j·srcStride), over `length` bytes (a multiple of
 * LENGTH_MULTIPLE), for the block `prepare(n, k)` laid out. Outputs must not overlap inputs.
 */
function dotFunc() {
  const W = layout.GROUP_WIDTH;
  // br_table picks the pass function for width w: block $wN is left to call pass N.
  const opens = range(W).map((i) => `(block $w${W - i}`).join(' ');
  const calls = range(W).map((i) => {
    const w = i + 1;
    return `     (call $pass${w} (local.get $t) (local.get $k) (local.get $src) (local.get $srcStride) (local.get $out) (local.get $dstStride) (i32.const 0) (local.get $length) (local.get $accumulate))
     (br $next)${w < W ? ')' : ''}`;
  });
  return `
 (func $dot (export "dot") (param $n i32) (param $k i32) (param $length i32) (param $accumulate i32)
  (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
  (local $passes i32) (local $p i32) (local $w i32) (local $t i32) (local $out i32)
  (if (i32.or (i32.eqz (local.get $length)) (i32.or (i32.eqz (local.get $n)) (i32.eqz (local.get $k)))) (then (return)))
  (local.set $passes (i32.div_u (i32.add (local.get $n) (i32.const ${W - 1})) (i32.const ${W})))
  (local.set $t (i32.const ${layout.TABLES}))
  (local.set $out (local.get $dst))
  (loop $pass
   (local.set $w (i32.div_u (i32.add (local.get $n) (local.get $p)) (local.get $passes)))
   (block $next
    ${opens}
     (br_table ${range(W).map((i) => `$w${i + 1}`).join(' ')} (i32.sub (local.get $w) (i32.const 1))))
${calls.join('\n')}
   )
   (local.set $t (i32.add (local.get $t) (i32.shl (i32.mul (local.get $w) (local.get $k)) (i32.const 5))))
   (local.set $out (i32.add (local.get $out) (i32.mul (local.get $w) (local.get $dstStride))))
   (br_if $pass (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $passes)))))`;
}

/**
 * The module text for one swizzle variant. `relaxed` uses i8x16.relaxed_swizzle (one pshufb on
 * x64); the indices are always 0..15, where it and i8x16.swizzle agree.
 */
export function kernelWat({ relaxed }) {
  const swizzle = relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle';
  const globals = { ...layout, RELAXED: relaxed ? 1 : 0 };
  return `(module
 (memory (export "memory") ${MEMORY_PAGES} ${MEMORY_PAGES})
${Object.entries(globals).map(([name, value]) => ` (global (export "${name}") i32 (i32.const ${value}))`).join('\n')}
 (data (i32.const ${layout.NIBBLE_TABLES}) "${nibbleTablesData()}")
${prepareFunc()}
${range(layout.GROUP_WIDTH).map((i) => passFunc(i + 1, swizzle)).join('\n')}
${dotFunc()}
)
`;
}
