// The source of CopyObject and UploadPartCopy: opened through the backend (so read access on its bucket is
// checked), with the x-amz-copy-source-if-* conditions and an optional byte range.

import type { ObjectInfo } from '../backend.ts';
import { createHasher, type ChecksumAlgorithm, type Hasher } from '../checksums.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext } from '../handler.ts';
import type { CopySource } from '../operations.ts';
import { checkPreconditions } from './object-headers.ts';

export interface OpenedSource {
  /** The object whose bytes `body` streams. */
  readonly info: ObjectInfo;
  readonly range: { readonly start: number; readonly end: number } | undefined;
  readonly body: AsyncIterable<Uint8Array>;
  /** Releases the source when the copy ends early (always safe to call). */
  close(): Promise<void>;
}

/** The x-amz-copy-source-if-* headers: any that fails is PreconditionFailed (a copy never answers 304). */
export function checkCopyPreconditions(headers: Readonly<Record<string, string | undefined>>, info: ObjectInfo): void {
  const conditions = {
    'if-match': headers['x-amz-copy-source-if-match'],
    'if-none-match': headers['x-amz-copy-source-if-none-match'],
    'if-modified-since': headers['x-amz-copy-source-if-modified-since'],
    'if-unmodified-since': headers['x-amz-copy-source-if-unmodified-since'],
  };
  if (checkPreconditions(conditions, info) !== undefined) throw new S3Error('PreconditionFailed');
}

/** `x-amz-copy-source-range: bytes=first-last` (both required, inclusive) → a half-open range within `size`. */
export function parseCopyRange(header: string, size: number): { start: number; end: number } {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (m === null) {
    throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header });
  }
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first > last || last >= size) throw new S3Error('InvalidRange', `Range specified is not valid for source object of size: ${size}`, { RangeRequested: header, ActualObjectSize: String(size) });
  return { start: first, end: last + 1 };
}

const ATTEMPTS = 3;

export async function openCopySource<P>(ctx: HandlerContext<P>, source: CopySource, rangeHeader: string | undefined): Promise<OpenedSource> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const head = await ctx.backend.headObject(ctx.principal, source.bucket, source.key);
    checkCopyPreconditions(ctx.headers, head);
    const range = rangeHeader === undefined ? undefined : parseCopyRange(rangeHeader, head.size);
    const result = await ctx.backend.getObject(ctx.principal, source.bucket, source.key, range);
    const iterator = result.body[Symbol.asyncIterator]();
    const close = async (): Promise<void> => {
      await iterator.return?.();
    };
    // Replaced between HEAD and GET: the conditions and the range were checked against another object.
    if (result.info.etag !== head.etag) {
      await close();
      continue;
    }
    return { info: result.info, range, body: { [Symbol.asyncIterator]: () => iterator }, close };
  }
  throw new S3Error('ServiceUnavailable', 'The copy source kept changing while it was read; try again');
}

/** Digests of copied bytes: the MD5 (the ETag) and the flexible checksums the copy is to store. */
export class CopyDigests {
  private readonly md5 = createHasher('MD5');
  private readonly checksums: Hasher[];

  constructor(algorithms: readonly ChecksumAlgorithm[]) {
    this.checksums = [...new Set(algorithms)].map((a) => createHasher(a));
  }

  /** Passes the bytes through, hashing them. */
  async *pass(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      this.md5.update(chunk);
      for (const h of this.checksums) h.update(chunk);
      yield chunk;
    }
  }

  finish(): { etag: string; checksums: Record<string, string> } {
    const checksums: Record<string, string> = {};
    for (const h of this.checksums) checksums[h.algorithm.toLowerCase()] = Buffer.from(h.digest()).toString('base64');
    return { etag: `"${Buffer.from(this.md5.digest()).toString('hex')}"`, checksums };
  }
}
