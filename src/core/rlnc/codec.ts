// RLNC encoder, progressive decoder and key-less recoder for one generation of k symbols.

import { gfInv, gfMul } from '../gf256/field.ts';
import type { GfKernel } from '../gf256/kernel.ts';
import { RlncError } from './errors.ts';
import { type GfMatrix, matrixRow } from './matrix.ts';

function isUnitRow(row: Uint8Array): number {
  let unit = -1;
  for (let j = 0; j < row.length; j++) {
    const v = row[j] ?? 0;
    if (v === 0) continue;
    if (v !== 1 || unit !== -1) return -1;
    unit = j;
  }
  return unit;
}

/**
 * outputs[o] = Σ_j rows[o][j] · inputs[j]. Unit rows become copies; the other rows go to the kernel in one call,
 * with inputs whose column is zero in every such row left out.
 */
export function combine(kernel: GfKernel, rows: readonly Uint8Array[], inputs: readonly Uint8Array[], outputs: readonly Uint8Array[]): void {
  const codedRows: number[] = [];
  rows.forEach((row, o) => {
    const unit = isUnitRow(row);
    const out = outputs[o];
    if (out === undefined) throw new RangeError('fewer outputs than rows');
    if (unit >= 0) {
      const src = inputs[unit];
      if (src === undefined) throw new RangeError('row refers to a missing input');
      out.set(src);
    } else {
      codedRows.push(o);
    }
  });
  if (codedRows.length === 0) return;
  const usedCols: number[] = [];
  for (let j = 0; j < inputs.length; j++) {
    if (codedRows.some((o) => (rows[o]?.[j] ?? 0) !== 0)) usedCols.push(j);
  }
  const dsts = codedRows.map((o) => outputs[o] ?? new Uint8Array(0));
  if (usedCols.length === 0) {
    for (const d of dsts) d.fill(0);
    return;
  }
  const coefficients = new Uint8Array(codedRows.length * usedCols.length);
  codedRows.forEach((o, i) => {
    usedCols.forEach((j, t) => {
      coefficients[i * usedCols.length + t] = rows[o]?.[j] ?? 0;
    });
  });
  kernel.dotProduct(
    coefficients,
    usedCols.map((j) => inputs[j] ?? new Uint8Array(0)),
    dsts,
  );
}

/**
 * Encodes one generation: `source` holds k symbols of `symbolSize` bytes back to back; outputs[i] receives
 * packet `packets[i]` (a row index of the generator matrix).
 */
export function encodeGeneration(
  kernel: GfKernel,
  generator: GfMatrix,
  source: Uint8Array,
  symbolSize: number,
  packets: readonly number[],
  outputs: readonly Uint8Array[],
): void {
  const k = generator.cols;
  if (source.length !== k * symbolSize) throw new RlncError('invalid-packet', `source must be k × symbol size = ${k * symbolSize} bytes, got ${source.length}`);
  for (const out of outputs) {
    if (out.length !== symbolSize) throw new RlncError('invalid-packet', `output packets must be ${symbolSize} bytes`);
  }
  const symbols: Uint8Array[] = [];
  for (let j = 0; j < k; j++) symbols.push(source.subarray(j * symbolSize, (j + 1) * symbolSize));
  const rows = packets.map((p) => {
    if (!Number.isInteger(p) || p < 0 || p >= generator.rows) throw new RlncError('invalid-packet', `packet index ${p} outside [0, ${generator.rows})`);
    return matrixRow(generator, p);
  });
  combine(kernel, rows, symbols, outputs);
}

/**
 * Progressive Gauss–Jordan decoder. Each accepted packet's coefficient vector is reduced against the rows seen so
 * far; the reduction is tracked as a combination of the received payloads, so payload bytes are only touched
 * once, at decode time. Linearly dependent packets are rejected at once.
 */
export class RlncDecoder {
  readonly k: number;
  readonly symbolSize: number;
  /** Reduced coefficient rows (RREF), each with a leading 1 at pivots[i]. */
  private readonly reduced: Uint8Array[] = [];
  /** transforms[i][s]: weight of received payload s in reduced row i. */
  private readonly transforms: Uint8Array[] = [];
  private readonly pivots: number[] = [];
  private readonly received: Uint8Array[] = [];

  constructor(k: number, symbolSize: number) {
    if (!Number.isInteger(k) || k < 1 || k > 64) throw new RlncError('invalid-parameters', `k must be in [1, 64], got ${k}`);
    this.k = k;
    this.symbolSize = symbolSize;
  }

  get rank(): number {
    return this.reduced.length;
  }

  get canDecode(): boolean {
    return this.reduced.length === this.k;
  }

