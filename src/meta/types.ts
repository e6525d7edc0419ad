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
  /** Bytes its fragments take on locations (0 when unknown). */
  readonly storedSize?: number;
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
  /** Bytes its fragments take on locations. */
  readonly storedSize?: number;
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

/** Where a location's store is and how it is reached; secrets are kept apart, wrapped (`wrappedSecret`). */
export interface LocationRecord {
  /** [a-z0-9][a-z0-9-]{0,62} */
  readonly id: string;
  /** 'local' | 'cloud' | 'edge' (the dispersal layer's LocationKind). */
  readonly kind: string;
  /** Store settings as JSON (type, dir or endpoint/bucket/region/accessKeyId...): the admin layer's business. */
  readonly store: unknown;
  /** The store's secret (e.g. an S3 secret key) wrapped by the master key; empty when it has none. */
  readonly wrappedSecret: Uint8Array;
  /** The static attributes (SERRANO fields, edge fields) as JSON. */
  readonly attributes: unknown;
  readonly trustZone: string;
  readonly isolationTier: number;
  readonly createdAt: Millis;
  /** Set when the location was retired: nothing new goes there, evacuation moves fragments off it. */
  readonly retiredAt?: Millis;
}

export type NewLocationRecord = Omit<LocationRecord, 'createdAt' | 'retiredAt'>;

export interface NewAdminToken {
  /** Public id of the token (shown in listings), e.g. 16 hex digits. */
  readonly id: string;
  /** SHA-256 (hex) of the token: the token itself is never stored. */
  readonly tokenHash: string;
  /** The key the token acts as. */
  readonly accessKeyId: string;
  readonly description: string;
  readonly expiresAt?: Millis;
}

export interface AdminToken extends NewAdminToken {
  readonly createdAt: Millis;
  readonly revokedAt?: Millis;
}

/** One entry of the tamper-evident audit log, before the store numbers and chains it. */
export interface NewAuditEntry {
  /** Access key that acted ('-' when none could be established, e.g. an unknown key). */
  readonly actor: string;
  readonly teamId: string;
  /** e.g. 'PutObject', 'policy.create', 'auth.failure'. */
  readonly operation: string;
  /** What was acted on, e.g. 'bucket/key', 'policy/eu', 'location/local-3'. */
  readonly target: string;
  /** 'ok' or an error code (e.g. 'AccessDenied', 'SignatureDoesNotMatch'). */
  readonly result: string;
  readonly requestId: string;
}

export interface AuditEntry extends NewAuditEntry {
  /** 1, 2, 3...: gapless. */
  readonly seq: number;
  readonly at: Millis;
  /** Hash (hex) of the previous entry; 64 zeros for the first. */
  readonly prevHash: string;
  /** auditEntryHash(this entry): see src/meta/audit-chain.ts. */
  readonly hash: string;
}

export interface AuditQuery {
  /** Only entries with seq > sinceSeq. */
  readonly sinceSeq?: number;
  /** Only entries at or after this time. */
  readonly sinceTime?: Millis;
  /** 1..1000, default 100. */
  readonly limit?: number;
}

export type ProbeKind = 'upload-1B' | 'download-1B' | 'upload-1MB' | 'download-1MB';

export const PROBE_KINDS: readonly ProbeKind[] = ['upload-1B', 'download-1B', 'upload-1MB', 'download-1MB'];

export interface ProbeSample {
  readonly locationId: string;
  readonly probe: ProbeKind;
  readonly at: Millis;
  readonly ok: boolean;
  /** Round-trip time; null when the probe failed. */
  readonly rttMs: number | null;
}

/** A period a location did not answer its probes; `end` unset while it lasts. */
export interface Outage {
  readonly id: number;
  readonly locationId: string;
  readonly start: Millis;
  /** The last failed probe seen in it (so far). */
  readonly lastFailure: Millis;
  readonly end?: Millis;
}

export interface BucketStats {
  readonly objects: number;
  /** Sum of object sizes. */
  readonly logicalBytes: number;
  /** Sum of the bytes their fragments take on locations. */
  readonly storedBytes: number;
}

/** Where the bytes of a committed object version or a stored part are, found by its version id (for repair). */
export interface StoredVersion {
  readonly kind: 'object' | 'part';
  readonly versionId: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly dispersed: unknown;
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
  /** Tasks waiting (claimed or not). */
  repairQueueDepth(): Promise<number>;
  /** The current object version or stored part with this version id. */
  getStoredVersion(versionId: string): Promise<StoredVersion | undefined>;
  /** Every current object version, in (bucket, key) order, a page at a time (scrub). `after` is exclusive. */
  listAllObjects(options: { readonly after?: { readonly bucket: string; readonly key: string }; readonly limit: number }): Promise<ObjectVersion[]>;

  bucketStats(bucket: string): Promise<BucketStats>;
  /**
   * Crypto-shreds a bucket in one transaction: its wrapped KEK is erased first (overwritten, then the row goes),
   * every object version, upload and part is queued for GC, and scopes naming it are dropped. Returns how many
   * object versions were queued. `no-such-bucket` when it does not exist.
   */
  shredBucket(name: string): Promise<number>;

  putLocation(location: NewLocationRecord): Promise<LocationRecord>;
  getLocation(id: string): Promise<LocationRecord | undefined>;
  /** By id; retired ones included. */
  listLocations(): Promise<LocationRecord[]>;
  /** Replaces attributes / trust zone / isolation tier; `no-such-location` when missing. */
  updateLocation(id: string, change: { readonly attributes?: unknown; readonly trustZone?: string; readonly isolationTier?: number }): Promise<LocationRecord>;
  retireLocation(id: string, at: Millis): Promise<LocationRecord>;

  createToken(token: NewAdminToken): Promise<AdminToken>;
  getTokenByHash(tokenHash: string): Promise<AdminToken | undefined>;
  listTokens(accessKeyId?: string): Promise<AdminToken[]>;
  /** `no-such-token` when missing. */
  revokeToken(id: string): Promise<void>;

  /** Appends one entry, numbered and chained to the previous one under a lock (one writer at a time, any gateway). */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** By seq ascending. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;

  recordProbe(sample: ProbeSample): Promise<void>;
  /** Samples of one location since `since`, oldest first. */
  listProbes(locationId: string, since: Millis): Promise<ProbeSample[]>;
  /** Deletes samples older than `before` (outages are kept). Returns how many went. */
  pruneProbes(before: Millis): Promise<number>;
  /** A failed probe: extends the location's open outage or opens one. */
  recordProbeFailure(locationId: string, at: Millis): Promise<Outage>;
  /** A successful probe: ends the location's open outage, if any. */
  recordProbeSuccess(locationId: string, at: Millis): Promise<void>;
  /** Oldest first. */
  listOutages(locationId: string): Promise<Outage[]>;

  /** Small JSON settings shared by every gateway (e.g. the cache settings). */
  getSetting(name: string): Promise<unknown>;
  putSetting(name: string, value: unknown): Promise<void>;
}

/** What a key may do in a bucket: nothing once revoked or outside its team, else the bucket's scope or the default. */
export function effectiveScope(key: AccessKey, bucket: Pick<Bucket, 'name' | 'teamId'>): Scope {
  if (key.revokedAt !== undefined || key.teamId !== bucket.teamId) return 'none';
  return key.scopes[bucket.name] ?? key.defaultScope;
}
