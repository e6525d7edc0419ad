// The object cache in a running gateway, through the AWS SDK: write-through, verified hits (whole and ranges),
// invalidation on overwrite, delete, multipart completion and copy, corruption fallback, read-through, encryption.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { seededBytes } from '../../src/core/seeded.ts';
import type { ObjectCacheStats } from '../../src/objects/cache.ts';
import { startCachedGateway, type CachedGateway } from '../support/cached-gateway.ts';
import { fragmentFiles } from '../support/fragments.ts';
import { must } from '../support/must.ts';
import { s3Error } from '../support/s3.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-cache-gateway-'));
let gw: CachedGateway;
let s3: S3Client;

function client(credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({ endpoint: gw.url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
}

before(async () => {
  // No free-space floor: the test machine's disk may be small.
  gw = await startCachedGateway(dataDir, { enabled: true, minFreeDiskBytes: 0 });
  s3 = client(gw.root);
  await s3.send(new CreateBucketCommand({ Bucket: 'cached' }));
});
after(async () => {
  s3.destroy();
  await gw.close();
  assert.deepEqual(readdirSync(gw.cacheDir), [], 'a clean stop leaves no cached plaintext');
  rmSync(dataDir, { recursive: true, force: true });
});

async function getBytes(key: string, range?: string, bucket = 'cached'): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(range === undefined ? {} : { Range: range }) }));
  return Buffer.from(await must(got.Body).transformToByteArray());
}

async function versionOf(key: string, bucket = 'cached'): Promise<string> {
  return must(await gw.meta.getObject(bucket, key), `object ${key}`).versionId;
}

/** Cache files (temporary files would start with a dot: none may be left over). */
function cacheFiles(): string[] {
  const all = readdirSync(gw.cacheDir);
  assert.deepEqual(all.filter((f) => f.startsWith('.')), [], 'no temporary file left');
  return all.sort();
}

function stats(): ObjectCacheStats {
  return gw.cache.stats();
}

/** A read-through is kept when the server's body ends, which may be just after the client has every byte. */
async function eventuallyCached(id: string, what: string): Promise<void> {
  for (let i = 0; i < 500 && !readdirSync(gw.cacheDir).includes(id); i++) await sleep(10);
  await gw.cache.idle();
  assert.ok(cacheFiles().includes(id), what);
}

