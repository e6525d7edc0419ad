// The gateway's object service behind the S3 front door: buckets and objects in metadata, bytes coded and dispersed.

import type { GfKernel } from '../core/gf256/kernel.ts';
import { parseManifest } from '../core/format/manifest.ts';
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
import { effectiveScope } from '../meta/types.ts';
import type { SigV4Credential } from '../s3/auth/sigv4.ts';
import type { BucketInfo, GetResult, ListPage, ObjectInfo, PutObjectInput, S3Backend } from '../s3/backend.ts';
import { S3Error } from '../s3/errors.ts';
import type { KeyCustody } from './custody.ts';

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
}

const SCOPE_RANK: Record<Scope, number> = { none: 0, read: 1, full: 2 };

/** The stored form of a storage policy: what dispersal needs, validated whenever it is read. */
export function parsePolicyDocument(document: unknown, registry: LocationRegistry): DispersalPolicy {
  const policy = document as DispersalPolicy;
  try {
    validateDispersalPolicy(policy, registry);
  } catch (error) {
    throw new Error(`stored storage policy is invalid: ${(error as Error).message}`, { cause: error });
  }
  return policy;
}

function parseDispersed(value: unknown): DispersedObject {
  const v = value as { manifest?: unknown; placement?: DispersedObject['placement'] };
  if (v.placement === undefined) throw new Error('stored object has no placement');
  return { manifest: parseManifest(v.manifest), placement: v.placement };
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
    await this.bucketFor(p, name, 'full');
    try {
      await this.o.meta.deleteBucket(name);
    } catch (error) {
      if (isMetaError(error, 'bucket-not-empty')) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
      throw error;
    }
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

  async putObject(p: GatewayPrincipal, input: PutObjectInput): Promise<ObjectInfo> {
    const bucket = await this.bucketFor(p, input.bucket, 'full');
    const policy = await this.policyOf(bucket);
    const bucketKek = this.o.custody.bucketKey(bucket.name, bucket.wrappedKek);
    let versionId: string | undefined;
    let result;
    try {
      result = await writeObject(input.body, policy, this.o.registry, {
        kernel: this.o.kernel,
        bucketKek,
        random: this.o.random,
        pool: this.o.pool,
        requestTimeoutMs: this.o.requestTimeoutMs,
        beforeWrite: async (id) => {
          versionId = id;
          await this.o.meta.beginWrite({ versionId: id, bucket: bucket.name, key: input.key, target: { locations: policy.locations } });
        },
      });
    } catch (error) {
      if (versionId !== undefined) await this.o.meta.abortWrite(versionId).catch(this.o.onBackgroundError);
      this.collectGarbageSoon();
      if (error instanceof DispersalError && error.kind === 'write-quorum-not-met') throw new S3Error('ServiceUnavailable', 'Not enough storage locations are available to store the object; try again later');
      throw error;
    }
    const id = result.object.manifest.objectVersionId;
    let digests;
    try {
      digests = input.finish();
    } catch (error) {
      // A bad checksum or signature: the new bytes must not become visible, nor stay stored.
      await this.o.meta.abortWrite(id).catch(this.o.onBackgroundError);
      this.collectGarbageSoon();
      throw error;
    }
    const committed = await this.o.meta.commitObject({
      bucket: bucket.name,
      key: input.key,
      versionId: id,
      size: result.object.manifest.size,
      etag: digests.etag,
      headers: input.headers,
      userMetadata: input.userMetadata,
      checksums: digests.checksums,
      dispersed: result.object,
    });
    void result.settled.then(
      (missing) => Promise.all(missing.map((m) => this.o.meta.enqueueRepair({ versionId: id, generation: m.generation, packetIndex: m.packetIndex, reason: 'write-missed' }))),
      this.o.onBackgroundError,
    ).catch(this.o.onBackgroundError);
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
    const dispersed = parseDispersed(object.dispersed);
    const bucketKek = this.o.custody.bucketKey(b.name, b.wrappedKek);
    const parts = readObject(dispersed, this.o.registry, {
      kernel: this.o.kernel,
      bucketKek,
      requestTimeoutMs: this.o.requestTimeoutMs,
      ...(range === undefined ? {} : { range }),
      onBadFragment: (generation, packetIndex, _location, reason) => {
        void this.o.meta.enqueueRepair({ versionId: object.versionId, generation, packetIndex, reason }).catch(this.o.onBackgroundError);
      },
    });
    // The first generation is decoded before answering, so a read that cannot succeed fails with an S3 error
    // instead of a truncated 200.
    const first = await parts.next().catch((error: unknown) => {
      if (error instanceof CodecError) throw new S3Error('ServiceUnavailable', 'Not enough fragments of the object are reachable right now; try again later');
      throw error;
    });
    async function* body(): AsyncGenerator<Uint8Array> {
      if (first.done === true) return;
      yield first.value;
      yield* parts;
    }
    return { info: infoOf(object), body: body() };
  }

  async deleteObject(p: GatewayPrincipal, bucket: string, key: string): Promise<void> {
    await this.bucketFor(p, bucket, 'full');
    const removed = await this.o.meta.deleteObject(bucket, key);
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
        const locator = entry.locator as { manifest?: unknown; placement?: unknown; locations?: readonly string[] };
        if (locator.manifest !== undefined) {
          const { failed } = await deleteFragments(withoutKey(parseDispersed(locator)), this.o.registry, { requestTimeoutMs: this.o.requestTimeoutMs });
          if (failed.length > 0) continue; // the lease expires and a later pass retries
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
}

