// CompleteMultipartUpload (POST ?uploadId): the client's part list in XML → the object, made visible in one step.

import { uriEncode } from '../auth/canonical.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { MAX_PARTS } from '../multipart.ts';
import { MAX_PART_NUMBER } from '../operations.ts';
import { parseXmlBody, xmlDocument } from '../xml.ts';
import { verifiedXmlBody } from './verified-body.ts';

/** Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…`; order is checked, not fixed. */
export function parseCompleteRequest(text: string): { partNumber: number; etag: string }[] {
  const doc = parseXmlBody(text, 'CompleteMultipartUpload');
  const parts = doc.Part ?? [];
  if (!Array.isArray(parts) || parts.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: it names no part');
  if (parts.length > MAX_PARTS) throw new S3Error('MalformedXML', `An object is made of at most ${MAX_PARTS} parts`);
  const out = parts.map((p: unknown) => {
    const fields = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
    const number = typeof fields.PartNumber === 'string' ? fields.PartNumber.trim() : '';
    const etag = fields.ETag;
    if (!/^\d{1,5}$/.test(number) || typeof etag !== 'string' || etag.trim() === '') throw new S3Error('MalformedXML');
    const partNumber = Number(number);
    if (partNumber < 1 || partNumber > MAX_PART_NUMBER) throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
    return { partNumber, etag: etag.trim() };
  });
  for (let i = 1; i < out.length; i++) {
    if ((out[i]?.partNumber ?? 0) <= (out[i - 1]?.partNumber ?? 0)) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
    }
  }
  return out;
}

export async function completeMultipartUpload<P>(ctx: HandlerContext<P>, bucket: string, key: string, uploadId: string): Promise<S3Response> {
  const text = await verifiedXmlBody(ctx);
  const parts = parseCompleteRequest(text);
  const info = await ctx.backend.completeMultipartUpload(ctx.principal, { bucket, key, uploadId, parts });
  const host = ctx.headers.host ?? 'localhost';
  const checksums = Object.fromEntries(Object.entries(info.checksums).map(([name, value]) => [`Checksum${name.toUpperCase()}`, value]));
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument('CompleteMultipartUploadResult', {
      Location: `http://${host}/${uriEncode(bucket)}/${uriEncode(key, true)}`,
      Bucket: bucket,
      Key: key,
      ETag: info.etag,
      ...checksums,
    }),
  };
}
