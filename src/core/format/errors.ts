// Typed errors of stored formats (fragments, manifests).

export type FormatErrorKind = 'bad-magic' | 'unsupported-version' | 'malformed' | 'hash-mismatch';

export class FormatError extends Error {
  readonly kind: FormatErrorKind;
  constructor(kind: FormatErrorKind, message: string) {
    super(message);
    this.name = 'FormatError';
    this.kind = kind;
  }
}
