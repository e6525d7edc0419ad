// UploadPartCopy (PUT ?partNumber&uploadId with x-amz-copy-source): a byte range of an existing object stored as a part.

import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { MAX_PART_BYTES } from '../multipart.ts';
import type { S3Operation } from '../operations.ts';
import { xmlDocument } from '../xml.ts';
import { CopyDigests, openCopySource } from './copy-source.ts';

type UploadPartCopyOp = Extract<S3Operation, { kind: 'UploadPartCopy' }>;

export async function uploadPartCopy<P>(ctx: HandlerContext<P>, op: UploadPartCopyOp): Promise<S3Response> {
  const upload = await ctx.backend.getUpload(ctx.principal, op.bucket, op.key, op.uploadId);
  const source = await openCopySource(ctx, op.source, ctx.headers['x-amz-copy-source-range']);
  try {
    const length = source.range === undefined ? source.info.size : source.range.end - source.range.start;
    if (length > MAX_PART_BYTES) throw new S3Error('EntityTooLarge', `A part is at most ${MAX_PART_BYTES} bytes: copy a smaller x-amz-copy-source-range`);
    const digests = new CopyDigests(upload.checksumAlgorithm === undefined ? [] : [upload.checksumAlgorithm]);
    const part = await ctx.backend.uploadPart(ctx.principal, {
      bucket: op.bucket,
      key: op.key,
      uploadId: op.uploadId,
      partNumber: op.partNumber,
      body: digests.pass(source.body),
      finish: () => digests.finish(),
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: xmlDocument('CopyPartResult', {
        ETag: part.etag,
        LastModified: part.lastModified.toISOString(),
        ...Object.fromEntries(Object.entries(part.checksums).map(([name, value]) => [`Checksum${name.toUpperCase()}`, value])),
      }),
    };
  } finally {
    await source.close();
  }
}
