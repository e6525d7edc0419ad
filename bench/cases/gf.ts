// GF(2^8) slice-kernel benchmark cases (mulAdd and the RLNC-shaped dot products) for every available backend.

import { createGfKernel, relaxedSimdSupported, type GfKernel, type GfKernelName } from '../../src/core/gf256/index.ts';
import { seededBytes, type BenchCase } from '../harness.ts';

const MiB = 1 << 20;

/** Matrix shapes worth tracking; each call processes 4 MiB of source split into `inputs` slices. */
const dotShapes = [
  { use: 'encode', outputs: 6, inputs: 4 },
  { use: 'parity', outputs: 2, inputs: 4 },
  { use: 'decode', outputs: 2, inputs: 4 },
  { use: 'encode', outputs: 20, inputs: 16 },
] as const;

function availableKernels(): GfKernelName[] {
  return relaxedSimdSupported() ? ['js', 'wasm-simd', 'wasm-relaxed'] : ['js', 'wasm-simd'];
}

/** Non-zero coefficients: zero entries would let a backend skip work and flatter the number. */
function denseCoefficients(seed: number, count: number): Uint8Array {
  return seededBytes(seed, count).map((c) => (c === 0 ? 0x8e : c));
}

/** Buffers are allocated on a case's first run, so listing cases costs nothing. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export function gfBenchCases(): BenchCase[] {
  const cases: BenchCase[] = [];
  const kernels = new Map<GfKernelName, GfKernel>();
  const kernelFor = (name: GfKernelName): GfKernel => {
    let kernel = kernels.get(name);
    if (kernel === undefined) {
      kernel = createGfKernel(name);
      kernels.set(name, kernel);
    }
    return kernel;
  };
  const mulAddData = lazy(() => ({ src: seededBytes(1, MiB), dst: seededBytes(2, MiB) }));

  for (const name of availableKernels()) {
    const kernel = kernelFor(name);
    cases.push({
      name: 'gf.mulAdd',
      params: { size: '1MiB' },
      backend: kernel.backend,
      bytesPerRun: MiB,
      run() {
        const { src, dst } = mulAddData();
        kernel.mulAddSlice(0x1d, src, dst);
      },
    });
    for (const shape of dotShapes) {
      const sliceBytes = (4 * MiB) / shape.inputs;
      const data = lazy(() => ({
        coefficients: denseCoefficients(shape.outputs * 100 + shape.inputs, shape.outputs * shape.inputs),
        srcs: Array.from({ length: shape.inputs }, (_, j) => seededBytes(10 + j, sliceBytes)),
        dsts: Array.from({ length: shape.outputs }, () => new Uint8Array(sliceBytes)),
      }));
      cases.push({
        name: 'gf.dotProduct',
        params: { use: shape.use, outputs: shape.outputs, inputs: shape.inputs, sliceBytes, sourceBytes: 4 * MiB },
        backend: kernel.backend,
        bytesPerRun: 4 * MiB,
        run() {
          const { coefficients, srcs, dsts } = data();
          kernel.dotProduct(coefficients, srcs, dsts);
        },
      });
    }
  }
  return cases;
}
