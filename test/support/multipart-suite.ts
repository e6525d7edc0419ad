// One multipart upload and copy suite, run with the AWS SDK against every backend of the S3 front door.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { seededBytes } from '../../src/core/seeded.ts';
import { must } from './must.ts';
import { s3Error } from './s3.ts';

export const MiB = 1024 * 1024;

export interface MultipartTarget {
  /** A client with full access. */
  readonly s3: S3Client;
  /** Waits for background work an operation started (the gateway's garbage collection). */
  settle(): Promise<void>;
  /** How many stored files (edge: object, part and temp files; gateway: fragments) the backend holds now. */
  storedFiles(): number;
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** S3's multipart ETag: MD5 of the concatenated binary part MD5s, then the part count. */
export function multipartEtag(parts: readonly Uint8Array[]): string {
  const hash = createHash('md5');
  for (const part of parts) hash.update(createHash('md5').update(part).digest());
  return `"${hash.digest('hex')}-${parts.length}"`;
}

export async function readAll(s3: S3Client, bucket: string, key: string, range?: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(range === undefined ? {} : { Range: range }) }));
  return Buffer.from(await must(got.Body, 'body').transformToByteArray());
}

/** Uploads `parts` as a multipart object by hand; returns the upload id and the parts' ETags. */
export async function uploadParts(s3: S3Client, bucket: string, key: string, parts: readonly Uint8Array[], extra: { ContentType?: string; Metadata?: Record<string, string> } = {}): Promise<{ uploadId: string; etags: string[] }> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  const uploadId = must(created.UploadId, 'upload id');
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) {
    const res = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }));
    etags.push(must(res.ETag, 'part ETag'));
  }
  return { uploadId, etags };
}

function complete(s3: S3Client, bucket: string, key: string, uploadId: string, parts: readonly { PartNumber: number; ETag: string }[]): Promise<unknown> {
  return s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [...parts] } }));
}

