// Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.

import { isValidBucketName } from '../backend.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import { parseXmlBody, readSmallBody, xmlDocument } from '../xml.ts';

const xmlHeaders = { 'content-type': 'application/xml' };

export async function listBuckets<P>(ctx: HandlerContext<P>): Promise<S3Response> {
  const buckets = await ctx.backend.listBuckets(ctx.principal);
  return {
    status: 200,
    headers: xmlHeaders,
    body: xmlDocument('ListAllMyBucketsResult', {
      Owner: { ID: 'dispersa', DisplayName: 'dispersa' },
      Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: b.created.toISOString(), BucketRegion: b.region })) },
    }),
  };
}

export async function createBucket<P>(ctx: HandlerContext<P>, bucket: string): Promise<S3Response> {
  if (!isValidBucketName(bucket)) throw new S3Error('InvalidBucketName', undefined, { BucketName: bucket });
  const text = await readSmallBody(ctx.body);
  let constraint: string | undefined;
  if (text.trim() !== '') {
    const config = parseXmlBody(text, 'CreateBucketConfiguration');
    const value = config.LocationConstraint;
    if (value !== undefined && typeof value !== 'string') throw new S3Error('MalformedXML');
    constraint = value === '' ? undefined : value;
  }
  await ctx.backend.createBucket(ctx.principal, bucket, constraint);
  return { status: 200, headers: { location: `/${bucket}` } };
}

export async function deleteBucket<P>(ctx: HandlerContext<P>, bucket: string): Promise<S3Response> {
  await ctx.backend.deleteBucket(ctx.principal, bucket);
  return { status: 204 };
}

export async function headBucket<P>(ctx: HandlerContext<P>, bucket: string): Promise<S3Response> {
  const info = await ctx.backend.headBucket(ctx.principal, bucket);
  return { status: 200, headers: { 'x-amz-bucket-region': info.region } };
}

export async function getBucketLocation<P>(ctx: HandlerContext<P>, bucket: string): Promise<S3Response> {
  const info = await ctx.backend.headBucket(ctx.principal, bucket);
  // us-east-1 is reported as an empty LocationConstraint, as S3 does.
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${info.region === 'us-east-1' ? '' : info.region}</LocationConstraint>`;
  return { status: 200, headers: xmlHeaders, body };
}
