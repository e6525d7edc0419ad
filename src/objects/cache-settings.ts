// The object cache's settings and counters, as the admin API reads and changes them.

export interface CacheSettings {
  readonly enabled: boolean;
  readonly maxSizeBytes: number;
  readonly minFreeDiskBytes: number;
  readonly maxFileSizeBytes: number;
  /** MIME types (exact, or `type/*`) never cached. */
  readonly mimeBlacklist: readonly string[];
  readonly readThrough: boolean;
  /** Encrypt cached files with a gateway-local key. */
  readonly encrypt: boolean;
}

export interface CacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly corruptions: number;
  /** Copies the cache could not keep (disk full, write errors): dropped, never served. */
  readonly failures: number;
}

export interface CacheService {
  settings(): CacheSettings;
  /** Validates and applies (persisted for the next start); `invalid` with the field on a bad value. */
  update(change: Partial<CacheSettings>): Promise<CacheSettings>;
  stats(): CacheStats;
}

