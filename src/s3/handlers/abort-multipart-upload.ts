// AbortMultipartUpload (DELETE ?uploadId): ends the upload and drops every part stored for it.

import type { HandlerContext, S3Response } from '../handler.ts';

export async function abortMultipartUpload<P>(ctx: HandlerContext<P>, bucket: string, key: string, uploadId: string): Promise<S3Response> {
  await ctx.backend.abortMultipartUpload(ctx.principal, bucket, key, uploadId);
  return { status: 204 };
}
