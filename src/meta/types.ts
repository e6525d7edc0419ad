// The metadata store interface: identities, buckets, policies, committed object versions, writes in flight, queues.

/** Access a key has to a bucket: the SERRANO canned-ACL-like model. */
export type Scope = 'full' | 'read' | 'none';

export const SCOPES: readonly Scope[] = ['full', 'read', 'none'];

/** Milliseconds since the Unix epoch (the store's clock, injectable for tests). */
export type Millis = number;

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Millis;
}

export interface NewAccessKey {
  readonly accessKeyId: string;
  readonly teamId: string;
  /** The secret wrapped by the master key: the store never sees it in the clear. */
  readonly wrappedSecret: Uint8Array;
  readonly defaultScope: Scope;
  /** Per-bucket scopes overriding the default. */
  readonly scopes?: Readonly<Record<string, Scope>>;
}

export interface AccessKey {
  readonly accessKeyId: string;
  readonly teamId: string;
  readonly wrappedSecret: Uint8Array;
  readonly defaultScope: Scope;
  readonly scopes: Readonly<Record<string, Scope>>;
  readonly createdAt: Millis;
  readonly revokedAt?: Millis;
}

export interface StoragePolicy {
  readonly name: string;
  /** 1, 2, ...: a version is immutable once stored; an edit stores the next one. */
  readonly version: number;
  /** The policy as JSON (its shape is the admin layer's business). */
  readonly document: unknown;
  readonly createdAt: Millis;
}

export interface NewBucket {
  readonly name: string;
  readonly teamId: string;
  readonly policyName: string;
  readonly policyVersion: number;
  /** The bucket key wrapped by the master key; deleting the bucket row crypto-shreds its objects. */
  readonly wrappedKek: Uint8Array;
}

export interface Bucket extends NewBucket {
  readonly createdAt: Millis;
}

/** The standard headers S3 round-trips for an object. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
}

export interface NewObjectVersion {
  readonly bucket: string;
  readonly key: string;
  /** The random id the fragments are named after; one write intent with this id must exist at commit. */
  readonly versionId: string;
  readonly size: number;
  readonly etag: string;
  readonly headers?: ObjectHeaders;
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** Checksums by algorithm name (e.g. CRC32 → base64), as S3 returns them. */
  readonly checksums?: Readonly<Record<string, string>>;
  /**
   * Where the bytes are: a DispersedObject (manifest + placement) or, for a multipart object, whatever the object
   * service composes from its parts. Stored as JSON text and handed back parsed: validate it on the way out.
   */
  readonly dispersed: unknown;
}

export interface ObjectVersion extends NewObjectVersion {
  readonly headers: ObjectHeaders;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly checksums: Readonly<Record<string, string>>;
  /** Commit time. */
  readonly lastModified: Millis;
}

/** What a listing returns per object: enough for ListObjects, without the (possibly large) DispersedObject. */
export interface ObjectSummary {
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Millis;
  readonly checksums: Readonly<Record<string, string>>;
}

/** Conditions checked under the key's lock at commit or delete; a failed one is `precondition-failed`. */
export interface Precondition {
  /** The key must have no current version (If-None-Match: *). */
  readonly ifAbsent?: boolean;
  /** The current version must have this ETag (If-Match). */
  readonly ifEtag?: string;
  /** The current version must be this one (internal read-modify-write). */
  readonly ifVersionId?: string;
}

export interface CommitResult {
  readonly object: ObjectVersion;
  /** The version this commit replaced; it is already queued for GC. */
  readonly replaced?: ObjectVersion;
}

export interface ListObjectsOptions {
  readonly prefix?: string;
  /** Exclusive: only keys (and common prefixes) after this one in byte order. */
  readonly startAfter?: string;
  /** Groups keys sharing `prefix + … + delimiter` into one common prefix. */
  readonly delimiter?: string;
  /** Objects + common prefixes per page, 1..1000 (default 1000). */
  readonly limit?: number;
}

