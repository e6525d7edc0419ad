// The gateway's object service behind the S3 front door: buckets and objects in metadata, bytes coded and dispersed.

import type { GfKernel } from '../core/gf256/kernel.ts';
import type { FragmentPool } from '../core/pipeline.ts';
import { CodecError } from '../core/pipeline.ts';
import {
  deleteObject as deleteFragments,
  DispersalError,
  readObject,
  validateDispersalPolicy,
  withoutKey,
  writeObject,
  type DispersalPolicy,
  type DispersedObject,
  type LocationRegistry,
} from '../dispersal/index.ts';
import { isMetaError, type AccessKey, type Bucket, type MetadataStore, type ObjectVersion, type Scope } from '../meta/index.ts';
import { effectiveScope, type Part, type Upload } from '../meta/types.ts';
import type { SigV4Credential } from '../s3/auth/sigv4.ts';
import type {
  BucketInfo,
  CompleteUploadInput,
  CreateUploadInput,
  GetResult,
  ListPage,
  ObjectHeaders,
  ObjectInfo,
  PartInfo,
  PartsPage,
  PutObjectInput,
  S3Backend,
  UploadInfo,
  UploadPartInput,
  UploadsPage,
} from '../s3/backend.ts';
import { parseChecksumAlgorithm } from '../s3/checksums.ts';
import { S3Error } from '../s3/errors.ts';
import { MAX_PARTS, planCompletion } from '../s3/multipart.ts';
import type { ObjectCache } from './cache.ts';
import type { KeyCustody } from './custody.ts';
import { VaultError } from './key-vault.ts';
import { PARTS_LAYOUT_VERSION, segmentsOf, storedBytesOf, type Segment, type StoredPartRef } from './layout.ts';
import { dispersalPolicyOfStored } from './policy-document.ts';

/** Who is asking: an access key of a team. */
export interface GatewayPrincipal extends SigV4Credential {
  readonly accessKeyId: string;
  readonly teamId: string;
  readonly key: AccessKey;
}

export interface GatewayBackendOptions {
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  readonly custody: KeyCustody;
  readonly kernel: GfKernel;
  readonly pool: FragmentPool;
  readonly random: (length: number) => Uint8Array;
  readonly defaultPolicy: string;
  readonly region: string;
  readonly requestTimeoutMs: number;
  /** Told about background failures (GC, repair queueing); never shown to clients. */
  readonly onBackgroundError: (error: unknown) => void;
  /** The local cache of whole plaintext objects, when configured (it may still be switched off in its settings). */
  readonly cache?: ObjectCache;
}

const SCOPE_RANK: Record<Scope, number> = { none: 0, read: 1, full: 2 };

/** The stored form of a storage policy: what dispersal needs, validated whenever it is read. */
export function parsePolicyDocument(document: unknown, registry: LocationRegistry): DispersalPolicy {
  let policy: DispersalPolicy;
  try {
    policy = dispersalPolicyOfStored(document);
    validateDispersalPolicy(policy, registry);
  } catch (error) {
    throw new Error(`stored storage policy is invalid: ${(error as Error).message}`, { cause: error });
  }
  return policy;
}

/** The stretches of `segments` a byte range touches, each with the range within it (undefined: all of it). */
function segmentsFor(segments: readonly Segment[], range: { start: number; end: number } | undefined): { object: DispersedObject; range: { start: number; end: number } | undefined }[] {
  if (segments.length === 1 && segments[0] !== undefined) return [{ object: segments[0].object, range }];
  const total = segments.reduce((sum, s) => sum + s.size, 0);
  const start = range?.start ?? 0;
  const end = range?.end ?? total;
  return segments
    .filter((s) => s.size > 0 && s.offset < end && s.offset + s.size > start)
    .map((s) => {
      const from = Math.max(0, start - s.offset);
      const to = Math.min(s.size, end - s.offset);
      return { object: s.object, range: from === 0 && to === s.size ? undefined : { start: from, end: to } };
    });
}

function uploadInfoOf(u: Upload): UploadInfo {
  const m = (u.metadata ?? {}) as { headers?: ObjectHeaders; userMetadata?: Record<string, string>; checksumAlgorithm?: string };
  return {
    uploadId: u.uploadId,
    key: u.key,
    initiated: new Date(u.initiated),
    headers: m.headers ?? {},
    userMetadata: m.userMetadata ?? {},
    checksumAlgorithm: m.checksumAlgorithm === undefined ? undefined : parseChecksumAlgorithm(m.checksumAlgorithm),
  };
}

