// PutObject: streams the decoded body into the backend, verifying Content-MD5 and checksums before it becomes visible.

import { storedContentEncoding } from '../auth/payload.ts';
import { BodyIntegrity, parseIntegrityHeaders, toBase64 } from '../checksums.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { objectHeadersFrom, userMetadataFrom } from './object-headers.ts';

/** Largest single PUT, as in S3 (larger objects use multipart upload). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export async function putObject<P>(ctx: HandlerContext<P>, bucket: string, key: string): Promise<S3Response> {
  const h = ctx.headers;
  const declared = h['x-amz-decoded-content-length'] ?? h['content-length'];
  if (declared !== undefined && Number(declared) > MAX_PUT_BYTES) throw new S3Error('EntityTooLarge');
  if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) throw new S3Error('MissingContentLength');
  const integrity = new BodyIntegrity(parseIntegrityHeaders(h));
  const body = ctx.body;
  let size = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_PUT_BYTES) throw new S3Error('EntityTooLarge');
      integrity.update(chunk);
      yield chunk;
    }
  }
  let checksumHeader: Record<string, string> = {};
  const info = await ctx.backend.putObject(ctx.principal, {
    bucket,
    key,
    body: counted(),
    headers: objectHeadersFrom(h, storedContentEncoding(h['content-encoding'])),
    userMetadata: userMetadataFrom(h),
    finish: () => {
      const digests = integrity.finish(body.trailers());
      const checksums: Record<string, string> = {};
      if (digests.checksum !== undefined) {
        const name = digests.checksum.algorithm.toLowerCase();
        checksums[name] = toBase64(digests.checksum.value);
        checksumHeader = { [`x-amz-checksum-${name}`]: checksums[name] };
      }
      return { etag: `"${Buffer.from(digests.md5 ?? new Uint8Array(0)).toString('hex')}"`, checksums };
    },
  });
  return { status: 200, headers: { etag: info.etag, ...checksumHeader } };
}
