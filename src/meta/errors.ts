// Typed errors of the metadata layer: callers branch on `kind`, never on messages.

export type MetaErrorKind =
  | 'bucket-exists'
  | 'bucket-not-empty'
  | 'no-such-bucket'
  | 'no-such-upload'
  | 'invalid-part'
  | 'no-such-intent'
  | 'intent-exists'
  | 'team-exists'
  | 'no-such-team'
  | 'access-key-exists'
  | 'no-such-access-key'
  | 'no-such-policy'
  | 'policy-in-use'
  | 'no-such-location'
  | 'location-exists'
  | 'no-such-token'
  | 'precondition-failed'
  | 'conflict'
  | 'invalid'
  | 'unavailable';

export class MetaError extends Error {
  readonly kind: MetaErrorKind;
  constructor(kind: MetaErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetaError';
    this.kind = kind;
  }
}

export function isMetaError(error: unknown, kind?: MetaErrorKind): error is MetaError {
  return error instanceof MetaError && (kind === undefined || error.kind === kind);
}
