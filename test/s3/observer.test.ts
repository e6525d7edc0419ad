// The S3 front door's onRequestDone hook: called once per request, with what the request was and how it ended.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { FilesBackend } from '../../src/edge/files-backend.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { listenS3, type RunningServer } from '../../src/s3/http.ts';
import { createS3Listener, type S3RequestRecord } from '../../src/s3/server.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { must } from '../support/must.ts';
import { s3Error } from '../support/s3.ts';

interface Principal {
  readonly secretKey: string;
  readonly accessKeyId: string;
}

const dir = mkdtempSync(join(tmpdir(), 'dispersa-observer-'));
const credentials = { accessKeyId: 'OBSERVERKEY0001', secretAccessKey: 'observer-secret-for-tests' };
const principal: Principal = { secretKey: credentials.secretAccessKey, accessKeyId: credentials.accessKeyId };
const records: S3RequestRecord<Principal>[] = [];
let throwing = false;
let server: RunningServer;
let s3: S3Client;

function client(creds = credentials): S3Client {
  return new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: creds });
}

/** The records of one request (by its request id), once the server has told its hook. */
async function recordsOf(requestId: string | undefined): Promise<S3RequestRecord<Principal>[]> {
  const id = must(requestId, 'request id');
  for (let i = 0; i < 100 && !records.some((r) => r.requestId === id); i++) await delay(5);
  await delay(20); // a second call would come now
  return records.filter((r) => r.requestId === id);
}

before(async () => {
  const listener = createS3Listener<Principal>({
    backend: new FilesBackend<Principal>({ dir, region: 'us-east-1' }),
    lookup: (id) => Promise.resolve(id === credentials.accessKeyId ? principal : null),
    authorize: (p, access, op) => {
      if ('bucket' in op && op.bucket === 'forbidden' && access !== 'read') throw new S3Error('AccessDenied');
      if (p.accessKeyId !== credentials.accessKeyId) throw new S3Error('AccessDenied');
    },
    region: 'us-east-1',
    onRequestDone: (r) => {
      records.push(r);
      if (throwing) throw new Error('observer bug');
    },
  });
  server = await listenS3(listener, '127.0.0.1', 0);
  s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: 'seen' }));
});

