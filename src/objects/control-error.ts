// The error services of the gateway throw for a bad control request; the admin API maps its kind to an HTTP status.

export type ControlErrorKind = 'invalid' | 'not-found' | 'conflict' | 'unavailable' | 'forbidden';

export class ControlError extends Error {
  readonly kind: ControlErrorKind;
  /** Field-level details, e.g. [{ path: 'store.endpoint', message: 'must be a URL' }]. */
  readonly errors: readonly { readonly path: string; readonly message: string }[];
  constructor(kind: ControlErrorKind, message: string, errors: readonly { readonly path: string; readonly message: string }[] = []) {
    super(message);
    this.name = 'ControlError';
    this.kind = kind;
    this.errors = errors;
  }
}