function partInfoOf(p: Part): PartInfo {
  return { partNumber: p.partNumber, size: p.size, etag: p.etag, lastModified: new Date(p.lastModified), checksums: p.checksums };
}

function infoOf(o: ObjectVersion): ObjectInfo {
  return { key: o.key, size: o.size, etag: o.etag, lastModified: new Date(o.lastModified), headers: o.headers, userMetadata: o.userMetadata, checksums: o.checksums };
}

export class GatewayBackend implements S3Backend<GatewayPrincipal> {
  private readonly o: GatewayBackendOptions;
  private gcRunning: Promise<void> | undefined;

  constructor(options: GatewayBackendOptions) {
    this.o = options;
  }

  /** The bucket if the principal's team owns it and its scope allows `need`; another team's bucket does not exist. */
  private async bucketFor(p: GatewayPrincipal, name: string, need: Scope): Promise<Bucket> {
    const bucket = await this.o.meta.getBucket(name);
    if (bucket?.teamId !== p.teamId) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
    if (SCOPE_RANK[effectiveScope(p.key, bucket)] < SCOPE_RANK[need]) throw new S3Error('AccessDenied', `Access key ${p.accessKeyId} may not ${need === 'full' ? 'write to' : 'read'} bucket ${name}`);
    return bucket;
  }

  /** The bucket's key; a bucket whose key was destroyed (crypto-shredded, metadata restored from a copy) has none. */
  private bucketKek(bucket: Bucket): Uint8Array {
    try {
      return this.o.custody.bucketKey(bucket.name, bucket.wrappedKek);
    } catch (error) {
      if (error instanceof VaultError && error.kind === 'destroyed') throw new S3Error('NoSuchBucket', 'The bucket was crypto-shredded: its key is destroyed and its objects can never be read again', { BucketName: bucket.name });
      throw error;
    }
  }

  private async policyOf(bucket: Bucket): Promise<DispersalPolicy> {
    const stored = await this.o.meta.getPolicy(bucket.policyName, bucket.policyVersion);
    if (stored === undefined) throw new Error(`bucket ${bucket.name} refers to a missing policy ${bucket.policyName} v${bucket.policyVersion}`);
    return parsePolicyDocument(stored.document, this.o.registry);
  }

  async listBuckets(p: GatewayPrincipal): Promise<readonly BucketInfo[]> {
    const buckets = await this.o.meta.listBuckets(p.teamId);
    return buckets.filter((b) => effectiveScope(p.key, b) !== 'none').map((b) => ({ name: b.name, created: new Date(b.createdAt), region: this.o.region }));
  }

