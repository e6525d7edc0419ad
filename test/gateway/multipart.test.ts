// Multipart upload and copy on `dispersa serve`: the shared suite, plus parts as dispersed objects, GC of unused and
// aborted parts, range reads that touch only the parts they need, copies across buckets, scopes and teams.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { KeyCustody, loadMasterKey } from '../../src/objects/custody.ts';
import { fragmentFiles } from '../support/fragments.ts';
import { must } from '../support/must.ts';
import { MiB, md5Hex, multipartEtag, multipartSuite, readAll, s3Error, uploadParts } from '../support/multipart-suite.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-gateway-multipart-'));
let gateway: RunningGateway;
let s3: S3Client;
const extraClients: S3Client[] = [];

function client(credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  const c = new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials });
  extraClients.push(c);
  return c;
}


/** The fragment namespaces (version ids) of an object's parts, from its stored layout. */
async function partIds(bucket: string, key: string): Promise<string[]> {
  const object = must(await gateway.meta.getObject(bucket, key), 'object');
  const layout = object.dispersed as { parts: { dispersed: { manifest: { objectVersionId: string } } }[] };
  return layout.parts.map((p) => p.dispersed.manifest.objectVersionId);
}

/** Counts the fragment reads per version id while `run` runs. */
async function countReads(run: () => Promise<void>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const restore: (() => void)[] = [];
  for (const id of ['local-1', 'local-2', 'local-3', 'local-4', 'local-5', 'local-6']) {
    const store = gateway.registry.get(id).store;
    const original = store.get.bind(store);
    store.get = (key, options) => {
      const version = key.split('/')[0] ?? '';
      counts.set(version, (counts.get(version) ?? 0) + 1);
      return original(key, options);
    };
    restore.push(() => { store.get = original; });
  }
  try {
    await run();
  } finally {
    for (const r of restore) r();
  }
  return counts;
}

before(async () => {
  gateway = await startGateway({ dataDir, host: '127.0.0.1', port: 0, env: {}, requestTimeoutMs: 5_000 });
  s3 = client(must(gateway.generatedRoot, 'root key'));
});
after(async () => {
  for (const c of extraClients) c.destroy();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
});

multipartSuite('dispersa serve: multipart upload and copy', () => ({ s3, settle: () => gateway.backend.idle(), storedFiles: () => fragmentFiles(dataDir).length }), 'multi');

