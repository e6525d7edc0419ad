// Signs admin API requests with AWS Signature Version 4 (Authorization header), built from the server's own canonical forms.

import { parseQuery } from '../s3/auth/canonical.ts';
import { ALGORITHM, deriveSigningKey, scopeString, sha256Hex, signHex, type CredentialScope } from '../s3/auth/signing.ts';
import { buildCanonicalRequest, formatAmzDate } from '../s3/auth/sigv4.ts';

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  /** Headers that will be sent besides the ones signing adds; all of them are signed. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export interface SignOptions {
  readonly now?: Date;
  /** The admin API accepts any region; us-east-1 is what S3 tools default to. */
  readonly region?: string;
  readonly service?: string;
}

/**
 * The headers to send: the caller's, plus `host`, `x-amz-date`, `x-amz-content-sha256` (hex SHA-256 of the body)
 * and `authorization`. `host` is the URL's host as fetch sends it (the port only when it is not the default).
 * The path and query are signed as they travel: the URL's serialised, already percent-encoded form.
 */
export function signRequest(request: RequestToSign, credentials: SigV4Credentials, options: SignOptions = {}): Record<string, string> {
  const timestamp = formatAmzDate(options.now ?? new Date());
  const scope: CredentialScope = { date: timestamp.slice(0, 8), region: options.region ?? 'us-east-1', service: options.service ?? 's3' };
  const payloadHash = sha256Hex(request.body ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.host = request.url.host;
  headers['x-amz-date'] = timestamp;
  headers['x-amz-content-sha256'] = payloadHash;
  const signedHeaders = Object.keys(headers).sort();
  const rawQuery = request.url.search.startsWith('?') ? request.url.search.slice(1) : request.url.search;
  const canonicalRequest = buildCanonicalRequest(
    { method: request.method.toUpperCase(), path: request.url.pathname, query: rawQuery, headers },
    { via: 'header', signedHeaders, payloadHash, params: parseQuery(rawQuery) },
  );
  const stringToSign = `${ALGORITHM}\n${timestamp}\n${scopeString(scope)}\n${sha256Hex(canonicalRequest)}`;
  const signature = signHex(deriveSigningKey(credentials.secretAccessKey, scope), stringToSign);
  headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scopeString(scope)}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}
