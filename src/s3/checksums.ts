// Incremental body checksums S3 clients send (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, Content-MD5) and the request headers that declare them.

import { Buffer } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { endianness } from 'node:os';
import * as zlib from 'node:zlib';
import { S3AuthError } from './auth/errors.ts';

/** The flexible-checksum algorithms S3 accepts in `x-amz-checksum-*` headers and trailers. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
/** Everything a {@link Hasher} can compute: the flexible checksums plus MD5 (Content-MD5, ETag). */
export type DigestAlgorithm = ChecksumAlgorithm | 'MD5';

/** Digest length in bytes; CRCs are big-endian, as S3 encodes them before base64. */
export const DIGEST_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
  MD5: 16,
};

/** One incremental digest. `digest()` ends it: call it once, after the last `update`. */
export interface Hasher {
  readonly algorithm: DigestAlgorithm;
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// CRC kernels. All three CRCs are reflected, start from all ones and end with a final XOR of all ones.
// The fast paths are slicing-by-8 over tables built once at first use; the reference twins below
// process one bit at a time and exist to check them.

/** Reflected generator polynomials (bit-reversed forms of the usual normal representations). */
const CRC32_POLY = 0xedb88320; // IEEE 802.3, normal form 0x04C11DB7
const CRC32C_POLY = 0x82f63b78; // Castagnoli, normal form 0x1EDC6F41
const CRC64NVME_POLY_HI = 0x9a6c9329; // NVMe, normal form 0xAD93D23594C93659
const CRC64NVME_POLY_LO = 0xac4bc9b5;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Eight 256-entry tables: entry [256·k + n] is the CRC of byte n followed by k zero bytes. */
function crc32Tables(poly: number): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] ?? 0;
    for (let k = 1; k < 8; k++) {
      c = (t[c & 0xff] ?? 0) ^ (c >>> 8);
      t[256 * k + n] = c;
    }
  }
  return t;
}

let crc32Table: Int32Array | undefined;
let crc32cTable: Int32Array | undefined;

/**
 * Advances a 32-bit CRC register (already inverted) over `bytes`. Eight bytes per step: the
 * register is folded into the first four, then each byte indexes the table for its distance from
 * the end of the step, so the eight lookups are independent of one another.
 */
