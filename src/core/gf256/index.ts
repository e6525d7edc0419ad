// Public GF(2^8) entry: field arithmetic, the kernel contract, and the one slice kernel this process uses.

import { createJsKernel } from './js-kernel.ts';
import type { GfKernel } from './kernel.ts';
import { createWasmKernel, relaxedSimdSupported, wasmSimdSupported } from './wasm-kernel.ts';

export * from './field.ts';
export type { GfBackendName, GfKernel } from './kernel.ts';
export { GfSliceShapeError, type GfSliceErrorReason } from './slice-checks.ts';
export { GfWasmUnavailableError, relaxedSimdSupported, type WasmVariant } from './wasm-kernel.ts';

/** Values accepted by DISPERSA_GF_BACKEND; unset means `wasm`, falling back to `js`. */
export const GF_BACKEND_CHOICES = ['js', 'wasm', 'wasm-simd'] as const;
export type GfBackendChoice = (typeof GF_BACKEND_CHOICES)[number];
/** Concrete kernels createGfKernel can build. */
export type GfKernelName = 'js' | 'wasm-simd' | 'wasm-relaxed';

export class GfBackendConfigError extends Error {
  readonly kind = 'gf-backend-config';
  readonly value: string;
  constructor(value: string) {
    super(`DISPERSA_GF_BACKEND='${value}' is not valid; use one of: ${GF_BACKEND_CHOICES.join(', ')} (or leave it unset)`);
    this.name = 'GfBackendConfigError';
    this.value = value;
  }
}

/** What the process asked for: an explicit choice, or nothing (then the best available). */
export type GfBackendRequest = { readonly kind: 'default' } | { readonly kind: 'explicit'; readonly choice: GfBackendChoice };

/** Pure parse of the DISPERSA_GF_BACKEND value. */
export function parseGfBackend(value: string | undefined): GfBackendRequest {
  if (value === undefined || value === '') return { kind: 'default' };
  const choice = GF_BACKEND_CHOICES.find((c) => c === value);
  if (choice === undefined) throw new GfBackendConfigError(value);
  return { kind: 'explicit', choice };
}

export function createGfKernel(name: GfKernelName): GfKernel {
  switch (name) {
    case 'js':
      return createJsKernel();
    case 'wasm-simd':
      return createWasmKernel('simd');
    case 'wasm-relaxed':
      return createWasmKernel('relaxed');
    default: {
      const unreachable: never = name;
      throw new Error(`unknown GF kernel ${String(unreachable)}`);
    }
  }
}

/**
 * Resolves a request to a kernel. `wasm` takes relaxed swizzle when the runtime validates it,
 * else plain SIMD; only the default request may fall back to `js`, so an explicit `wasm` on a
 * runtime without SIMD fails loudly instead of silently running slower.
 */
export function selectGfKernel(request: GfBackendRequest): GfKernel {
  if (request.kind === 'explicit') {
    switch (request.choice) {
      case 'js':
        return createJsKernel();
      case 'wasm-simd':
        return createWasmKernel('simd');
      case 'wasm':
        return createWasmKernel(relaxedSimdSupported() ? 'relaxed' : 'simd');
      default: {
        const unreachable: never = request.choice;
        throw new Error(`unknown GF backend ${String(unreachable)}`);
      }
    }
  }
  // The relaxed probe goes first: on Node 20 it must set a V8 flag before any module compiles.
  if (relaxedSimdSupported()) return createWasmKernel('relaxed');
  if (wasmSimdSupported()) return createWasmKernel('simd');
  return createJsKernel();
}

let processKernel: GfKernel | undefined;

/** The kernel for this process, chosen on first call from DISPERSA_GF_BACKEND and then fixed. */
export function getGfKernel(): GfKernel {
  processKernel ??= selectGfKernel(parseGfBackend(process.env.DISPERSA_GF_BACKEND));
  return processKernel;
}
