// The admin API's JSON bodies as the portal reads them (docs/openapi.json is the reference; fields are snake_case).

export type Scope = 'full' | 'read' | 'none';
export const SCOPES: readonly Scope[] = ['full', 'read', 'none'];

export interface Whoami {
  readonly access_key_id: string;
  readonly team_id: string;
  readonly admin: boolean;
  readonly via: 'sigv4' | 'token' | 'root-token';
  readonly default_scope: Scope;
  readonly scopes: Readonly<Record<string, Scope>>;
}

export interface Job {
  readonly id: string;
  readonly kind: 'scrub' | 'repair' | 'evacuate';
  readonly state: 'running' | 'done' | 'failed';
  readonly target: string | null;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly done: number;
  readonly total: number;
  readonly summary: Readonly<Record<string, number>>;
  readonly error: string | null;
}

export interface SystemInfo {
  readonly version: string;
  readonly s3_url?: string | null;
  readonly gf_backend: string;
  readonly metadata_engine: 'sqlite' | 'postgres';
  readonly repair_queue_depth: number;
  readonly last_scrub: Job | null;
  readonly jobs_running: number;
  readonly locations: { readonly total: number; readonly healthy: number };
}

export type CompressionScheme = 'NONE' | 'DEFLATE' | 'BROTLI';
export type Coefficients = 'inline' | 'metadata';

/** The fields a policy request carries (the SERRANO document, extended). */
export interface PolicyDocument {
  readonly description: string;
  readonly backends: readonly string[];
  readonly edge_devices: readonly string[];
  readonly redundancy: { readonly scheme: 'RLNC'; readonly data_packets: number; readonly redundant_packets: number; readonly systematic: boolean };
  readonly compression: { readonly scheme: CompressionScheme; readonly level: number };
  readonly encryption: { readonly scheme: 'AES'; readonly key_size: 256; readonly mode: 'GCM' };
  readonly generation_size: number;
  readonly write_quorum: number;
  readonly coefficients: Coefficients;
}

export interface Policy extends PolicyDocument {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly created_at: string;
}

export type LocationKind = 'local' | 'cloud' | 'edge';

export interface LocationAttributes {
  readonly provider?: string;
  readonly url?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly country?: string;
  readonly city?: string;
  readonly region?: string;
  readonly jurisdiction?: string;
  readonly gdpr_compliant?: boolean;
  readonly storage_cost_per_gb_month?: number;
  readonly ingress_cost_per_gb?: number;
  readonly egress_cost_per_gb?: number;
  readonly name?: string;
  readonly description?: string;
  readonly cluster_id?: string;
  readonly team_id?: string;
}

interface LatencyStats {
  readonly ewma_ms: number | null;
  readonly p95_ms: number | null;
  readonly samples: number;
}

export interface LocationHealth {
  readonly breaker: 'closed' | 'open' | 'half-open';
  readonly error_rate: number;
  readonly successes: number;
  readonly failures: { readonly error: number; readonly timeout: number; readonly integrity: number };
  readonly latency: { readonly small: LatencyStats; readonly large: LatencyStats };
}

export interface LocationInfo {
  readonly id: string;
  readonly kind: LocationKind;
  readonly store: { readonly type: string; readonly dir?: string; readonly endpoint?: string; readonly bucket?: string; readonly region?: string };
  readonly attributes: LocationAttributes;
  readonly trust_zone: string;
  readonly isolation_tier: number;
  readonly status: 'active' | 'retiring' | 'retired';
  readonly created_at: string;
  readonly retired_at: string | null;
  readonly health: LocationHealth | null;
}

export type ProbeKind = 'upload_1B' | 'download_1B' | 'upload_1MB' | 'download_1MB';
export const PROBE_KINDS: readonly ProbeKind[] = ['upload_1B', 'download_1B', 'upload_1MB', 'download_1MB'];

export interface RttStats {
  readonly count: number;
  readonly failures: number;
  readonly mean_ms: number | null;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly min_ms: number | null;
  readonly max_ms: number | null;
  readonly last_ms: number | null;
  readonly last_at: string | null;
}

export interface Outage {
  readonly start: string;
  readonly end: string | null;
}

export interface Sample {
  readonly probe: ProbeKind;
  readonly at: string;
  readonly ok: boolean;
  readonly rtt_ms: number | null;
}

/** One entry of `/api/v1/cloud_locations` or `/api/v1/edge_locations` (the fields both share, plus the rest loosely). */
export interface LocationTelemetry {
  readonly id: string;
  readonly kind: LocationKind;
  readonly status: 'active' | 'retiring' | 'retired';
  readonly rtt: Readonly<Record<ProbeKind, RttStats>>;
  readonly unavailability: readonly Outage[];
  readonly samples?: readonly Sample[];
  readonly latitude?: number | null;
  readonly longitude?: number | null;
}

export interface AccessKey {
  readonly access_key_id: string;
  readonly team_id: string;
  readonly default_scope: Scope;
  readonly scopes: Readonly<Record<string, Scope>>;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

export interface AccessKeyCreated extends AccessKey {
  readonly secret_access_key: string;
}

export interface Bucket {
  readonly name: string;
  readonly team_id: string;
  readonly policy: { readonly name: string; readonly version: number };
  readonly objects: number;
  readonly logical_bytes: number;
  readonly stored_bytes: number;
  readonly created_at: string;
}

export interface CacheSettings {
  readonly enabled: boolean;
  readonly max_size_bytes: number;
  readonly min_free_disk_bytes: number;
  readonly max_file_size_bytes: number;
  readonly mime_blacklist: readonly string[];
  readonly read_through: boolean;
  readonly encrypt: boolean;
}

export interface CacheView {
  readonly settings: CacheSettings;
  readonly stats: { readonly entries: number; readonly bytes: number; readonly hits: number; readonly misses: number; readonly evictions: number; readonly corruptions: number };
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly team_id: string;
  readonly operation: string;
  readonly target: string;
  readonly result: string;
  readonly request_id: string;
  readonly prev_hash: string;
  readonly hash: string;
}

export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly next: number | null;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly first_problem: { readonly seq: number; readonly kind: 'altered' | 'removed'; readonly message: string } | null;
}
