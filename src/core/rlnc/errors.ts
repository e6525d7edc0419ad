// Typed errors of the RLNC layer (bad parameters, undecodable input).

export type RlncErrorKind = 'invalid-parameters' | 'not-decodable' | 'invalid-packet';

export class RlncError extends Error {
  readonly kind: RlncErrorKind;
  constructor(kind: RlncErrorKind, message: string) {
    super(message);
    this.name = 'RlncError';
    this.kind = kind;
  }
}
