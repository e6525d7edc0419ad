// Buckets as the control plane sees them: usage statistics, deletion, and crypto-shredding.

import { isMetaError } from '../meta/errors.ts';
import type { Bucket, MetadataStore } from '../meta/types.ts';
import type { KeyCustody } from '../objects/custody.ts';
import { ControlError, type AuditActor, type AuditService, type BucketService, type BucketView } from './deps.ts';

export interface BucketManagerOptions {
  readonly meta: MetadataStore;
  readonly custody: KeyCustody;
  readonly audit: AuditService;
  /** Starts collecting the fragments of what was deleted. */
  readonly collectGarbageSoon: () => void;
  /** Drops whatever a local cache holds of the bucket. */
  readonly purgeCache: (bucket: string) => Promise<void>;
}

export class BucketManager implements BucketService {
  constructor(private readonly o: BucketManagerOptions) {}

  private async view(bucket: Bucket): Promise<BucketView> {
    const stats = await this.o.meta.bucketStats(bucket.name);
    return {
      name: bucket.name,
      teamId: bucket.teamId,
      policy: { name: bucket.policyName, version: bucket.policyVersion },
      objects: stats.objects,
      logicalBytes: stats.logicalBytes,
      storedBytes: stats.storedBytes,
      createdAt: bucket.createdAt,
    };
  }

  private async bucket(name: string): Promise<Bucket> {
    const bucket = await this.o.meta.getBucket(name);
    if (bucket === undefined) throw new ControlError('not-found', `no bucket ${JSON.stringify(name)}`);
    return bucket;
  }

  async list(teamId?: string): Promise<BucketView[]> {
    return Promise.all((await this.o.meta.listBuckets(teamId)).map((b) => this.view(b)));
  }

  async get(name: string): Promise<BucketView> {
    return this.view(await this.bucket(name));
  }

  async remove(name: string): Promise<void> {
    const bucket = await this.bucket(name);
    try {
      await this.o.meta.deleteBucket(name);
    } catch (error) {
      if (isMetaError(error, 'bucket-not-empty')) throw new ControlError('conflict', `bucket ${name} is not empty: delete its objects first, or shred it (?shred=true)`);
      throw error;
    }
    this.o.custody.destroyBucketKey(bucket.wrappedKek);
    await this.o.purgeCache(name);
    this.o.collectGarbageSoon();
  }

  /**
   * The key goes first: from the moment its vault entry is destroyed nobody can decrypt an object of the bucket,
   * whatever copies of metadata or fragments exist. If removing the metadata then fails, the bucket is left
   * unreadable and a retry finishes the job (destroying a destroyed key is a no-op).
   */
  async shred(name: string, actor: AuditActor): Promise<{ readonly objects: number }> {
    const bucket = await this.bucket(name);
    this.o.custody.destroyBucketKey(bucket.wrappedKek);
    await this.o.audit.record({ actor: actor.accessKeyId, teamId: actor.teamId, operation: 'bucket.shred-key', target: `bucket/${name}`, result: 'ok', requestId: actor.requestId });
    let objects: number;
    try {
      objects = await this.o.meta.shredBucket(name);
    } catch (error) {
      if (isMetaError(error, 'no-such-bucket')) throw new ControlError('not-found', `no bucket ${JSON.stringify(name)}`);
      throw error;
    }
    await this.o.purgeCache(name);
    this.o.collectGarbageSoon();
    return { objects };
  }
}
