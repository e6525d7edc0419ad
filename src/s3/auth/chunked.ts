// Streaming decoder for aws-chunked request bodies: chunk signatures, final chunk, trailers, decoded length; bounded memory.

import { Buffer } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { S3AuthError } from './errors.ts';
import { chunkStringToSign, EMPTY_SHA256, isSignatureHex, sha256Hex, signHex, signaturesMatch, trailerStringToSign } from './signing.ts';

/*
 * Byte layout (every line ends in CRLF; hex sizes, no `0x`):
 *
 *   signed      <hex-size>;chunk-signature=<64 hex>\r\n <size bytes> \r\n   ... repeated
 *               0;chunk-signature=<64 hex>\r\n
 *               [<name>:<value>\r\n ... x-amz-trailer-signature:<64 hex>\r\n]   (signed-trailer variant)
 *               \r\n
 *   unsigned    <hex-size>\r\n <size bytes> \r\n   ... repeated
 *               0\r\n
 *               <name>:<value>\r\n ...
 *               \r\n
 *
 * Chunk i's signature is HMAC(signingKey, "AWS4-HMAC-SHA256-PAYLOAD\n<timestamp>\n<scope>\n
 * <signature i-1>\n<sha256("")>\n<sha256(chunk i)>"), chunk 0 chaining from the request's seed
 * signature. The trailer signature is HMAC(signingKey, "AWS4-HMAC-SHA256-TRAILER\n<timestamp>\n
 * <scope>\n<final chunk signature>\n<sha256 of 'name:value\n' per trailer, sorted by name>").
 */

/** What signed chunks chain from: the verified request. */
export interface ChunkSigningContext {
  readonly signingKey: Uint8Array;
  /** ISO 8601 basic request time, as signed. */
  readonly timestamp: string;
  /** `date/region/service/aws4_request`. */
  readonly scope: string;
  readonly seedSignature: string;
}

export interface AwsChunkedOptions {
  /** Present: every chunk must carry a valid chained signature. Absent: chunks carry none. */
  readonly signing?: ChunkSigningContext;
  /** Whether trailing headers follow the final chunk, and whether they are signed. */
  readonly trailers: 'none' | 'unsigned' | 'signed';
  /** Trailer names announced in `x-amz-trailer` (lower case); exactly these must arrive. */
  readonly expectedTrailers?: readonly string[];
  /** `x-amz-decoded-content-length`, when the client sent it. */
  readonly decodedLength?: number | undefined;
  /** Largest accepted chunk; a signed chunk is held in memory until its signature checks. 16 MiB. */
  readonly maxChunkSize?: number;
  /** Longest chunk header or trailer line. 4 KiB. */
  readonly maxLineLength?: number;
}

/** The decoded body. Iterate it once; the trailers are available after the iteration ends. */
export interface AwsChunkedBody extends AsyncIterable<Uint8Array> {
  /** Trailing headers by lower-cased name (without the trailer signature). Throws before the body is fully read. */
  trailers(): ReadonlyMap<string, string>;
  /** Decoded bytes produced so far. */
  readonly decodedBytes: number;
}

export const DEFAULT_MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_LINE_LENGTH = 4 * 1024;
const MAX_TRAILER_LINES = 16;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

const CR = 0x0d;
const LF = 0x0a;

type State = 'chunk-header' | 'chunk-data' | 'chunk-end' | 'trailer' | 'done';

function malformed(why: string): S3AuthError {
  return new S3AuthError('InvalidRequest', `The aws-chunked request body is malformed: ${why}.`);
}

function badTrailer(why: string): S3AuthError {
  return new S3AuthError('MalformedTrailerError', `The request contained trailing data that was not well-formed: ${why}.`);
}

function incomplete(): S3AuthError {
  return new S3AuthError('IncompleteBody', 'The request body ended before the final aws-chunked chunk.');
}

const CHUNK_HEADER = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([^;]*))?$/;

