// The edge node's storage: S3 buckets and objects as plain files under one directory (it only ever holds ciphertext).

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  BucketInfo,
  CompleteUploadInput,
  CreateUploadInput,
  GetResult,
  ListPage,
  ObjectInfo,
  PartInfo,
  PartsPage,
  PutObjectInput,
  S3Backend,
  UploadInfo,
  UploadPartInput,
  UploadsPage,
} from '../s3/backend.ts';
import { percentDecode } from '../s3/auth/canonical.ts';
import type { ChecksumAlgorithm } from '../s3/checksums.ts';
import { S3Error } from '../s3/errors.ts';
import { planCompletion } from '../s3/multipart.ts';

/*
 * Layout under the root directory:
 *   <bucket>/.bucket                 JSON {created}
 *   <bucket>/objects/<path>.o        one file per object: data ‖ metadata JSON ‖ u32 BE length of the JSON
 *   <bucket>/.tmp/                   writes in progress (renamed into place once verified)
 *   <bucket>/.uploads/<id>/upload.json           a multipart upload: key, initiation time, headers, metadata
 *   <bucket>/.uploads/<id>/p<00001..10000>.part  its parts, each in the object file format
 * An object key is split at '/', each segment escaped as 'k' + percent-encoding of every byte outside
 * [A-Za-z0-9._-]; directories end in '.d' and objects in '.o', so "a" and "a/b" never collide and no key can
 * name a path outside the bucket. A single file per object makes the commit one atomic rename. An upload directory
 * is created complete in .tmp and renamed into .uploads; completion concatenates the chosen parts into one object
 * file (one rename), then removes the upload directory.
 */

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^p(\d{5})\.part$/;

interface StoredUpload {
  readonly key: string;
  readonly initiated: string;
  readonly headers: ObjectInfo['headers'];
  readonly userMetadata: ObjectInfo['userMetadata'];
  readonly checksumAlgorithm?: ChecksumAlgorithm;
}

