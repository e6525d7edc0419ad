// A request body streamed into a backend while its Content-MD5 and checksums are computed; checked before it is kept.

import { BodyIntegrity, parseIntegrityHeaders, toBase64, type BodyIntegrityOptions, type IntegrityClaims } from '../checksums.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext } from '../handler.ts';
import { readSmallBody } from '../xml.ts';

export interface VerifiedBody {
  readonly body: AsyncIterable<Uint8Array>;
  /** For the backend to call once the body was read: throws BadDigest & co., else returns the ETag and checksums to store. */
  readonly finish: () => { readonly etag: string; readonly checksums: Readonly<Record<string, string>> };
  /** The `x-amz-checksum-*` response header of the verified checksum (after `finish`). */
  checksumHeaders(): Record<string, string>;
}

/** Refuses a body declared larger than `maxBytes` or sent without a length, then counts it as it streams. */
export function verifiedBody<P>(ctx: HandlerContext<P>, maxBytes: number, claims: IntegrityClaims, options: BodyIntegrityOptions = {}): VerifiedBody {
  const h = ctx.headers;
  const declared = h['x-amz-decoded-content-length'] ?? h['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw new S3Error('EntityTooLarge');
  if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) throw new S3Error('MissingContentLength');
  const integrity = new BodyIntegrity(claims, options);
  const source = ctx.body;
  let size = 0;
  let headers: Record<string, string> = {};
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) throw new S3Error('EntityTooLarge');
      integrity.update(chunk);
      yield chunk;
    }
  }
  return {
    body: counted(),
    finish: () => {
      const digests = integrity.finish(source.trailers());
      const checksums: Record<string, string> = {};
      if (digests.checksum !== undefined) {
        const name = digests.checksum.algorithm.toLowerCase();
        const value = toBase64(digests.checksum.value);
        checksums[name] = value;
        headers = { [`x-amz-checksum-${name}`]: value };
      }
      return { etag: `"${Buffer.from(digests.md5 ?? new Uint8Array(0)).toString('hex')}"`, checksums };
    },
    checksumHeaders: () => headers,
  };
}

/** A small XML request body, read whole and checked against its Content-MD5 or checksum before it is parsed. */
export async function verifiedXmlBody<P>(ctx: HandlerContext<P>): Promise<string> {
  const integrity = new BodyIntegrity(parseIntegrityHeaders(ctx.headers));
  const text = await readSmallBody(
    (async function* () {
      for await (const chunk of ctx.body) {
        integrity.update(chunk);
        yield chunk;
      }
    })(),
  );
  integrity.finish(ctx.body.trailers());
  return text;
}