  async createBucket(p: GatewayPrincipal, name: string, locationConstraint: string | undefined): Promise<void> {
    if (p.key.defaultScope !== 'full') throw new S3Error('AccessDenied', `Access key ${p.accessKeyId} may not create buckets`);
    const policyName = locationConstraint ?? this.o.defaultPolicy;
    const policy = await this.o.meta.getPolicy(policyName);
    if (policy === undefined) throw new S3Error('InvalidLocationConstraint', `No storage policy named ${JSON.stringify(policyName)}`);
    const { wrapped } = this.o.custody.newBucketKey(name);
    try {
      await this.o.meta.createBucket({ name, teamId: p.teamId, policyName, policyVersion: policy.version, wrappedKek: wrapped });
    } catch (error) {
      if (!isMetaError(error, 'bucket-exists')) throw error;
      const existing = await this.o.meta.getBucket(name);
      throw new S3Error(existing?.teamId === p.teamId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', undefined, { BucketName: name });
    }
  }

  async headBucket(p: GatewayPrincipal, name: string): Promise<BucketInfo> {
    const bucket = await this.bucketFor(p, name, 'read');
    return { name, created: new Date(bucket.createdAt), region: this.o.region };
  }

  async deleteBucket(p: GatewayPrincipal, name: string): Promise<void> {
    const bucket = await this.bucketFor(p, name, 'full');
    try {
      await this.o.meta.deleteBucket(name);
    } catch (error) {
      if (isMetaError(error, 'bucket-not-empty')) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
      throw error;
    }
    // An empty bucket's key protects nothing any more; a bucket created later under the name gets a new one.
    this.o.custody.destroyBucketKey(bucket.wrappedKek);
    this.collectGarbageSoon();
  }

  async listObjects(p: GatewayPrincipal, bucket: string, options: { prefix: string; startAfter: string; limit: number }): Promise<ListPage> {
    await this.bucketFor(p, bucket, 'read');
    const listing = await this.o.meta.listObjects(bucket, { prefix: options.prefix, startAfter: options.startAfter, limit: Math.max(1, Math.min(1000, options.limit)) });
    return {
      objects: listing.objects.map((o) => ({ key: o.key, size: o.size, etag: o.etag, lastModified: new Date(o.lastModified), headers: {}, userMetadata: {}, checksums: o.checksums })),
      truncated: listing.isTruncated,
    };
  }

  /**
   * Codes and disperses `body` under the bucket's policy, with a write intent recorded before the first fragment,
   * then runs `finish` (the body's checks). On any failure the intent is aborted and the fragments collected.
   */
  private async writeDispersed(
    bucket: Bucket,
    key: string,
    uploadId: string | undefined,
    body: AsyncIterable<Uint8Array>,
    finish: () => { readonly etag: string; readonly checksums: Readonly<Record<string, string>> },
  ): Promise<{ id: string; object: DispersedObject; digests: { readonly etag: string; readonly checksums: Readonly<Record<string, string>> }; settled: Promise<readonly { generation: number; packetIndex: number }[]> }> {
    const policy = await this.policyOf(bucket);
    const bucketKek = this.bucketKek(bucket);
    let versionId: string | undefined;
    let result;
    try {
      result = await writeObject(body, policy, this.o.registry, {
        kernel: this.o.kernel,
        bucketKek,
        random: this.o.random,
        pool: this.o.pool,
        requestTimeoutMs: this.o.requestTimeoutMs,
        beforeWrite: async (id) => {
          versionId = id;
          await this.o.meta.beginWrite({ versionId: id, bucket: bucket.name, key, ...(uploadId === undefined ? {} : { uploadId }), target: { locations: policy.locations } });
        },
      });
    } catch (error) {
      if (versionId !== undefined) await this.o.meta.abortWrite(versionId).catch(this.o.onBackgroundError);
      this.collectGarbageSoon();
      if (error instanceof DispersalError && error.kind === 'write-quorum-not-met') throw new S3Error('ServiceUnavailable', 'Not enough storage locations are available to store the object; try again later');
      if (isMetaError(error, 'no-such-upload') && uploadId !== undefined) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      throw error;
    }
    const id = result.object.manifest.objectVersionId;
    try {
      return { id, object: result.object, digests: finish(), settled: result.settled };
    } catch (error) {
      // A bad checksum or signature: the new bytes must not become visible, nor stay stored.
      await this.o.meta.abortWrite(id).catch(this.o.onBackgroundError);
      this.collectGarbageSoon();
      throw error;
    }
  }

  /** Fragments a write missed (a location failed after quorum) go to the repair queue. */
  private queueRepairs(id: string, settled: Promise<readonly { generation: number; packetIndex: number }[]>): void {
    void settled.then(
      (missing) => Promise.all(missing.map((m) => this.o.meta.enqueueRepair({ versionId: id, generation: m.generation, packetIndex: m.packetIndex, reason: 'write-missed' }))),
      this.o.onBackgroundError,
    ).catch(this.o.onBackgroundError);
  }

  async putObject(p: GatewayPrincipal, input: PutObjectInput): Promise<ObjectInfo> {
    const bucket = await this.bucketFor(p, input.bucket, 'full');
    // The plaintext is teed into the cache as it streams by, and kept only once committed; the cache never fails a PUT.
    const fill = this.o.cache?.fill({ bucket: bucket.name, key: input.key, contentType: input.headers.contentType });
    const discard = (error: unknown): never => {
      fill?.discard();
      throw error;
    };
    const { id, object, digests, settled } = await this.writeDispersed(bucket, input.key, undefined, fill?.pass(input.body) ?? input.body, input.finish).catch(discard);
    const committed = await this.o.meta.commitObject({
      bucket: bucket.name,
      key: input.key,
      versionId: id,
      size: object.manifest.size,
      etag: digests.etag,
      headers: input.headers,
      userMetadata: input.userMetadata,
      checksums: digests.checksums,
      dispersed: object,
      storedSize: storedBytesOf(object, object.manifest.size),
    }).catch(discard);
    fill?.commit(committed.object.versionId);
    if (committed.replaced !== undefined) this.o.cache?.forgetVersion(committed.replaced.versionId);
    this.queueRepairs(id, settled);
    if (committed.replaced !== undefined) this.collectGarbageSoon();
    return infoOf(committed.object);
  }

  private async objectFor(p: GatewayPrincipal, bucket: string, key: string): Promise<{ bucket: Bucket; object: ObjectVersion }> {
    const b = await this.bucketFor(p, bucket, 'read');
    const object = await this.o.meta.getObject(bucket, key);
    if (object === undefined) throw new S3Error('NoSuchKey', undefined, { Key: key });
    return { bucket: b, object };
  }

  async headObject(p: GatewayPrincipal, bucket: string, key: string): Promise<ObjectInfo> {
    return infoOf((await this.objectFor(p, bucket, key)).object);
  }

  async getObject(p: GatewayPrincipal, bucket: string, key: string, range: { start: number; end: number } | undefined): Promise<GetResult> {
    const { bucket: b, object } = await this.objectFor(p, bucket, key);
    // Asked only now, authorised and for the current version: the cache answers for exactly that version id.
    const cached = await this.o.cache?.read(object, range);
    if (cached !== undefined) return { info: infoOf(object), body: cached };
    const bucketKek = this.bucketKek(b);
    // A multipart object is read part by part: only the parts (and within them the generations) the range touches.
    const pieces = segmentsFor(segmentsOf(object.dispersed, object.size), range);
    const open = (piece: (typeof pieces)[number]): AsyncGenerator<Uint8Array, void, undefined> =>
      readObject(piece.object, this.o.registry, {
        kernel: this.o.kernel,
        bucketKek,
        requestTimeoutMs: this.o.requestTimeoutMs,
        ...(piece.range === undefined ? {} : { range: piece.range }),
        onBadFragment: (generation, packetIndex, _location, reason) => {
          void this.o.meta.enqueueRepair({ versionId: object.versionId, generation, packetIndex, reason }).catch(this.o.onBackgroundError);
        },
      });
    const [head, ...rest] = pieces;
    if (head === undefined) return { info: infoOf(object), body: emptyBody() };
    let reader = open(head);
    // The first generation is decoded before answering, so a read that cannot succeed fails with an S3 error
    // instead of a truncated 200.
    const first = await reader.next().catch((error: unknown) => {
      if (error instanceof CodecError) throw new S3Error('ServiceUnavailable', 'Not enough fragments of the object are reachable right now; try again later');
      throw error;
    });
    async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
      if (first.done !== true) yield first.value;
      yield* reader;
      for (const piece of rest) {
        reader = open(piece);
        yield* reader;
      }
    }
    // A whole-object read fills the cache on the way (kept only when read to its end).
    const gen = range === undefined && this.o.cache !== undefined ? this.o.cache.readThrough(object, chunks()) : chunks();
    // Ending the body early (a client gone, a copy refused) also ends the part being read, even before the first chunk.
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => gen.next(),
        return: async () => {
          const done = await gen.return(undefined);
          await reader.return(undefined);
          return done;
        },
      }),
    };
    return { info: infoOf(object), body };
  }

  async deleteObject(p: GatewayPrincipal, bucket: string, key: string): Promise<void> {
    await this.bucketFor(p, bucket, 'full');
    const removed = await this.o.meta.deleteObject(bucket, key);
    this.o.cache?.forgetKey(bucket, key);
    if (removed !== undefined) this.o.cache?.forgetVersion(removed.versionId);
    if (removed !== undefined) this.collectGarbageSoon();
  }

  /** Starts a GC pass unless one is running. */
  collectGarbageSoon(): void {
    this.gcRunning ??= this.collectGarbage()
      .then(() => undefined, this.o.onBackgroundError)
      .finally(() => { this.gcRunning = undefined; });
  }

  /** Waits for the running GC pass, if any (tests, shutdown). */
  async idle(): Promise<void> {
    await this.gcRunning;
  }

  /**
   * Deletes the fragments of replaced and deleted versions and of abandoned writes. An abandoned write's fragments
   * are found by listing its locations under its version id (its manifest never reached metadata).
   */
  async collectGarbage(staleIntentsOlderThanMs?: number): Promise<number> {
    if (staleIntentsOlderThanMs !== undefined) {
      for (const intent of await this.o.meta.listStaleIntents(Date.now() - staleIntentsOlderThanMs)) await this.o.meta.abortWrite(intent.versionId);
    }
    let collected = 0;
    for (;;) {
      const entries = await this.o.meta.claimGc({ limit: 50, leaseMs: 60_000 });
      if (entries.length === 0) return collected;
      for (const entry of entries) {
        const locator = entry.locator as { manifest?: unknown; parts?: unknown; locations?: readonly string[] };
        if (locator.manifest !== undefined || locator.parts !== undefined) {
          // A single DispersedObject, or a multipart object's parts: every part's fragments go.
          let failures = 0;
          for (const segment of segmentsOf(locator, 0)) {
            const { failed } = await deleteFragments(withoutKey(segment.object), this.o.registry, { requestTimeoutMs: this.o.requestTimeoutMs });
            failures += failed.length;
          }
          if (failures > 0) continue; // the lease expires and a later pass retries
        } else {
          for (const id of locator.locations ?? []) {
            if (!this.o.registry.has(id)) continue;
            const store = this.o.registry.get(id).store;
            for await (const f of store.list(`${entry.versionId}/`)) await store.delete(f.key);
          }
        }
        await this.o.meta.completeGc(entry.id);
        collected++;
      }
    }
  }

  // ---- multipart uploads

  /** The upload if it is one of this bucket and key (and the principal may `need` the bucket); NoSuchUpload otherwise. */
  private async uploadFor(p: GatewayPrincipal, bucketName: string, key: string, uploadId: string, need: Scope): Promise<{ bucket: Bucket; upload: Upload }> {
    const bucket = await this.bucketFor(p, bucketName, need);
    const upload = await this.o.meta.getUpload(uploadId);
    if (upload?.bucket !== bucketName || upload.key !== key) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    return { bucket, upload };
  }

  async createMultipartUpload(p: GatewayPrincipal, input: CreateUploadInput): Promise<UploadInfo> {
    const bucket = await this.bucketFor(p, input.bucket, 'full');
    const uploadId = Buffer.from(this.o.random(16)).toString('hex');
    const metadata = { headers: input.headers, userMetadata: input.userMetadata, ...(input.checksumAlgorithm === undefined ? {} : { checksumAlgorithm: input.checksumAlgorithm }) };
    const upload = await this.o.meta.createUpload({ uploadId, bucket: bucket.name, key: input.key, metadata });
    return uploadInfoOf(upload);
  }

  async getUpload(p: GatewayPrincipal, bucket: string, key: string, uploadId: string): Promise<UploadInfo> {
    return uploadInfoOf((await this.uploadFor(p, bucket, key, uploadId, 'read')).upload);
  }

  async uploadPart(p: GatewayPrincipal, input: UploadPartInput): Promise<PartInfo> {
    const { bucket } = await this.uploadFor(p, input.bucket, input.key, input.uploadId, 'full');
    const { id, object, digests, settled } = await this.writeDispersed(bucket, input.key, input.uploadId, input.body, input.finish);
    let replaced: Part | undefined;
    try {
      replaced = await this.o.meta.putPart({
        uploadId: input.uploadId,
        partNumber: input.partNumber,
        versionId: id,
        size: object.manifest.size,
        etag: digests.etag,
        checksums: digests.checksums,
        dispersed: object,
        storedSize: storedBytesOf(object, object.manifest.size),
      });
    } catch (error) {
      // Aborted or completed meanwhile: this part's fragments are collected with its intent.
      await this.o.meta.abortWrite(id).catch(this.o.onBackgroundError);
      this.collectGarbageSoon();
      if (isMetaError(error, 'no-such-upload')) throw new S3Error('NoSuchUpload', undefined, { UploadId: input.uploadId });
      throw error;
    }
    this.queueRepairs(id, settled);
    if (replaced !== undefined) this.collectGarbageSoon();
    return { partNumber: input.partNumber, size: object.manifest.size, etag: digests.etag, lastModified: new Date(), checksums: digests.checksums };
  }

  async listParts(p: GatewayPrincipal, bucket: string, key: string, uploadId: string, options: { after: number; limit: number }): Promise<PartsPage> {
    await this.uploadFor(p, bucket, key, uploadId, 'read');
    try {
      const page = await this.o.meta.listParts(uploadId, { partNumberMarker: options.after, limit: Math.max(1, Math.min(1000, options.limit)) });
      return { parts: page.parts.map(partInfoOf), truncated: page.isTruncated };
    } catch (error) {
      if (isMetaError(error, 'no-such-upload')) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      throw error;
    }
  }

  async listUploads(p: GatewayPrincipal, bucket: string, options: { prefix: string; keyMarker: string | undefined; uploadIdMarker: string | undefined; limit: number }): Promise<UploadsPage> {
    await this.bucketFor(p, bucket, 'read');
    const page = await this.o.meta.listUploads(bucket, {
      prefix: options.prefix,
      ...(options.keyMarker === undefined ? {} : { keyMarker: options.keyMarker }),
      ...(options.uploadIdMarker === undefined ? {} : { uploadIdMarker: options.uploadIdMarker }),
      limit: Math.max(1, Math.min(1000, options.limit)),
    });
    return { uploads: page.uploads.map(uploadInfoOf), truncated: page.isTruncated };
  }

  async completeMultipartUpload(p: GatewayPrincipal, input: CompleteUploadInput): Promise<ObjectInfo> {
    const { bucket, upload } = await this.uploadFor(p, input.bucket, input.key, input.uploadId, 'full');
    const info = uploadInfoOf(upload);
    const stored: Part[] = [];
    for (let after = 0; stored.length < MAX_PARTS; ) {
      const page = await this.o.meta.listParts(input.uploadId, { partNumberMarker: after, limit: 1000 }).catch((error: unknown) => {
        if (isMetaError(error, 'no-such-upload')) throw new S3Error('NoSuchUpload', undefined, { UploadId: input.uploadId });
        throw error;
      });
      stored.push(...page.parts);
      const last = page.parts.at(-1);
      if (!page.isTruncated || last === undefined) break;
      after = last.partNumber;
    }
    const plan = planCompletion(input.parts, stored, info.checksumAlgorithm);
    const dispersed = { version: PARTS_LAYOUT_VERSION, parts: plan.parts.map((part): StoredPartRef => ({ partNumber: part.partNumber, size: part.size, etag: part.etag, dispersed: part.dispersed })) };
    let committed;
    try {
      committed = await this.o.meta.completeUpload(
        input.uploadId,
        {
          bucket: bucket.name,
          key: input.key,
          versionId: Buffer.from(this.o.random(16)).toString('hex'),
          size: plan.size,
          etag: plan.etag,
          headers: info.headers,
          userMetadata: info.userMetadata,
          checksums: plan.checksums,
          dispersed,
          storedSize: storedBytesOf(dispersed, plan.size),
        },
        plan.parts.map((part) => ({ partNumber: part.partNumber, versionId: part.versionId })),
      );
    } catch (error) {
      if (isMetaError(error, 'no-such-upload')) throw new S3Error('NoSuchUpload', undefined, { UploadId: input.uploadId });
      if (isMetaError(error, 'invalid-part')) throw new S3Error('InvalidPart', 'A part was uploaded again while the upload was being completed');
      throw error;
    }
    if (committed.replaced !== undefined) this.o.cache?.forgetVersion(committed.replaced.versionId);
    // Parts not chosen, and the version this one replaced, were queued for GC in the same transaction.
    this.collectGarbageSoon();
    return infoOf(committed.object);
  }

  async abortMultipartUpload(p: GatewayPrincipal, bucket: string, key: string, uploadId: string): Promise<void> {
    await this.uploadFor(p, bucket, key, uploadId, 'full');
    try {
      await this.o.meta.abortUpload(uploadId);
    } catch (error) {
      if (isMetaError(error, 'no-such-upload')) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      throw error;
    }
    this.collectGarbageSoon();
  }
}

function emptyBody(): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) };
}
