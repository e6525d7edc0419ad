// `dispersa serve` end to end with the AWS SDK: objects coded and dispersed over six local locations, keys, teams, GC.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { KeyCustody, loadMasterKey } from '../../src/objects/custody.ts';
import { fragmentFiles } from '../support/fragments.ts';
import { must } from '../support/must.ts';
import { s3Error } from '../support/s3.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-gateway-'));
let gateway: RunningGateway;
let root: { accessKeyId: string; secretAccessKey: string };
let s3: S3Client;

function client(credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials });
}



async function start(): Promise<void> {
  gateway = await startGateway({ dataDir, host: '127.0.0.1', port: 0, env: {}, requestTimeoutMs: 5_000 });
}

before(async () => {
  await start();
  root = must(gateway.generatedRoot, 'generated root key');
  s3 = client(root);
});
after(async () => {
  s3.destroy();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dispersa serve', () => {
  it('stores objects as coded fragments on six locations and reads them back, whole and in ranges', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
    const big = seededBytes(1, 10 * 1024 * 1024 + 123);
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'trip/big.bin', Body: Readable.from([big.subarray(0, 3_000_000), big.subarray(3_000_000)]), ContentLength: big.length, ContentType: 'application/x-test', Metadata: { camera: 'x100' } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'trip/big.bin' }));
    assert.deepEqual(Buffer.from(await must(got.Body).transformToByteArray()), Buffer.from(big));
    assert.equal(got.ContentType, 'application/x-test');
    assert.deepEqual(got.Metadata, { camera: 'x100' });
    const range = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'trip/big.bin', Range: 'bytes=4194000-4195000' }));
    assert.deepEqual(Buffer.from(await must(range.Body).transformToByteArray()), Buffer.from(big.subarray(4194000, 4195001)));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'trip/big.bin' }));
    assert.equal(head.ContentLength, big.length);
    assert.equal(head.ETag, `"${createHash('md5').update(big).digest('hex')}"`);
    // 3 generations × 6 fragments, spread over six location directories.
    const files = fragmentFiles(dataDir);
    assert.equal(files.length, 18);
    assert.equal(new Set(files.map((f) => f.split('/locations/')[1]?.split('/')[0])).size, 6);
  });

  it('never lets a plaintext canary or a key reach a location', async () => {
    const canary = 'CANARY-3b9f-do-not-leak';
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'secret.txt', Body: `${canary}\n`.repeat(5000) }));
    const master = Buffer.from(readFileSync(join(dataDir, 'master.key'), 'utf8').trim(), 'hex');
    for (const file of fragmentFiles(dataDir)) {
      const bytes = readFileSync(file);
      assert.equal(bytes.indexOf(canary), -1, file);
      assert.equal(bytes.indexOf(master.subarray(0, 16)), -1, file);
      assert.ok(!file.includes('photos') && !file.includes('secret'), `names stay in metadata: ${file}`);
    }
    const back = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'secret.txt' }));
    assert.equal(await must(back.Body).transformToString(), `${canary}\n`.repeat(5000));
  });

  it('lists with delimiters, overwrites and deletes, collecting the old fragments', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'trip/small', Body: 'v1' }));
    const before = fragmentFiles(dataDir).length;
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'trip/small', Body: 'v2' }));
    await gateway.backend.idle();
    assert.equal(fragmentFiles(dataDir).length, before, 'the replaced version was garbage-collected');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'trip/small' }));
    assert.equal(await must(got.Body).transformToString(), 'v2');
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: 'photos', Delimiter: '/' }));
    assert.deepEqual(listing.CommonPrefixes?.map((p) => p.Prefix), ['trip/']);
    assert.deepEqual(listing.Contents?.map((c) => c.Key), ['secret.txt']);
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'trip/small' }));
    await gateway.backend.idle();
    assert.equal(fragmentFiles(dataDir).length, before - 6);
    assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'trip/small' }))), { name: 'NoSuchKey', status: 404 });
  });

  it('rejects a body that does not match its checksum: nothing stored, the old object stays', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'doc', Body: 'original' }));
    await gateway.backend.idle();
    const before = fragmentFiles(dataDir).length;
    assert.deepEqual(await s3Error(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'doc', Body: 'tampered', ContentMD5: Buffer.alloc(16).toString('base64') }))), { name: 'BadDigest', status: 400 });
    await gateway.backend.idle();
    assert.equal(fragmentFiles(dataDir).length, before, 'the rejected upload left no fragment');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'doc' }));
    assert.equal(await must(got.Body).transformToString(), 'original');
  });

  it('keeps teams apart and enforces read-only scopes', async () => {
    const custody = new KeyCustody(loadMasterKey(join(dataDir, 'master.key'), {}));
    await gateway.meta.createTeam({ id: 'team-b', name: 'B' });
    const b = custody.newSecret('TEAMBKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'TEAMBKEY', teamId: 'team-b', wrappedSecret: b.wrapped, defaultScope: 'full' });
    const reader = custody.newSecret('READERKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'READERKEY', teamId: 'root', wrappedSecret: reader.wrapped, defaultScope: 'read' });
    const teamB = client({ accessKeyId: 'TEAMBKEY', secretAccessKey: b.secret });
    const readOnly = client({ accessKeyId: 'READERKEY', secretAccessKey: reader.secret });
    assert.deepEqual((await teamB.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    assert.deepEqual(await s3Error(teamB.send(new GetObjectCommand({ Bucket: 'photos', Key: 'doc' }))), { name: 'NoSuchBucket', status: 404 });
    assert.deepEqual(await s3Error(teamB.send(new CreateBucketCommand({ Bucket: 'photos' }))), { name: 'BucketAlreadyExists', status: 409 });
    const read = await readOnly.send(new GetObjectCommand({ Bucket: 'photos', Key: 'doc' }));
    assert.equal(await must(read.Body).transformToString(), 'original');
    assert.deepEqual(await s3Error(readOnly.send(new PutObjectCommand({ Bucket: 'photos', Key: 'doc', Body: 'x' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(readOnly.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'doc' }))), { name: 'AccessDenied', status: 403 });
    await gateway.meta.revokeAccessKey('READERKEY');
    assert.deepEqual(await s3Error(readOnly.send(new ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 });
    assert.deepEqual(await s3Error(client({ ...root, secretAccessKey: 'wrong' }).send(new ListBucketsCommand({}))), { name: 'SignatureDoesNotMatch', status: 403 });
    teamB.destroy();
    readOnly.destroy();
  });

  it('keeps everything across a restart, and deletes only empty buckets', async () => {
    await gateway.close();
    s3.destroy();
    await start();
    assert.equal(gateway.generatedRoot, undefined, 'the root key is generated once');
    s3 = client(root);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'trip/big.bin' }));
    assert.equal((await must(got.Body).transformToByteArray()).length, 10 * 1024 * 1024 + 123);
    assert.deepEqual(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'photos' }))), { name: 'BucketNotEmpty', status: 409 });
    assert.ok(statSync(join(dataDir, 'master.key')).mode % 0o1000 === 0o600, 'master key file is 0600');
  });
});
