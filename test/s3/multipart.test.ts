// Multipart upload and copy on `dispersa edge` with the AWS SDK: the shared suite, plus what the edge leaves on disk.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { startEdge, type RunningEdge } from '../../src/edge/edge.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { accessOf, parseTarget, routeOperation, type S3Operation } from '../../src/s3/operations.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { MiB, multipartSuite, readAll, s3Error, uploadParts } from '../support/multipart-suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'dispersa-edge-multipart-'));
const credentials = { accessKeyId: 'EDGEKEYMULTI', secretAccessKey: 'edge-multipart-secret-for-tests' };
let edge: RunningEdge;
let s3: S3Client;

/** Every file under `root` (recursively). */
function files(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

before(async () => {
  edge = await startEdge({ dir, port: 0, ...credentials });
  s3 = new S3Client({ endpoint: edge.url, region: 'us-east-1', forcePathStyle: true, credentials });
});
after(async () => {
  s3.destroy();
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

multipartSuite('dispersa edge: multipart upload and copy', () => ({ s3, settle: () => Promise.resolve(), storedFiles: () => files(dir).length }), 'multi');

describe('dispersa edge: multipart files on disk', () => {
  const bucketDir = (): string => join(dir, 'multi');
  const uploadFiles = (): string[] => [...files(join(bucketDir(), '.uploads')), ...files(join(bucketDir(), '.tmp'))];

  it('keeps parts under .uploads until completion, then leaves only the object file', async () => {
    const parts = [seededBytes(51, 5 * MiB), seededBytes(52, 10)];
    const before = files(join(bucketDir(), 'objects')).length;
    const { uploadId, etags } = await uploadParts(s3, 'multi', 'disk/object', parts);
    assert.deepEqual(readdirSync(join(bucketDir(), '.uploads', uploadId)).sort(), ['p00001.part', 'p00002.part', 'upload.json']);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'disk/object', UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) } }));
    assert.deepEqual(uploadFiles(), [], 'no part or temporary file is left');
    assert.equal(files(join(bucketDir(), 'objects')).length, before + 1);
    assert.ok((await readAll(s3, 'multi', 'disk/object')).equals(Buffer.concat(parts)));
  });

  it('removes every part on abort and refuses upload ids that are not its own', async () => {
    const { uploadId } = await uploadParts(s3, 'multi', 'disk/aborted', [seededBytes(53, 1000)]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'multi', Key: 'disk/aborted', UploadId: uploadId }));
    assert.deepEqual(uploadFiles(), []);
    for (const bogus of ['../../multi', '..', 'ABCDEF', `${uploadId}/..`]) {
      assert.deepEqual(await s3Error(s3.send(new AbortMultipartUploadCommand({ Bucket: 'multi', Key: 'disk/aborted', UploadId: bogus }))), { name: 'NoSuchUpload', status: 404 }, bogus);
    }
  });
});

describe('routing of multipart and copy requests', () => {
  const route = (method: string, path: string, query: string, headers: Record<string, string> = {}): S3Operation => routeOperation(method, parseTarget(path, query, '127.0.0.1', undefined), headers);

  it('routes each multipart operation by its sub-resources, and copies by x-amz-copy-source', () => {
    assert.deepEqual(route('POST', '/b/k', 'uploads&x-id=CreateMultipartUpload'), { kind: 'CreateMultipartUpload', bucket: 'b', key: 'k' });
    assert.deepEqual(route('PUT', '/b/k', 'partNumber=7&uploadId=u1&x-id=UploadPart'), { kind: 'UploadPart', bucket: 'b', key: 'k', uploadId: 'u1', partNumber: 7 });
    assert.deepEqual(route('PUT', '/b/k', 'partNumber=7&uploadId=u1', { 'x-amz-copy-source': '/src/a%20b%2Fc' }), {
      kind: 'UploadPartCopy', bucket: 'b', key: 'k', uploadId: 'u1', partNumber: 7, source: { bucket: 'src', key: 'a b/c' },
    });
    assert.deepEqual(route('POST', '/b/k', 'uploadId=u1'), { kind: 'CompleteMultipartUpload', bucket: 'b', key: 'k', uploadId: 'u1' });
    assert.deepEqual(route('DELETE', '/b/k', 'uploadId=u1&x-id=AbortMultipartUpload'), { kind: 'AbortMultipartUpload', bucket: 'b', key: 'k', uploadId: 'u1' });
    assert.deepEqual(route('GET', '/b/k', 'uploadId=u1&max-parts=5000&part-number-marker=3'), { kind: 'ListParts', bucket: 'b', key: 'k', uploadId: 'u1', partNumberMarker: 3, maxParts: 1000 });
    assert.deepEqual(route('GET', '/b', 'uploads&prefix=p&delimiter=%2F&key-marker=m&max-uploads=2'), {
      kind: 'ListMultipartUploads', bucket: 'b', prefix: 'p', delimiter: '/', keyMarker: 'm', uploadIdMarker: undefined, maxUploads: 2, encodingType: undefined,
    });
    assert.deepEqual(route('PUT', '/b/k', 'x-id=CopyObject', { 'x-amz-copy-source': 'src/k%2B1' }), { kind: 'CopyObject', bucket: 'b', key: 'k', source: { bucket: 'src', key: 'k+1' } });
    assert.equal(route('PUT', '/b/k', 'x-id=PutObject').kind, 'PutObject');
  });

  it('answers what it does not serve with NotImplemented, and bad numbers with InvalidArgument', () => {
    assert.equal(route('GET', '/b/k', 'partNumber=1').kind, 'NotImplemented');
    assert.equal(route('PUT', '/b/k', 'partNumber=1').kind, 'NotImplemented');
    assert.equal(route('PUT', '/b', 'uploads').kind, 'NotImplemented');
    assert.equal(route('GET', '/b/k', 'annotation&x-id=GetObjectAnnotation').kind, 'NotImplemented');
    assert.equal(route('PUT', '/b/k', 'x-id=UploadPart').kind, 'NotImplemented');
    for (const n of ['0', '10001', 'x', '1.5', '']) {
      assert.throws(() => route('PUT', '/b/k', `partNumber=${n}&uploadId=u`), (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument', n);
    }
    assert.throws(() => route('PUT', '/b/k', '', { 'x-amz-copy-source': '/src/k?versionId=abc' }), (e: unknown) => e instanceof S3Error && e.code === 'NotImplemented');
    assert.throws(() => route('PUT', '/b/k', '', { 'x-amz-copy-source': '/src/' }), (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument');
    assert.deepEqual(accessOf(route('PUT', '/b/k', '', { 'x-amz-copy-source': 'a/b' })), 'write');
    assert.deepEqual(accessOf(route('GET', '/b/k', 'uploadId=u')), 'read');
  });
});
