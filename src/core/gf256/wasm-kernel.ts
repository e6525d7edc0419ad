// WebAssembly SIMD GF(2^8) kernel: loads a prebuilt module and streams slices through its fixed linear memory in stripes.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { GfKernel } from './kernel.ts';
import { assertDotProductShape, assertSameLength } from './slice-checks.ts';

export type WasmVariant = 'simd' | 'relaxed';

/*
 * The few WebAssembly JS-API members used here. The project's lib (ES2023 + Node types) does not
 * declare the global, and declaring it globally could clash once another lib does.
 */
interface WasmModule { readonly __brand: 'WebAssembly.Module' }
interface WasmGlobal { readonly value: unknown }
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
}

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

const artifactFiles: Readonly<Record<WasmVariant, string>> = {
  simd: 'gf256-simd.wasm',
  relaxed: 'gf256-relaxed.wasm',
};

export class GfWasmUnavailableError extends Error {
  readonly kind = 'gf-wasm-unavailable';
  readonly variant: WasmVariant;
  constructor(variant: WasmVariant, detail: string) {
    super(`WebAssembly GF(2^8) kernel '${variant}' is unavailable: ${detail}`);
    this.name = 'GfWasmUnavailableError';
    this.variant = variant;
  }
}

/** The committed artifact's URL; the build script and its test use it too. */
export function wasmArtifactUrl(variant: WasmVariant): URL {
  return new URL(`./wasm/${artifactFiles[variant]}`, import.meta.url);
}

const artifactBytes = new Map<WasmVariant, Uint8Array>();
const compiled = new Map<WasmVariant, WasmModule>();

function readArtifact(variant: WasmVariant): Uint8Array {
  let bytes = artifactBytes.get(variant);
  if (bytes === undefined) {
    bytes = new Uint8Array(readFileSync(wasmArtifactUrl(variant)));
    artifactBytes.set(variant, bytes);
  }
  return bytes;
}

let relaxedFlagTried = false;

/**
 * Node 20 (V8 11.3) accepts relaxed SIMD only behind a flag. V8 reads it when modules are
 * compiled, and setting flags after that point is unsupported, so this runs at most once and
 * callers invoke it before compiling any GF module. Node 22+ ship the feature and ignore it.
 */
