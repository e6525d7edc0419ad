// ListMultipartUploads (GET ?uploads): uploads in progress by key, with prefix, delimiter, key and upload-id markers.

import { uriEncode } from '../auth/canonical.ts';
import type { UploadInfo } from '../backend.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import type { S3Operation } from '../operations.ts';
import { xmlDocument } from '../xml.ts';

type ListUploadsOp = Extract<S3Operation, { kind: 'ListMultipartUploads' }>;

const OWNER = { ID: 'dispersa', DisplayName: 'dispersa' };

interface Listing {
  readonly uploads: readonly UploadInfo[];
  readonly commonPrefixes: readonly string[];
  readonly truncated: boolean;
  /** Where the next page starts: the last upload (key and id) or common prefix returned. */
  readonly nextKey: string | undefined;
  readonly nextUploadId: string | undefined;
}

async function collect<P>(ctx: HandlerContext<P>, op: ListUploadsOp): Promise<Listing> {
  const uploads: UploadInfo[] = [];
  const commonPrefixes: string[] = [];
  let nextKey: string | undefined;
  let nextUploadId: string | undefined;
  // A key marker that is a common prefix resumes after every key it covers.
  let keyMarker = op.keyMarker !== undefined && op.delimiter !== undefined && op.uploadIdMarker === undefined && op.keyMarker.endsWith(op.delimiter) ? op.keyMarker + '\u{10FFFF}' : op.keyMarker;
  let uploadIdMarker = op.uploadIdMarker;
  if (op.maxUploads === 0) return { uploads, commonPrefixes, truncated: false, nextKey, nextUploadId };
  for (;;) {
    const page = await ctx.backend.listUploads(ctx.principal, op.bucket, { prefix: op.prefix, keyMarker, uploadIdMarker, limit: 1000 });
    for (const upload of page.uploads) {
      keyMarker = upload.key;
      uploadIdMarker = upload.uploadId;
      const rest = upload.key.slice(op.prefix.length);
      const cut = op.delimiter === undefined ? -1 : rest.indexOf(op.delimiter);
      const full = (): boolean => uploads.length + commonPrefixes.length === op.maxUploads;
      if (cut >= 0) {
        const prefix = op.prefix + rest.slice(0, cut + (op.delimiter?.length ?? 0));
        if (prefix === commonPrefixes.at(-1)) continue;
        if (full()) return { uploads, commonPrefixes, truncated: true, nextKey, nextUploadId };
        commonPrefixes.push(prefix);
        nextKey = prefix;
        nextUploadId = undefined;
      } else {
        if (full()) return { uploads, commonPrefixes, truncated: true, nextKey, nextUploadId };
        uploads.push(upload);
        nextKey = upload.key;
        nextUploadId = upload.uploadId;
      }
    }
    if (!page.truncated) return { uploads, commonPrefixes, truncated: false, nextKey, nextUploadId };
  }
}

export async function listMultipartUploads<P>(ctx: HandlerContext<P>, op: ListUploadsOp): Promise<S3Response> {
  const enc = (value: string): string => (op.encodingType === 'url' ? uriEncode(value, true) : value);
  const listing = await collect(ctx, op);
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument('ListMultipartUploadsResult', {
      Bucket: op.bucket,
      KeyMarker: enc(op.keyMarker ?? ''),
      UploadIdMarker: op.uploadIdMarker ?? '',
      NextKeyMarker: listing.truncated && listing.nextKey !== undefined ? enc(listing.nextKey) : undefined,
      NextUploadIdMarker: listing.truncated ? listing.nextUploadId : undefined,
      Prefix: enc(op.prefix),
      Delimiter: op.delimiter === undefined ? undefined : enc(op.delimiter),
      MaxUploads: op.maxUploads,
      EncodingType: op.encodingType,
      IsTruncated: listing.truncated,
      Upload: listing.uploads.map((u) => ({
        Key: enc(u.key),
        UploadId: u.uploadId,
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
        Initiated: u.initiated.toISOString(),
        ChecksumAlgorithm: u.checksumAlgorithm,
      })),
      CommonPrefixes: listing.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    }),
  };
}
