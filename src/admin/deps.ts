// What the admin API needs from the rest of the gateway: the services it drives, as small interfaces.

import type { HealthSnapshot } from '../dispersal/health.ts';
import type { LocationRegistry } from '../dispersal/registry.ts';
import type { AccessKey, AuditEntry, LocationRecord, MetadataStore, NewAuditEntry, Outage, ProbeKind } from '../meta/types.ts';
import type { CacheService } from '../objects/cache-settings.ts';
import type { KeyCustody } from '../objects/custody.ts';

export { ControlError, type ControlErrorKind } from '../objects/control-error.ts';
export type { CacheService, CacheSettings, CacheStats } from '../objects/cache-settings.ts';

/** How a location's store is reached. `secretAccessKey` is accepted on input only and stored wrapped. */
export type LocationStoreSpec =
  | { readonly type: 'fs'; readonly dir: string }
  | {
      readonly type: 's3' | 'edge';
      readonly endpoint: string;
      readonly bucket: string;
      readonly region: string;
      readonly accessKeyId: string;
      readonly prefix?: string;
    };

export interface NewLocationInput {
  readonly id: string;
  readonly store: LocationStoreSpec;
  /** Needed by s3 and edge stores. */
  readonly secretAccessKey?: string;
  /** Static attributes as the API takes them (snake_case SERRANO fields and edge fields). */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly trustZone?: string;
  readonly isolationTier?: number;
}

export type LocationStatus = 'active' | 'retiring' | 'retired';

export interface LocationView {
  readonly record: LocationRecord;
  readonly status: LocationStatus;
  /** Live health of this gateway's view of it; undefined when it is not loaded (retired). */
  readonly health: HealthSnapshot | undefined;
}

export interface LocationService {
  list(): Promise<LocationView[]>;
  get(id: string): Promise<LocationView>;
  /** Checks the store answers (a put/get/delete of a probe object) before it is recorded. */
  add(input: NewLocationInput): Promise<LocationView>;
  updateAttributes(id: string, change: { readonly attributes?: Readonly<Record<string, unknown>>; readonly trustZone?: string; readonly isolationTier?: number }): Promise<LocationView>;
  /** Marks it retired (nothing new goes there) and starts the evacuation job; returns that job. */
  retire(id: string): Promise<JobView>;
}

export interface BucketView {
  readonly name: string;
  readonly teamId: string;
  readonly policy: { readonly name: string; readonly version: number };
  readonly objects: number;
  readonly logicalBytes: number;
  readonly storedBytes: number;
  readonly createdAt: number;
}

export interface BucketService {
  /** Every bucket, or one team's. */
  list(teamId?: string): Promise<BucketView[]>;
  get(name: string): Promise<BucketView>;
  /** Deletes an empty bucket; `conflict` when it holds objects. */
  remove(name: string): Promise<void>;
  /** Destroys the bucket key, then the metadata; fragments are garbage-collected. Returns the objects shredded. */
  shred(name: string, actor: AuditActor): Promise<{ readonly objects: number }>;
}

export type JobKind = 'scrub' | 'repair' | 'evacuate';
export type JobState = 'running' | 'done' | 'failed';

export interface JobView {
  readonly id: string;
  readonly kind: JobKind;
  readonly state: JobState;
  /** What it is about, e.g. the location being evacuated. */
  readonly target?: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  /** Units of work (objects, or queued repairs) done and known so far. */
  readonly done: number;
  readonly total: number;
  /** Counters of the outcome (e.g. { objects, missing, corrupt, repaired }). */
  readonly summary: Readonly<Record<string, number>>;
  readonly error?: string;
}

export interface JobService {
  start(kind: 'scrub', options: { readonly mode: 'head' | 'full'; readonly bucket?: string }): JobView;
  start(kind: 'repair', options: Record<string, never>): JobView;
  start(kind: 'evacuate', options: { readonly location: string }): JobView;
  get(id: string): JobView | undefined;
  list(): JobView[];
  /** The last finished scrub, if any. */
  lastScrub(): JobView | undefined;
}

export interface RttStats {
  readonly count: number;
  readonly failures: number;
  readonly meanMs: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  readonly lastMs: number | null;
  readonly lastAt: number | null;
}

export interface LocationTelemetry {
  readonly locationId: string;
  /** Over the asked window (default 30 days). */
  readonly rtt: Readonly<Record<ProbeKind, RttStats>>;
  /** Every period of unavailability, oldest first. */
  readonly unavailability: readonly Outage[];
  /** Raw samples over the window when asked for (`samples=true`), oldest first. */
  readonly samples?: readonly { readonly probe: ProbeKind; readonly at: number; readonly ok: boolean; readonly rttMs: number | null }[];
}

export interface TelemetryService {
  summary(locationId: string, options: { readonly sinceMs: number; readonly samples: boolean }): Promise<LocationTelemetry>;
  /** Probes every location now (also runs on its schedule). */
  probeAll(): Promise<void>;
}

/** Who did something, for the audit log. */
export interface AuditActor {
  readonly accessKeyId: string;
  readonly teamId: string;
  readonly requestId: string;
}

export interface AuditService {
  record(entry: NewAuditEntry): Promise<AuditEntry>;
}

export interface ReadyReport {
  readonly ready: boolean;
  readonly metadata: boolean;
  readonly healthyLocations: number;
  readonly needed: number;
  readonly detail: string;
}

/** A caller the admin API recognised: by SigV4 with an access key, or by a bearer token acting as one. */
export interface AdminPrincipal {
  readonly accessKeyId: string;
  readonly teamId: string;
  /** Root-team keys with default scope `full`, and the DISPERSA_ADMIN_TOKEN, are administrators. */
  readonly admin: boolean;
  readonly key: AccessKey | undefined;
  readonly via: 'sigv4' | 'token' | 'root-token';
}

export interface AdminDeps {
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  readonly custody: KeyCustody;
  readonly locations: LocationService;
  readonly buckets: BucketService;
  readonly jobs: JobService;
  readonly telemetry: TelemetryService;
  readonly cache: CacheService;
  readonly audit: AuditService;
  /** Prometheus text exposition of every metric. */
  readonly metricsText: () => Promise<{ readonly contentType: string; readonly body: string }>;
  readonly ready: () => Promise<ReadyReport>;
  /** Secret and key of an access key (the S3 front door's lookup); null when unknown or revoked. */
  readonly lookupKey: (accessKeyId: string) => Promise<{ readonly secretKey: string; readonly key: AccessKey; readonly teamId: string } | null>;
  /** DISPERSA_ADMIN_TOKEN, when set: a root bearer token. */
  readonly rootToken?: string;
  readonly rootTeam: string;
  readonly defaultPolicy: string;
  readonly version: string;
  /** The S3 endpoint's base URL, as clients (the portal) should call it. */
  readonly s3Url?: string;
  /** Static files of the portal, served at `/` when present. */
  readonly portalDir?: string;
  readonly now: () => number;
  readonly log: (message: string) => void;
}
