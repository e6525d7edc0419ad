// Typed errors of the dispersal layer.

export type DispersalErrorKind = 'invalid-location' | 'invalid-policy' | 'write-quorum-not-met' | 'unknown-location' | 'repair-failed';

export class DispersalError extends Error {
  readonly kind: DispersalErrorKind;
  constructor(kind: DispersalErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DispersalError';
    this.kind = kind;
  }
}
