// The error type of request authentication and body integrity checks: one S3 error code and a client-safe message.

/**
 * S3 error codes this layer produces. The front door maps each to its HTTP status
 * (400 for most, 403 for AccessDenied / SignatureDoesNotMatch / InvalidAccessKeyId / RequestTimeTooSkewed).
 */
export type S3AuthErrorCode =
  | 'AccessDenied'
  | 'SignatureDoesNotMatch'
  | 'InvalidAccessKeyId'
  | 'RequestTimeTooSkewed'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'InvalidRequest'
  | 'InvalidArgument'
  | 'MissingSecurityHeader'
  | 'XAmzContentSHA256Mismatch'
  | 'IncompleteBody'
  | 'MalformedTrailerError'
  | 'InvalidDigest'
  | 'BadDigest';

/** Every code above, for tests and for the front door's status table to be checked against. */
export const S3_AUTH_ERROR_CODES: readonly S3AuthErrorCode[] = [
  'AccessDenied',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'InvalidRequest',
  'InvalidArgument',
  'MissingSecurityHeader',
  'XAmzContentSHA256Mismatch',
  'IncompleteBody',
  'MalformedTrailerError',
  'InvalidDigest',
  'BadDigest',
];

/**
 * What S3 adds to a SignatureDoesNotMatch body so a client can see how its request was read:
 * the canonical request and string to sign the server computed (they hold no secret).
 */
export interface SignatureMismatchDetails {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

/** A request rejected by authentication or integrity checks. Messages never contain secrets or keys. */
export class S3AuthError extends Error {
  override readonly name = 'S3AuthError';
  readonly code: S3AuthErrorCode;
  readonly details: SignatureMismatchDetails | undefined;

  constructor(code: S3AuthErrorCode, message: string, details?: SignatureMismatchDetails) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isS3AuthError(value: unknown): value is S3AuthError {
  return value instanceof S3AuthError;
}
