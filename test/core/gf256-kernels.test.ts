// One contract suite for every GF(2^8) slice kernel: each backend must match the reference scalar arithmetic.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createGfKernel,
  GfBackendConfigError,
  GfSliceShapeError,
  gfMul,
  parseGfBackend,
  relaxedSimdSupported,
  selectGfKernel,
  type GfKernel,
  type GfKernelName,
} from '../../src/core/gf256/index.ts';
import { seededBytes } from '../../src/core/seeded.ts';

/** Deterministic bytes, so a failure reproduces. */
const randomBytes = seededBytes;

/** A slice of `length` bytes starting `offset` bytes into a larger buffer, to exercise unaligned views. */
function sliceAt(seed: number, length: number, offset: number): Uint8Array {
  return randomBytes(seed, length + offset + 7).subarray(offset, offset + length);
}

function referenceMulAdd(c: number, src: Uint8Array, dst: Uint8Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = (dst[i] ?? 0) ^ gfMul(c, src[i] ?? 0);
}

function referenceDot(coefficients: Uint8Array, srcs: readonly Uint8Array[], outputs: number): Uint8Array[] {
  const length = srcs[0]?.length ?? 0;
  const k = srcs.length;
  return Array.from({ length: outputs }, (_, o) => {
    const out = new Uint8Array(length);
    for (let j = 0; j < k; j++) referenceMulAdd(coefficients[o * k + j] ?? 0, srcs[j] as Uint8Array, out);
    return out;
  });
}

function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  assert.fail(`${what}: first difference at byte ${i} of ${actual.length} (got ${actual[i]}, expected ${expected[i]})`);
}

interface Backend {
  readonly name: GfKernelName;
  readonly available: boolean;
  readonly missing: string;
}

const backends: Backend[] = [
  { name: 'js', available: true, missing: '' },
  { name: 'wasm-simd', available: true, missing: '' },
  {
    name: 'wasm-relaxed',
    available: relaxedSimdSupported(),
    missing: `this runtime (Node ${process.version}) rejects WebAssembly relaxed SIMD`,
  },
];

function dotCase(kernel: GfKernel, outputs: number, inputs: number, length: number, seed: number, offset: number): void {
  const coefficients = randomBytes(seed, outputs * inputs);
  // Make sure rows with zeros and ones appear, they take special paths in some backends.
  if (coefficients.length > 2) {
    coefficients[0] = 0;
    coefficients[coefficients.length - 1] = 1;
  }
  const srcs = Array.from({ length: inputs }, (_, j) => sliceAt(seed * 31 + j + 1, length, (offset + j) & 3));
  const dsts = Array.from({ length: outputs }, (_, o) => sliceAt(seed * 17 + o + 99, length, (offset + 2 * o) & 3));
  kernel.dotProduct(coefficients, srcs, dsts);
  const expected = referenceDot(coefficients, srcs, outputs);
  dsts.forEach((d, o) => { assertBytes(d, expected[o] as Uint8Array, `${kernel.backend} ${outputs}×${inputs} length ${length} output ${o}`); });
}