function crc32Update(t: Int32Array, crc: number, bytes: Uint8Array): number {
  let c = crc;
  let i = 0;
  const n = bytes.length;
  // Word loads through an Int32Array view are much faster than assembling bytes, but need a
  // 4-byte-aligned start and a little-endian host.
  if (LITTLE_ENDIAN && n >= 64) {
    const head = (4 - (bytes.byteOffset & 3)) & 3;
    for (; i < head; i++) c = (t[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
    const words = (n - head) >>> 3 << 1;
    const w = new Int32Array(bytes.buffer, bytes.byteOffset + head, words);
    for (let j = 0; j < words; j += 2) {
      const a = c ^ (w[j] ?? 0);
      const b = w[j + 1] ?? 0;
      c =
        (t[1792 + (a & 0xff)] ?? 0) ^
        (t[1536 + ((a >>> 8) & 0xff)] ?? 0) ^
        (t[1280 + ((a >>> 16) & 0xff)] ?? 0) ^
        (t[1024 + (a >>> 24)] ?? 0) ^
        (t[768 + (b & 0xff)] ?? 0) ^
        (t[512 + ((b >>> 8) & 0xff)] ?? 0) ^
        (t[256 + ((b >>> 16) & 0xff)] ?? 0) ^
        (t[b >>> 24] ?? 0);
    }
    i = head + words * 4;
  }
  for (; i < n; i++) c = (t[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return c;
}

/** CRC-64/NVME tables as 32-bit halves (no BigInt on the hot path): [256·k + n] as in {@link crc32Tables}. */
interface Crc64Tables {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

function crc64Tables(): Crc64Tables {
  const lo = new Int32Array(8 * 256);
  const hi = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let l = n;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const carry = l & 1;
      l = (l >>> 1) | ((h & 1) << 31);
      h = h >>> 1;
      if (carry) {
        l ^= CRC64NVME_POLY_LO;
        h ^= CRC64NVME_POLY_HI;
      }
    }
    lo[n] = l;
    hi[n] = h;
  }
  for (let n = 0; n < 256; n++) {
    let l = lo[n] ?? 0;
    let h = hi[n] ?? 0;
    for (let k = 1; k < 8; k++) {
      const idx = l & 0xff;
      l = (lo[idx] ?? 0) ^ ((l >>> 8) | (h << 24));
      h = (hi[idx] ?? 0) ^ (h >>> 8);
      lo[256 * k + n] = l;
      hi[256 * k + n] = h;
    }
  }
  return { lo, hi };
}

let crc64Table: Crc64Tables | undefined;

/** Advances a CRC-64 register held as two 32-bit halves; returns the new halves in `state`. */
function crc64Update(tables: Crc64Tables, state: Int32Array, bytes: Uint8Array): void {
  const { lo: tl, hi: th } = tables;
  let l = state[0] ?? 0;
  let h = state[1] ?? 0;
  let i = 0;
  const n = bytes.length;
  if (LITTLE_ENDIAN && n >= 64) {
    const head = (4 - (bytes.byteOffset & 3)) & 3;
    for (; i < head; i++) {
      const idx = (l ^ (bytes[i] ?? 0)) & 0xff;
      l = (tl[idx] ?? 0) ^ ((l >>> 8) | (h << 24));
      h = (th[idx] ?? 0) ^ (h >>> 8);
    }
    const words = (n - head) >>> 3 << 1;
    const w = new Int32Array(bytes.buffer, bytes.byteOffset + head, words);
    for (let j = 0; j < words; j += 2) {
      const a = l ^ (w[j] ?? 0);
      const b = h ^ (w[j + 1] ?? 0);
      const i7 = 1792 + (a & 0xff);
      const i6 = 1536 + ((a >>> 8) & 0xff);
      const i5 = 1280 + ((a >>> 16) & 0xff);
      const i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff);
      const i2 = 512 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      l =
        (tl[i7] ?? 0) ^ (tl[i6] ?? 0) ^ (tl[i5] ?? 0) ^ (tl[i4] ?? 0) ^ (tl[i3] ?? 0) ^ (tl[i2] ?? 0) ^ (tl[i1] ?? 0) ^ (tl[i0] ?? 0);
      h =
        (th[i7] ?? 0) ^ (th[i6] ?? 0) ^ (th[i5] ?? 0) ^ (th[i4] ?? 0) ^ (th[i3] ?? 0) ^ (th[i2] ?? 0) ^ (th[i1] ?? 0) ^ (th[i0] ?? 0);
    }
    i = head + words * 4;
  }
  for (; i < n; i++) {
    const idx = (l ^ (bytes[i] ?? 0)) & 0xff;
    l = (tl[idx] ?? 0) ^ ((l >>> 8) | (h << 24));
    h = (th[idx] ?? 0) ^ (h >>> 8);
  }
  state[0] = l;
  state[1] = h;
}

class Crc32Hasher implements Hasher {
  readonly algorithm: 'CRC32' | 'CRC32C';
  private readonly table: Int32Array;
  private crc = -1;

  constructor(algorithm: 'CRC32' | 'CRC32C') {
    this.algorithm = algorithm;
    this.table = algorithm === 'CRC32' ? (crc32Table ??= crc32Tables(CRC32_POLY)) : (crc32cTable ??= crc32Tables(CRC32C_POLY));
  }

  update(bytes: Uint8Array): void {
    this.crc = crc32Update(this.table, this.crc, bytes);
  }

  digest(): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, ~this.crc >>> 0);
    return out;
  }
}

/** zlib's CRC-32 (IEEE), native and several times faster than any JS kernel; Node 22.2+ only. */
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

class NativeCrc32Hasher implements Hasher {
  readonly algorithm = 'CRC32';
  private value = 0;
  private readonly crc32: (data: Uint8Array, value?: number) => number;

