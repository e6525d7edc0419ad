// Per-generation compression (none | raw deflate | brotli) behind a one-byte codec tag, with a cheap sampled skip for incompressible data; layout in docs/spec/crypto.md.

import {
  brotliCompressSync,
  brotliDecompressSync,
  constants as zlibConstants,
  deflateRawSync,
  inflateRawSync,
} from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';

export type CompressionScheme = 'none' | 'deflate' | 'brotli';

/** Levels: deflate 0–9 (default 6, zlib's own default), brotli quality 0–11 (default 1). */
export type CompressionSettings =
  | { readonly scheme: 'none' }
  | { readonly scheme: 'deflate'; readonly level?: number }
  | { readonly scheme: 'brotli'; readonly level?: number };

/** The first byte of a packed generation: how the rest of it is encoded. */
export const CODEC_TAG = { stored: 0, deflateRaw: 1, brotli: 2 } as const;
export type CodecTag = (typeof CODEC_TAG)[keyof typeof CODEC_TAG];

export const DEFAULT_DEFLATE_LEVEL = 6;
/**
 * Brotli quality 1 measured ~4× faster than deflate level 6 on text-like generations with a
 * slightly smaller output, so it is the default; higher qualities cost far more CPU per byte saved.
 */
export const DEFAULT_BROTLI_QUALITY = 1;
export const MAX_DEFLATE_LEVEL = 9;
export const MAX_BROTLI_QUALITY = 11;

/** Generations up to this size are compressed outright: sampling them would cost about as much. */
export const SAMPLE_MIN_INPUT_LENGTH = 64 * 1024;
/** The sample is this many slices (start, 1/3, 2/3, end) of SAMPLE_SLICE_LENGTH bytes each. */
export const SAMPLE_SLICES = 4;
export const SAMPLE_SLICE_LENGTH = 8 * 1024;
/** Deflate level used on the sample: the fastest one, since only the ratio's ballpark matters. */
export const SAMPLE_DEFLATE_LEVEL = 1;
/**
 * A sample that compresses to more than this fraction of its size marks the generation as
 * incompressible (it saves under 5%): random, encrypted and already-compressed data land at ~1.0.
 */
export const SAMPLE_MAX_RATIO = 0.95;

export type CompressionErrorKind = 'corrupt' | 'too-large' | 'unknown-codec' | 'invalid-argument';

export class CompressionError extends Error {
  readonly kind: CompressionErrorKind;
  constructor(kind: CompressionErrorKind, message: string) {
    super(message);
    this.name = 'CompressionError';
    this.kind = kind;
  }
}

/** Why a generation was packed the way it was; the pipeline can count these in telemetry. */
export type PackOutcome =
  | 'compressed'
  | 'stored-scheme-none'
  | 'stored-empty'
  | 'stored-sample-incompressible'
  | 'stored-no-gain';

export interface PackedGeneration {
  readonly tag: CodecTag;
  /** What follows the tag: the compressed bytes, or the input itself (not copied) when stored. */
  readonly body: Uint8Array;
  readonly outcome: PackOutcome;
  /** tag ‖ body in one new buffer; sealing can take [tag, body] as parts instead and skip this copy. */
  readonly packed: Uint8Array;
}

function packed(tag: CodecTag, body: Uint8Array, outcome: PackOutcome): PackedGeneration {
  return {
    tag,
    body,
    outcome,
    get packed(): Uint8Array {
      const bytes = new Uint8Array(1 + body.length);
      bytes[0] = tag;
      bytes.set(body, 1);
      return bytes;
    },
  };
}

export interface SampleVerdict {
  /** False when the sampled slices did not shrink by enough to be worth compressing everything. */
  readonly worthCompressing: boolean;
  /** 0 when the input is small enough to be compressed without sampling. */
  readonly sampleLength: number;
  readonly sampleCompressedLength: number;
}

/** Pure and cheap (one fast deflate of at most 32 KiB): decides whether a full compression is worth trying. */
export function sampleCompressibility(data: Uint8Array): SampleVerdict {
  if (data.length <= SAMPLE_MIN_INPUT_LENGTH) {
    return { worthCompressing: true, sampleLength: 0, sampleCompressedLength: 0 };
  }
  const sample = new Uint8Array(SAMPLE_SLICES * SAMPLE_SLICE_LENGTH);
  const lastStart = data.length - SAMPLE_SLICE_LENGTH;
  for (let i = 0; i < SAMPLE_SLICES; i++) {
    const start = Math.floor((lastStart * i) / (SAMPLE_SLICES - 1));
    sample.set(data.subarray(start, start + SAMPLE_SLICE_LENGTH), i * SAMPLE_SLICE_LENGTH);
  }
  const compressedLength = deflateRawSync(sample, { level: SAMPLE_DEFLATE_LEVEL }).length;
  return {
    worthCompressing: compressedLength <= sample.length * SAMPLE_MAX_RATIO,
    sampleLength: sample.length,
    sampleCompressedLength: compressedLength,
  };
}

function checkedLevel(value: number | undefined, fallback: number, max: number, scheme: string): number {
  const level = value ?? fallback;
  if (!Number.isInteger(level) || level < 0 || level > max) {
    throw new CompressionError('invalid-argument', `${scheme} level must be an integer in 0..${max}, got ${String(level)}`);
  }
  return level;
}

function stored(data: Uint8Array, outcome: PackOutcome): PackedGeneration {
  return packed(CODEC_TAG.stored, data, outcome);
}