function enableRelaxedSimdFlag(): void {
  if (relaxedFlagTried) return;
  relaxedFlagTried = true;
  if (wasmApi()?.validate(readArtifact('relaxed')) !== false) return;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/** Whether this runtime can run the relaxed-swizzle build (enables the V8 flag on Node 20 first). */
export function relaxedSimdSupported(): boolean {
  enableRelaxedSimdFlag();
  return wasmApi()?.validate(readArtifact('relaxed')) === true;
}

/** Whether this runtime can run the plain SIMD build. */
export function wasmSimdSupported(): boolean {
  return wasmApi()?.validate(readArtifact('simd')) === true;
}

function compile(variant: WasmVariant): WasmModule {
  const cached = compiled.get(variant);
  if (cached !== undefined) return cached;
  const api = wasmApi();
  if (api === undefined) throw new GfWasmUnavailableError(variant, 'this runtime has no WebAssembly');
  // Probe (and on Node 20 enable) relaxed SIMD before the first compile of either variant.
  enableRelaxedSimdFlag();
  const bytes = readArtifact(variant);
  if (!api.validate(bytes)) {
    throw new GfWasmUnavailableError(variant, variant === 'relaxed' ? 'this runtime rejects relaxed SIMD' : 'this runtime rejects WebAssembly SIMD');
  }
  const module = new api.Module(bytes);
  compiled.set(variant, module);
  return module;
}

interface GfWasmExports {
  readonly memory: WasmMemory;
  readonly COEFFICIENTS: WasmGlobal;
  readonly SCRATCH: WasmGlobal;
  readonly SCRATCH_BYTES: WasmGlobal;
  readonly MAX_INPUTS: WasmGlobal;
  readonly MAX_OUTPUTS: WasmGlobal;
  readonly LENGTH_MULTIPLE: WasmGlobal;
  readonly RELAXED: WasmGlobal;
  prepare(n: number, k: number): void;
  dot(n: number, k: number, length: number, accumulate: number, src: number, srcStride: number, dst: number, dstStride: number): void;
}

function globalNumber(g: WasmGlobal): number {
  const value: unknown = g.value;
  if (typeof value !== 'number') throw new TypeError('GF module exports a non-numeric layout constant');
  return value;
}

/**
 * Longest stripe per slice. Every stripe costs one call per slice plus one `dot` (0.1–0.2 µs
 * each): 16 KiB stripes measured 15–25 % slower end to end than 64 KiB for 2 outputs × 4 inputs.
 * Calls with many slices get shorter stripes from the scratch size.
 */
const MAX_STRIPE_BYTES = 64 * 1024;
const PAGE = 4096;

export function createWasmKernel(variant: WasmVariant): GfKernel {
  const api = wasmApi();
  if (api === undefined) throw new GfWasmUnavailableError(variant, 'this runtime has no WebAssembly');
  const instance = new api.Instance(compile(variant), {});
  const ex = instance.exports as GfWasmExports;
  // The memory has maximum = initial pages, so it never grows and this view never detaches.
  const memory = new Uint8Array(ex.memory.buffer);
  const coefficientArea = globalNumber(ex.COEFFICIENTS);
  const scratch = globalNumber(ex.SCRATCH);
  const scratchBytes = globalNumber(ex.SCRATCH_BYTES);
  const maxInputs = globalNumber(ex.MAX_INPUTS);
  const maxOutputs = globalNumber(ex.MAX_OUTPUTS);
  const lengthMultiple = globalNumber(ex.LENGTH_MULTIPLE);
  const roundUp = (bytes: number): number => Math.ceil(bytes / lengthMultiple) * lengthMultiple;
  if (globalNumber(ex.RELAXED) !== (variant === 'relaxed' ? 1 : 0)) {
    throw new GfWasmUnavailableError(variant, `artifact ${artifactFiles[variant]} was built for the other swizzle variant`);
  }

  /**
   * One block of at most maxOutputs × maxInputs: dsts (^)= coefficients × srcs. `coefficients`
   * is read at [rowStart + o·rowStride + j]. Inputs are copied in a stripe at a time, the
   * module computes every output of the block from that stripe, then results are copied out.
   */
  function block(
    coefficients: Uint8Array, rowStart: number, rowStride: number,
    srcs: readonly Uint8Array[], dsts: readonly Uint8Array[], accumulate: boolean,
  ): void {
    const k = srcs.length;
    const n = dsts.length;
    const length = dsts[0]?.length ?? 0;
    for (let o = 0; o < n; o++) {
      const from = rowStart + o * rowStride;
      memory.set(coefficients.subarray(from, from + k), coefficientArea + o * k);
    }
    ex.prepare(n, k);
    const fitting = Math.min(MAX_STRIPE_BYTES, Math.floor((scratchBytes - 2 * PAGE) / (k + n) / lengthMultiple) * lengthMultiple, roundUp(length));
    const stripe = fitting >= PAGE ? fitting - (fitting % PAGE) : fitting;
    // Output rows sit half a page off the page grid. Large caller buffers are page-aligned, and
    // a copy whose source and destination share their offset within a 4 KiB page hits 4K
    // aliasing in the CPU's store forwarding: copying out ran 10× slower before this shift.
    const outBase = Math.ceil((scratch + k * stripe) / PAGE) * PAGE + PAGE / 2;
    for (let from = 0; from < length; from += stripe) {
      const to = Math.min(length, from + stripe);
      const bytes = to - from;
      for (let j = 0; j < k; j++) memory.set((srcs[j] as Uint8Array).subarray(from, to), scratch + j * stripe);
      if (accumulate) for (let o = 0; o < n; o++) memory.set((dsts[o] as Uint8Array).subarray(from, to), outBase + o * stripe);
      // The module works on whole columns; bytes past `bytes` are stale but only feed result bytes never copied out.
      ex.dot(n, k, roundUp(bytes), accumulate ? 1 : 0, scratch, stripe, outBase, stripe);
      for (let o = 0; o < n; o++) (dsts[o] as Uint8Array).set(memory.subarray(outBase + o * stripe, outBase + o * stripe + bytes), from);
    }
  }

  function dotInto(coefficients: Uint8Array, srcs: readonly Uint8Array[], dsts: readonly Uint8Array[], accumulate: boolean): void {
    const k = srcs.length;
    // Blocks bound the table and pointer areas; later input blocks accumulate onto earlier ones.
    for (let o0 = 0; o0 < dsts.length; o0 += maxOutputs) {
      const outs = dsts.slice(o0, o0 + maxOutputs);
      for (let j0 = 0; j0 < k; j0 += maxInputs) {
        block(coefficients, o0 * k + j0, k, srcs.slice(j0, j0 + maxInputs), outs, accumulate || j0 > 0);
      }
    }
  }

  const single = new Uint8Array(1);

  return {
    backend: variant === 'relaxed' ? 'wasm-relaxed' : 'wasm',
    mulSlice(c: number, src: Uint8Array, dst: Uint8Array): void {
      assertSameLength(src, dst);
      const coefficient = c & 0xff;
      if (coefficient === 0) dst.fill(0);
      else if (coefficient === 1) dst.set(src);
      else if (src.length > 0) {
        single[0] = coefficient;
        dotInto(single, [src], [dst], false);
      }
    },
    mulAddSlice(c: number, src: Uint8Array, dst: Uint8Array): void {
      assertSameLength(src, dst);
      const coefficient = c & 0xff;
      if (coefficient === 0 || src.length === 0) return;
      single[0] = coefficient;
      dotInto(single, [src], [dst], true);
    },
    dotProduct(coefficients: Uint8Array, srcs: readonly Uint8Array[], dsts: readonly Uint8Array[]): void {
      assertDotProductShape(coefficients, srcs, dsts);
      if ((dsts[0]?.length ?? 0) === 0) return;
      if (srcs.length === 0) {
        for (const d of dsts) d.fill(0);
        return;
      }
      dotInto(coefficients, srcs, dsts, false);
    },
  };
}
