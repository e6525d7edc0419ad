// PutObject: streams the decoded body into the backend, verifying Content-MD5 and checksums before it becomes visible.

import { storedContentEncoding } from '../auth/payload.ts';
import { parseIntegrityHeaders } from '../checksums.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { objectHeadersFrom, userMetadataFrom } from './object-headers.ts';
import { verifiedBody } from './verified-body.ts';

/** Largest single PUT, as in S3 (larger objects use multipart upload). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export async function putObject<P>(ctx: HandlerContext<P>, bucket: string, key: string): Promise<S3Response> {
  const h = ctx.headers;
  const verified = verifiedBody(ctx, MAX_PUT_BYTES, parseIntegrityHeaders(h));
  const info = await ctx.backend.putObject(ctx.principal, {
    bucket,
    key,
    body: verified.body,
    headers: objectHeadersFrom(h, storedContentEncoding(h['content-encoding'])),
    userMetadata: userMetadataFrom(h),
    finish: verified.finish,
  });
  return { status: 200, headers: { etag: info.etag, ...verified.checksumHeaders() } };
}