/** packGeneration, also telling why the generation was or was not compressed. */
export function packGenerationDetailed(data: Uint8Array, settings: CompressionSettings): PackedGeneration {
  let tag: CodecTag;
  let compress: () => Uint8Array;
  switch (settings.scheme) {
    case 'none':
      return stored(data, 'stored-scheme-none');
    case 'deflate': {
      const level = checkedLevel(settings.level, DEFAULT_DEFLATE_LEVEL, MAX_DEFLATE_LEVEL, 'deflate');
      tag = CODEC_TAG.deflateRaw;
      compress = () => deflateRawSync(data, { level });
      break;
    }
    case 'brotli': {
      const quality = checkedLevel(settings.level, DEFAULT_BROTLI_QUALITY, MAX_BROTLI_QUALITY, 'brotli');
      tag = CODEC_TAG.brotli;
      compress = () =>
        brotliCompressSync(data, {
          params: {
            [zlibConstants.BROTLI_PARAM_QUALITY]: quality,
            [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        });
      break;
    }
    default: {
      const unknown: never = settings;
      throw new CompressionError('invalid-argument', `unknown compression scheme ${JSON.stringify(unknown)}`);
    }
  }
  if (data.length === 0) return stored(data, 'stored-empty');
  if (!sampleCompressibility(data).worthCompressing) return stored(data, 'stored-sample-incompressible');
  const body = compress();
  if (body.length >= data.length) return stored(data, 'stored-no-gain');
  return packed(tag, body, 'compressed');
}

/** codec tag ‖ body: compressed when the scheme asks for it and it actually shrinks the data, else stored. */
export function packGeneration(data: Uint8Array, settings: CompressionSettings): Uint8Array {
  return packGenerationDetailed(data, settings).packed;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

// zlib's synchronous calls with `info: true` also return the engine, whose bytesWritten is the
// input consumed; @types/node does not model that overload, hence the structural check.
function decodedWithConsumed(result: unknown): { buffer: Uint8Array; consumed: number } {
  if (typeof result === 'object' && result !== null && 'buffer' in result && 'engine' in result) {
    const { buffer, engine } = result;
    if (buffer instanceof Uint8Array && typeof engine === 'object' && engine !== null && 'bytesWritten' in engine) {
      const consumed = engine.bytesWritten;
      if (typeof consumed === 'number') return { buffer, consumed };
    }
  }
  throw new CompressionError('corrupt', 'decompressor returned an unexpected result');
}

// Small zlib outputs may live in Node's shared Buffer pool; hand out memory the caller owns alone.
function ownedBytes(buffer: Uint8Array): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) {
    return new Uint8Array(buffer.buffer, 0, buffer.byteLength);
  }
  const copy = new Uint8Array(buffer.length);
  copy.set(buffer);
  return copy;
}

function decode(codec: 'deflate' | 'brotli', body: Uint8Array, maxOutputLength: number): Uint8Array {
  // zlib refuses a maxOutputLength of 0; allow 1 and reject a non-empty result below.
  const options = { maxOutputLength: Math.max(1, maxOutputLength), info: true };
  let result: { buffer: Uint8Array; consumed: number };
  try {
    result = decodedWithConsumed(codec === 'deflate' ? inflateRawSync(body, options) : brotliDecompressSync(body, options));
  } catch (error) {
    if (error instanceof CompressionError) throw error;
    if (errorCode(error) === 'ERR_BUFFER_TOO_LARGE') {
      throw new CompressionError('too-large', `${codec} output exceeds ${maxOutputLength} bytes`);
    }
    throw new CompressionError('corrupt', `${codec} stream is corrupt: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (result.buffer.length > maxOutputLength) {
    throw new CompressionError('too-large', `${codec} output exceeds ${maxOutputLength} bytes`);
  }
  // The decoders stop at the end-of-stream marker and ignore what follows; trailing bytes mean damage.
  if (result.consumed !== body.length) {
    throw new CompressionError('corrupt', `${codec} stream has ${body.length - result.consumed} trailing bytes`);
  }
  return ownedBytes(result.buffer);
}

/**
 * Inverse of packGeneration. Never produces more than maxOutputLength bytes (decompression-bomb
 * guard, enforced inside zlib). A stored body is returned as a view into `packed`, without a copy.
 */
export function unpackGeneration(packed: Uint8Array, maxOutputLength: number): Uint8Array {
  if (!Number.isInteger(maxOutputLength) || maxOutputLength < 0 || maxOutputLength > bufferConstants.MAX_LENGTH) {
    throw new CompressionError('invalid-argument', `maxOutputLength must be an integer in 0..${bufferConstants.MAX_LENGTH}`);
  }
  const tag = packed[0];
  if (tag === undefined) throw new CompressionError('corrupt', 'packed generation is empty (no codec tag)');
  const body = packed.subarray(1);
  switch (tag) {
    case CODEC_TAG.stored:
      if (body.length > maxOutputLength) {
        throw new CompressionError('too-large', `stored generation of ${body.length} bytes exceeds ${maxOutputLength}`);
      }
      return body;
    case CODEC_TAG.deflateRaw:
      return decode('deflate', body, maxOutputLength);
    case CODEC_TAG.brotli:
      return decode('brotli', body, maxOutputLength);
    default:
      throw new CompressionError('unknown-codec', `unknown codec tag ${tag}`);
  }
}
