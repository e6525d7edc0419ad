// UploadPart (PUT ?partNumber&uploadId): one part, streamed and checked like a PutObject body; ETag = its MD5.

import { parseIntegrityHeaders } from '../checksums.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { MAX_PART_BYTES } from '../multipart.ts';
import type { S3Operation } from '../operations.ts';
import { verifiedBody } from './verified-body.ts';

type UploadPartOp = Extract<S3Operation, { kind: 'UploadPart' }>;

export async function uploadPart<P>(ctx: HandlerContext<P>, op: UploadPartOp): Promise<S3Response> {
  const upload = await ctx.backend.getUpload(ctx.principal, op.bucket, op.key, op.uploadId);
  const claims = parseIntegrityHeaders(ctx.headers);
  const algorithm = upload.checksumAlgorithm;
  if (algorithm !== undefined && claims.checksum !== undefined && claims.checksum.algorithm !== algorithm) {
    throw new S3Error('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${claims.checksum.algorithm.toLowerCase()}`);
  }
  // A part of an upload declared with an algorithm gets that checksum even when the client sent none.
  const verified = verifiedBody(ctx, MAX_PART_BYTES, claims, algorithm === undefined ? {} : { defaultAlgorithm: algorithm });
  const part = await ctx.backend.uploadPart(ctx.principal, {
    bucket: op.bucket,
    key: op.key,
    uploadId: op.uploadId,
    partNumber: op.partNumber,
    body: verified.body,
    finish: verified.finish,
  });
  return { status: 200, headers: { etag: part.etag, ...verified.checksumHeaders() } };
}
