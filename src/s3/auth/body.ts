// The request body as the object's bytes: aws-chunked decoded and verified, or checked against the signed SHA-256.
//
// Typical use by the front door, after verification:
//   const claims = parseIntegrityHeaders(headers);           // checksums.ts
//   const body = openRequestBody(auth, headers, request);     // request: AsyncIterable<Uint8Array>
//   const integrity = new BodyIntegrity(claims);
//   for await (const bytes of body) { integrity.update(bytes); /* store */ }
//   const digests = integrity.finish(body.trailers());        // throws BadDigest & co. before commit

import { createHash } from 'node:crypto';
import { decodeAwsChunked, type AwsChunkedOptions } from './chunked.ts';
import { S3AuthError } from './errors.ts';
import type { PayloadMode } from './payload.ts';

/** The decoded body; its iteration throws {@link S3AuthError} when the body fails a check (at the latest after the last byte). */
export interface RequestBody extends AsyncIterable<Uint8Array> {
  /** Trailing headers (aws-chunked bodies), lower-cased; empty otherwise. Only after the body was read to its end. */
  trailers(): ReadonlyMap<string, string>;
}

/** The parts of an authentication result the body depends on. */
export type BodyAuth =
  | { readonly kind: 'anonymous'; readonly payload: PayloadMode }
  | {
      readonly kind: 'verified';
      readonly payload: PayloadMode;
      readonly signingKey: Uint8Array;
      readonly timestamp: string;
      readonly scopeString: string;
      readonly seedSignature: string;
    };

export interface RequestBodyOptions {
  readonly maxChunkSize?: number;
}

const NO_TRAILERS: ReadonlyMap<string, string> = new Map();

/** Announced trailer names from `x-amz-trailer`, lower-cased. */
export function announcedTrailers(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
}

/**
 * Wraps the raw request body according to the payload mode the signature established.
 * Throws InvalidRequest right away when `x-amz-trailer` is sent with a mode that has no trailers.
 */
export function openRequestBody(
  auth: BodyAuth,
  headers: Readonly<Record<string, string | undefined>>,
  source: AsyncIterable<Uint8Array>,
  options: RequestBodyOptions = {},
): RequestBody {
  const mode = auth.payload;
  const expectedTrailers = announcedTrailers(headers['x-amz-trailer']);
  const trailerMode: AwsChunkedOptions['trailers'] =
    mode.kind === 'streaming-unsigned-trailer' ? 'unsigned' : mode.kind === 'streaming-signed' && mode.trailer ? 'signed' : 'none';
  if (expectedTrailers.length > 0 && trailerMode === 'none') {
    throw new S3AuthError('InvalidRequest', 'x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256.');
  }
  switch (mode.kind) {
    case 'unsigned':
      return { [Symbol.asyncIterator]: () => source[Symbol.asyncIterator](), trailers: () => NO_TRAILERS };
    case 'sha256':
      return { [Symbol.asyncIterator]: () => checkSha256(source, mode.sha256), trailers: () => NO_TRAILERS };
    case 'streaming-unsigned-trailer':
      return decodeAwsChunked(source, {
        trailers: trailerMode,
        expectedTrailers,
        decodedLength: mode.decodedLength,
        ...(options.maxChunkSize === undefined ? {} : { maxChunkSize: options.maxChunkSize }),
      });
    case 'streaming-signed': {
      if (auth.kind !== 'verified') throw new S3AuthError('AccessDenied', 'A signed aws-chunked payload requires a signed request.');
      return decodeAwsChunked(source, {
        signing: { signingKey: auth.signingKey, timestamp: auth.timestamp, scope: auth.scopeString, seedSignature: auth.seedSignature },
        trailers: trailerMode,
        expectedTrailers,
        decodedLength: mode.decodedLength,
        ...(options.maxChunkSize === undefined ? {} : { maxChunkSize: options.maxChunkSize }),
      });
    }
    default: {
      const unknown: never = mode;
      throw new Error(`unknown payload mode ${JSON.stringify(unknown)}`);
    }
  }
}

/** Passes the body through, then fails with XAmzContentSHA256Mismatch if it does not hash to the signed value. */
async function* checkSha256(source: AsyncIterable<Uint8Array>, expectedHex: string): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = createHash('sha256');
  for await (const bytes of source) {
    hash.update(bytes);
    yield bytes;
  }
  if (hash.digest('hex') !== expectedHex) {
    throw new S3AuthError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
}