  /** Payloads accepted so far, in the order they were accepted. */
  get payloads(): readonly Uint8Array[] {
    return this.received;
  }

  /** Adds a packet; returns the new rank. A dependent (non-innovative) packet is rejected and the rank is unchanged. */
  add(coefficients: Uint8Array, payload: Uint8Array): number {
    const k = this.k;
    if (coefficients.length !== k) throw new RlncError('invalid-packet', `packet has ${coefficients.length} coefficients, expected ${k}`);
    if (payload.length !== this.symbolSize) throw new RlncError('invalid-packet', `packet payload has ${payload.length} bytes, expected ${this.symbolSize}`);
    if (this.canDecode) return this.rank;
    const slot = this.received.length;
    const v = Uint8Array.from(coefficients);
    const t = new Uint8Array(k);
    t[slot] = 1;
    for (let i = 0; i < this.reduced.length; i++) {
      const f = v[this.pivots[i] ?? 0] ?? 0;
      if (f !== 0) {
        axpy(v, this.reduced[i] ?? v, f);
        axpy(t, this.transforms[i] ?? t, f);
      }
    }
    const pivot = v.findIndex((x) => x !== 0);
    if (pivot < 0) return this.rank;
    const s = gfInv(v[pivot] ?? 1);
    scale(v, s);
    scale(t, s);
    for (let i = 0; i < this.reduced.length; i++) {
      const row = this.reduced[i] ?? v;
      const f = row[pivot] ?? 0;
      if (f !== 0) {
        axpy(row, v, f);
        axpy(this.transforms[i] ?? t, t, f);
      }
    }
    this.reduced.push(v);
    this.transforms.push(t);
    this.pivots.push(pivot);
    this.received.push(payload);
    return this.rank;
  }

  /** Weights w over the accepted payloads such that Σ w_s · payload_s is the packet with coefficient row `target`. */
  combinationFor(target: Uint8Array): Uint8Array {
    this.requireFullRank();
    if (target.length !== this.k) throw new RlncError('invalid-packet', `target row has ${target.length} coefficients, expected ${this.k}`);
    const w = new Uint8Array(this.k);
    for (let i = 0; i < this.k; i++) {
      const f = target[this.pivots[i] ?? 0] ?? 0;
      if (f !== 0) axpy(w, this.transforms[i] ?? w, f);
    }
    return w;
  }

  /** Writes the k source symbols back to back into `out` (k × symbolSize bytes). */
  decodeInto(kernel: GfKernel, out: Uint8Array): void {
    this.requireFullRank();
    if (out.length !== this.k * this.symbolSize) throw new RlncError('invalid-packet', `output must be ${this.k * this.symbolSize} bytes`);
    const rows: Uint8Array[] = [];
    const outputs: Uint8Array[] = [];
    for (let i = 0; i < this.k; i++) {
      const p = this.pivots[i] ?? 0;
      rows.push(this.transforms[i] ?? new Uint8Array(this.k));
      outputs.push(out.subarray(p * this.symbolSize, (p + 1) * this.symbolSize));
    }
    combine(kernel, rows, this.received, outputs);
  }

  private requireFullRank(): void {
    if (!this.canDecode) throw new RlncError('not-decodable', `rank ${this.rank} < k = ${this.k}: need ${this.k - this.rank} more independent packets`);
  }
}

/**
 * Recreates the packet with coefficient row `target` from k independent coded packets, without decoding to the
 * source and without any key: the new payload is a linear combination of the given (encrypted) payloads.
 */
export function recodePacket(
  kernel: GfKernel,
  k: number,
  packets: readonly { readonly coefficients: Uint8Array; readonly payload: Uint8Array }[],
  target: Uint8Array,
  out: Uint8Array,
): void {
  const first = packets[0];
  if (first === undefined) throw new RlncError('not-decodable', 'no packets to recode from');
  const decoder = new RlncDecoder(k, first.payload.length);
  for (const p of packets) {
    if (decoder.canDecode) break;
    decoder.add(p.coefficients, p.payload);
  }
  const weights = decoder.combinationFor(target);
  if (out.length !== decoder.symbolSize) throw new RlncError('invalid-packet', `output must be ${decoder.symbolSize} bytes`);
  combine(kernel, [weights], decoder.payloads, [out]);
}

/** x += f · y over GF(2^8). */
function axpy(x: Uint8Array, y: Uint8Array, f: number): void {
  for (let j = 0; j < x.length; j++) x[j] = (x[j] ?? 0) ^ gfMul(f, y[j] ?? 0);
}

function scale(x: Uint8Array, f: number): void {
  for (let j = 0; j < x.length; j++) x[j] = gfMul(x[j] ?? 0, f);
}
