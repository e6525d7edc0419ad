// Fragment format v1: the self-describing bytes a storage location holds (layout in docs/spec/fragment-format.md).

import { createHash } from 'node:crypto';
import { FormatError } from './errors.ts';

/*
 * offset  size  field
 *      0     4  magic "DSPF"
 *      4     1  format version (1)
 *      5     1  flags: bit 0 = coefficients kept aside (not in this fragment); other bits 0
 *      6     1  k: data packets per generation (1..64)
 *      7     1  packet index (0..63)
 *      8    16  object version id
 *     24     4  generation index, u32 big-endian
 *     28     4  symbol size S, u32 big-endian (payload bytes)
 *     32     8  sealed length L, u64 big-endian: bytes of the sealed generation the k symbols carry (L <= k·S)
 *     40     c  coefficients: k bytes if inline, 0 bytes if kept aside
 *   40+c     S  payload: the coded symbol
 * 40+c+S    32  SHA-256 over every preceding byte
 */

export const FRAGMENT_MAGIC = Uint8Array.of(0x44, 0x53, 0x50, 0x46); // "DSPF"
export const FRAGMENT_VERSION = 1;
export const FRAGMENT_FIXED_HEADER = 40;
export const FRAGMENT_HASH_LENGTH = 32;
export const OBJECT_VERSION_ID_LENGTH = 16;
const FLAG_COEFFICIENTS_ASIDE = 0x01;
const KNOWN_FLAGS = FLAG_COEFFICIENTS_ASIDE;

export interface FragmentHeader {
  readonly objectVersionId: Uint8Array;
  readonly generationIndex: number;
  readonly k: number;
  readonly packetIndex: number;
  readonly symbolSize: number;
  readonly sealedLength: number;
  /** k coefficients when they travel inline; null when kept aside (only in metadata). */
  readonly coefficients: Uint8Array | null;
}

export interface ParsedFragment {
  readonly header: FragmentHeader;
  readonly payload: Uint8Array;
  readonly hash: Uint8Array;
}

export function fragmentLength(k: number, symbolSize: number, coefficientsInline: boolean): number {
  return FRAGMENT_FIXED_HEADER + (coefficientsInline ? k : 0) + symbolSize + FRAGMENT_HASH_LENGTH;
}

function checkHeader(h: FragmentHeader): void {
  if (h.objectVersionId.length !== OBJECT_VERSION_ID_LENGTH) throw new FormatError('malformed', 'object version id must be 16 bytes');
  if (!Number.isInteger(h.k) || h.k < 1 || h.k > 64) throw new FormatError('malformed', `k ${h.k} outside [1, 64]`);
  if (!Number.isInteger(h.packetIndex) || h.packetIndex < 0 || h.packetIndex > 63) throw new FormatError('malformed', `packet index ${h.packetIndex} outside [0, 63]`);
  if (!Number.isInteger(h.generationIndex) || h.generationIndex < 0 || h.generationIndex > 0xffffffff) throw new FormatError('malformed', 'generation index outside u32');
  if (!Number.isInteger(h.symbolSize) || h.symbolSize < 0 || h.symbolSize > 0xffffffff) throw new FormatError('malformed', 'symbol size outside u32');
  if (!Number.isSafeInteger(h.sealedLength) || h.sealedLength < 0 || h.sealedLength > h.k * h.symbolSize) {
    throw new FormatError('malformed', `sealed length ${h.sealedLength} exceeds k × symbol size = ${h.k * h.symbolSize}`);
  }
  if (h.coefficients !== null && h.coefficients.length !== h.k) throw new FormatError('malformed', `${h.coefficients.length} coefficients for k = ${h.k}`);
}

/**
 * Allocates a fragment and writes its header; the caller fills `payload` (a view into `bytes`) and then calls
 * sealFragment. Writing the coded symbol straight into the fragment saves a copy of every payload. `reuse`, a
 * buffer of exactly the fragment's length no longer needed by anyone, is used instead of new memory: every byte
 * of it is overwritten (header here, payload by the caller, hash by sealFragment).
 */
