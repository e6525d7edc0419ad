// The edge node's storage: S3 buckets and objects as plain files under one directory (it only ever holds ciphertext).

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { BucketInfo, GetResult, ListPage, ObjectInfo, PutObjectInput, S3Backend } from '../s3/backend.ts';
import { percentDecode } from '../s3/auth/canonical.ts';
import { S3Error } from '../s3/errors.ts';

/*
 * Layout under the root directory:
 *   <bucket>/.bucket                 JSON {created}
 *   <bucket>/objects/<path>.o        one file per object: data ‖ metadata JSON ‖ u32 BE length of the JSON
 *   <bucket>/.tmp/                   uploads in progress (renamed into place once verified)
 * An object key is split at '/', each segment escaped as 'k' + percent-encoding of every byte outside
 * [A-Za-z0-9._-]; directories end in '.d' and objects in '.o', so "a" and "a/b" never collide and no key can
 * name a path outside the bucket. A single file per object makes the commit one atomic rename.
 */

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

  private async readInfoFrom(handle: FileHandle, key: string): Promise<{ info: ObjectInfo; dataSize: number }> {
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

  private async readInfo(key: string, file: string): Promise<ObjectInfo> {
    const handle = await open(file, 'r');
    try {
      return (await this.readInfoFrom(handle, key)).info;
    } finally {
      await handle.close();
    }
  }

  async putObject(_principal: P, input: PutObjectInput): Promise<ObjectInfo> {
    await this.requireBucket(input.bucket);
    const { dir, file } = this.objectPath(input.bucket, input.key);
    const tmpDir = join(this.bucketDir(input.bucket), '.tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomBytes(12).toString('hex'));
    const handle = await open(tmp, 'wx');
    let committed = false;
    try {
      let size = 0;
      for await (const chunk of input.body) {
        await handle.write(chunk);
        size += chunk.length;
      }
      const { etag, checksums } = input.finish();
      const lastModified = new Date();
      const meta: StoredMeta = { etag, lastModified: lastModified.toISOString(), headers: input.headers, userMetadata: input.userMetadata, checksums };
      const json = Buffer.from(JSON.stringify(meta), 'utf8');
      const tail = Buffer.alloc(4);
      tail.writeUInt32BE(json.length, 0);
      await handle.write(Buffer.concat([json, tail]));
      await handle.sync();
      await handle.close();
      await mkdir(dir, { recursive: true });
      await rename(tmp, file);
      committed = true;
      return { key: input.key, size, etag, lastModified, headers: input.headers, userMetadata: input.userMetadata, checksums };
    } finally {
      if (!committed) {
        await handle.close().catch(() => undefined);
        await rm(tmp, { force: true });
      }
    }
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
      const { info, dataSize } = await this.readInfoFrom(handle, key);
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? dataSize, dataSize);
      // The open handle keeps the bytes readable even if the object is replaced or deleted meanwhile.
      const body = end > start ? createReadStream('', { fd: handle, start, end: end - 1, autoClose: true }) : emptyBody(handle);
      return { info, body };
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
}

async function* emptyBody(handle: FileHandle): AsyncGenerator<Uint8Array> {
  await handle.close();
  yield* [];
}
