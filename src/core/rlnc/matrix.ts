// Small dense matrices over GF(2^8) (reference scalar arithmetic): products and inversion for k <= 64.

import { gfInv, gfMul } from '../gf256/field.ts';
import { RlncError } from './errors.ts';

/** Row-major matrix: rows × cols bytes. */
export interface GfMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

export function gfMatrix(rows: number, cols: number, data?: Uint8Array): GfMatrix {
  const bytes = data ?? new Uint8Array(rows * cols);
  if (bytes.length !== rows * cols) throw new RangeError(`matrix data has ${bytes.length} bytes, expected ${rows * cols}`);
  return { rows, cols, data: bytes };
}

export function matrixRow(m: GfMatrix, row: number): Uint8Array {
  return m.data.subarray(row * m.cols, (row + 1) * m.cols);
}

/** Matrix made of the given rows of m, in that order. */
export function selectRows(m: GfMatrix, rows: readonly number[]): GfMatrix {
  const out = gfMatrix(rows.length, m.cols);
  rows.forEach((r, i) => {
    out.data.set(matrixRow(m, r), i * m.cols);
  });
  return out;
}

/** a × b. */
export function multiply(a: GfMatrix, b: GfMatrix): GfMatrix {
  if (a.cols !== b.rows) throw new RangeError(`cannot multiply ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const out = gfMatrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let t = 0; t < a.cols; t++) {
      const f = a.data[i * a.cols + t] ?? 0;
      if (f === 0) continue;
      for (let j = 0; j < b.cols; j++) {
        const idx = i * b.cols + j;
        out.data[idx] = (out.data[idx] ?? 0) ^ gfMul(f, b.data[t * b.cols + j] ?? 0);
      }
    }
  }
  return out;
}

/** Inverse of a square matrix by Gauss–Jordan elimination; RlncError('not-decodable') if singular. */
export function invert(m: GfMatrix): GfMatrix {
  const n = m.rows;
  if (m.cols !== n) throw new RangeError(`cannot invert a ${m.rows}x${m.cols} matrix`);
  const a = Uint8Array.from(m.data);
  const inv = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot * n + col] === 0) pivot++;
    if (pivot === n) throw new RlncError('not-decodable', 'coefficient matrix is singular');
    if (pivot !== col) {
      swapRows(a, n, pivot, col);
      swapRows(inv, n, pivot, col);
    }
    const scale = gfInv(a[col * n + col] ?? 0);
    scaleRow(a, n, col, scale);
    scaleRow(inv, n, col, scale);
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const f = a[row * n + col] ?? 0;
      if (f === 0) continue;
      addScaledRow(a, n, col, row, f);
      addScaledRow(inv, n, col, row, f);
    }
  }
  return gfMatrix(n, n, inv);
}

function swapRows(d: Uint8Array, cols: number, x: number, y: number): void {
  const tmp = d.slice(x * cols, (x + 1) * cols);
  d.copyWithin(x * cols, y * cols, (y + 1) * cols);
  d.set(tmp, y * cols);
}

function scaleRow(d: Uint8Array, cols: number, row: number, f: number): void {
  for (let j = 0; j < cols; j++) d[row * cols + j] = gfMul(d[row * cols + j] ?? 0, f);
}

/** row `to` += f × row `from`. */
function addScaledRow(d: Uint8Array, cols: number, from: number, to: number, f: number): void {
  for (let j = 0; j < cols; j++) d[to * cols + j] = (d[to * cols + j] ?? 0) ^ gfMul(f, d[from * cols + j] ?? 0);
}