export function allocateFragment(h: FragmentHeader, reuse?: Uint8Array): { bytes: Uint8Array; payload: Uint8Array } {
  checkHeader(h);
  const c = h.coefficients === null ? 0 : h.k;
  const length = fragmentLength(h.k, h.symbolSize, h.coefficients !== null);
  const bytes = reuse?.length === length ? reuse : new Uint8Array(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  bytes.set(FRAGMENT_MAGIC, 0);
  bytes[4] = FRAGMENT_VERSION;
  bytes[5] = h.coefficients === null ? FLAG_COEFFICIENTS_ASIDE : 0;
  bytes[6] = h.k;
  bytes[7] = h.packetIndex;
  bytes.set(h.objectVersionId, 8);
  view.setUint32(24, h.generationIndex);
  view.setUint32(28, h.symbolSize);
  view.setBigUint64(32, BigInt(h.sealedLength));
  if (h.coefficients !== null) bytes.set(h.coefficients, FRAGMENT_FIXED_HEADER);
  const payloadStart = FRAGMENT_FIXED_HEADER + c;
  return { bytes, payload: bytes.subarray(payloadStart, payloadStart + h.symbolSize) };
}

/** Writes the trailing SHA-256 and returns it (the same digest the manifest records). */
export function sealFragment(bytes: Uint8Array): Uint8Array {
  const body = bytes.length - FRAGMENT_HASH_LENGTH;
  const digest = createHash('sha256').update(bytes.subarray(0, body)).digest();
  bytes.set(digest, body);
  return bytes.subarray(body);
}

/** Parses and verifies a fragment (magic, version, flags, lengths and the trailing hash). */
export function parseFragment(bytes: Uint8Array): ParsedFragment {
  if (bytes.length < FRAGMENT_FIXED_HEADER + FRAGMENT_HASH_LENGTH) throw new FormatError('malformed', `fragment of ${bytes.length} bytes is shorter than a header`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== FRAGMENT_MAGIC[i]) throw new FormatError('bad-magic', 'not a Dispersa fragment (bad magic)');
  if (bytes[4] !== FRAGMENT_VERSION) throw new FormatError('unsupported-version', `fragment format version ${bytes[4] ?? 0} is not supported`);
  const flags = bytes[5] ?? 0;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new FormatError('malformed', `unknown fragment flags 0x${flags.toString(16)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const k = bytes[6] ?? 0;
  const inline = (flags & FLAG_COEFFICIENTS_ASIDE) === 0;
  const symbolSize = view.getUint32(28);
  const sealed = view.getBigUint64(32);
  if (sealed > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('malformed', 'sealed length too large');
  const expected = fragmentLength(k, symbolSize, inline);
  if (bytes.length !== expected) throw new FormatError('malformed', `fragment is ${bytes.length} bytes, its header says ${expected}`);
  const c = inline ? k : 0;
  const header: FragmentHeader = {
    objectVersionId: bytes.subarray(8, 24),
    generationIndex: view.getUint32(24),
    k,
    packetIndex: bytes[7] ?? 0,
    symbolSize,
    sealedLength: Number(sealed),
    coefficients: inline ? bytes.subarray(FRAGMENT_FIXED_HEADER, FRAGMENT_FIXED_HEADER + k) : null,
  };
  checkHeader(header);
  const body = bytes.length - FRAGMENT_HASH_LENGTH;
  const hash = bytes.subarray(body);
  const digest = createHash('sha256').update(bytes.subarray(0, body)).digest();
  if (!digest.equals(hash)) throw new FormatError('hash-mismatch', 'fragment hash does not match its contents');
  return { header, payload: bytes.subarray(FRAGMENT_FIXED_HEADER + c, FRAGMENT_FIXED_HEADER + c + symbolSize), hash };
}
