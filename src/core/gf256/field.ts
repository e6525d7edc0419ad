// Reference scalar arithmetic in GF(2^8) with the polynomial x^8+x^4+x^3+x^2+1 (0x11D): the oracle every fast kernel is checked against.

export const GF_POLYNOMIAL = 0x11d;
/** 2 is a generator of the multiplicative group for 0x11D. */
export const GF_GENERATOR = 2;

function buildTables(): { exp: Uint8Array; log: Uint8Array } {
  // exp is doubled (510 entries) so exp[log a + log b] needs no modulo.
  const exp = new Uint8Array(512);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF_POLYNOMIAL;
  }
  for (let i = 255; i < 512; i++) exp[i] = exp[i - 255] ?? 0;
  return { exp, log };
}

const { exp: EXP, log: LOG } = buildTables();

/** Antilog table: EXP[i] = 2^i for 0 <= i < 510. */
export const GF_EXP: Readonly<Uint8Array> = EXP;
/** Log table: LOG[a] = i with 2^i = a, for a != 0 (LOG[0] is meaningless). */
export const GF_LOG: Readonly<Uint8Array> = LOG;

export class GfDivisionByZeroError extends Error {
  readonly kind = 'gf-division-by-zero';
  constructor() {
    super('division by zero in GF(2^8)');
    this.name = 'GfDivisionByZeroError';
  }
}

export function gfAdd(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[(LOG[a] ?? 0) + (LOG[b] ?? 0)] ?? 0;
}

export function gfInv(a: number): number {
  if (a === 0) throw new GfDivisionByZeroError();
  return EXP[255 - (LOG[a] ?? 0)] ?? 0;
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new GfDivisionByZeroError();
  if (a === 0) return 0;
  return EXP[(LOG[a] ?? 0) + 255 - (LOG[b] ?? 0)] ?? 0;
}

/** Carry-less shift-and-add multiplication, independent of the tables: used to check them. */
export function gfMulSlow(a: number, b: number): number {
  let p = 0;
  let x = a & 0xff;
  let y = b & 0xff;
  while (y !== 0) {
    if (y & 1) p ^= x;
    y >>= 1;
    x <<= 1;
    if (x & 0x100) x ^= GF_POLYNOMIAL;
  }
  return p;
}
