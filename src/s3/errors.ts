// The S3 error table: every error code the front door sends, its HTTP status and default message.

const TABLE = {
  AccessDenied: [403, 'Access Denied'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter'],
  BadDigest: [400, 'The Content-MD5 or checksum you specified did not match what we received'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS access key Id you provided does not exist in our records'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid'],
  InvalidDigest: [400, 'The Content-MD5 or checksum you specified is not valid'],
  InvalidLocationConstraint: [400, 'The specified location constraint (storage policy) does not exist'],
  InvalidPart: [400, 'One or more of the specified parts could not be found'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedTrailerError: [400, 'The request contained trailing data that was not well-formed'],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema'],
  MaxMessageLengthExceeded: [400, 'Your request was too big'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header'],
  MissingSecurityHeader: [400, 'Your request is missing a required header'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist'],
  NoSuchUpload: [404, 'The specified upload does not exist'],
  NotImplemented: [501, 'A header or query you provided implies functionality that is not implemented'],
  PreconditionFailed: [412, 'At least one of the preconditions you specified did not hold'],
  RequestHeaderSectionTooLarge: [400, 'Your request header section exceeds the maximum allowed size'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large'],
  ServiceUnavailable: [503, 'Please reduce your request rate'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided'],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed"],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof TABLE;

export const S3_ERROR_CODES = Object.keys(TABLE) as S3ErrorCode[];

export function statusOf(code: S3ErrorCode): number {
  return TABLE[code][0];
}

export function isS3ErrorCode(code: string): code is S3ErrorCode {
  return Object.hasOwn(TABLE, code);
}

/** An error answered to the client as S3 XML. The message must hold nothing internal (5xx messages are fixed). */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra elements of the error body, e.g. BucketName, Key, CanonicalRequest. */
  readonly extra: Readonly<Record<string, string>>;

  constructor(code: S3ErrorCode, message?: string, extra: Record<string, string> = {}) {
    super(message ?? TABLE[code][1]);
    this.name = 'S3Error';
    this.code = code;
    this.status = TABLE[code][0];
    this.extra = extra;
  }
}