  constructor(crc32: (data: Uint8Array, value?: number) => number) {
    this.crc32 = crc32;
  }

  update(bytes: Uint8Array): void {
    this.value = this.crc32(bytes, this.value);
  }

  digest(): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.value >>> 0);
    return out;
  }
}

class Crc64NvmeHasher implements Hasher {
  readonly algorithm = 'CRC64NVME';
  private readonly tables = (crc64Table ??= crc64Tables());
  private readonly state = Int32Array.of(-1, -1);

  update(bytes: Uint8Array): void {
    crc64Update(this.tables, this.state, bytes);
  }

  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~(this.state[1] ?? 0) >>> 0);
    view.setUint32(4, ~(this.state[0] ?? 0) >>> 0);
    return out;
  }
}

class NodeHasher implements Hasher {
  readonly algorithm: 'SHA1' | 'SHA256' | 'MD5';
  private readonly hash: Hash;

  constructor(algorithm: 'SHA1' | 'SHA256' | 'MD5') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm === 'SHA1' ? 'sha1' : algorithm === 'SHA256' ? 'sha256' : 'md5');
  }

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  digest(): Uint8Array {
    return new Uint8Array(this.hash.digest());
  }
}

export interface HasherOptions {
  /** Use the JavaScript kernels even where Node has a native one (zlib's CRC32): for tests and benchmarks. */
  readonly portable?: boolean;
}

/** Which CRC32 kernel {@link createHasher} uses on this Node. */
export const CRC32_KERNEL: 'zlib' | 'js' = zlibCrc32 === undefined ? 'js' : 'zlib';

/** A fresh incremental hasher for `algorithm`. */
export function createHasher(algorithm: DigestAlgorithm, options: HasherOptions = {}): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return zlibCrc32 !== undefined && options.portable !== true ? new NativeCrc32Hasher(zlibCrc32) : new Crc32Hasher(algorithm);
    case 'CRC32C':
      return new Crc32Hasher(algorithm);
    case 'CRC64NVME':
      return new Crc64NvmeHasher();
    case 'SHA1':
    case 'SHA256':
    case 'MD5':
      return new NodeHasher(algorithm);
    default: {
      const unknown: never = algorithm;
      throw new Error(`unknown digest algorithm ${String(unknown)}`);
    }
  }
}

