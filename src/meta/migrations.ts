// The schema, as ordered migrations shared by both engines; the few dialect differences are named tokens.

/** The spelling of what the two engines write differently. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Binary data: wrapped secrets and keys. */
  readonly bytes: string;
  /**
   * Object keys and names: compared in UTF-8 byte order so listings agree across engines. SQLite's default BINARY collation
   * already does; PostgreSQL's default follows the locale ('a-b' vs 'a/b', 'B' vs 'a'), hence COLLATE "C".
   */
  readonly keyText: string;
  /** An id column that grows and is never reused (a late `complete` must not hit a newer entry). */
  readonly serialId: string;
  /** Row-lock suffixes for SELECT; empty where the engine runs one writing transaction at a time anyway. */
  readonly forUpdate: string;
  readonly forShare: string;
  /** Lets concurrent queue claimers pass over each other's rows instead of waiting. */
  readonly forUpdateSkipLocked: string;
}

export const SQLITE: Dialect = {
  name: 'sqlite',
  bytes: 'BLOB',
  keyText: 'TEXT',
  serialId: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  forUpdate: '',
  forShare: '',
  forUpdateSkipLocked: '',
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  bytes: 'BYTEA',
  keyText: 'TEXT COLLATE "C"',
  serialId: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  forUpdate: ' FOR UPDATE',
  forShare: ' FOR SHARE',
  forUpdateSkipLocked: ' FOR UPDATE SKIP LOCKED',
};

export interface Migration {
  /** 1, 2, ...: applied in this order and recorded in schema_migrations. */
  readonly version: number;
  readonly name: string;
  /** Statements, each run on its own (drivers differ on multi-statement strings). */
  readonly statements: (d: Dialect) => readonly string[];
}

export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

const SCOPE_CHECK = `IN ('full', 'read', 'none')`;