describe('dispersa serve: parts as dispersed objects', () => {
  const p1 = seededBytes(61, 5 * MiB);
  const p2 = seededBytes(62, 5 * MiB);
  const p3 = seededBytes(63, 4321);
  const whole = Buffer.concat([p1, p2, p3]);

  it('stores a multipart object as its parts and reads a range only from the parts it touches', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'parts' }));
    const { uploadId, etags } = await uploadParts(s3, 'parts', 'three', [p1, p2, p3]);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'parts', Key: 'three', UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) } }));
    const ids = await partIds('parts', 'three');
    assert.equal(ids.length, 3);
    const [id1 = '', id2 = '', id3 = ''] = ids;
    const inSecond = await countReads(async () => {
      assert.ok((await readAll(s3, 'parts', 'three', 'bytes=6000000-6000999')).equals(whole.subarray(6_000_000, 6_001_000)));
    });
    assert.deepEqual([...inSecond.keys()], [id2], 'a range inside part 2 reads only part 2');
    assert.ok((inSecond.get(id2) ?? 0) <= 6, 'and within it one generation (k=4, a few hedges at most)');
    const across = await countReads(async () => {
      const start = p1.length + p2.length - 50;
      assert.ok((await readAll(s3, 'parts', 'three', `bytes=${start}-${start + 99}`)).equals(whole.subarray(start, start + 100)));
    });
    assert.deepEqual([...across.keys()].sort(), [id2, id3].sort(), 'a range across the 2|3 boundary reads parts 2 and 3');
    assert.equal(across.has(id1), false);
  });

  it('collects unused and replaced parts, aborted uploads, and a replaced or deleted multipart object', async () => {
    await gateway.backend.idle();
    const baseline = fragmentFiles(dataDir).length;
    // Parts 2 (uploaded twice) and 4 (never used): the replaced and the unused part are collected.
    const { uploadId, etags } = await uploadParts(s3, 'parts', 'gc', [p1, p3, p3, p3]);
    const again = await s3.send(new UploadPartCommand({ Bucket: 'parts', Key: 'gc', UploadId: uploadId, PartNumber: 2, Body: p2 }));
    await gateway.backend.idle();
    const e3 = etags[2] ?? '';
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'parts', Key: 'gc', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etags[0] ?? '' }, { PartNumber: 2, ETag: must(again.ETag) }, { PartNumber: 3, ETag: e3 }] } }));
    await gateway.backend.idle();
    // Parts of 5 MiB hold 2 generations (4 MiB each), the 4321-byte one 1: (2 + 2 + 1) generations × 6 fragments.
    assert.equal(fragmentFiles(dataDir).length, baseline + 5 * 6, 'only the chosen parts keep fragments');
    assert.ok((await readAll(s3, 'parts', 'gc')).equals(Buffer.concat([p1, p2, p3])));
    assert.equal((await readAll(s3, 'parts', 'gc', 'bytes=0-0'))[0], p1[0]);

    const aborted = await uploadParts(s3, 'parts', 'gc-aborted', [p3, p3]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'parts', Key: 'gc-aborted', UploadId: aborted.uploadId }));
    await gateway.backend.idle();
    assert.equal(fragmentFiles(dataDir).length, baseline + 30, 'an aborted upload leaves nothing');

    await s3.send(new PutObjectCommand({ Bucket: 'parts', Key: 'gc', Body: 'now small' }));
    await gateway.backend.idle();
    assert.equal(fragmentFiles(dataDir).length, baseline + 6, 'replacing a multipart object collects all its parts');
    const again2 = await uploadParts(s3, 'parts', 'gc', [p3]);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'parts', Key: 'gc', UploadId: again2.uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: again2.etags[0] ?? '' }] } }));
    const single = await s3.send(new GetObjectCommand({ Bucket: 'parts', Key: 'gc' }));
    assert.equal(single.ETag, multipartEtag([p3]));
    await s3.send(new DeleteObjectCommand({ Bucket: 'parts', Key: 'gc' }));
    await gateway.backend.idle();
    assert.equal(fragmentFiles(dataDir).length, baseline, 'deleting a multipart object collects all its parts');
  });

  it('copies across buckets, re-encoding under the destination bucket (its own key, new fragments)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'parts-copy' }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'parts-copy', Key: 'three-copy', CopySource: 'parts/three' }));
    assert.equal(copied.CopyObjectResult?.ETag, `"${md5Hex(whole)}"`);
    assert.ok((await readAll(s3, 'parts-copy', 'three-copy')).equals(whole));
    const source = must(await gateway.meta.getObject('parts', 'three'));
    const copy = must(await gateway.meta.getObject('parts-copy', 'three-copy'));
    assert.notEqual(copy.versionId, source.versionId);
    assert.ok(!(await partIds('parts', 'three')).includes(copy.versionId));
    const part = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'parts-copy', Key: 'assembled' }));
    const uploadId = must(part.UploadId);
    const c1 = await s3.send(new UploadPartCopyCommand({ Bucket: 'parts-copy', Key: 'assembled', UploadId: uploadId, PartNumber: 1, CopySource: 'parts/three', CopySourceRange: `bytes=${p1.length - 100}-${p1.length + p2.length - 1}` }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'parts-copy', Key: 'assembled', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: must(c1.CopyPartResult?.ETag) }] } }));
    assert.ok((await readAll(s3, 'parts-copy', 'assembled')).equals(whole.subarray(p1.length - 100, p1.length + p2.length)));
  });

  it('needs read on the copy source and write on the destination; another team\'s buckets do not exist', async () => {
    const custody = new KeyCustody(loadMasterKey(join(dataDir, 'master.key'), {}));
    await gateway.meta.createTeam({ id: 'team-other', name: 'other' });
    const other = custody.newSecret('OTHERTEAMKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'OTHERTEAMKEY', teamId: 'team-other', wrappedSecret: other.wrapped, defaultScope: 'full' });
    const mixed = custody.newSecret('MIXEDSCOPEKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'MIXEDSCOPEKEY', teamId: 'root', wrappedSecret: mixed.wrapped, defaultScope: 'none', scopes: { parts: 'read', 'parts-copy': 'full' } });
    const teamB = client({ accessKeyId: 'OTHERTEAMKEY', secretAccessKey: other.secret });
    const scoped = client({ accessKeyId: 'MIXEDSCOPEKEY', secretAccessKey: mixed.secret });

    await teamB.send(new CreateBucketCommand({ Bucket: 'team-b-bucket' }));
    assert.deepEqual(await s3Error(teamB.send(new CopyObjectCommand({ Bucket: 'team-b-bucket', Key: 'stolen', CopySource: 'parts/three' }))), { name: 'NoSuchBucket', status: 404 });
    const upload = await teamB.send(new CreateMultipartUploadCommand({ Bucket: 'team-b-bucket', Key: 'stolen' }));
    assert.deepEqual(
      await s3Error(teamB.send(new UploadPartCopyCommand({ Bucket: 'team-b-bucket', Key: 'stolen', UploadId: must(upload.UploadId), PartNumber: 1, CopySource: 'parts/three' }))),
      { name: 'NoSuchBucket', status: 404 },
    );
    await teamB.send(new PutObjectCommand({ Bucket: 'team-b-bucket', Key: 'theirs', Body: 'team b data' }));
    assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'parts', Key: 'taken', CopySource: 'team-b-bucket/theirs' }))), { name: 'NoSuchBucket', status: 404 });
    // Team B cannot see or touch team A's uploads either.
    const mine = await uploadParts(s3, 'parts', 'mine', [p3]);
    assert.deepEqual(await s3Error(teamB.send(new ListMultipartUploadsCommand({ Bucket: 'parts' }))), { name: 'NoSuchBucket', status: 404 });
    assert.deepEqual(await s3Error(teamB.send(new UploadPartCommand({ Bucket: 'parts', Key: 'mine', UploadId: mine.uploadId, PartNumber: 1, Body: 'x' }))), { name: 'NoSuchBucket', status: 404 });
    assert.deepEqual(await s3Error(teamB.send(new AbortMultipartUploadCommand({ Bucket: 'team-b-bucket', Key: 'mine', UploadId: mine.uploadId }))), { name: 'NoSuchUpload', status: 404 });

    // Read on the source, full on the destination: allowed. Anything less: AccessDenied.
    await scoped.send(new CopyObjectCommand({ Bucket: 'parts-copy', Key: 'by-scoped-key', CopySource: 'parts/three' }));
    assert.ok((await readAll(s3, 'parts-copy', 'by-scoped-key')).equals(whole));
    assert.deepEqual(await s3Error(scoped.send(new CopyObjectCommand({ Bucket: 'parts', Key: 'back', CopySource: 'parts-copy/by-scoped-key' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(scoped.send(new CopyObjectCommand({ Bucket: 'parts-copy', Key: 'x', CopySource: 'multi/manual/three' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(scoped.send(new CreateMultipartUploadCommand({ Bucket: 'parts', Key: 'x' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(scoped.send(new AbortMultipartUploadCommand({ Bucket: 'parts', Key: 'mine', UploadId: mine.uploadId }))), { name: 'AccessDenied', status: 403 });
    const listed = await scoped.send(new ListMultipartUploadsCommand({ Bucket: 'parts' }));
    assert.deepEqual(listed.Uploads?.map((u) => u.Key), ['mine']);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'parts', Key: 'mine', UploadId: mine.uploadId }));
  });

  it('keeps multipart objects and uploads in progress across a restart', async () => {
    const pending = await uploadParts(s3, 'parts', 'pending', [p1]);
    await gateway.close();
    for (const c of extraClients.splice(0)) c.destroy();
    gateway = await startGateway({ dataDir, host: '127.0.0.1', port: 0, env: {}, requestTimeoutMs: 5_000 });
    const root = await (async () => {
      // The root key was generated on the first start; read it back through its wrapped secret.
      const keys = await gateway.meta.listAccessKeys('root');
      const key = must(keys.find((k) => k.defaultScope === 'full'), 'root key');
      const custody = new KeyCustody(loadMasterKey(join(dataDir, 'master.key'), {}));
      return { accessKeyId: key.accessKeyId, secretAccessKey: custody.secret(key.accessKeyId, key.wrappedSecret) };
    })();
    s3 = client(root);
    assert.ok((await readAll(s3, 'parts', 'three')).equals(whole));
    const tail = await s3.send(new UploadPartCommand({ Bucket: 'parts', Key: 'pending', UploadId: pending.uploadId, PartNumber: 2, Body: p3 }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'parts', Key: 'pending', UploadId: pending.uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: pending.etags[0] ?? '' }, { PartNumber: 2, ETag: must(tail.ETag) }] } }));
    assert.ok((await readAll(s3, 'parts', 'pending')).equals(Buffer.concat([p1, p3])));
  });
});
