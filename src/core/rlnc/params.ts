// RLNC code parameters (k data packets, r redundant packets, symbol size) and their validation.

import { RlncError } from './errors.ts';

/** Largest n = k + r: one packet per location, and 64 locations is far beyond any policy. */
export const MAX_PACKETS = 64;
/** Symbols are padded to a multiple of this many bytes so SIMD kernels run without scalar tails. */
export const SYMBOL_ALIGNMENT = 16;
/** 1 GiB symbols would already mean generations far larger than memory budgets allow. */
export const MAX_SYMBOL_SIZE = 1 << 30;

export interface RlncParams {
  /** Data (source) packets per generation: any k coded packets rebuild the generation. */
  readonly k: number;
  /** Redundant packets: up to r packets may be lost. */
  readonly r: number;
  /** Systematic codes send the k source symbols unchanged as packets 0..k-1. */
  readonly systematic: boolean;
}

export function packetCount(params: RlncParams): number {
  return params.k + params.r;
}

function isWholeNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

/** Throws RlncError('invalid-parameters') naming the first bad field. */
export function validateRlncParams(params: RlncParams): RlncParams {
  const { k, r, systematic } = params as { k: unknown; r: unknown; systematic: unknown };
  if (!isWholeNumber(k) || k < 1) throw new RlncError('invalid-parameters', `k must be an integer >= 1, got ${String(k)}`);
  if (!isWholeNumber(r) || r < 0) throw new RlncError('invalid-parameters', `r must be an integer >= 0, got ${String(r)}`);
  if (k + r > MAX_PACKETS) {
    throw new RlncError('invalid-parameters', `n = k + r must be <= ${MAX_PACKETS}, got ${k} + ${r} = ${k + r}`);
  }
  if (typeof systematic !== 'boolean') throw new RlncError('invalid-parameters', 'systematic must be a boolean');
  return params;
}

export function validateSymbolSize(symbolSize: number): void {
  if (!isWholeNumber(symbolSize) || symbolSize < 0 || symbolSize > MAX_SYMBOL_SIZE) {
    throw new RlncError('invalid-parameters', `symbol size must be an integer in [0, ${MAX_SYMBOL_SIZE}], got ${String(symbolSize)}`);
  }
}

/** Symbol size for carrying `length` bytes in k symbols: ceil(length / k) rounded up to SYMBOL_ALIGNMENT. */
export function symbolSizeFor(length: number, k: number): number {
  const raw = Math.ceil(length / k);
  return Math.ceil(raw / SYMBOL_ALIGNMENT) * SYMBOL_ALIGNMENT;
}
