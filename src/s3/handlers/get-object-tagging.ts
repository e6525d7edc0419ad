// GetObjectTagging: objects carry no tags here; clients ask before copying, so the answer is an empty tag set.

import type { HandlerContext, S3Response } from '../handler.ts';
import { xmlDocument } from '../xml.ts';

export async function getObjectTagging<P>(ctx: HandlerContext<P>, bucket: string, key: string): Promise<S3Response> {
  await ctx.backend.headObject(ctx.principal, bucket, key);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xmlDocument('Tagging', { TagSet: '' }) };
}
