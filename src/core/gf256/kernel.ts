// The slice-kernel contract: one signature, several backends (table-driven TypeScript, WebAssembly SIMD).

export type GfBackendName = 'js' | 'wasm' | 'wasm-relaxed';

export interface GfKernel {
  readonly backend: GfBackendName;
  /** dst[i] = c * src[i] for i < src.length. dst.length must equal src.length. */
  mulSlice(c: number, src: Uint8Array, dst: Uint8Array): void;
  /** dst[i] ^= c * src[i] for i < src.length. dst.length must equal src.length. */
  mulAddSlice(c: number, src: Uint8Array, dst: Uint8Array): void;
  /**
   * Matrix × vectors: dsts[o][i] = XOR over j of coefficients[o * srcs.length + j] * srcs[j][i].
   * All slices have the same length; coefficients has dsts.length * srcs.length entries (row-major).
   * Outputs are overwritten, never accumulated. Outputs must not alias inputs.
   */
  dotProduct(coefficients: Uint8Array, srcs: readonly Uint8Array[], dsts: readonly Uint8Array[]): void;
}
