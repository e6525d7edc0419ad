// `dispersa edge` through the AWS SDK v3 with its default settings: the S3 front door end to end on loopback.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectAclCommand,
  PutObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { startEdge, type RunningEdge } from '../../src/edge/edge.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { must } from '../support/must.ts';
import { s3Error } from '../support/s3.ts';

const dir = mkdtempSync(join(tmpdir(), 'dispersa-edge-'));
const credentials = { accessKeyId: 'EDGEKEYTEST0001', secretAccessKey: 'edge-secret-for-tests-only' };
let edge: RunningEdge;
let s3: S3Client;

function client(creds = credentials): S3Client {
  return new S3Client({ endpoint: edge.url, region: 'us-east-1', forcePathStyle: true, credentials: creds });
}


before(async () => {
  edge = await startEdge({ dir, port: 0, ...credentials });
  s3 = client();
});
after(async () => {
  s3.destroy();
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dispersa edge with the AWS SDK', () => {
  it('creates, heads, lists and locates buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'alpha' }));
    const list = await s3.send(new ListBucketsCommand({}));
    assert.ok(list.Buckets?.some((b) => b.Name === 'alpha'));
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }));
    assert.equal(location.LocationConstraint ?? '', '');
    assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'alpha' }))), { name: 'BucketAlreadyOwnedByYou', status: 409 });
    assert.deepEqual(await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' }))), { name: 'NotFound', status: 404 });
    assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))), { name: 'InvalidBucketName', status: 400 });
  });

  it('puts and gets objects: buffers, streams (aws-chunked with a CRC32 trailer), ranges, metadata', async () => {
    const small = new TextEncoder().encode('hello edge');
    const put = await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'docs/hello.txt', Body: small, ContentType: 'text/plain', Metadata: { owner: 'tests' } }));
    assert.equal(put.ETag, `"${createHash('md5').update(small).digest('hex')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'docs/hello.txt' }));
    assert.equal(await got.Body?.transformToString(), 'hello edge');
    assert.equal(got.ContentType, 'text/plain');
    assert.deepEqual(got.Metadata, { owner: 'tests' });

    const big = seededBytes(7, 5 * 1024 * 1024 + 3);
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'data/big.bin', Body: Readable.from([big.subarray(0, 1_000_000), big.subarray(1_000_000)]), ContentLength: big.length }));
    const whole = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'data/big.bin', ChecksumMode: 'ENABLED' }));
    assert.deepEqual(Buffer.from(await must(whole.Body, 'body').transformToByteArray()), Buffer.from(big));
    assert.ok(whole.ChecksumCRC32 !== undefined, 'the trailer checksum was stored and returned');
    const part = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'data/big.bin', Range: 'bytes=100-199' }));
    assert.equal(part.ContentRange, `bytes 100-199/${big.length}`);
    assert.deepEqual(Buffer.from(await must(part.Body, 'body').transformToByteArray()), Buffer.from(big.subarray(100, 200)));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'data/big.bin' }));
    assert.equal(head.ContentLength, big.length);
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'data/big.bin', Range: `bytes=${big.length}-` }))), { name: 'InvalidRange', status: 416 });
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'nope' }))), { name: 'NoSuchKey', status: 404 });
  });

  it('honours conditional requests and response header overrides', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'cond', Body: 'conditional', ContentType: 'text/plain' }));
    const etag = must(put.ETag, 'etag');
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    // A 304 has no body, so the SDK can only report its status.
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'cond', IfNoneMatch: etag }))), { name: 'Unknown', status: 304 });
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'cond', IfModifiedSince: future }))), { name: 'Unknown', status: 304 });
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'cond', IfMatch: '"0123"' }))), { name: 'PreconditionFailed', status: 412 });
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'cond', IfUnmodifiedSince: past }))), { name: 'PreconditionFailed', status: 412 });
    const matched = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'cond', IfMatch: etag, IfModifiedSince: past }));
    assert.equal(await must(matched.Body).transformToString(), 'conditional');
    const overridden = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'cond', ResponseContentType: 'application/x-override', ResponseContentDisposition: 'attachment; filename="c.txt"', ResponseCacheControl: 'no-store' }));
    assert.equal(overridden.ContentType, 'application/x-override');
    assert.equal(overridden.ContentDisposition, 'attachment; filename="c.txt"');
    assert.equal(overridden.CacheControl, 'no-store');
  });

  it('lists with prefix, delimiter, paging (v2 and v1) and awkward keys', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1', 'a/2', 'a-b', 'a.b', 'b/x/y', 'c', 'sp ace', 'plus+sign', 'per%cent', 'ünï/cödé', 'double//slash'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 4, ContinuationToken: token }));
      all.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    assert.deepEqual(all, [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/', 'double/', 'ünï/']);
    assert.ok(grouped.Contents?.every((c) => !(c.Key ?? '').includes('/')));
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Prefix: 'a', Delimiter: '/' }));
    assert.deepEqual(v1.Contents?.map((c) => c.Key), ['a-b', 'a.b']);
    assert.deepEqual(v1.CommonPrefixes?.map((p) => p.Prefix), ['a/']);
    for (const key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'listing', Key: key }));
      assert.equal(await got.Body?.transformToString(), key);
    }
  });

  it('deletes objects one by one and many at once, and buckets only when empty', async () => {
    assert.deepEqual(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'listing' }))), { name: 'BucketNotEmpty', status: 409 });
    await s3.send(new DeleteObjectCommand({ Bucket: 'listing', Key: 'c' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: 'listing', Delete: { Objects: (listed.Contents ?? []).map((c) => ({ Key: c.Key })) } }));
    assert.equal(result.Deleted?.length, listed.KeyCount);
    await s3.send(new DeleteBucketCommand({ Bucket: 'listing' }));
    assert.deepEqual(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'listing' }))), { name: 'NoSuchBucket', status: 404 });
  });

  it('serves pre-signed URLs and refuses altered ones', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'alpha', Key: 'docs/hello.txt' }), { expiresIn: 60 });
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'hello edge');
    const altered = await fetch(url.replace('hello.txt', 'hello.txu'));
    assert.equal(altered.status, 403);
    assert.match(await altered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('refuses wrong secrets, unknown keys and anonymous requests', async () => {
    const wrong = client({ ...credentials, secretAccessKey: 'not-the-secret' });
    assert.deepEqual(await s3Error(wrong.send(new ListBucketsCommand({}))), { name: 'SignatureDoesNotMatch', status: 403 });
    const unknown = client({ accessKeyId: 'NOSUCHKEY', secretAccessKey: 'x' });
    assert.deepEqual(await s3Error(unknown.send(new ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 });
    const anonymous = await fetch(`${edge.url}/alpha/docs/hello.txt`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);
    wrong.destroy();
    unknown.destroy();
  });

  it('rejects a body that does not match its Content-MD5 and keeps the old object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'keep', Body: 'original' }));
    const bad = await s3Error(s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'keep', Body: 'replacement', ContentMD5: Buffer.alloc(16).toString('base64') })));
    assert.deepEqual(bad, { name: 'BadDigest', status: 400 });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'keep' }));
    assert.equal(await got.Body?.transformToString(), 'original');
  });

  it('answers unknown sub-resources with NotImplemented XML', async () => {
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'alpha', Key: 'keep' }));
    assert.deepEqual(tags.TagSet ?? [], [], 'no tags: an empty set, as clients expect before copying');
    assert.deepEqual(await s3Error(s3.send(new PutObjectTaggingCommand({ Bucket: 'alpha', Key: 'keep', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }))), { name: 'NotImplemented', status: 501 });
    const url = await getSignedUrl(s3, new PutObjectAclCommand({ Bucket: 'alpha', Key: 'keep', ACL: 'private' }), { expiresIn: 60 });
    const res = await fetch(url, { method: 'PUT' });
    assert.equal(res.status, 501);
    assert.match(await res.text(), /<Code>NotImplemented<\/Code>/);
  });
});