function partFileName(partNumber: number): string {
  return `p${String(partNumber).padStart(5, '0')}.part`;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const MAX_SEGMENT = 250;

function escapeSegment(segment: string): string {
  let out = 'k';
  for (const b of Buffer.from(segment, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  if (out.length + 2 > MAX_SEGMENT) throw new S3Error('KeyTooLongError', 'A segment of the key between slashes is too long for this edge node');
  return out;
}

function unescapeSegment(name: string): string {
  return Buffer.from(percentDecode(name.slice(1), false)).toString('utf8');
}

interface StoredMeta {
  readonly etag: string;
  readonly lastModified: string;
  readonly headers: ObjectInfo['headers'];
  readonly userMetadata: ObjectInfo['userMetadata'];
  readonly checksums: ObjectInfo['checksums'];
}

export interface FilesBackendOptions {
  readonly dir: string;
  readonly region?: string;
}

export class FilesBackend<P> implements S3Backend<P> {
  private readonly dir: string;
  private readonly region: string;

  constructor(options: FilesBackendOptions) {
    this.dir = options.dir;
    this.region = options.region ?? 'us-east-1';
  }

  private bucketDir(bucket: string): string {
    return join(this.dir, bucket);
  }

  private objectPath(bucket: string, key: string): { dir: string; file: string } {
    const segments = key.split('/').map(escapeSegment);
    const last = segments.pop() ?? 'k';
    const dir = join(this.bucketDir(bucket), 'objects', ...segments.map((s) => `${s}.d`));
    return { dir, file: join(dir, `${last}.o`) };
  }

  private async requireBucket(bucket: string): Promise<BucketInfo> {
    try {
      const meta = JSON.parse(await readFile(join(this.bucketDir(bucket), '.bucket'), 'utf8')) as { created: string };
      return { name: bucket, created: new Date(meta.created), region: this.region };
    } catch {
      throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
    }
  }

  async listBuckets(): Promise<readonly BucketInfo[]> {
    const names = await readdir(this.dir).catch(() => []);
    const buckets: BucketInfo[] = [];
    for (const name of names.sort()) {
      const info = await this.requireBucket(name).catch(() => undefined);
      if (info !== undefined) buckets.push(info);
    }
    return buckets;
  }

  async createBucket(_principal: P, bucket: string): Promise<void> {
    await mkdir(this.bucketDir(bucket), { recursive: true });
    try {
      await writeFile(join(this.bucketDir(bucket), '.bucket'), JSON.stringify({ created: new Date().toISOString() }), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: bucket });
      throw error;
    }
  }

  headBucket(_principal: P, bucket: string): Promise<BucketInfo> {
    return this.requireBucket(bucket);
  }

  async deleteBucket(principal: P, bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    const page = await this.listObjects(principal, bucket, { prefix: '', startAfter: '', limit: 1 });
    if (page.objects.length > 0) throw new S3Error('BucketNotEmpty', undefined, { BucketName: bucket });
    await rm(this.bucketDir(bucket), { recursive: true, force: true });
  }

  /** Every key of the bucket with its file, by walking the tree (the edge holds fragments: listing is for scrub and GC). */
  private async walk(dir: string, prefix: string, out: { key: string; file: string }[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.name.startsWith('k')) continue;
      if (e.isDirectory() && e.name.endsWith('.d')) await this.walk(join(dir, e.name), `${prefix}${unescapeSegment(e.name.slice(0, -2))}/`, out);
      else if (e.isFile() && e.name.endsWith('.o')) out.push({ key: prefix + unescapeSegment(e.name.slice(0, -2)), file: join(dir, e.name) });
    }
  }

  async listObjects(_principal: P, bucket: string, options: { prefix: string; startAfter: string; limit: number }): Promise<ListPage> {
    await this.requireBucket(bucket);
    const all: { key: string; file: string }[] = [];
    await this.walk(join(this.bucketDir(bucket), 'objects'), '', all);
    const after = Buffer.from(options.startAfter, 'utf8');
    const matching = all
      .map((e) => ({ ...e, bytes: Buffer.from(e.key, 'utf8') }))
      .filter((e) => e.key.startsWith(options.prefix) && Buffer.compare(e.bytes, after) > 0)
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    const objects: ObjectInfo[] = [];
    for (const e of matching.slice(0, options.limit)) {
      const info = await this.readInfo(e.key, e.file).catch(() => undefined);
      if (info !== undefined) objects.push(info);
    }
    return { objects, truncated: matching.length > options.limit };
  }

  private async readInfo(key: string, file: string): Promise<ObjectInfo> {
    const handle = await open(file, 'r');
    try {
      return (await readInfoFrom(handle, key)).info;
    } finally {
      await handle.close();
    }
  }

  private tmpDir(bucket: string): string {
    return join(this.bucketDir(bucket), '.tmp');
  }

  /**
   * Streams `body` into a new temporary file, then appends the metadata `finish` returns and syncs it. Returns
   * the file (to be renamed into place by the caller, who removes it on failure) and what it holds.
   */
  private async writeTemp(bucket: string, body: AsyncIterable<Uint8Array>, finish: (size: number) => StoredMeta): Promise<{ tmp: string; size: number; meta: StoredMeta }> {
    const tmpDir = this.tmpDir(bucket);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomBytes(12).toString('hex'));
    const handle = await open(tmp, 'wx');
    try {
      let size = 0;
      for await (const chunk of body) {
        await handle.write(chunk);
        size += chunk.length;
      }
      const meta = finish(size);
      const json = Buffer.from(JSON.stringify(meta), 'utf8');
      const tail = Buffer.alloc(4);
      tail.writeUInt32BE(json.length, 0);
      await handle.write(Buffer.concat([json, tail]));
      await handle.sync();
      await handle.close();
      return { tmp, size, meta };
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async putObject(_principal: P, input: PutObjectInput): Promise<ObjectInfo> {
    await this.requireBucket(input.bucket);
    const { dir, file } = this.objectPath(input.bucket, input.key);
    const { tmp, size, meta } = await this.writeTemp(input.bucket, input.body, () => {
      const { etag, checksums } = input.finish();
      return { etag, lastModified: new Date().toISOString(), headers: input.headers, userMetadata: input.userMetadata, checksums };
    });
    return this.commit(tmp, dir, file, input.key, size, meta);
  }

  private async commit(tmp: string, dir: string, file: string, key: string, size: number, meta: StoredMeta): Promise<ObjectInfo> {
    try {
      await mkdir(dir, { recursive: true });
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return { key, size, etag: meta.etag, lastModified: new Date(meta.lastModified), headers: meta.headers, userMetadata: meta.userMetadata, checksums: meta.checksums };
  }

  async headObject(_principal: P, bucket: string, key: string): Promise<ObjectInfo> {
    await this.requireBucket(bucket);
    try {
      return await this.readInfo(key, this.objectPath(bucket, key).file);
    } catch (error) {
      if (error instanceof S3Error) throw error;
      throw new S3Error('NoSuchKey', undefined, { Key: key });
    }
  }

  async getObject(_principal: P, bucket: string, key: string, range: { start: number; end: number } | undefined): Promise<GetResult> {
    await this.requireBucket(bucket);
    let handle: FileHandle;
    try {
      handle = await open(this.objectPath(bucket, key).file, 'r');
    } catch {
      throw new S3Error('NoSuchKey', undefined, { Key: key });
    }
    try {
      const { info, dataSize } = await readInfoFrom(handle, key);
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? dataSize, dataSize);
      // The open handle keeps the bytes readable even if the object is replaced or deleted meanwhile.
      if (end <= start) {
        await handle.close();
        return { info, body: emptyBody() };
      }
      return { info, body: createReadStream('', { fd: handle, start, end: end - 1, autoClose: true }) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async deleteObject(_principal: P, bucket: string, key: string): Promise<void> {
    await this.requireBucket(bucket);
    const { dir, file } = this.objectPath(bucket, key);
    await rm(file, { force: true });
    // Prune empty directories up to the bucket's object root; a concurrent put recreates what it needs.
    const root = join(this.bucketDir(bucket), 'objects');
    for (let d = dir; d.startsWith(root) && d !== root; d = join(d, '..')) {
      try {
        if ((await stat(d)).isDirectory()) await rmdir(d);
      } catch {
        break;
      }
    }
  }

  // ---- multipart uploads

  private uploadDir(bucket: string, uploadId: string): string {
    return join(this.bucketDir(bucket), '.uploads', uploadId);
  }

  /** The upload if it exists in this bucket for this key; NoSuchUpload otherwise (ids are checked before naming a path). */
  private async readUpload(bucket: string, key: string | undefined, uploadId: string): Promise<UploadInfo> {
    const missing = new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    if (!UPLOAD_ID.test(uploadId)) throw missing;
    let stored: StoredUpload;
    try {
      stored = JSON.parse(await readFile(join(this.uploadDir(bucket, uploadId), 'upload.json'), 'utf8')) as StoredUpload;
    } catch {
      throw missing;
    }
    if (key !== undefined && stored.key !== key) throw missing;
    return { uploadId, key: stored.key, initiated: new Date(stored.initiated), headers: stored.headers, userMetadata: stored.userMetadata, checksumAlgorithm: stored.checksumAlgorithm };
  }

  async createMultipartUpload(_principal: P, input: CreateUploadInput): Promise<UploadInfo> {
    await this.requireBucket(input.bucket);
    const uploadId = randomBytes(16).toString('hex');
    const initiated = new Date();
    const stored: StoredUpload = {
      key: input.key,
      initiated: initiated.toISOString(),
      headers: input.headers,
      userMetadata: input.userMetadata,
      ...(input.checksumAlgorithm === undefined ? {} : { checksumAlgorithm: input.checksumAlgorithm }),
    };
    // Built in .tmp and renamed into .uploads: an upload is listed complete or not at all.
    const staging = join(this.tmpDir(input.bucket), `upload-${uploadId}`);
    await mkdir(staging, { recursive: true });
    try {
      await writeFile(join(staging, 'upload.json'), JSON.stringify(stored));
      await mkdir(join(this.bucketDir(input.bucket), '.uploads'), { recursive: true });
      await rename(staging, this.uploadDir(input.bucket, uploadId));
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return { uploadId, key: input.key, initiated, headers: input.headers, userMetadata: input.userMetadata, checksumAlgorithm: input.checksumAlgorithm };
  }

  async getUpload(_principal: P, bucket: string, key: string, uploadId: string): Promise<UploadInfo> {
    await this.requireBucket(bucket);
    return this.readUpload(bucket, key, uploadId);
  }

  async uploadPart(_principal: P, input: UploadPartInput): Promise<PartInfo> {
    await this.requireBucket(input.bucket);
    await this.readUpload(input.bucket, input.key, input.uploadId);
    const { tmp, size, meta } = await this.writeTemp(input.bucket, input.body, () => {
      const { etag, checksums } = input.finish();
      return { etag, lastModified: new Date().toISOString(), headers: {}, userMetadata: {}, checksums };
    });
    try {
      // Replaces an earlier part with the same number in one step.
      await rename(tmp, join(this.uploadDir(input.bucket, input.uploadId), partFileName(input.partNumber)));
    } catch (error) {
      await rm(tmp, { force: true });
      if (isMissing(error)) throw new S3Error('NoSuchUpload', undefined, { UploadId: input.uploadId });
      throw error;
    }
    return { partNumber: input.partNumber, size, etag: meta.etag, lastModified: new Date(meta.lastModified), checksums: meta.checksums };
  }

  /** The part numbers stored for an upload, ascending. */
  private async partNumbers(bucket: string, uploadId: string): Promise<number[]> {
    const names = await readdir(this.uploadDir(bucket, uploadId)).catch((error: unknown) => {
      if (isMissing(error)) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      throw error;
    });
    return names.flatMap((n) => {
      const m = PART_FILE.exec(n);
      return m === null ? [] : [Number(m[1])];
    }).sort((a, b) => a - b);
  }

  private async readPart(bucket: string, uploadId: string, partNumber: number): Promise<PartInfo | undefined> {
    const info = await this.readInfo('', join(this.uploadDir(bucket, uploadId), partFileName(partNumber))).catch(() => undefined);
    return info === undefined ? undefined : { partNumber, size: info.size, etag: info.etag, lastModified: info.lastModified, checksums: info.checksums };
  }

  async listParts(_principal: P, bucket: string, key: string, uploadId: string, options: { after: number; limit: number }): Promise<PartsPage> {
    await this.requireBucket(bucket);
    await this.readUpload(bucket, key, uploadId);
    const numbers = (await this.partNumbers(bucket, uploadId)).filter((n) => n > options.after);
    const parts: PartInfo[] = [];
    for (const n of numbers.slice(0, options.limit)) {
      const part = await this.readPart(bucket, uploadId, n);
      if (part !== undefined) parts.push(part);
    }
    return { parts, truncated: numbers.length > options.limit };
  }

  async listUploads(_principal: P, bucket: string, options: { prefix: string; keyMarker: string | undefined; uploadIdMarker: string | undefined; limit: number }): Promise<UploadsPage> {
    await this.requireBucket(bucket);
    const ids = (await readdir(join(this.bucketDir(bucket), '.uploads')).catch(() => [])).filter((n) => UPLOAD_ID.test(n));
    const all: (UploadInfo & { bytes: Buffer })[] = [];
    for (const id of ids) {
      const upload = await this.readUpload(bucket, undefined, id).catch(() => undefined);
      if (upload !== undefined && upload.key.startsWith(options.prefix)) all.push({ ...upload, bytes: Buffer.from(upload.key, 'utf8') });
    }
    const order = (a: { bytes: Buffer; initiated: Date; uploadId: string }, b: { bytes: Buffer; initiated: Date; uploadId: string }): number =>
      Buffer.compare(a.bytes, b.bytes) || a.initiated.getTime() - b.initiated.getTime() || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0);
    all.sort(order);
    let after: ((u: (typeof all)[number]) => boolean) | undefined;
    if (options.keyMarker !== undefined) {
      const markerBytes = Buffer.from(options.keyMarker, 'utf8');
      const marker = all.find((u) => u.uploadId === options.uploadIdMarker && u.key === options.keyMarker);
      after = marker !== undefined ? (u) => order(u, marker) > 0 : (u) => Buffer.compare(u.bytes, markerBytes) > 0;
    }
    const matching = after === undefined ? all : all.filter(after);
    return { uploads: matching.slice(0, options.limit).map(({ bytes: _bytes, ...u }) => u), truncated: matching.length > options.limit };
  }

  async completeMultipartUpload(_principal: P, input: CompleteUploadInput): Promise<ObjectInfo> {
    await this.requireBucket(input.bucket);
    const upload = await this.readUpload(input.bucket, input.key, input.uploadId);
    const wanted = new Set(input.parts.map((p) => p.partNumber));
    const stored: PartInfo[] = [];
    for (const n of await this.partNumbers(input.bucket, input.uploadId)) {
      if (!wanted.has(n)) continue;
      const part = await this.readPart(input.bucket, input.uploadId, n);
      if (part !== undefined) stored.push(part);
    }
    const plan = planCompletion(input.parts, stored, upload.checksumAlgorithm);
    const { dir: objectDir, file } = this.objectPath(input.bucket, input.key);
    const uploadDir = this.uploadDir(input.bucket, input.uploadId);
    async function* concatenated(): AsyncGenerator<Uint8Array> {
      for (const part of plan.parts) {
        const handle = await open(join(uploadDir, partFileName(part.partNumber)), 'r').catch(() => {
          throw new S3Error('InvalidPart', `Part ${part.partNumber} is gone (the upload was aborted or completed meanwhile)`, { PartNumber: String(part.partNumber) });
        });
        try {
          const { info, dataSize } = await readInfoFrom(handle, '');
          // Uploaded again since it was checked: the ETag the client named no longer describes these bytes.
          if (info.etag !== part.etag) throw new S3Error('InvalidPart', undefined, { PartNumber: String(part.partNumber), ETag: part.etag });
          if (dataSize > 0) yield* createReadStream('', { fd: handle, start: 0, end: dataSize - 1, autoClose: false }) as AsyncIterable<Uint8Array>;
        } finally {
          await handle.close();
        }
      }
    }
    const { tmp, size, meta } = await this.writeTemp(input.bucket, concatenated(), () => ({
      etag: plan.etag,
      lastModified: new Date().toISOString(),
      headers: upload.headers,
      userMetadata: upload.userMetadata,
      checksums: plan.checksums,
    }));
    const info = await this.commit(tmp, objectDir, file, input.key, size, meta);
    await rm(uploadDir, { recursive: true, force: true });
    return info;
  }

  async abortMultipartUpload(_principal: P, bucket: string, key: string, uploadId: string): Promise<void> {
    await this.requireBucket(bucket);
    await this.readUpload(bucket, key, uploadId);
    // Moved out of .uploads first so that it disappears from listings at once, even while its parts are removed.
    const doomed = join(this.tmpDir(bucket), `aborted-${uploadId}`);
    await mkdir(this.tmpDir(bucket), { recursive: true });
    try {
      await rename(this.uploadDir(bucket, uploadId), doomed);
    } catch (error) {
      if (isMissing(error)) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      throw error;
    }
    await rm(doomed, { recursive: true, force: true });
  }
}

/** Reads the metadata trailer of an object (or part) file: data ‖ metadata JSON ‖ u32 BE length of the JSON. */
async function readInfoFrom(handle: FileHandle, key: string): Promise<{ info: ObjectInfo; dataSize: number }> {
  const { size } = await handle.stat();
  if (size < 4) throw new S3Error('InternalError');
  const tail = Buffer.alloc(4);
  await handle.read(tail, 0, 4, size - 4);
  const length = tail.readUInt32BE(0);
  const json = Buffer.alloc(length);
  await handle.read(json, 0, length, size - 4 - length);
  const meta = JSON.parse(json.toString('utf8')) as StoredMeta;
  const dataSize = size - 4 - length;
  return {
    dataSize,
    info: { key, size: dataSize, etag: meta.etag, lastModified: new Date(meta.lastModified), headers: meta.headers, userMetadata: meta.userMetadata, checksums: meta.checksums },
  };
}

function emptyBody(): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) };
}