for (const backend of backends) {
  describe(`GF(2^8) kernel ${backend.name}`, () => {
    if (!backend.available) {
      if (process.env.CI !== undefined) {
        it('is available (required in CI)', () => assert.fail(`${backend.name} is unavailable: ${backend.missing}`));
      } else {
        it('is available', (t) => {
          console.log(`# ${backend.name} not tested: ${backend.missing}`);
          t.skip(backend.missing);
        });
      }
      return;
    }
    const kernel = createGfKernel(backend.name);

    it('mulSlice and mulAddSlice match the reference for all 256 coefficients, lengths 0..130, offsets 0..3', () => {
      for (let c = 0; c < 256; c++) {
        for (let length = 0; length <= 130; length++) {
          const srcOffset = (c + length) & 3;
          const dstOffset = (c * 3 + length) & 3;
          const src = sliceAt(c * 1000 + length, length, srcOffset);
          const dst = sliceAt(c * 7 + length + 5, length, dstOffset);
          const expectedAdd = dst.slice();
          referenceMulAdd(c, src, expectedAdd);
          const expectedMul = new Uint8Array(length);
          referenceMulAdd(c, src, expectedMul);
          kernel.mulAddSlice(c, src, dst);
          assertBytes(dst, expectedAdd, `mulAddSlice c=${c} length=${length}`);
          kernel.mulSlice(c, src, dst);
          assertBytes(dst, expectedMul, `mulSlice c=${c} length=${length}`);
        }
      }
    });

    it('mulSlice works in place and with c = 0 and c = 1', () => {
      const data = sliceAt(5, 1000, 1);
      const expected = new Uint8Array(1000);
      referenceMulAdd(0x53, data, expected);
      kernel.mulSlice(0x53, data, data);
      assertBytes(data, expected, 'in-place mulSlice');
      const copy = data.slice();
      kernel.mulSlice(1, data, copy);
      assertBytes(copy, data, 'mulSlice c=1');
      kernel.mulAddSlice(1, data, copy);
      assertBytes(copy, new Uint8Array(1000), 'mulAddSlice c=1 of itself');
      kernel.mulAddSlice(0, data, copy);
      assertBytes(copy, new Uint8Array(1000), 'mulAddSlice c=0');
      kernel.mulSlice(0, data, data);
      assertBytes(data, new Uint8Array(1000), 'mulSlice c=0');
    });

    it('large unaligned slices (1 MiB + 13) match the reference', () => {
      const length = (1 << 20) + 13;
      const src = sliceAt(11, length, 3);
      const dst = sliceAt(12, length, 1);
      const expected = dst.slice();
      referenceMulAdd(0xa7, src, expected);
      kernel.mulAddSlice(0xa7, src, dst);
      assertBytes(dst, expected, 'mulAddSlice 1 MiB + 13');
      dotCase(kernel, 3, 2, length, 13, 1);
    });

    it('dotProduct matches the reference for outputs 1..9 × inputs 1..17', () => {
      let seed = 1;
      for (let outputs = 1; outputs <= 9; outputs++) {
        for (let inputs = 1; inputs <= 17; inputs++) {
          for (const length of [0, 1, 15, 16, 33, 100, 4099]) dotCase(kernel, outputs, inputs, length, seed++, seed & 3);
        }
      }
    });

    it('dotProduct matches the reference for 20×16, 64×64 and blocks beyond the module limits (70×130)', () => {
      dotCase(kernel, 20, 16, 40_000, 3, 0);
      dotCase(kernel, 64, 64, 5_000, 4, 2);
      dotCase(kernel, 70, 130, 300, 5, 1);
    });

    it('dotProduct with no inputs zeroes the outputs; zero-length slices are a no-op', () => {
      const out = randomBytes(6, 64);
      kernel.dotProduct(new Uint8Array(0), [], [out]);
      assertBytes(out, new Uint8Array(64), 'k = 0');
      kernel.dotProduct(new Uint8Array(2), [new Uint8Array(0)], [new Uint8Array(0), new Uint8Array(0)]);
    });

    it('rejects mismatched shapes with the typed error', () => {
      const isShapeError = { name: GfSliceShapeError.name, kind: 'gf-slice-shape' };
      assert.throws(() => { kernel.mulSlice(3, new Uint8Array(4), new Uint8Array(5)); }, isShapeError);
      assert.throws(() => { kernel.mulAddSlice(3, new Uint8Array(4), new Uint8Array(5)); }, isShapeError);
      assert.throws(() => { kernel.dotProduct(new Uint8Array(3), [new Uint8Array(4)], [new Uint8Array(4)]); }, isShapeError);
      assert.throws(() => { kernel.dotProduct(new Uint8Array(2), [new Uint8Array(4), new Uint8Array(3)], [new Uint8Array(4)]); }, isShapeError);
    });
  });
}

describe('GF backend selection', () => {
  it('parses DISPERSA_GF_BACKEND', () => {
    assert.deepEqual(parseGfBackend(undefined), { kind: 'default' });
    assert.deepEqual(parseGfBackend(''), { kind: 'default' });
    assert.deepEqual(parseGfBackend('js'), { kind: 'explicit', choice: 'js' });
    assert.deepEqual(parseGfBackend('wasm'), { kind: 'explicit', choice: 'wasm' });
    assert.deepEqual(parseGfBackend('wasm-simd'), { kind: 'explicit', choice: 'wasm-simd' });
    for (const bad of ['JS', 'wasm-relaxed', 'simd', ' js']) {
      assert.throws(
        () => parseGfBackend(bad),
        { name: GfBackendConfigError.name, kind: 'gf-backend-config', message: /js, wasm, wasm-simd/ },
      );
    }
  });

  it('resolves each request to the expected backend', () => {
    const best = relaxedSimdSupported() ? 'wasm-relaxed' : 'wasm';
    assert.equal(selectGfKernel({ kind: 'explicit', choice: 'js' }).backend, 'js');
    assert.equal(selectGfKernel({ kind: 'explicit', choice: 'wasm-simd' }).backend, 'wasm');
    assert.equal(selectGfKernel({ kind: 'explicit', choice: 'wasm' }).backend, best);
    assert.equal(selectGfKernel({ kind: 'default' }).backend, best);
  });

  it('getGfKernel() in a fresh process honours DISPERSA_GF_BACKEND', () => {
    const entry = fileURLToPath(new URL('../../src/core/gf256/index.ts', import.meta.url));
    const script = `import(${JSON.stringify(entry)}).then((m) => { try { console.log(m.getGfKernel().backend); } catch (e) { console.log('error:' + e.kind); } });`;
    const run = (value: string | undefined): string => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (value === undefined) delete env.DISPERSA_GF_BACKEND;
      else env.DISPERSA_GF_BACKEND = value;
      const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      return result.stdout.trim();
    };
    const best = relaxedSimdSupported() ? 'wasm-relaxed' : 'wasm';
    assert.equal(run('js'), 'js');
    assert.equal(run('wasm-simd'), 'wasm');
    assert.equal(run('wasm'), best);
    assert.equal(run(undefined), best);
    assert.equal(run('fast'), 'error:gf-backend-config');
  });
});