/** One-shot digest of `bytes`. */
export function digestOf(algorithm: DigestAlgorithm, bytes: Uint8Array, options: HasherOptions = {}): Uint8Array {
  const hasher = createHasher(algorithm, options);
  hasher.update(bytes);
  return hasher.digest();
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The digest as S3 sends it in headers, XML and trailers: standard base64 with padding. */
export function digestBase64(hasher: Hasher): string {
  return toBase64(hasher.digest());
}

// ---------------------------------------------------------------------------------------------
// Reference twins: one bit at a time, CRC-64 in BigInt. Slow and obviously right.

function crc32Bitwise(poly: number, bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return ~c >>> 0;
}

/** Bit-at-a-time reference CRC values, to check the table-driven kernels against. */
export const referenceCrc = {
  crc32: (bytes: Uint8Array): number => crc32Bitwise(CRC32_POLY, bytes),
  crc32c: (bytes: Uint8Array): number => crc32Bitwise(CRC32C_POLY, bytes),
  crc64nvme(bytes: Uint8Array): bigint {
    const poly = (BigInt(CRC64NVME_POLY_HI) << 32n) | BigInt(CRC64NVME_POLY_LO);
    const mask = (1n << 64n) - 1n;
    let c = mask;
    for (const byte of bytes) {
      c ^= BigInt(byte);
      for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    }
    return c ^ mask;
  },
};

// ---------------------------------------------------------------------------------------------
// Request headers declaring checksums.

/** Lower-cased request headers, as the front door hands them over. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

export function checksumHeaderName(algorithm: ChecksumAlgorithm): `x-amz-checksum-${Lowercase<ChecksumAlgorithm>}` {
  return `x-amz-checksum-${algorithm.toLowerCase() as Lowercase<ChecksumAlgorithm>}`;
}

const ALGORITHM_BY_HEADER = new Map<string, ChecksumAlgorithm>(CHECKSUM_ALGORITHMS.map((a) => [checksumHeaderName(a), a]));
/** `x-amz-checksum-*` request headers that are not checksum values. */
const NON_VALUE_CHECKSUM_HEADERS = new Set(['x-amz-checksum-type', 'x-amz-checksum-mode', 'x-amz-checksum-algorithm']);

/** Which algorithm an `x-amz-checksum-<alg>` header (or trailer) name stands for, if any. */
export function algorithmOfChecksumHeader(name: string): ChecksumAlgorithm | undefined {
  return ALGORITHM_BY_HEADER.get(name.toLowerCase());
}

export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === upper);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 of exactly `length` bytes, or undefined. */
export function decodeBase64Digest(value: string, length: number): Uint8Array | undefined {
  const trimmed = value.trim();
  if (!BASE64.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== length) return undefined;
  // Reject non-canonical encodings (stray bits in the padding) so one digest has one spelling.
  if (bytes.toString('base64') !== trimmed) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Where the client's flexible checksum arrives. */
export type DeclaredChecksum =
  | { readonly location: 'header'; readonly algorithm: ChecksumAlgorithm; readonly expected: Uint8Array }
  | { readonly location: 'trailer'; readonly algorithm: ChecksumAlgorithm };

/** The integrity claims a request makes about its body, parsed from its headers. */
export interface IntegrityClaims {
  /** Decoded `Content-MD5`, when sent. */
  readonly contentMd5: Uint8Array | undefined;
  /** The flexible checksum, as a header value or announced by `x-amz-trailer`. */
  readonly checksum: DeclaredChecksum | undefined;
  /** `x-amz-sdk-checksum-algorithm`, when sent (informational once a checksum is present). */
  readonly sdkAlgorithm: ChecksumAlgorithm | undefined;
  /** The trailer names announced by `x-amz-trailer`, lower-cased, in order. */
  readonly trailerNames: readonly string[];
}

const MULTIPLE_CHECKSUMS = 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.';

/**
 * Reads `Content-MD5`, `x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm` and `x-amz-trailer`.
 * Throws {@link S3AuthError}: InvalidDigest for a malformed Content-MD5, InvalidRequest for a
 * malformed or duplicated checksum or an unknown algorithm, BadDigest when the checksum header's
 * algorithm contradicts `x-amz-sdk-checksum-algorithm` (as S3 documents).
 */
export function parseIntegrityHeaders(headers: RequestHeaders): IntegrityClaims {
  let contentMd5: Uint8Array | undefined;
  const md5 = headers['content-md5'];
  if (md5 !== undefined) {
    contentMd5 = decodeBase64Digest(md5, DIGEST_LENGTH.MD5);
    if (contentMd5 === undefined) throw new S3AuthError('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  }

  let checksum: DeclaredChecksum | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !name.startsWith('x-amz-checksum-') || NON_VALUE_CHECKSUM_HEADERS.has(name)) continue;
    const algorithm = ALGORITHM_BY_HEADER.get(name);
    if (algorithm === undefined) throw new S3AuthError('InvalidRequest', `The checksum header ${name} names an algorithm this server does not support.`);
    if (checksum !== undefined) throw new S3AuthError('InvalidRequest', MULTIPLE_CHECKSUMS);
    const expected = decodeBase64Digest(value, DIGEST_LENGTH[algorithm]);
    if (expected === undefined) throw new S3AuthError('InvalidRequest', `Value for ${name} header is invalid.`);
    checksum = { location: 'header', algorithm, expected };
  }

  let sdkAlgorithm: ChecksumAlgorithm | undefined;
  const sdk = headers['x-amz-sdk-checksum-algorithm'];
  if (sdk !== undefined) {
    sdkAlgorithm = parseChecksumAlgorithm(sdk);
    if (sdkAlgorithm === undefined) throw new S3AuthError('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }

  const trailerNames = (headers['x-amz-trailer'] ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
  for (const name of trailerNames) {
    const algorithm = ALGORITHM_BY_HEADER.get(name);
    if (algorithm === undefined) throw new S3AuthError('InvalidRequest', `The trailer ${name} announced in x-amz-trailer is not supported.`);
    if (checksum !== undefined) throw new S3AuthError('InvalidRequest', MULTIPLE_CHECKSUMS);
    checksum = { location: 'trailer', algorithm };
  }

  if (checksum !== undefined && sdkAlgorithm !== undefined && checksum.algorithm !== sdkAlgorithm) {
    throw new S3AuthError('BadDigest', `The ${checksum.algorithm} checksum does not match the x-amz-sdk-checksum-algorithm ${sdkAlgorithm}.`);
  }
  return { contentMd5, checksum, sdkAlgorithm, trailerNames };
}

/** The digests computed over a body whose claims all held; what gets stored and returned. */
export interface VerifiedDigests {
  /** MD5 of the body (the simple-object ETag), when computed. */
  readonly md5: Uint8Array | undefined;
  /** The flexible checksum: the client's, or the server default when the client sent none. */
  readonly checksum: { readonly algorithm: ChecksumAlgorithm; readonly value: Uint8Array } | undefined;
}

export interface BodyIntegrityOptions {
  /** Compute MD5 even without Content-MD5 (the ETag needs it). Default true. */
  readonly md5?: boolean;
  /** Algorithm to compute when the client declared none (S3 now defaults to CRC64NVME); none by default. */
  readonly defaultAlgorithm?: ChecksumAlgorithm;
}

/**
 * Computes, while the body streams through `update`, every digest the claims need, and checks
 * them at the end: `finish(trailers)` takes the trailing headers of an aws-chunked body (if any).
 */
export class BodyIntegrity {
  private readonly claims: IntegrityClaims;
  private readonly md5: Hasher | undefined;
  private readonly checksum: Hasher | undefined;

  constructor(claims: IntegrityClaims, options: BodyIntegrityOptions = {}) {
    this.claims = claims;
    this.md5 = (options.md5 ?? true) || claims.contentMd5 !== undefined ? createHasher('MD5') : undefined;
    const algorithm = claims.checksum?.algorithm ?? options.defaultAlgorithm;
    this.checksum = algorithm === undefined ? undefined : createHasher(algorithm);
  }

  update(bytes: Uint8Array): void {
    this.md5?.update(bytes);
    this.checksum?.update(bytes);
  }

  /**
   * Throws BadDigest on any mismatch, InvalidRequest for a missing or malformed trailing checksum.
   * `trailers` maps lower-cased trailer names to values.
   */
  finish(trailers: ReadonlyMap<string, string> = new Map()): VerifiedDigests {
    const md5 = this.md5?.digest();
    if (this.claims.contentMd5 !== undefined && (md5 === undefined || !sameBytes(md5, this.claims.contentMd5))) {
      throw new S3AuthError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const value = this.checksum?.digest();
    const declared = this.claims.checksum;
    if (declared !== undefined && value !== undefined) {
      let expected: Uint8Array | undefined;
      if (declared.location === 'header') {
        expected = declared.expected;
      } else {
        const name = checksumHeaderName(declared.algorithm);
        const sent = trailers.get(name);
        if (sent === undefined) throw new S3AuthError('InvalidRequest', `The trailing checksum ${name} announced in x-amz-trailer was not sent.`);
        expected = decodeBase64Digest(sent, DIGEST_LENGTH[declared.algorithm]);
        if (expected === undefined) throw new S3AuthError('InvalidRequest', `Value for ${name} trailing header is invalid.`);
      }
      if (!sameBytes(value, expected)) {
        throw new S3AuthError('BadDigest', `The ${declared.algorithm} you specified did not match the calculated checksum.`);
      }
    }
    const algorithm = this.checksum?.algorithm;
    return {
      md5,
      checksum: value !== undefined && algorithm !== undefined && algorithm !== 'MD5' ? { algorithm, value } : undefined,
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
