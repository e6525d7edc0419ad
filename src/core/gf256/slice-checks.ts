// Argument checks shared by every GF(2^8) slice kernel, so all backends reject bad shapes with the same typed error.

export type GfSliceErrorReason = 'length-mismatch' | 'coefficient-count';

export class GfSliceShapeError extends Error {
  readonly kind = 'gf-slice-shape';
  readonly reason: GfSliceErrorReason;
  constructor(reason: GfSliceErrorReason, message: string) {
    super(message);
    this.name = 'GfSliceShapeError';
    this.reason = reason;
  }
}

export function assertSameLength(src: Uint8Array, dst: Uint8Array): void {
  if (src.length !== dst.length) {
    throw new GfSliceShapeError('length-mismatch', `source has ${src.length} bytes but destination has ${dst.length}`);
  }
}

export function assertDotProductShape(coefficients: Uint8Array, srcs: readonly Uint8Array[], dsts: readonly Uint8Array[]): void {
  if (coefficients.length !== srcs.length * dsts.length) {
    throw new GfSliceShapeError(
      'coefficient-count',
      `${dsts.length} outputs × ${srcs.length} inputs need ${srcs.length * dsts.length} coefficients, got ${coefficients.length}`,
    );
  }
  const length = dsts[0]?.length ?? srcs[0]?.length ?? 0;
  for (const s of srcs) {
    if (s.length !== length) throw new GfSliceShapeError('length-mismatch', `an input has ${s.length} bytes, expected ${length}`);
  }
  for (const d of dsts) {
    if (d.length !== length) throw new GfSliceShapeError('length-mismatch', `an output has ${d.length} bytes, expected ${length}`);
  }
}
