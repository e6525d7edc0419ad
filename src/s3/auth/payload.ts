// How a request's body is protected, as announced by `x-amz-content-sha256` (and `x-amz-decoded-content-length`).

import { S3AuthError } from './errors.ts';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/**
 * The payload mode. Streaming modes mean an `aws-chunked` body, whether or not the client also
 * sent `Content-Encoding: aws-chunked`.
 */
export type PayloadMode =
  /** The body's SHA-256 (hex, lower case) was signed; the body must hash to it. */
  | { readonly kind: 'sha256'; readonly sha256: string }
  /** The body is not covered by the signature. */
  | { readonly kind: 'unsigned' }
  /** aws-chunked with a signature per chunk, chained from the seed signature; `trailer` adds signed trailers. */
  | { readonly kind: 'streaming-signed'; readonly trailer: boolean; readonly decodedLength: number | undefined }
  /** aws-chunked without chunk signatures, ending in trailers (typically a checksum). */
  | { readonly kind: 'streaming-unsigned-trailer'; readonly decodedLength: number | undefined };

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const DECIMAL = /^[0-9]{1,16}$/;

/** Parses `x-amz-decoded-content-length`; undefined when absent (a Transfer-Encoding: chunked upload may not know it). */
export function parseDecodedLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const n = DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(n)) throw new S3AuthError('InvalidArgument', 'x-amz-decoded-content-length must be a non-negative integer.');
  return n;
}

/**
 * The payload mode named by an `x-amz-content-sha256` value (the value that was signed).
 * Throws InvalidArgument for anything else, InvalidRequest for SigV4a streaming.
 */
export function parsePayloadMode(contentSha256: string, decodedLengthHeader: string | undefined): PayloadMode {
  switch (contentSha256) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_SIGNED:
      return { kind: 'streaming-signed', trailer: false, decodedLength: parseDecodedLength(decodedLengthHeader) };
    case STREAMING_SIGNED_TRAILER:
      return { kind: 'streaming-signed', trailer: true, decodedLength: parseDecodedLength(decodedLengthHeader) };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer', decodedLength: parseDecodedLength(decodedLengthHeader) };
    default:
      if (SHA256_HEX.test(contentSha256)) return { kind: 'sha256', sha256: contentSha256.toLowerCase() };
      if (contentSha256.startsWith('STREAMING-AWS4-ECDSA')) {
        throw new S3AuthError('InvalidRequest', 'Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; sign requests with AWS4-HMAC-SHA256.');
      }
      throw new S3AuthError(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.',
      );
  }
}

/** True for the modes whose body is aws-chunked. */
export function isStreaming(mode: PayloadMode): mode is Extract<PayloadMode, { decodedLength: number | undefined }> {
  return mode.kind === 'streaming-signed' || mode.kind === 'streaming-unsigned-trailer';
}

/**
 * The Content-Encoding to store for an object: the request's, without the `aws-chunked` token
 * (which only describes the transfer). Undefined when nothing is left.
 */
export function storedContentEncoding(contentEncoding: string | undefined): string | undefined {
  if (contentEncoding === undefined) return undefined;
  const rest = contentEncoding
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'aws-chunked');
  return rest.length === 0 ? undefined : rest.join(', ');
}
