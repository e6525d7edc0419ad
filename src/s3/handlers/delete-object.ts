// DeleteObject and DeleteObjects (quiet mode too, at most 1000 keys).

import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { parseXmlBody, xmlDocument } from '../xml.ts';
import { verifiedXmlBody } from './verified-body.ts';

export const MAX_DELETE_KEYS = 1000;

export async function deleteObject<P>(ctx: HandlerContext<P>, bucket: string, key: string): Promise<S3Response> {
  await ctx.backend.deleteObject(ctx.principal, bucket, key);
  return { status: 204 };
}

export async function deleteObjects<P>(ctx: HandlerContext<P>, bucket: string): Promise<S3Response> {
  const text = await verifiedXmlBody(ctx);
  const request = parseXmlBody(text, 'Delete');
  const objects = request.Object ?? [];
  if (!Array.isArray(objects)) throw new S3Error('MalformedXML');
  if (objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML', `DeleteObjects accepts at most ${MAX_DELETE_KEYS} keys`);
  const quiet = request.Quiet === 'true';
  const keys = objects.map((o: unknown) => {
    const key = typeof o === 'object' && o !== null ? (o as Record<string, unknown>).Key : undefined;
    if (typeof key !== 'string' || key === '') throw new S3Error('MalformedXML');
    return key;
  });
  await ctx.backend.headBucket(ctx.principal, bucket);
  const deleted: { Key: string }[] = [];
  const errors: { Key: string; Code: string; Message: string }[] = [];
  for (const key of keys) {
    try {
      await ctx.backend.deleteObject(ctx.principal, bucket, key);
      if (!quiet) deleted.push({ Key: key });
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      errors.push({ Key: key, Code: error.code, Message: error.message });
    }
  }
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xmlDocument('DeleteResult', { Deleted: deleted, Error: errors }) };
}