after(async () => {
  s3.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('onRequestDone', () => {
  it('tells a successful PUT once: operation, bucket, key, principal, key id, status, bytes in, duration', async () => {
    const body = seededBytes(21, 70_000);
    const out = await s3.send(new PutObjectCommand({ Bucket: 'seen', Key: 'dir/a.bin', Body: body }));
    const seen = await recordsOf(out.$metadata.requestId);
    assert.equal(seen.length, 1);
    const r = must(seen[0]);
    assert.equal(r.operation, 'PutObject');
    assert.equal(r.bucket, 'seen');
    assert.equal(r.key, 'dir/a.bin');
    assert.deepEqual(r.principal, principal);
    assert.equal(r.accessKeyId, credentials.accessKeyId);
    assert.equal(r.status, 200);
    assert.equal(r.errorCode, undefined);
    assert.equal(r.authFailed, false);
    // The SDK may send the body aws-chunked with a checksum trailer: the framing is counted too.
    assert.ok(r.bytesIn >= body.length && r.bytesIn < body.length + 1024, `bytesIn ${r.bytesIn}`);
    assert.equal(r.bytesOut, 0);
    assert.ok(r.durationMs > 0 && r.durationMs < 10_000);
  });

  it('tells a GET the bytes it sent', async () => {
    const body = seededBytes(22, 12_345);
    await s3.send(new PutObjectCommand({ Bucket: 'seen', Key: 'g', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'seen', Key: 'g' }));
    assert.equal(must(await got.Body?.transformToByteArray()).length, body.length);
    const r = must((await recordsOf(got.$metadata.requestId))[0]);
    assert.equal(r.operation, 'GetObject');
    assert.equal(r.status, 200);
    assert.equal(r.bytesIn, 0);
    assert.equal(r.bytesOut, body.length);
  });

  it('tells a NoSuchKey GET with its error code and the error document sent', async () => {
    let requestId: string | undefined;
    try {
      await s3.send(new GetObjectCommand({ Bucket: 'seen', Key: 'missing' }));
      assert.fail('expected NoSuchKey');
    } catch (error) {
      requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
    }
    const seen = await recordsOf(requestId);
    assert.equal(seen.length, 1);
    const r = must(seen[0]);
    assert.equal(r.operation, 'GetObject');
    assert.equal(r.bucket, 'seen');
    assert.equal(r.key, 'missing');
    assert.equal(r.status, 404);
    assert.equal(r.errorCode, 'NoSuchKey');
    assert.equal(r.authFailed, false);
    assert.deepEqual(r.principal, principal);
    assert.ok(r.bytesOut > 50, 'the XML error document');
  });

  it('tells a wrong signature as an authentication failure, with the access key it claimed', async () => {
    const liar = client({ accessKeyId: credentials.accessKeyId, secretAccessKey: 'not-the-secret' });
    let requestId: string | undefined;
    try {
      assert.deepEqual(await s3Error(liar.send(new PutObjectCommand({ Bucket: 'seen', Key: 'x', Body: 'nope' }))), { name: 'SignatureDoesNotMatch', status: 403 });
      await liar.send(new GetObjectCommand({ Bucket: 'seen', Key: 'g' })).catch((error: unknown) => {
        requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
      });
    } finally {
      liar.destroy();
    }
    const seen = await recordsOf(requestId);
    assert.equal(seen.length, 1);
    const r = must(seen[0]);
    assert.equal(r.operation, 'GetObject');
    assert.equal(r.authFailed, true);
    assert.equal(r.accessKeyId, credentials.accessKeyId);
    assert.equal(r.principal, undefined);
    assert.equal(r.status, 403);
    assert.equal(r.errorCode, 'SignatureDoesNotMatch');
    const put = records.filter((x) => x.operation === 'PutObject' && x.key === 'x');
    assert.ok(put.length >= 1 && put.every((x) => x.authFailed && x.errorCode === 'SignatureDoesNotMatch'));
  });

  it('tells an unknown key id from a pre-signed URL, and an anonymous request, as authentication failures', async () => {
    const stranger = client({ accessKeyId: 'UNKNOWNKEY00001', secretAccessKey: 'whatever' });
    const url = await getSignedUrl(stranger, new GetObjectCommand({ Bucket: 'seen', Key: 'g' }), { expiresIn: 60 });
    stranger.destroy();
    const presigned = await fetch(url);
    assert.equal(presigned.status, 403);
    await presigned.arrayBuffer();
    let r = must((await recordsOf(presigned.headers.get('x-amz-request-id') ?? undefined))[0]);
    assert.equal(r.authFailed, true);
    assert.equal(r.accessKeyId, 'UNKNOWNKEY00001');
    assert.equal(r.errorCode, 'InvalidAccessKeyId');

    const anonymous = await fetch(`${server.url}/seen/g`);
    assert.equal(anonymous.status, 403);
    await anonymous.arrayBuffer();
    r = must((await recordsOf(anonymous.headers.get('x-amz-request-id') ?? undefined))[0]);
    assert.equal(r.authFailed, true);
    assert.equal(r.accessKeyId, undefined);
    assert.equal(r.principal, undefined);
    assert.equal(r.errorCode, 'AccessDenied');
  });

  it('tells a refused authorisation apart from a failed authentication', async () => {
    const error = await s3Error(s3.send(new PutObjectCommand({ Bucket: 'forbidden', Key: 'k', Body: 'x' })));
    assert.equal(error.status, 403);
    const r = must(records.filter((x) => x.bucket === 'forbidden').at(-1));
    assert.equal(r.errorCode, 'AccessDenied');
    assert.equal(r.authFailed, false);
    assert.deepEqual(r.principal, principal);
  });

  it("names requests it could not route 'Unknown'", async () => {
    const res = await fetch(`${server.url}/`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    await res.arrayBuffer();
    const r = must((await recordsOf(res.headers.get('x-amz-request-id') ?? undefined))[0]);
    assert.equal(r.operation, 'Unknown');
    assert.equal(r.errorCode, 'MethodNotAllowed');
    assert.equal(r.bucket, undefined);
  });

  it('survives a hook that throws', async () => {
    throwing = true;
    try {
      const out = await s3.send(new PutObjectCommand({ Bucket: 'seen', Key: 'after-throw', Body: 'fine' }));
      assert.equal(out.$metadata.httpStatusCode, 200);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'seen', Key: 'after-throw' }));
      assert.equal(await got.Body?.transformToString(), 'fine');
    } finally {
      throwing = false;
    }
  });
});