describe('object cache in the gateway', () => {
  const big = seededBytes(11, 3 * 1024 * 1024 + 17);

  it('fills on PUT; the next GET is a verified hit with the same bytes', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'big.bin', Body: big, ContentType: 'application/x-test' }));
    await gw.cache.idle();
    const id = await versionOf('big.bin');
    assert.deepEqual(cacheFiles(), [id]);
    assert.deepEqual(readFileSync(join(gw.cacheDir, id)), Buffer.from(big));
    const before = stats();
    const got = await s3.send(new GetObjectCommand({ Bucket: 'cached', Key: 'big.bin' }));
    assert.deepEqual(Buffer.from(await must(got.Body).transformToByteArray()), Buffer.from(big));
    assert.equal(got.ContentType, 'application/x-test');
    assert.equal(got.ContentLength, big.length);
    assert.equal(stats().hits, before.hits + 1);
    assert.equal(stats().misses, before.misses);
  });

  it('serves ranges from the cached file', async () => {
    const before = stats();
    assert.deepEqual(await getBytes('big.bin', 'bytes=1000-2000'), Buffer.from(big.subarray(1000, 2001)));
    assert.deepEqual(await getBytes('big.bin', 'bytes=-100'), Buffer.from(big.subarray(big.length - 100)));
    assert.deepEqual(await getBytes('big.bin', 'bytes=3145700-'), Buffer.from(big.subarray(3145700)));
    assert.equal(stats().hits, before.hits + 3);
  });

  it('answers from the cache when no fragment is left, and never serves a corrupt file even then', async () => {
    const bytes = seededBytes(12, 200_000);
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'no-fragments', Body: bytes }));
    await gw.cache.idle();
    const id = await versionOf('no-fragments');
    const fragments = fragmentFiles(dataDir).filter((f) => f.includes(id));
    assert.equal(fragments.length, 6);
    for (const f of fragments) rmSync(f);
    assert.deepEqual(await getBytes('no-fragments'), Buffer.from(bytes));
    const file = join(gw.cacheDir, id);
    const stored = readFileSync(file);
    stored[99_999] = (stored[99_999] ?? 0) ^ 0xff;
    writeFileSync(file, stored);
    const corruptions = stats().corruptions;
    assert.deepEqual(await s3Error(getBytes('no-fragments')), { name: 'ServiceUnavailable', status: 503 });
    assert.equal(stats().corruptions, corruptions + 1);
    await gw.cache.idle();
    assert.ok(!cacheFiles().includes(id), 'the corrupt file was deleted');
    await s3.send(new DeleteObjectCommand({ Bucket: 'cached', Key: 'no-fragments' }));
  });

  it('serves the right bytes from the fragments when the cache file is corrupt, counts it, and refills', async () => {
    const bytes = seededBytes(13, 300_000);
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'flip', Body: bytes }));
    await gw.cache.idle();
    const id = await versionOf('flip');
    const file = join(gw.cacheDir, id);
    const stored = readFileSync(file);
    stored[0] = (stored[0] ?? 0) ^ 0x01;
    writeFileSync(file, stored);
    const before = stats();
    assert.deepEqual(await getBytes('flip'), Buffer.from(bytes));
    assert.equal(stats().corruptions, before.corruptions + 1);
    assert.equal(stats().hits, before.hits);
    await eventuallyCached(id, 'the read-through refilled the cache');
    assert.deepEqual(readFileSync(file), Buffer.from(bytes));
    assert.deepEqual(await getBytes('flip'), Buffer.from(bytes));
    assert.equal(stats().hits, before.hits + 1);
  });

  it('serves the new bytes after an overwrite, and drops the old file even when the new one is not cached', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'doc', Body: 'version one' }));
    await gw.cache.idle();
    const v1 = await versionOf('doc');
    assert.equal((await getBytes('doc')).toString(), 'version one');
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'doc', Body: 'version two' }));
    await gw.cache.idle();
    const v2 = await versionOf('doc');
    assert.ok(!cacheFiles().includes(v1) && cacheFiles().includes(v2));
    assert.equal((await getBytes('doc')).toString(), 'version two');
    // A blacklisted type is never cached, but the version it replaces still goes.
    await gw.cache.update({ mimeBlacklist: ['image/*'] });
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'doc', Body: 'version three', ContentType: 'image/png' }));
    await gw.cache.idle();
    const v3 = await versionOf('doc');
    assert.ok(!cacheFiles().includes(v2) && !cacheFiles().includes(v3));
    assert.equal((await getBytes('doc')).toString(), 'version three');
    await sleep(50);
    await gw.cache.idle();
    assert.ok(!cacheFiles().includes(v3), 'nor filled by a read');
    await gw.cache.update({ mimeBlacklist: [] });
  });

  it('keeps the cached version when a PUT is rejected, and leaves nothing of the rejected body', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'doc', Body: 'original' }));
    await gw.cache.idle();
    const files = cacheFiles();
    assert.deepEqual(await s3Error(s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'doc', Body: 'tampered', ContentMD5: Buffer.alloc(16).toString('base64') }))), { name: 'BadDigest', status: 400 });
    await gw.cache.idle();
    assert.deepEqual(cacheFiles(), files);
    const hits = stats().hits;
    assert.equal((await getBytes('doc')).toString(), 'original');
    assert.equal(stats().hits, hits + 1);
  });

  it('removes the cached file on delete; GET is then NoSuchKey', async () => {
    const id = await versionOf('doc');
    assert.ok(cacheFiles().includes(id));
    await s3.send(new DeleteObjectCommand({ Bucket: 'cached', Key: 'doc' }));
    await gw.cache.idle();
    assert.ok(!cacheFiles().includes(id));
    assert.deepEqual(await s3Error(getBytes('doc')), { name: 'NoSuchKey', status: 404 });
  });

  it('fills on a miss only when read-through is on', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'through' }));
    const bytes = seededBytes(14, 100_000);
    await s3.send(new PutObjectCommand({ Bucket: 'through', Key: 'k', Body: bytes }));
    await gw.cache.purgeBucket('through');
    const id = await versionOf('k', 'through');
    assert.ok(!cacheFiles().includes(id));
    await gw.cache.update({ readThrough: false });
    const misses = stats().misses;
    assert.deepEqual(await getBytes('k', undefined, 'through'), Buffer.from(bytes));
    assert.equal(stats().misses, misses + 1);
    await sleep(50);
    await gw.cache.idle();
    assert.ok(!cacheFiles().includes(id), 'read-through off: the miss did not fill');
    await gw.cache.update({ readThrough: true });
    // A range read never fills; a whole read does.
    assert.deepEqual(await getBytes('k', 'bytes=0-9', 'through'), Buffer.from(bytes.subarray(0, 10)));
    await sleep(50);
    await gw.cache.idle();
    assert.ok(!cacheFiles().includes(id));
    assert.deepEqual(await getBytes('k', undefined, 'through'), Buffer.from(bytes));
    await eventuallyCached(id, 'the whole read filled the cache');
    const hits = stats().hits;
    assert.deepEqual(await getBytes('k', undefined, 'through'), Buffer.from(bytes));
    assert.equal(stats().hits, hits + 1);
  });

  it('never serves a stale entry after a multipart completion or a copy over a cached key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'mp', Body: 'small old bytes' }));
    await gw.cache.idle();
    const old = await versionOf('mp');
    assert.ok(cacheFiles().includes(old));
    const part1 = seededBytes(15, 5 * 1024 * 1024);
    const part2 = seededBytes(16, 1000);
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'cached', Key: 'mp' }));
    const uploadId = must(upload.UploadId);
    const e1 = await s3.send(new UploadPartCommand({ Bucket: 'cached', Key: 'mp', UploadId: uploadId, PartNumber: 1, Body: part1 }));
    const e2 = await s3.send(new UploadPartCommand({ Bucket: 'cached', Key: 'mp', UploadId: uploadId, PartNumber: 2, Body: part2 }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'cached', Key: 'mp', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }));
    await gw.cache.idle();
    assert.ok(!cacheFiles().includes(old), 'the replaced version was dropped');
    const whole = Buffer.concat([part1, part2]);
    assert.deepEqual(await getBytes('mp'), whole);
    const mp = await versionOf('mp');
    await eventuallyCached(mp, 'the multipart object was read through');
    assert.deepEqual(await getBytes('mp', 'bytes=5242870-5242889'), whole.subarray(5242870, 5242890));

    // CopyObject over the cached key: the copy goes through PUT, so it is written through; the old entry goes.
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'src', Body: 'the source bytes' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'cached', Key: 'mp', CopySource: 'cached/src' }));
    await gw.cache.idle();
    const copied = await versionOf('mp');
    assert.ok(!cacheFiles().includes(mp) && cacheFiles().includes(copied));
    const hits = stats().hits;
    assert.equal((await getBytes('mp')).toString(), 'the source bytes');
    assert.equal(stats().hits, hits + 1);
  });

  it('is asked only after authorisation: other teams and keys without access get nothing from it', async () => {
    await gw.meta.createTeam({ id: 'team-b', name: 'B' });
    const b = gw.custody.newSecret('TEAMBKEY');
    await gw.meta.createAccessKey({ accessKeyId: 'TEAMBKEY', teamId: 'team-b', wrappedSecret: b.wrapped, defaultScope: 'full' });
    const none = gw.custody.newSecret('NOREADKEY');
    await gw.meta.createAccessKey({ accessKeyId: 'NOREADKEY', teamId: 'root', wrappedSecret: none.wrapped, defaultScope: 'full' });
    await gw.meta.setScope('NOREADKEY', 'cached', 'none');
    const reader = gw.custody.newSecret('READKEY');
    await gw.meta.createAccessKey({ accessKeyId: 'READKEY', teamId: 'root', wrappedSecret: reader.wrapped, defaultScope: 'read' });
    const teamB = client({ accessKeyId: 'TEAMBKEY', secretAccessKey: b.secret });
    const noRead = client({ accessKeyId: 'NOREADKEY', secretAccessKey: none.secret });
    const readOnly = client({ accessKeyId: 'READKEY', secretAccessKey: reader.secret });
    const before = stats();
    assert.deepEqual(await s3Error(teamB.send(new GetObjectCommand({ Bucket: 'cached', Key: 'big.bin' }))), { name: 'NoSuchBucket', status: 404 });
    assert.deepEqual(await s3Error(noRead.send(new GetObjectCommand({ Bucket: 'cached', Key: 'big.bin' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual({ hits: stats().hits, misses: stats().misses }, { hits: before.hits, misses: before.misses }, 'the cache was not even asked');
    const got = await readOnly.send(new GetObjectCommand({ Bucket: 'cached', Key: 'big.bin' }));
    assert.deepEqual(Buffer.from(await must(got.Body).transformToByteArray()), Buffer.from(big));
    assert.equal(stats().hits, before.hits + 1);
    for (const c of [teamB, noRead, readOnly]) c.destroy();
  });

  it('with encrypt on, keeps no plaintext on disk and still serves verified bytes', async () => {
    await gw.cache.update({ encrypt: true });
    await gw.cache.idle();
    assert.deepEqual(cacheFiles(), [], 'switching encryption empties the cache');
    const canary = 'CANARY-gateway-cache-91c4-do-not-leak\n'.repeat(3000);
    await s3.send(new PutObjectCommand({ Bucket: 'cached', Key: 'secret.txt', Body: canary }));
    await gw.cache.idle();
    const id = await versionOf('secret.txt');
    assert.deepEqual(cacheFiles(), [id]);
    for (const f of cacheFiles()) assert.equal(readFileSync(join(gw.cacheDir, f)).indexOf('CANARY'), -1, f);
    const hits = stats().hits;
    assert.equal((await getBytes('secret.txt')).toString(), canary);
    assert.equal(stats().hits, hits + 1);
    assert.match(readFileSync(join(dataDir, 'cache.key'), 'utf8'), /^[0-9a-f]{64}\n$/);
  });
});