/** Decodes `source` (raw aws-chunked bytes) into the object's bytes, verifying as it goes. */
export function decodeAwsChunked(source: AsyncIterable<Uint8Array>, options: AwsChunkedOptions): AwsChunkedBody {
  const maxChunk = options.maxChunkSize ?? DEFAULT_MAX_CHUNK_SIZE;
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const signing = options.signing;
  const expected = new Set(options.expectedTrailers ?? []);
  if (options.trailers === 'signed' && signing === undefined) throw new Error('signed trailers need a signing context');

  let decodedBytes = 0;
  let finished = false;
  const trailers = new Map<string, string>();
  let started = false;

  async function* decode(): AsyncGenerator<Uint8Array, void, undefined> {
    let state: State = 'chunk-header';
    // Current line, gathered across input pieces (bounded by maxLine).
    let lineParts: Uint8Array[] = [];
    let lineLength = 0;
    let remaining = 0; // bytes left in the current chunk's data
    let endSeen = 0; // bytes of the CRLF after chunk data seen so far
    let previousSignature = signing?.seedSignature ?? '';
    let chunkSignature = '';
    let chunkHash: Hash | undefined;
    let held: Uint8Array[] = []; // signed chunk data awaiting its signature check
    let trailerLines = 0;
    let trailerSignature: string | undefined;

    const takeLine = (): string => {
      let text = '';
      for (const part of lineParts) text += Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
      lineParts = [];
      lineLength = 0;
      return text.endsWith('\r') ? text.slice(0, -1) : text;
    };

    const verifyChunk = (hashHex: string): void => {
      if (signing === undefined) return;
      const expectedSig = signHex(signing.signingKey, chunkStringToSign(signing.timestamp, signing.scope, previousSignature, hashHex));
      if (!signaturesMatch(expectedSig, chunkSignature)) {
        throw new S3AuthError('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
      }
      previousSignature = chunkSignature;
    };

    /** Handles a complete chunk header line; returns the next state. */
    const onChunkHeader = (line: string): State => {
      const m = CHUNK_HEADER.exec(line);
      if (m === null) throw malformed(`invalid chunk header '${line.slice(0, 80)}'`);
      const size = parseInt(m[1] ?? '', 16);
      const signature = m[2];
      if (signing !== undefined) {
        if (signature === undefined) throw malformed('a chunk has no chunk-signature');
        if (!isSignatureHex(signature)) throw new S3AuthError('SignatureDoesNotMatch', 'The chunk signature is not a valid signature.');
        chunkSignature = signature;
      } else if (signature !== undefined) {
        throw malformed('chunk signatures are not expected for this payload mode');
      }
      if (size > maxChunk) throw malformed(`a chunk of ${size} bytes exceeds the limit of ${maxChunk}`);
      if (options.decodedLength !== undefined && decodedBytes + size > options.decodedLength) {
        throw new S3AuthError('InvalidRequest', 'The aws-chunked body is longer than x-amz-decoded-content-length.');
      }
      if (size === 0) {
        verifyChunk(EMPTY_SHA256);
        return 'trailer';
      }
      remaining = size;
      chunkHash = signing === undefined ? undefined : createHash('sha256');
      return 'chunk-data';
    };

    const onTrailerLine = (line: string): State => {
      if (line === '') return 'done';
      if (options.trailers === 'none') throw badTrailer('no trailing headers were announced');
      if (++trailerLines > MAX_TRAILER_LINES) throw badTrailer('too many trailing headers');
      const colon = line.indexOf(':');
      if (colon <= 0) throw badTrailer(`'${line.slice(0, 80)}' is not a header line`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === TRAILER_SIGNATURE) {
        if (options.trailers !== 'signed' || trailerSignature !== undefined) throw badTrailer('unexpected x-amz-trailer-signature');
        trailerSignature = value;
        return 'trailer';
      }
      if (trailerSignature !== undefined) throw badTrailer('x-amz-trailer-signature must be the last trailing header');
      if (!expected.has(name)) throw badTrailer(`${name} was not announced in x-amz-trailer`);
      if (trailers.has(name)) throw badTrailer(`${name} appears twice`);
      trailers.set(name, value);
      return 'trailer';
    };

    const finish = (): void => {
      for (const name of expected) if (!trailers.has(name)) throw badTrailer(`${name} was announced in x-amz-trailer but not sent`);
      if (options.trailers === 'signed' && signing !== undefined) {
        if (trailerSignature === undefined) throw badTrailer('x-amz-trailer-signature is missing');
        const canonical = [...trailers.entries()]
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([n, v]) => `${n}:${v}\n`)
          .join('');
        const expectedSig = signHex(signing.signingKey, trailerStringToSign(signing.timestamp, signing.scope, previousSignature, sha256Hex(canonical)));
        if (!signaturesMatch(expectedSig, trailerSignature)) {
          throw new S3AuthError('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
        }
      }
      if (options.decodedLength !== undefined && decodedBytes !== options.decodedLength) {
        throw new S3AuthError('IncompleteBody', 'The aws-chunked body is shorter than x-amz-decoded-content-length.');
      }
      finished = true;
    };

    for await (const piece of source) {
      let offset = 0;
      const length = piece.length;
      while (offset < length) {
        switch (state) {
          case 'chunk-header':
          case 'trailer': {
            const lf = piece.indexOf(LF, offset);
            const end = lf < 0 ? length : lf;
            if (lineLength + (end - offset) > maxLine) {
              throw state === 'trailer' ? badTrailer('a trailing header line is too long') : malformed('a chunk header line is too long');
            }
            if (end > offset) {
              lineParts.push(piece.subarray(offset, end));
              lineLength += end - offset;
            }
            if (lf < 0) {
              offset = length;
              break;
            }
            offset = lf + 1;
            state = state === 'chunk-header' ? onChunkHeader(takeLine()) : onTrailerLine(takeLine());
            if (state === 'done') finish();
            break;
          }
          case 'chunk-data': {
            const n = Math.min(remaining, length - offset);
            const data = piece.subarray(offset, offset + n);
            offset += n;
            remaining -= n;
            decodedBytes += n;
            if (chunkHash === undefined) {
              yield data;
            } else {
              chunkHash.update(data);
              held.push(data);
            }
            if (remaining === 0) {
              if (chunkHash !== undefined) {
                verifyChunk(chunkHash.digest('hex'));
                chunkHash = undefined;
                const verified = held;
                held = [];
                for (const part of verified) yield part;
              }
              endSeen = 0;
              state = 'chunk-end';
            }
            break;
          }
          case 'chunk-end': {
            const byte = piece[offset++];
            if (byte !== (endSeen === 0 ? CR : LF)) throw malformed('chunk data is not followed by CRLF');
            if (++endSeen === 2) state = 'chunk-header';
            break;
          }
          case 'done':
            throw malformed('data follows the end of the aws-chunked body');
          default: {
            const unknown: never = state;
            throw new Error(`unknown decoder state ${String(unknown)}`);
          }
        }
      }
    }
    if (state === 'trailer' && lineLength === 0 && trailerLines === 0 && expected.size === 0 && options.trailers !== 'signed') {
      // Some clients end the body right after the final chunk's line, without the closing CRLF.
      finish();
      return;
    }
    if (state !== 'done') throw incomplete();
  }

  return {
    [Symbol.asyncIterator]() {
      if (started) throw new Error('an aws-chunked body can be read only once');
      started = true;
      return decode();
    },
    trailers() {
      if (!finished) throw new Error('trailers are known only after the whole body was read');
      return trailers;
    },
    get decodedBytes() {
      return decodedBytes;
    },
  };
}
