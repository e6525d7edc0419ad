// GetBucketVersioning: buckets are never versioned here; an empty configuration is S3's answer for that.

import type { HandlerContext, S3Response } from '../handler.ts';
import { xmlDocument } from '../xml.ts';

export async function getBucketVersioning<P>(ctx: HandlerContext<P>, bucket: string): Promise<S3Response> {
  await ctx.backend.headBucket(ctx.principal, bucket);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xmlDocument('VersioningConfiguration', {}) };
}