/** The multipart and copy behaviour every backend must show. `bucket` is created by the suite. */
export function multipartSuite(title: string, target: () => MultipartTarget, bucket: string): void {
  describe(title, () => {
    const part1 = seededBytes(11, 5 * MiB);
    const part2 = seededBytes(12, 5 * MiB + 17);
    const part3 = seededBytes(13, 1234);
    const whole = Buffer.concat([part1, part2, part3]);

    it('uploads a 20 MiB stream with lib-storage Upload and reads it back', async () => {
      const { s3 } = target();
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const data = seededBytes(10, 20 * MiB);
      const chunks = Array.from({ length: 40 }, (_, i) => data.subarray(i * (MiB / 2), (i + 1) * (MiB / 2)));
      const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: 'lib/storage.bin', Body: Readable.from(chunks), ContentType: 'application/x-big' }, partSize: 5 * MiB, queueSize: 3 });
      const done = await upload.done();
      assert.match(must(done.ETag, 'ETag'), /^"[0-9a-f]{32}-4"$/);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'lib/storage.bin' }));
      assert.equal(head.ContentLength, data.length);
      assert.equal(head.ContentType, 'application/x-big');
      assert.equal(head.ETag, done.ETag);
      assert.ok((await readAll(s3, bucket, 'lib/storage.bin')).equals(data), 'the bytes read back are the bytes uploaded');
    });

    it('completes a hand-made upload of three parts: ETag md5-of-md5s-3, headers from the creation, ranges across parts', async () => {
      const { s3 } = target();
      const { uploadId, etags } = await uploadParts(s3, bucket, 'manual/three', [part1, part2, part3], { ContentType: 'text/x-three', Metadata: { origin: 'manual' } });
      assert.deepEqual(etags, [part1, part2, part3].map((p) => `"${md5Hex(p)}"`));
      const result = await s3.send(new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'manual/three',
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
      }));
      assert.equal(result.ETag, multipartEtag([part1, part2, part3]));
      assert.equal(result.Key, 'manual/three');
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'manual/three' }));
      assert.equal(got.ContentType, 'text/x-three');
      assert.deepEqual(got.Metadata, { origin: 'manual' });
      assert.equal(got.ETag, result.ETag);
      assert.ok(Buffer.from(await must(got.Body).transformToByteArray()).equals(whole));
      const b1 = part1.length;
      const b2 = b1 + part2.length;
      for (const [first, last] of [[b1 - 10, b1 + 9], [b1, b1], [b1 - 1, b2], [100, whole.length - 1], [b2 + 5, b2 + 100], [0, b1 - 1]] as const) {
        const bytes = await readAll(s3, bucket, 'manual/three', `bytes=${first}-${last}`);
        assert.ok(bytes.equals(whole.subarray(first, last + 1)), `range ${first}-${last}`);
      }
      assert.ok((await readAll(s3, bucket, 'manual/three', 'bytes=-2000')).equals(whole.subarray(whole.length - 2000)), 'suffix range across the last boundary');
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      assert.equal((listed.Uploads ?? []).some((u) => u.UploadId === uploadId), false, 'a completed upload is no longer listed');
    });

    it('lists parts and uploads with markers, a prefix and a delimiter; a part uploaded again replaces the first', async () => {
      const { s3 } = target();
      const small = [seededBytes(21, 100), seededBytes(22, 200), seededBytes(23, 300)];
      const a = await uploadParts(s3, bucket, 'list/a', small);
      const again = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'list/a', UploadId: a.uploadId, PartNumber: 2, Body: seededBytes(24, 250) }));
      assert.equal(again.ETag, `"${md5Hex(seededBytes(24, 250))}"`);
      const all = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'list/a', UploadId: a.uploadId }));
      assert.deepEqual(all.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 100, a.etags[0]], [2, 250, again.ETag], [3, 300, a.etags[2]]]);
      assert.equal(all.IsTruncated, false);
      const page1 = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'list/a', UploadId: a.uploadId, MaxParts: 2 }));
      assert.deepEqual(page1.Parts?.map((p) => p.PartNumber), [1, 2]);
      assert.equal(page1.IsTruncated, true);
      assert.equal(page1.NextPartNumberMarker, '2');
      const page2 = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'list/a', UploadId: a.uploadId, PartNumberMarker: page1.NextPartNumberMarker }));
      assert.deepEqual(page2.Parts?.map((p) => p.PartNumber), [3]);

      const b1 = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'list/b' }));
      const b2 = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'list/b' }));
      const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'list/deep/c' }));
      const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'other' }));
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'list/' }));
      assert.deepEqual(listed.Uploads?.map((u) => u.Key), ['list/a', 'list/b', 'list/b', 'list/deep/c']);
      assert.deepEqual(must(listed.Uploads).slice(1, 3).map((u) => u.UploadId), [b1.UploadId, b2.UploadId]);
      const grouped = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'list/', Delimiter: '/' }));
      assert.deepEqual(grouped.Uploads?.map((u) => u.Key), ['list/a', 'list/b', 'list/b']);
      assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['list/deep/']);
      const first = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'list/', MaxUploads: 2 }));
      assert.equal(first.IsTruncated, true);
      assert.equal(first.NextKeyMarker, 'list/b');
      assert.equal(first.NextUploadIdMarker, b1.UploadId);
      const next = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'list/', KeyMarker: first.NextKeyMarker, UploadIdMarker: first.NextUploadIdMarker }));
      assert.deepEqual(next.Uploads?.map((u) => u.UploadId), [b2.UploadId, c.UploadId]);
      const afterKey = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: 'list/b' }));
      assert.deepEqual(afterKey.Uploads?.map((u) => u.Key), ['list/deep/c', 'other']);
      for (const [key, id] of [['list/a', a.uploadId], ['list/b', b1.UploadId], ['list/b', b2.UploadId], ['list/deep/c', c.UploadId], ['other', other.UploadId]] as const) {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }));
      }
      assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [], []);
    });

    it('keeps the checksum algorithm declared at creation: per part, and composite for the object', async () => {
      const { s3 } = target();
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sums', ChecksumAlgorithm: 'CRC32C' }));
      assert.equal(created.ChecksumAlgorithm, 'CRC32C');
      const uploadId = must(created.UploadId);
      const sent = [part1, part3];
      const etags: string[] = [];
      const sums: string[] = [];
      for (const [i, body] of sent.entries()) {
        const res = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'sums', UploadId: uploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'CRC32C' }));
        etags.push(must(res.ETag));
        sums.push(must(res.ChecksumCRC32C, 'part checksum'));
      }
      assert.deepEqual(
        await s3Error(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'sums', UploadId: uploadId, PartNumber: 3, Body: part3, ChecksumAlgorithm: 'SHA1' }))),
        { name: 'InvalidRequest', status: 400 },
      );
      const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'sums', UploadId: uploadId }));
      assert.deepEqual(parts.Parts?.map((p) => p.ChecksumCRC32C), sums);
      const done = await complete(s3, bucket, 'sums', uploadId, etags.map((ETag, i) => ({ PartNumber: i + 1, ETag }))) as { ChecksumCRC32C?: string };
      assert.match(must(done.ChecksumCRC32C, 'composite checksum'), /^[A-Za-z0-9+/]{6}==-2$/);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'sums', ChecksumMode: 'ENABLED' }));
      assert.equal(got.ChecksumCRC32C, done.ChecksumCRC32C);
      assert.ok(Buffer.from(await must(got.Body).transformToByteArray()).equals(Buffer.concat(sent)));
    });

    it('aborts an upload: its parts are gone and the upload id is unknown from then on', async () => {
      const t = target();
      await t.settle();
      const before = t.storedFiles();
      const { uploadId } = await uploadParts(t.s3, bucket, 'aborted', [part1, part3]);
      assert.ok(t.storedFiles() > before, 'the parts were stored');
      const res = await t.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted', UploadId: uploadId }));
      assert.equal(res.$metadata.httpStatusCode, 204);
      await t.settle();
      assert.equal(t.storedFiles(), before, 'nothing of the upload is left');
      assert.deepEqual(await s3Error(t.s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'aborted', UploadId: uploadId }))), { name: 'NoSuchUpload', status: 404 });
      assert.deepEqual(await s3Error(t.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted', UploadId: uploadId }))), { name: 'NoSuchUpload', status: 404 });
      assert.deepEqual(await s3Error(t.s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'aborted', UploadId: uploadId, PartNumber: 1, Body: 'x' }))), { name: 'NoSuchUpload', status: 404 });
      assert.deepEqual(await s3Error(t.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'aborted' }))), { name: 'NoSuchKey', status: 404 });
    });

    it('refuses bad completions with the S3 errors and keeps the upload usable', async () => {
      const t = target();
      const s3 = t.s3;
      const small = seededBytes(31, 1000);
      const { uploadId, etags } = await uploadParts(s3, bucket, 'errors', [part1, small, part3]);
      const [e1 = '', e2 = '', e3 = ''] = etags;
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', uploadId, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e1 }])), { name: 'InvalidPart', status: 400 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', uploadId, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 4, ETag: e3 }])), { name: 'InvalidPart', status: 400 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', uploadId, [{ PartNumber: 2, ETag: e2 }, { PartNumber: 1, ETag: e1 }])), { name: 'InvalidPartOrder', status: 400 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', uploadId, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 1, ETag: e1 }])), { name: 'InvalidPartOrder', status: 400 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', uploadId, [{ PartNumber: 2, ETag: e2 }, { PartNumber: 3, ETag: e3 }])), { name: 'EntityTooSmall', status: 400 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', uploadId, [])), { name: 'MalformedXML', status: 400 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'errors', 'f'.repeat(32), [{ PartNumber: 1, ETag: e1 }])), { name: 'NoSuchUpload', status: 404 });
      assert.deepEqual(await s3Error(complete(s3, bucket, 'other-key', uploadId, [{ PartNumber: 1, ETag: e1 }])), { name: 'NoSuchUpload', status: 404 });
      assert.deepEqual(await s3Error(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'errors', UploadId: uploadId, PartNumber: 10_001, Body: 'x' }))), { name: 'InvalidArgument', status: 400 });
      assert.deepEqual(await s3Error(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'errors', UploadId: uploadId, PartNumber: 2, Body: 'tampered', ContentMD5: Buffer.alloc(16).toString('base64') }))), { name: 'BadDigest', status: 400 });
      // Malformed XML: the body is not what the SDK would build, so send it through a pre-signed URL.
      const url = await getSignedUrl(s3, new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'errors', UploadId: uploadId }), { expiresIn: 60 });
      for (const body of ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', 'not xml at all', '<Other/>', `<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>${e1}</ETag></Part></CompleteMultipartUpload>`]) {
        const res = await fetch(url, { method: 'POST', body });
        assert.equal(res.status, 400, body);
        assert.match(await res.text(), /<Code>MalformedXML<\/Code>/, body);
      }
      // Last part small is fine; the rejected attempts changed nothing.
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'errors', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }));
      assert.equal(done.ETag, multipartEtag([part1, small]));
      assert.ok((await readAll(s3, bucket, 'errors')).equals(Buffer.concat([part1, small])), 'the unused third part is not part of the object');
      await t.settle();
    });

    it('copies byte ranges of objects as parts (UploadPartCopy)', async () => {
      const { s3 } = target();
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/source', Body: whole }));
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'copy/assembled' }));
      const uploadId = must(created.UploadId);
      const copied = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy/assembled', UploadId: uploadId, PartNumber: 1, CopySource: `${bucket}/copy/source`, CopySourceRange: `bytes=${part1.length}-${part1.length + part2.length - 1}` }));
      assert.equal(copied.CopyPartResult?.ETag, `"${md5Hex(part2)}"`);
      const wholeCopy = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy/assembled', UploadId: uploadId, PartNumber: 2, CopySource: `/${bucket}/copy/source` }));
      assert.equal(wholeCopy.CopyPartResult?.ETag, `"${md5Hex(whole)}"`);
      const tail = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'copy/assembled', UploadId: uploadId, PartNumber: 3, Body: part3 }));
      assert.deepEqual(
        await s3Error(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy/assembled', UploadId: uploadId, PartNumber: 4, CopySource: `${bucket}/copy/source`, CopySourceRange: `bytes=0-${whole.length}` }))),
        { name: 'InvalidRange', status: 416 },
      );
      assert.deepEqual(
        await s3Error(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy/assembled', UploadId: uploadId, PartNumber: 4, CopySource: `${bucket}/copy/missing` }))),
        { name: 'NoSuchKey', status: 404 },
      );
      const parts = [copied.CopyPartResult.ETag, wholeCopy.CopyPartResult.ETag, tail.ETag].map((ETag, i) => ({ PartNumber: i + 1, ETag: must(ETag) }));
      await complete(s3, bucket, 'copy/assembled', uploadId, parts);
      assert.ok((await readAll(s3, bucket, 'copy/assembled')).equals(Buffer.concat([part2, whole, part3])));
    });

    it('copies objects: COPY keeps headers and metadata, REPLACE takes the request\'s, an unchanged self-copy is refused', async () => {
      const { s3 } = target();
      const key = 'copy/ünï cödé+100%';
      const body = seededBytes(41, 300_000);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/x-test', CacheControl: 'max-age=60', Metadata: { colour: 'blue' } }));
      const source = `${bucket}/${encodeURIComponent(key)}`;
      const copy = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/kept', CopySource: source }));
      assert.equal(copy.CopyObjectResult?.ETag, `"${md5Hex(body)}"`);
      assert.ok(copy.CopyObjectResult.LastModified instanceof Date);
      const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/kept' }));
      assert.equal(kept.ContentType, 'image/x-test');
      assert.equal(kept.CacheControl, 'max-age=60');
      assert.deepEqual(kept.Metadata, { colour: 'blue' });
      assert.ok(Buffer.from(await must(kept.Body).transformToByteArray()).equals(Buffer.from(body)));

      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/replaced', CopySource: `/${source}`, MetadataDirective: 'REPLACE', ContentType: 'text/x-new', Metadata: { colour: 'red', size: 'l' } }));
      const replaced = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy/replaced' }));
      assert.equal(replaced.ContentType, 'text/x-new');
      assert.equal(replaced.CacheControl, undefined);
      assert.deepEqual(replaced.Metadata, { colour: 'red', size: 'l' });

      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: source }))), { name: 'InvalidRequest', status: 400 });
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: source, MetadataDirective: 'REPLACE', Metadata: { colour: 'green' } }));
      const self = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.deepEqual(self.Metadata, { colour: 'green' });
      assert.ok(Buffer.from(await must(self.Body).transformToByteArray()).equals(Buffer.from(body)), 'a self-copy keeps the bytes');

      // A multipart source copies whole; the copy's ETag is the MD5 of its bytes.
      const fromMultipart = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/of-multipart', CopySource: `${bucket}/manual/three` }));
      assert.equal(fromMultipart.CopyObjectResult?.ETag, `"${md5Hex(whole)}"`);
      assert.ok((await readAll(s3, bucket, 'copy/of-multipart')).equals(whole));

      const etag = must(copy.CopyObjectResult.ETag);
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/conditional', CopySource: source, CopySourceIfMatch: etag }));
      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/conditional', CopySource: source, CopySourceIfMatch: '"0123"' }))), { name: 'PreconditionFailed', status: 412 });
      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/conditional', CopySource: source, CopySourceIfNoneMatch: etag }))), { name: 'PreconditionFailed', status: 412 });
      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/copy/missing` }))), { name: 'NoSuchKey', status: 404 });
      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `no-such-bucket-here/${encodeURIComponent(key)}` }))), { name: 'NoSuchBucket', status: 404 });
      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${source}?versionId=3` }))), { name: 'NotImplemented', status: 501 });
      assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: bucket }))), { name: 'InvalidArgument', status: 400 });
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy/x' }));
    });
  });
}

export { s3Error };
