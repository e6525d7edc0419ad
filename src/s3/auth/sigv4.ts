// AWS Signature Version 4 verification for S3 requests: Authorization header and pre-signed query string.

import { canonicalHeaderValue, canonicalPath, canonicalQuery, parseQuery, type QueryParam } from './canonical.ts';
import { S3AuthError } from './errors.ts';
import { parsePayloadMode, UNSIGNED_PAYLOAD, type PayloadMode } from './payload.ts';
import {
  ALGORITHM,
  SCOPE_TERMINATOR,
  SigningKeyCache,
  scopeString,
  sha256Hex,
  signHex,
  signaturesMatch,
  type CredentialScope,
} from './signing.ts';

export { S3AuthError, type S3AuthErrorCode } from './errors.ts';
export type { PayloadMode } from './payload.ts';
export type { CredentialScope } from './signing.ts';

/** A request as received, independent of the HTTP stack. */
export interface SigV4Request {
  readonly method: string;
  /** The raw request path, percent-encoded as received, without the query. */
  readonly path: string;
  /** The raw query string, without `?`; '' when none. */
  readonly query: string;
  /** Lower-cased header names; repeated headers joined with ',' as S3 does. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** What a credential lookup returns: the secret plus whatever the caller needs to authorise later. */
export interface SigV4Credential {
  readonly secretKey: string;
}

export type CredentialLookup<C extends SigV4Credential> = (accessKeyId: string) => Promise<C | null>;

export interface SigV4VerifierOptions<C extends SigV4Credential> {
  readonly lookup: CredentialLookup<C>;
  readonly now: () => Date;
  /** Accept only this signing region; any region when undefined. */
  readonly region?: string;
  /** Signing service name; 's3'. */
  readonly service?: string;
  /** Largest accepted difference between the request time and `now`; 15 minutes as in S3. */
  readonly maxSkewSeconds?: number;
  /** Reject requests carrying `x-amz-*` headers the signature does not cover (S3 does); true. */
  readonly requireSignedAmzHeaders?: boolean;
  readonly keyCache?: SigningKeyCache;
}

/** A request whose signature checked out. Handlers accept only this type. */
export interface VerifiedRequest<C extends SigV4Credential> {
  readonly kind: 'verified';
  readonly via: 'header' | 'presigned';
  readonly accessKeyId: string;
  /** What the credential lookup returned for this key. */
  readonly principal: C;
  readonly scope: CredentialScope;
  /** `date/region/service/aws4_request`, as chunk signatures sign it. */
  readonly scopeString: string;
  /** The signed request time in ISO 8601 basic form (YYYYMMDDTHHMMSSZ). */
  readonly timestamp: string;
  readonly requestTime: Date;
  /** Pre-signed URLs only: the first instant the URL is no longer valid. */
  readonly expiresAt: Date | undefined;
  readonly signedHeaders: readonly string[];
  /** The request signature (hex): the seed of an aws-chunked signature chain. */
  readonly seedSignature: string;
  readonly signingKey: Uint8Array;
  readonly payload: PayloadMode;
}

/** A request with no authentication at all; authorisation decides what it may do. */
export interface AnonymousRequest {
  readonly kind: 'anonymous';
  readonly payload: PayloadMode;
}

export interface RejectedRequest {
  readonly kind: 'rejected';
  readonly error: S3AuthError;
}

export type AuthResult<C extends SigV4Credential> = VerifiedRequest<C> | AnonymousRequest | RejectedRequest;

export interface SigV4Verifier<C extends SigV4Credential> {
  /** Never throws for a bad request: failures come back as `{ kind: 'rejected' }`. Lookup errors propagate. */
  verify(request: SigV4Request): Promise<AuthResult<C>>;
}

/** Longest pre-signed URL lifetime S3 accepts: seven days. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604800;
const DEFAULT_MAX_SKEW_SECONDS = 15 * 60;

const UNSUPPORTED_MECHANISM =
  'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256 (Signature Version 4).';
const SIGV2_UNSUPPORTED =
  'Signature Version 2 is not supported by this server. Please use AWS4-HMAC-SHA256 (Signature Version 4); with boto3, ' +
  "create the client with botocore.config.Config(signature_version='s3v4').";
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const QUERY_PARAMETERS_REQUIRED =
  'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.';

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;
type PresignParam = (typeof PRESIGN_PARAMS)[number];

/** The parts of a SigV4 authorization common to both transports. */
interface Claimed {
  readonly via: 'header' | 'presigned';
  readonly accessKeyId: string;
  readonly scope: CredentialScope;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly timestamp: string;
  readonly requestTime: Date;
  readonly expiresAt: Date | undefined;
  readonly payloadHash: string;
  readonly params: readonly QueryParam[];
}

export function createSigV4Verifier<C extends SigV4Credential>(options: SigV4VerifierOptions<C>): SigV4Verifier<C> {
  const service = options.service ?? 's3';
  const maxSkewMs = (options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS) * 1000;
  const requireSignedAmz = options.requireSignedAmzHeaders ?? true;
  const keys = options.keyCache ?? new SigningKeyCache();

  async function verify(request: SigV4Request): Promise<AuthResult<C>> {
    try {
      const params = parseQuery(request.query);
      const claimed = claim(request, params);
      if (claimed === undefined) return { kind: 'anonymous', payload: anonymousPayload(request) };
      return await check(request, claimed);
    } catch (error) {
      if (error instanceof S3AuthError) return { kind: 'rejected', error };
      throw error;
    }
  }

  /** Which mechanism the request uses, parsed and checked for shape, time and scope; undefined if none. */
  function claim(request: SigV4Request, params: readonly QueryParam[]): Claimed | undefined {
    const authorization = request.headers.authorization;
    const hasQueryV4 = params.some((p) => p.key === 'X-Amz-Algorithm' || p.key === 'X-Amz-Credential' || p.key === 'X-Amz-Signature');
    const hasQueryV2 = params.some((p) => p.key === 'AWSAccessKeyId' || p.key === 'Signature');
    const mechanisms = (authorization !== undefined ? 1 : 0) + (hasQueryV4 ? 1 : 0) + (hasQueryV2 ? 1 : 0);
    if (mechanisms > 1) {
      throw new S3AuthError(
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified.',
      );
    }
    if (hasQueryV2) throw new S3AuthError('InvalidRequest', SIGV2_UNSUPPORTED);
    if (authorization !== undefined) return claimFromHeader(request, authorization, params);
    if (hasQueryV4) return claimFromQuery(params);
    return undefined;
  }

  function claimFromHeader(request: SigV4Request, authorization: string, params: readonly QueryParam[]): Claimed {
    const trimmed = authorization.trim();
    const space = trimmed.indexOf(' ');
    const scheme = space < 0 ? trimmed : trimmed.slice(0, space);
    if (scheme === 'AWS') throw new S3AuthError('InvalidRequest', SIGV2_UNSUPPORTED);
    if (scheme !== ALGORITHM) throw new S3AuthError('InvalidRequest', UNSUPPORTED_MECHANISM);

    const fields = new Map<string, string>();
    for (const part of trimmed.slice(space + 1).split(',')) {
      const item = part.trim();
      if (item === '') continue;
      const eq = item.indexOf('=');
      const name = eq < 0 ? item : item.slice(0, eq).trim();
      if (eq < 0 || fields.has(name)) throw malformedHeader(`the component '${name}' is invalid or repeated`);
      fields.set(name, item.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (credential === undefined || signedHeaders === undefined || signature === undefined) {
      throw malformedHeader('it must contain Credential, SignedHeaders and Signature');
    }
    const { accessKeyId, scope } = parseCredential(credential, malformedHeader);

    const amzDate = request.headers['x-amz-date'];
    const httpDate = request.headers.date;
    let requestTime: Date | undefined;
    if (amzDate !== undefined) requestTime = parseAmzDate(amzDate.trim());
    else if (httpDate !== undefined) requestTime = parseHttpDate(httpDate);
    if (requestTime === undefined) throw new S3AuthError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header.');
    const timestamp = formatAmzDate(requestTime);
    if (scope.date !== timestamp.slice(0, 8)) throw malformedHeader('Invalid credential date. Date is not the same as X-Amz-Date.');

    const skew = Math.abs(options.now().getTime() - requestTime.getTime());
    if (skew > maxSkewMs) throw new S3AuthError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');

    const payloadHash = request.headers['x-amz-content-sha256'];
    if (payloadHash === undefined) throw new S3AuthError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');

    return {
      via: 'header',
      accessKeyId,
      scope,
      signedHeaders: parseSignedHeaders(signedHeaders, malformedHeader),
      signature,
      timestamp,
      requestTime,
      expiresAt: undefined,
      payloadHash: payloadHash.trim(),
      params,
    };
  }

  function claimFromQuery(params: readonly QueryParam[]): Claimed {
    const values = new Map<PresignParam, string>();
    for (const name of PRESIGN_PARAMS) {
      const found = params.filter((p) => p.key === name);
      const first = found[0];
      if (first === undefined) throw new S3AuthError('AuthorizationQueryParametersError', QUERY_PARAMETERS_REQUIRED);
      if (found.length > 1) throw malformedQuery(`${name} must appear once`);
      values.set(name, first.value);
    }
    const get = (name: PresignParam): string => values.get(name) ?? '';
    if (get('X-Amz-Algorithm') !== ALGORITHM) throw malformedQuery('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    const { accessKeyId, scope } = parseCredential(get('X-Amz-Credential'), malformedQuery);

    const requestTime = parseAmzDate(get('X-Amz-Date'));
    if (requestTime === undefined) throw malformedQuery('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
    const timestamp = get('X-Amz-Date');
    if (scope.date !== timestamp.slice(0, 8)) throw malformedQuery('Invalid credential date. Date is not the same as X-Amz-Date.');

    const expiresText = get('X-Amz-Expires');
    if (!/^[0-9]{1,10}$/.test(expiresText)) throw malformedQuery('X-Amz-Expires should be a number');
    const expires = Number(expiresText);
    if (expires > MAX_PRESIGNED_EXPIRES_SECONDS) {
      throw malformedQuery('X-Amz-Expires must be less than a week (in seconds) that is 604800');
    }
    const now = options.now().getTime();
    const expiresAt = new Date(requestTime.getTime() + expires * 1000);
    if (now >= expiresAt.getTime()) throw new S3AuthError('AccessDenied', 'Request has expired');
    if (requestTime.getTime() - now > maxSkewMs) throw new S3AuthError('AccessDenied', 'Request is not valid yet');

    // Pre-signed URLs sign UNSIGNED-PAYLOAD unless the URL itself names a payload hash.
    const contentSha = params.find((p) => p.key.toLowerCase() === 'x-amz-content-sha256');
    return {
      via: 'presigned',
      accessKeyId,
      scope,
      signedHeaders: parseSignedHeaders(get('X-Amz-SignedHeaders'), malformedQuery),
      signature: get('X-Amz-Signature'),
      timestamp,
      requestTime,
      expiresAt,
      payloadHash: contentSha?.value ?? UNSIGNED_PAYLOAD,
      params,
    };
  }

  function parseCredential(value: string, malformed: (why: string) => S3AuthError): { accessKeyId: string; scope: CredentialScope } {
    const parts = value.split('/');
    if (parts.length < 5) throw malformed(`the Credential '${value}' is not of the form <key>/<date>/<region>/<service>/aws4_request`);
    const [date = '', region = '', svc = '', terminator = ''] = parts.slice(-4);
    const accessKeyId = parts.slice(0, -4).join('/');
    if (accessKeyId === '') throw malformed('the Credential has no access key');
    if (!/^[0-9]{8}$/.test(date)) throw malformed(`incorrect date format '${date}'. This date in the credential must be in the format "yyyyMMdd".`);
    if (terminator !== SCOPE_TERMINATOR) throw malformed(`incorrect terminal '${terminator}'. This endpoint uses '${SCOPE_TERMINATOR}'.`);
    if (svc !== service) throw malformed(`incorrect service '${svc}'. This endpoint belongs to '${service}'.`);
    if (region === '') throw malformed('the Credential has no region');
    if (options.region !== undefined && region !== options.region) {
      throw malformed(`the region '${region}' is wrong; expecting '${options.region}'`);
    }
    return { accessKeyId, scope: { date, region, service: svc } };
  }

  async function check(request: SigV4Request, claimed: Claimed): Promise<VerifiedRequest<C> | RejectedRequest> {
    const { headers } = request;
    const signed = new Set(claimed.signedHeaders);
    if (requireSignedAmz) {
      const unsigned = Object.keys(headers).filter((name) => name.startsWith('x-amz-') && headers[name] !== undefined && !signed.has(name));
      if (unsigned.length > 0) {
        throw new S3AuthError('AccessDenied', `There were headers present in the request which were not signed: ${unsigned.sort().join(', ')}`);
      }
    }
    for (const name of claimed.signedHeaders) {
      if (headers[name] === undefined) throw new S3AuthError('SignatureDoesNotMatch', `${SIGNATURE_MISMATCH} The signed header '${name}' is missing.`);
    }

    const payload = claimed.via === 'header' ? parsePayloadMode(claimed.payloadHash, headers['x-amz-decoded-content-length']) : presignedPayload(claimed.payloadHash);

    const credential = await options.lookup(claimed.accessKeyId);
    if (credential === null) throw new S3AuthError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

    const canonicalRequest = buildCanonicalRequest(request, claimed);
    const scope = scopeString(claimed.scope);
    const stringToSign = `${ALGORITHM}\n${claimed.timestamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signingKey = keys.get(credential.secretKey, claimed.scope);
    const expected = signHex(signingKey, stringToSign);
    if (!signaturesMatch(expected, claimed.signature)) {
      throw new S3AuthError('SignatureDoesNotMatch', SIGNATURE_MISMATCH, { canonicalRequest, stringToSign });
    }
    return {
      kind: 'verified',
      via: claimed.via,
      accessKeyId: claimed.accessKeyId,
      principal: credential,
      scope: claimed.scope,
      scopeString: scope,
      timestamp: claimed.timestamp,
      requestTime: claimed.requestTime,
      expiresAt: claimed.expiresAt,
      signedHeaders: claimed.signedHeaders,
      seedSignature: claimed.signature,
      signingKey,
      payload,
    };
  }

  return { verify };
}

/** The SigV4 canonical request S3 computes for `request` (exported for tests and diagnostics). */
export function buildCanonicalRequest(
  request: SigV4Request,
  claimed: { readonly via: 'header' | 'presigned'; readonly signedHeaders: readonly string[]; readonly payloadHash: string; readonly params: readonly QueryParam[] },
): string {
  const headerLines = claimed.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request.headers[name] ?? '')}\n`).join('');
  return [
    request.method,
    canonicalPath(request.path),
    canonicalQuery(claimed.params, claimed.via === 'presigned' ? 'X-Amz-Signature' : undefined),
    headerLines,
    claimed.signedHeaders.join(';'),
    claimed.payloadHash,
  ].join('\n');
}

function presignedPayload(payloadHash: string): PayloadMode {
  const mode = parsePayloadMode(payloadHash, undefined);
  if (mode.kind === 'streaming-signed') {
    throw new S3AuthError('InvalidRequest', 'Pre-signed URLs cannot carry a signed aws-chunked payload.');
  }
  return mode;
}

/** The payload mode of an unauthenticated request; signed streaming needs a signature to chain from. */
function anonymousPayload(request: SigV4Request): PayloadMode {
  const header = request.headers['x-amz-content-sha256'];
  if (header === undefined) return { kind: 'unsigned' };
  const mode = parsePayloadMode(header.trim(), request.headers['x-amz-decoded-content-length']);
  if (mode.kind === 'streaming-signed') throw new S3AuthError('AccessDenied', 'A signed aws-chunked payload requires a signed request.');
  return mode;
}

function parseSignedHeaders(value: string, malformed: (why: string) => S3AuthError): string[] {
  const names = value.split(';');
  for (const name of names) {
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw malformed(`SignedHeaders contains an invalid header name '${name}'`);
  }
  if (!names.includes('host')) throw malformed("SignedHeaders must include 'host'");
  if (new Set(names).size !== names.length) throw malformed('SignedHeaders lists a header twice');
  return names;
}

function malformedHeader(why: string): S3AuthError {
  return new S3AuthError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`);
}

function malformedQuery(why: string): S3AuthError {
  return new S3AuthError('AuthorizationQueryParametersError', `The query-string authentication parameters are malformed; ${why}`);
}

const AMZ_DATE = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/;

/** Parses ISO 8601 basic `YYYYMMDDTHHMMSSZ`; undefined unless it names a real instant. */
export function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return formatAmzDate(date) === value ? date : undefined;
}

export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.[0-9]{3}/, '');
}

/** Parses an HTTP `Date` header (IMF-fixdate, or the obsolete forms Date.parse knows). */
function parseHttpDate(value: string): Date | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