// Released migrations are never edited: a change to the schema is a new entry at the end.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'identities, policies, buckets, objects, writes in flight, multipart, queues',
    statements: (d) => [
      `CREATE TABLE teams (
        id ${d.keyText} PRIMARY KEY,
        name ${d.keyText} NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE access_keys (
        access_key_id ${d.keyText} PRIMARY KEY,
        team_id ${d.keyText} NOT NULL REFERENCES teams (id),
        wrapped_secret ${d.bytes} NOT NULL,
        default_scope TEXT NOT NULL CHECK (default_scope ${SCOPE_CHECK}),
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      )`,
      `CREATE INDEX access_keys_by_team ON access_keys (team_id)`,
      // By bucket name, not a foreign key: a scope may be granted before the bucket exists; deleteBucket drops them.
      `CREATE TABLE access_key_scopes (
        access_key_id ${d.keyText} NOT NULL REFERENCES access_keys (access_key_id) ON DELETE CASCADE,
        bucket ${d.keyText} NOT NULL,
        scope TEXT NOT NULL CHECK (scope ${SCOPE_CHECK}),
        PRIMARY KEY (access_key_id, bucket)
      )`,
      `CREATE INDEX access_key_scopes_by_bucket ON access_key_scopes (bucket)`,
      `CREATE TABLE storage_policies (
        name ${d.keyText} NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        document TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (name, version)
      )`,
      `CREATE TABLE buckets (
        name ${d.keyText} PRIMARY KEY,
        team_id ${d.keyText} NOT NULL REFERENCES teams (id),
        policy_name ${d.keyText} NOT NULL,
        policy_version INTEGER NOT NULL,
        wrapped_kek ${d.bytes} NOT NULL,
        created_at BIGINT NOT NULL,
        FOREIGN KEY (policy_name, policy_version) REFERENCES storage_policies (name, version)
      )`,
      `CREATE INDEX buckets_by_team ON buckets (team_id)`,
      `CREATE INDEX buckets_by_policy ON buckets (policy_name, policy_version)`,
      // The current committed version of each key; replaced versions live on only in gc_queue.
      `CREATE TABLE objects (
        bucket ${d.keyText} NOT NULL REFERENCES buckets (name),
        object_key ${d.keyText} NOT NULL,
        version_id TEXT NOT NULL UNIQUE,
        size BIGINT NOT NULL,
        etag TEXT NOT NULL,
        content_type TEXT,
        content_encoding TEXT,
        content_disposition TEXT,
        content_language TEXT,
        cache_control TEXT,
        expires TEXT,
        user_metadata TEXT NOT NULL,
        checksums TEXT NOT NULL,
        last_modified BIGINT NOT NULL,
        dispersed TEXT NOT NULL,
        PRIMARY KEY (bucket, object_key)
      )`,
      // No foreign key to buckets: an intent outlives a deleted bucket until GC has collected its fragments.
      `CREATE TABLE write_intents (
        version_id TEXT PRIMARY KEY,
        bucket ${d.keyText} NOT NULL,
        object_key ${d.keyText} NOT NULL,
        upload_id TEXT,
        target TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE INDEX write_intents_by_age ON write_intents (created_at)`,
      `CREATE TABLE gc_queue (
        id ${d.serialId},
        version_id TEXT NOT NULL,
        bucket ${d.keyText} NOT NULL,
        object_key ${d.keyText} NOT NULL,
        reason TEXT NOT NULL,
        locator TEXT NOT NULL,
        enqueued_at BIGINT NOT NULL,
        lease_until BIGINT NOT NULL DEFAULT 0
      )`,
      `CREATE INDEX gc_queue_by_lease ON gc_queue (lease_until, id)`,
      `CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY,
        bucket ${d.keyText} NOT NULL REFERENCES buckets (name),
        object_key ${d.keyText} NOT NULL,
        initiated BIGINT NOT NULL,
        metadata TEXT NOT NULL
      )`,
      `CREATE INDEX uploads_by_key ON uploads (bucket, object_key, initiated, upload_id)`,
      `CREATE TABLE upload_parts (
        upload_id TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
        part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
        version_id TEXT NOT NULL UNIQUE,
        size BIGINT NOT NULL,
        etag TEXT NOT NULL,
        checksums TEXT NOT NULL,
        dispersed TEXT NOT NULL,
        last_modified BIGINT NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      )`,
      `CREATE TABLE repair_queue (
        id ${d.serialId},
        version_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        packet_index INTEGER NOT NULL,
        reason TEXT NOT NULL,
        enqueued_at BIGINT NOT NULL,
        lease_until BIGINT NOT NULL DEFAULT 0,
        UNIQUE (version_id, generation, packet_index)
      )`,
      `CREATE INDEX repair_queue_by_lease ON repair_queue (lease_until, id)`,
    ],
  },
  {
    version: 2,
    name: 'stored sizes, locations, admin tokens, audit log, probes and outages, settings',
    statements: (d) => [
      // Rows written before this migration get 0: "unknown", which bucket statistics count as nothing stored.
      `ALTER TABLE objects ADD COLUMN stored_size BIGINT NOT NULL DEFAULT 0`,
      `ALTER TABLE upload_parts ADD COLUMN stored_size BIGINT NOT NULL DEFAULT 0`,
      `CREATE TABLE locations (
        id ${d.keyText} PRIMARY KEY,
        kind TEXT NOT NULL,
        store_config TEXT NOT NULL,
        wrapped_secret ${d.bytes} NOT NULL,
        attributes TEXT NOT NULL,
        trust_zone TEXT NOT NULL,
        isolation_tier INTEGER NOT NULL CHECK (isolation_tier >= 0),
        created_at BIGINT NOT NULL,
        retired_at BIGINT
      )`,
      // Keys are revoked, never deleted, so a token can always name the key it acts as.
      `CREATE TABLE admin_tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        access_key_id ${d.keyText} NOT NULL REFERENCES access_keys (access_key_id),
        description TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT
      )`,
      `CREATE INDEX admin_tokens_by_key ON admin_tokens (access_key_id, created_at)`,
      // seq is assigned by the writer holding the log's lock (last + 1), not by a sequence: sequences leave gaps.
      `CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY CHECK (seq >= 1),
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        team_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        target TEXT NOT NULL,
        result TEXT NOT NULL,
        request_id TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE INDEX audit_log_by_time ON audit_log (at)`,
      // No foreign key to locations: samples and outages are history, kept whatever becomes of the location. The
      // probe kinds are checked by the store, not by a CHECK here: a new kind must not need a table rebuild on SQLite.
      `CREATE TABLE probe_samples (
        id ${d.serialId},
        location_id ${d.keyText} NOT NULL,
        probe TEXT NOT NULL,
        at BIGINT NOT NULL,
        ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
        rtt_ms DOUBLE PRECISION
      )`,
      `CREATE INDEX probe_samples_by_location ON probe_samples (location_id, at)`,
      `CREATE INDEX probe_samples_by_age ON probe_samples (at)`,
      `CREATE TABLE outages (
        id ${d.serialId},
        location_id ${d.keyText} NOT NULL,
        start_at BIGINT NOT NULL,
        last_failure BIGINT NOT NULL,
        end_at BIGINT
      )`,
      `CREATE INDEX outages_by_location ON outages (location_id, start_at)`,
      // At most one open outage per location, even when two gateways see the first failure at once.
      `CREATE UNIQUE INDEX outages_open ON outages (location_id) WHERE end_at IS NULL`,
      `CREATE TABLE settings (
        name ${d.keyText} PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
];
