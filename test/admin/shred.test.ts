// Crypto-shredding end to end: once a bucket is shredded, no copy of its fragments or metadata decrypts any more.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { openMetadata } from '../../src/meta/index.ts';
import { KeyCustody, loadMasterKey } from '../../src/objects/custody.ts';
import { KeyVault } from '../../src/objects/key-vault.ts';
import { fragmentFiles } from '../support/fragments.ts';
import { must } from '../support/must.ts';
import { s3Error } from '../support/s3.ts';

const ADMIN_TOKEN = 'shred-test-admin-token-0123456789abcdef';
const work = mkdtempSync(join(tmpdir(), 'dispersa-shred-'));
const dataDir = join(work, 'data');
let gateway: RunningGateway;
let s3: S3Client;

async function admin(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gateway.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

before(async () => {
  gateway = await startGateway({ dataDir, host: '127.0.0.1', port: 0, adminPort: 0, env: { DISPERSA_ADMIN_TOKEN: ADMIN_TOKEN }, requestTimeoutMs: 5_000 });
  const root = must(gateway.generatedRoot, 'generated root key');
  s3 = new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials: root });
});
after(async () => {
  s3.destroy();
  await gateway.close();
  rmSync(work, { recursive: true, force: true });
});

describe('crypto-shredding', () => {
  it('destroys the bucket key first: copies of every fragment and of the metadata taken before no longer decrypt', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'doomed' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    const secret = seededBytes(7, 300_000);
    await s3.send(new PutObjectCommand({ Bucket: 'doomed', Key: 'a.bin', Body: secret }));
    await s3.send(new PutObjectCommand({ Bucket: 'doomed', Key: 'b.txt', Body: 'second object' }));
    await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'c.txt', Body: 'not shredded' }));

    // An attacker's (or a backup's) copy of everything but the key vault, taken before the shredding.
    const copy = join(work, 'copy');
    cpSync(join(dataDir, 'locations'), join(copy, 'locations'), { recursive: true });
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('meta.sqlite'))) cpSync(join(dataDir, file), join(copy, file));
    cpSync(join(dataDir, 'master.key'), join(copy, 'master.key'));

    const shredded = await admin('DELETE', '/api/v1/buckets/doomed?shred=true');
    assert.equal(shredded.status, 200, JSON.stringify(shredded.body));
    assert.deepEqual(shredded.body, { shredded: true, objects: 2 });

    // The live gateway: the bucket is gone, the other one untouched, and the fragments get collected.
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'doomed', Key: 'a.bin' })))).name, 'NoSuchBucket');
    const kept = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'c.txt' }));
    assert.equal(await must(kept.Body).transformToString(), 'not shredded');
    await gateway.backend.idle();
    await gateway.backend.collectGarbage();
    assert.equal(fragmentFiles(dataDir).length, 6, 'only the fragments of the kept object remain');

    // The copied metadata still names the bucket, but holds no key: only a reference into the vault, now destroyed.
    const copiedMeta = await openMetadata({ engine: 'sqlite', path: join(copy, 'meta.sqlite') });
    try {
      const row = must(await copiedMeta.getBucket('doomed'), 'bucket row in the copy');
      const master = loadMasterKey(join(copy, 'master.key'), {});
      const custody = new KeyCustody(master, new KeyVault(join(dataDir, 'keys')));
      assert.throws(() => custody.bucketKey('doomed', row.wrappedKek), /destroyed|not in the key vault/);
      assert.ok(!Buffer.from(readFileSync(join(copy, 'meta.sqlite'))).includes(Buffer.from(secret.subarray(0, 64))), 'no plaintext in metadata');
    } finally {
      await copiedMeta.close();
    }

    // A whole gateway restored from the copy (same master key, the real vault) cannot read the objects either.
    const restoredDir = join(work, 'restored');
    cpSync(copy, restoredDir, { recursive: true });
    cpSync(join(dataDir, 'keys'), join(restoredDir, 'keys'), { recursive: true });
    const restored = await startGateway({ dataDir: restoredDir, host: '127.0.0.1', port: 0, env: {}, requestTimeoutMs: 5_000 });
    const restoredClient = new S3Client({ endpoint: restored.url, region: 'us-east-1', forcePathStyle: true, credentials: must(gateway.generatedRoot, 'root') });
    try {
      const failure = await s3Error(restoredClient.send(new GetObjectCommand({ Bucket: 'doomed', Key: 'a.bin' })));
      assert.ok(failure.status !== undefined && failure.status >= 400, `GET must fail, got ${JSON.stringify(failure)}`);
      const keptCopy = await restoredClient.send(new GetObjectCommand({ Bucket: 'kept', Key: 'c.txt' }));
      assert.equal(await must(keptCopy.Body).transformToString(), 'not shredded', 'the restored copy itself works');
    } finally {
      restoredClient.destroy();
      await restored.close();
    }
  });

  it('refuses unknown buckets and leaves everything in place', async () => {
    const missing = await admin('DELETE', '/api/v1/buckets/no-such-bucket?shred=true');
    assert.equal(missing.status, 404);
    const kept = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'c.txt' }));
    assert.equal(await must(kept.Body).transformToString(), 'not shredded');
  });
});
