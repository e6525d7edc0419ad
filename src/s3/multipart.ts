// Multipart rules both backends share: S3's limits, which stored parts a CompleteMultipartUpload chooses, and the
// ETag and checksums of the object they make.

import { createHash } from 'node:crypto';
import { createHasher, DIGEST_LENGTH, decodeBase64Digest, parseChecksumAlgorithm, toBase64, type ChecksumAlgorithm } from './checksums.ts';
import { S3Error } from './errors.ts';

export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** What completion needs to know of a stored part; backends extend it with where the bytes are. */
export interface StoredPart {
  readonly partNumber: number;
  readonly size: number;
  /** Quoted hex MD5. */
  readonly etag: string;
  readonly checksums: Readonly<Record<string, string>>;
}

export interface CompletionPlan<T extends StoredPart> {
  /** The chosen parts in object order. */
  readonly parts: readonly T[];
  readonly size: number;
  /** `"<md5 of the concatenated binary part MD5s>-<N>"`. */
  readonly etag: string;
  /** The composite checksum (`<base64>-<N>`), when every part carries one of the upload's algorithm. */
  readonly checksums: Readonly<Record<string, string>>;
}

/** ETags compare without their quotes (clients send them either way). */
export function bareEtag(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}

/** CRC64NVME has no composite form in S3 (it is a full-object checksum only). */
const COMPOSITE: ReadonlySet<ChecksumAlgorithm> = new Set(['CRC32', 'CRC32C', 'SHA1', 'SHA256']);

function compositeChecksum(algorithm: ChecksumAlgorithm | undefined, parts: readonly StoredPart[]): Record<string, string> {
  if (algorithm === undefined || !COMPOSITE.has(algorithm)) return {};
  const name = algorithm.toLowerCase();
  const hasher = createHasher(algorithm);
  for (const part of parts) {
    const value = part.checksums[name];
    const raw = value === undefined ? undefined : decodeBase64Digest(value, DIGEST_LENGTH[algorithm]);
    if (raw === undefined) return {};
    hasher.update(raw);
  }
  return { [name]: `${toBase64(hasher.digest())}-${parts.length}` };
}

/**
 * Checks a CompleteMultipartUpload against the stored parts: ascending part numbers (InvalidPartOrder), each part
 * stored with that ETag (InvalidPart), every part but the last at least 5 MiB (EntityTooSmall), the whole at most
 * 5 TiB. `algorithm` is the upload's declared checksum algorithm, else the one every part was sent with, if any.
 */
export function planCompletion<T extends StoredPart>(
  requested: readonly { readonly partNumber: number; readonly etag: string }[],
  stored: readonly T[],
  algorithm: ChecksumAlgorithm | undefined,
): CompletionPlan<T> {
  if (requested.length === 0) throw new S3Error('MalformedXML', 'You must specify at least one part');
  if (requested.length > MAX_PARTS) throw new S3Error('InvalidArgument', `An object is made of at most ${MAX_PARTS} parts`);
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts: T[] = [];
  let previous = 0;
  for (const want of requested) {
    if (want.partNumber <= previous) throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
    previous = want.partNumber;
    const part = byNumber.get(want.partNumber);
    if (part === undefined || bareEtag(part.etag) !== bareEtag(want.etag)) {
      throw new S3Error('InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", {
        PartNumber: String(want.partNumber),
        ETag: want.etag,
      });
    }
    parts.push(part);
  }
  const md5 = createHash('md5');
  let size = 0;
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.size < MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        ProposedSize: String(part.size),
        MinSizeAllowed: String(MIN_PART_BYTES),
        PartNumber: String(part.partNumber),
        ETag: part.etag,
      });
    }
    size += part.size;
    md5.update(Buffer.from(bareEtag(part.etag), 'hex'));
  });
  if (size > MAX_OBJECT_BYTES) throw new S3Error('EntityTooLarge');
  const common = algorithm ?? sharedAlgorithm(parts);
  return { parts, size, etag: `"${md5.digest('hex')}-${parts.length}"`, checksums: compositeChecksum(common, parts) };
}

/** The flexible-checksum algorithm every part was stored with, when they agree. */
function sharedAlgorithm(parts: readonly StoredPart[]): ChecksumAlgorithm | undefined {
  const names = new Set(parts.flatMap((p) => Object.keys(p.checksums)));
  if (names.size !== 1) return undefined;
  const [name] = names;
  return name === undefined ? undefined : parseChecksumAlgorithm(name);
}