export interface ObjectListing {
  readonly objects: readonly ObjectSummary[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /** When truncated: pass as `startAfter` for the next page (the last key or common prefix returned). */
  readonly nextStartAfter?: string;
}

export interface NewWriteIntent {
  readonly versionId: string;
  readonly bucket: string;
  readonly key: string;
  /** Set when the write is a part of this multipart upload. */
  readonly uploadId?: string;
  /** What GC needs to find the fragments if the write is abandoned (e.g. the placement and generation count). */
  readonly target: unknown;
}

export interface WriteIntent extends NewWriteIntent {
  readonly createdAt: Millis;
}

export type GcReason = 'replaced' | 'deleted' | 'abandoned-write' | 'part-replaced' | 'part-unused' | 'upload-aborted';

export interface GcEntry {
  readonly id: number;
  readonly versionId: string;
  readonly bucket: string;
  readonly key: string;
  readonly reason: GcReason;
  /** How to find the fragments: the DispersedObject of a committed version, or the target of an abandoned write. */
  readonly locator: unknown;
  readonly enqueuedAt: Millis;
}

export interface NewUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  /** Headers, user metadata, checksum algorithm...: what CompleteMultipartUpload will need. */
  readonly metadata: unknown;
}

export interface Upload extends NewUpload {
  readonly initiated: Millis;
}

export interface ListUploadsOptions {
  readonly prefix?: string;
  readonly keyMarker?: string;
  /** With keyMarker: continue after this upload of that key. */
  readonly uploadIdMarker?: string;
  readonly limit?: number;
}

export interface UploadListing {
  readonly uploads: readonly Upload[];
  readonly isTruncated: boolean;
}

export interface NewPart {
  readonly uploadId: string;
  /** 1..10000 */
  readonly partNumber: number;
  /** The part's own fragment namespace; one write intent with this id and upload must exist. */
  readonly versionId: string;
  readonly size: number;
  readonly etag: string;
  readonly checksums?: Readonly<Record<string, string>>;
  readonly dispersed: unknown;
}

export interface Part extends NewPart {
  readonly checksums: Readonly<Record<string, string>>;
  readonly lastModified: Millis;
}

export interface ListPartsOptions {
  /** Exclusive. */
  readonly partNumberMarker?: number;
  readonly limit?: number;
}

export interface PartListing {
  readonly parts: readonly Part[];
  readonly isTruncated: boolean;
}

/** The parts a completed object is made of, each pinned to the version the caller composed the object from. */
export interface ChosenPart {
  readonly partNumber: number;
  readonly versionId: string;
}

export interface NewRepairTask {
  readonly versionId: string;
  readonly generation: number;
  readonly packetIndex: number;
  readonly reason: string;
}

export interface RepairTask extends NewRepairTask {
  readonly id: number;
  readonly enqueuedAt: Millis;
}

export interface ClaimOptions {
  readonly limit: number;
  /** The claimed entries are hidden from other claimers this long; unfinished ones come back afterwards. */
  readonly leaseMs: number;
}

export type EngineName = 'sqlite' | 'postgres';

/**
 * Everything a gateway remembers. Every method is atomic; several gateways may share one PostgreSQL database, so
 * each write that could race another gateway's is decided inside the database (row locks, conditional updates).
 */
export interface MetadataStore {
  readonly engine: EngineName;
  /** Applies the migrations this store does not have yet; returns how many ran (0 when up to date). */
  migrate(): Promise<number>;
  close(): Promise<void>;

  createTeam(team: { readonly id: string; readonly name: string }): Promise<Team>;
  getTeam(id: string): Promise<Team | undefined>;
  listTeams(): Promise<Team[]>;

  createAccessKey(key: NewAccessKey): Promise<AccessKey>;
  /** Revoked keys are returned too (with `revokedAt`): the caller tells "revoked" from "unknown". */
  getAccessKey(accessKeyId: string): Promise<AccessKey | undefined>;
  listAccessKeys(teamId?: string): Promise<AccessKey[]>;
  /** Sets one bucket's scope for a key; `undefined` removes it, so the default applies. */
  setScope(accessKeyId: string, bucket: string, scope: Scope | undefined): Promise<void>;
  setDefaultScope(accessKeyId: string, scope: Scope): Promise<void>;
  revokeAccessKey(accessKeyId: string): Promise<void>;

  /** Stores `document` as the next version of `name`, unless it equals the latest version (then returns that). */
  putPolicy(name: string, document: unknown): Promise<StoragePolicy>;
  /** The given version, or the latest when `version` is omitted. */
  getPolicy(name: string, version?: number): Promise<StoragePolicy | undefined>;
  /** The latest version of every policy, by name. */
  listPolicies(): Promise<StoragePolicy[]>;
  listPolicyVersions(name: string): Promise<StoragePolicy[]>;
  /** Deletes every version; `policy-in-use` while a bucket refers to one. */
  deletePolicy(name: string): Promise<void>;

