// GetObject and HeadObject: conditional requests, byte ranges, response-* overrides, stored checksums.

import type { HandlerContext, S3Response } from '../handler.ts';
import { applyResponseOverrides, checkPreconditions, objectResponseHeaders, parseRange } from './object-headers.ts';

export async function getObject<P>(ctx: HandlerContext<P>, bucket: string, key: string, head: boolean): Promise<S3Response> {
  const info = await ctx.backend.headObject(ctx.principal, bucket, key);
  const notModified = checkPreconditions(ctx.headers, info);
  if (notModified !== undefined) return { status: 304, headers: { etag: info.etag, 'last-modified': info.lastModified.toUTCString() } };
  const range = parseRange(ctx.headers.range, info.size);
  const withChecksums = range === undefined && ctx.headers['x-amz-checksum-mode']?.toUpperCase() === 'ENABLED';
  const headers = objectResponseHeaders(info, withChecksums);
  if (!head) applyResponseOverrides(headers, ctx.query, ctx.signed);
  if (range !== undefined) headers['content-range'] = `bytes ${range.start}-${range.end - 1}/${info.size}`;
  headers['content-length'] = String(range === undefined ? info.size : range.end - range.start);
  const status = range === undefined ? 200 : 206;
  if (head) return { status, headers };
  const result = await ctx.backend.getObject(ctx.principal, bucket, key, range);
  // The object may have been replaced between HEAD and GET: describe the bytes actually sent.
  if (result.info.etag !== info.etag) return getObject(ctx, bucket, key, head);
  return { status, headers, body: result.body };
}
