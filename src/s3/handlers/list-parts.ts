// ListParts (GET ?uploadId): the parts stored so far, by part number, paged with part-number-marker and max-parts.

import type { HandlerContext, S3Response } from '../handler.ts';
import type { S3Operation } from '../operations.ts';
import { xmlDocument } from '../xml.ts';

type ListPartsOp = Extract<S3Operation, { kind: 'ListParts' }>;

const OWNER = { ID: 'dispersa', DisplayName: 'dispersa' };

export async function listParts<P>(ctx: HandlerContext<P>, op: ListPartsOp): Promise<S3Response> {
  const upload = await ctx.backend.getUpload(ctx.principal, op.bucket, op.key, op.uploadId);
  const page = op.maxParts === 0 ? { parts: [], truncated: false } : await ctx.backend.listParts(ctx.principal, op.bucket, op.key, op.uploadId, { after: op.partNumberMarker, limit: op.maxParts });
  const last = page.parts.at(-1);
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument('ListPartsResult', {
      Bucket: op.bucket,
      Key: op.key,
      UploadId: op.uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      PartNumberMarker: op.partNumberMarker,
      NextPartNumberMarker: page.truncated && last !== undefined ? last.partNumber : undefined,
      MaxParts: op.maxParts,
      IsTruncated: page.truncated,
      ChecksumAlgorithm: upload.checksumAlgorithm,
      Part: page.parts.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: p.lastModified.toISOString(),
        ETag: p.etag,
        Size: p.size,
        ...Object.fromEntries(Object.entries(p.checksums).map(([name, value]) => [`Checksum${name.toUpperCase()}`, value])),
      })),
    }),
  };
}