  createBucket(bucket: NewBucket): Promise<Bucket>;
  getBucket(name: string): Promise<Bucket | undefined>;
  /** By name in byte order; only one team's when `teamId` is given. */
  listBuckets(teamId?: string): Promise<Bucket[]>;
  /**
   * `bucket-not-empty` while it holds an object. Unfinished multipart uploads are aborted (their parts queued for
   * GC) and scopes naming the bucket are dropped, in the same transaction.
   */
  deleteBucket(name: string): Promise<void>;

  /** Records a write BEFORE any fragment of it is stored, so a crash leaves something GC can find. */
  beginWrite(intent: NewWriteIntent): Promise<WriteIntent>;
  /** Moves an intent to the GC queue (write failed or found stale); false when it was already committed or aborted. */
  abortWrite(versionId: string): Promise<boolean>;
  /** Intents created before `olderThan`: writes that crashed or hang; abort them, then collect their fragments. */
  listStaleIntents(olderThan: Millis, limit?: number): Promise<WriteIntent[]>;

  /**
   * Makes `object` the current version of (bucket, key) and consumes its intent, in one transaction. The replaced
   * version (if any) is queued for GC and returned. `no-such-intent` when the intent is gone (aborted as stale: its
   * fragments may be deleted already), `precondition-failed` when a condition fails (the intent then stays).
   */
  commitObject(object: NewObjectVersion, precondition?: Precondition): Promise<CommitResult>;
  getObject(bucket: string, key: string): Promise<ObjectVersion | undefined>;
  /** Removes the current version and queues it for GC; undefined when there was none. */
  deleteObject(bucket: string, key: string, precondition?: Precondition): Promise<ObjectVersion | undefined>;
  /** Keys in byte (UTF-8 binary) order, the same on every engine. */
  listObjects(bucket: string, options?: ListObjectsOptions): Promise<ObjectListing>;
  /**
   * Replaces the stored `dispersed` JSON of the current object or part with this version id (after repair moved a
   * fragment). False when that version is no longer current. With `ifCurrent`, `conflict` when the stored JSON
   * differs from it (another repair got there first).
   */
  updateDispersed(versionId: string, dispersed: unknown, ifCurrent?: unknown): Promise<boolean>;

  createUpload(upload: NewUpload): Promise<Upload>;
  getUpload(uploadId: string): Promise<Upload | undefined>;
  /** By key (byte order), then initiation time. */
  listUploads(bucket: string, options?: ListUploadsOptions): Promise<UploadListing>;
  /** Stores a part and consumes its intent; a replaced part (same number) is queued for GC and returned. */
  putPart(part: NewPart): Promise<Part | undefined>;
  /** By part number. */
  listParts(uploadId: string, options?: ListPartsOptions): Promise<PartListing>;
  /**
   * Commits `object` (made of `parts`) and ends the upload, in one transaction: parts not chosen are queued for GC,
   * as is the version it replaces. `invalid-part` when a chosen part is missing or was re-uploaded since.
   */
  completeUpload(uploadId: string, object: NewObjectVersion, parts: readonly ChosenPart[], precondition?: Precondition): Promise<CommitResult>;
  /** Ends the upload and queues every part for GC. */
  abortUpload(uploadId: string): Promise<void>;

  /** Entries whose fragments must be deleted; delete them, then `completeGc`. */
  claimGc(options: ClaimOptions): Promise<GcEntry[]>;
  completeGc(id: number): Promise<void>;

  /** Idempotent per (version, generation, packet). */
  enqueueRepair(task: NewRepairTask): Promise<void>;
  claimRepairs(options: ClaimOptions): Promise<RepairTask[]>;
  completeRepair(id: number): Promise<void>;
}

/** What a key may do in a bucket: nothing once revoked or outside its team, else the bucket's scope or the default. */
export function effectiveScope(key: AccessKey, bucket: Pick<Bucket, 'name' | 'teamId'>): Scope {
  if (key.revokedAt !== undefined || key.teamId !== bucket.teamId) return 'none';
  return key.scopes[bucket.name] ?? key.defaultScope;
}
