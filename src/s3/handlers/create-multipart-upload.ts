// CreateMultipartUpload (POST ?uploads): records the headers, user metadata and checksum algorithm of the object to come.

import { storedContentEncoding } from '../auth/payload.ts';
import { parseChecksumAlgorithm } from '../checksums.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { xmlDocument } from '../xml.ts';
import { objectHeadersFrom, userMetadataFrom } from './object-headers.ts';

export async function createMultipartUpload<P>(ctx: HandlerContext<P>, bucket: string, key: string): Promise<S3Response> {
  const h = ctx.headers;
  const declared = h['x-amz-checksum-algorithm'];
  const checksumAlgorithm = declared === undefined ? undefined : parseChecksumAlgorithm(declared);
  if (declared !== undefined && checksumAlgorithm === undefined) throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-algorithm header is invalid.');
  const upload = await ctx.backend.createMultipartUpload(ctx.principal, {
    bucket,
    key,
    headers: objectHeadersFrom(h, storedContentEncoding(h['content-encoding'])),
    userMetadata: userMetadataFrom(h),
    checksumAlgorithm,
  });
  return {
    status: 200,
    headers: { 'content-type': 'application/xml', ...(checksumAlgorithm === undefined ? {} : { 'x-amz-checksum-algorithm': checksumAlgorithm }) },
    body: xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId }),
  };
}
