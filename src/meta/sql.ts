// The metadata store written once in SQL both engines understand; each engine supplies a driver and its dialect.

import { auditEntryHash, GENESIS_HASH } from './audit-chain.ts';
import { MetaError } from './errors.ts';
import { checkText, compareKeys, prefixEnd, wellFormedText } from './keys.ts';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, type Dialect } from './migrations.ts';
import {
  PROBE_KINDS,
  SCOPES,
  type AccessKey,
  type AdminToken,
  type AuditEntry,
  type AuditQuery,
  type Bucket,
  type BucketStats,
  type ChosenPart,
  type ClaimOptions,
  type CommitResult,
  type EngineName,
  type GcEntry,
  type GcReason,
  type ListObjectsOptions,
  type ListPartsOptions,
  type ListUploadsOptions,
  type LocationRecord,
  type MetadataStore,
  type Millis,
  type NewAccessKey,
  type NewAdminToken,
  type NewAuditEntry,
  type NewBucket,
  type NewLocationRecord,
  type NewObjectVersion,
  type NewPart,
  type NewRepairTask,
  type NewUpload,
  type NewWriteIntent,
  type ObjectHeaders,
  type ObjectListing,
  type ObjectSummary,
  type ObjectVersion,
  type Outage,
  type Part,
  type PartListing,
  type Precondition,
  type ProbeKind,
  type ProbeSample,
  type RepairTask,
  type Scope,
  type StoragePolicy,
  type StoredVersion,
  type Team,
  type Upload,
  type UploadListing,
  type WriteIntent,
} from './types.ts';

export type SqlValue = string | number | Uint8Array | null;
export type Row = Readonly<Record<string, unknown>>;

/** Runs statements written with `?` placeholders. */
export interface SqlExecutor {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver {
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one transaction: all or nothing. A driver may run `fn` again after a serialization failure, so `fn`
   * does nothing but SQL. Errors of an unreachable database surface as MetaError `unavailable`.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Single statements outside a transaction (reads that need no snapshot across statements). */
  readonly direct: SqlExecutor;
  /** Keeps two processes from migrating the same database at once (inside the migration's transaction). */
  lockMigrations(tx: SqlExecutor): Promise<void>;
  /** Keeps every other writer of `table`, in any process, out until the transaction ends; readers go on. */
  lockTable(tx: SqlExecutor, table: string): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Milliseconds since the epoch; tests move it to age intents and leases. */
  readonly clock?: () => Millis;
}

const MAX_PAGE = 1000;
const DEFAULT_AUDIT_PAGE = 100;
/** Rounds of "no row yet → insert → someone else inserted first" before giving up; two are the most seen in practice. */
const MAX_RACE_ROUNDS = 16;

const HEADER_COLUMNS: readonly (readonly [keyof ObjectHeaders, string])[] = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['contentDisposition', 'content_disposition'],
  ['contentLanguage', 'content_language'],
  ['cacheControl', 'cache_control'],
  ['expires', 'expires'],
];

const OBJECT_COLUMNS = [
  'bucket',
  'object_key',
  'version_id',
  'size',
  'etag',
  ...HEADER_COLUMNS.map(([, column]) => column),
  'user_metadata',
  'checksums',
  'last_modified',
  'dispersed',
  'stored_size',
];
const OBJECT_SELECT = OBJECT_COLUMNS.join(', ');
const OBJECT_PLACEHOLDERS = OBJECT_COLUMNS.map(() => '?').join(', ');
const OBJECT_UPDATE = OBJECT_COLUMNS.filter((c) => c !== 'bucket' && c !== 'object_key')
  .map((c) => `${c} = ?`)
  .join(', ');

const PART_SELECT = 'upload_id, part_number, version_id, size, etag, checksums, dispersed, last_modified, stored_size';
const KEY_SELECT = 'k.access_key_id, k.team_id, k.wrapped_secret, k.default_scope, k.created_at, k.revoked_at, s.bucket, s.scope';
const LOCATION_SELECT = 'id, kind, store_config, wrapped_secret, attributes, trust_zone, isolation_tier, created_at, retired_at';
const TOKEN_SELECT = 'id, token_hash, access_key_id, description, created_at, expires_at, revoked_at';
const AUDIT_SELECT = 'seq, at, actor, team_id, operation, target, result, request_id, prev_hash, hash';
const OUTAGE_SELECT = 'id, location_id, start_at, last_failure, end_at';
/** The dispersal layer's location ids: also safe in fragment paths and object keys of every store. */
const LOCATION_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

// ---- row decoding: the database is trusted, but a wrong type is a bug worth a clear message

function fail(column: string, expected: string, value: unknown): never {
  throw new Error(`metadata column ${column}: expected ${expected}, got ${typeof value}`);
}

function text(row: Row, column: string): string {
  const value = row[column];
  return typeof value === 'string' ? value : fail(column, 'text', value);
}

function optionalText(row: Row, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : text(row, column);
}

function int(row: Row, column: string): number {
  const value = row[column];
  // PostgreSQL hands BIGINT back as a string (it may exceed 2^53); ours never do.
  const n = typeof value === 'number' ? value : typeof value === 'string' || typeof value === 'bigint' ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : fail(column, 'a safe integer', value);
}

function optionalInt(row: Row, column: string): number | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : int(row, column);
}

function optionalNumber(row: Row, column: string): number | null {
  const value = row[column];
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : fail(column, 'a number', value);
}

function bytes(row: Row, column: string): Uint8Array {
  const value = row[column];
  // A copy: drivers hand back Buffers that may share a pool.
  return value instanceof Uint8Array ? new Uint8Array(value) : fail(column, 'bytes', value);
}

function json(row: Row, column: string): unknown {
  return JSON.parse(text(row, column)) as unknown;
}

function stringMap(row: Row, column: string): Record<string, string> {
  return json(row, column) as Record<string, string>;
}

function toJson(what: string, value: unknown): string {
  const encoded = JSON.stringify(value) as string | undefined;
  if (encoded === undefined) throw new MetaError('invalid', `${what} must be a JSON value`);
  return encoded;
}

function scope(value: unknown, what: string): Scope {
  const found = SCOPES.find((s) => s === value);
  if (found === undefined) throw new MetaError('invalid', `${what} must be one of ${SCOPES.join(', ')}`);
  return found;
}

function wholeNumber(what: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new MetaError('invalid', `${what} must be an integer in [${min}, ${max}]`);
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return MAX_PAGE;
  wholeNumber('limit', limit, 1, MAX_PAGE);
  return limit;
}

function checkStringMap(what: string, map: Readonly<Record<string, string>> | undefined): void {
  for (const [name, value] of Object.entries(map ?? {})) {
    if (typeof value !== 'string') throw new MetaError('invalid', `${what}.${name} must be a string`);
  }
}

function toTeam(row: Row): Team {
  return { id: text(row, 'id'), name: text(row, 'name'), createdAt: int(row, 'created_at') };
}

function toPolicy(row: Row): StoragePolicy {
  return { name: text(row, 'name'), version: int(row, 'version'), document: json(row, 'document'), createdAt: int(row, 'created_at') };
}

function toBucket(row: Row): Bucket {
  return {
    name: text(row, 'name'),
    teamId: text(row, 'team_id'),
    policyName: text(row, 'policy_name'),
    policyVersion: int(row, 'policy_version'),
    wrappedKek: bytes(row, 'wrapped_kek'),
    createdAt: int(row, 'created_at'),
  };
}

/** Rows of KEY_SELECT (a key LEFT JOINed with its scopes, ordered by key) → keys. */
function toAccessKeys(rows: readonly Row[]): AccessKey[] {
  const keys: AccessKey[] = [];
  let scopes: Record<string, Scope> = {};
  let last: string | undefined;
  for (const row of rows) {
    const id = text(row, 'access_key_id');
    if (id !== last) {
      last = id;
      scopes = {};
      const revokedAt = optionalInt(row, 'revoked_at');
      keys.push({
        accessKeyId: id,
        teamId: text(row, 'team_id'),
        wrappedSecret: bytes(row, 'wrapped_secret'),
        defaultScope: scope(row.default_scope, 'default_scope'),
        scopes,
        createdAt: int(row, 'created_at'),
        ...(revokedAt === undefined ? {} : { revokedAt }),
      });
    }
    const bucket = optionalText(row, 'bucket');
    if (bucket !== undefined) scopes[bucket] = scope(row.scope, 'scope');
  }
  return keys;
}

function toHeaders(row: Row): ObjectHeaders {
  const headers: Record<string, string> = {};
  for (const [field, column] of HEADER_COLUMNS) {
    const value = optionalText(row, column);
    if (value !== undefined) headers[field] = value;
  }
  return headers;
}

function toObject(row: Row): ObjectVersion {
  return {
    bucket: text(row, 'bucket'),
    key: text(row, 'object_key'),
    versionId: text(row, 'version_id'),
    size: int(row, 'size'),
    etag: text(row, 'etag'),
    headers: toHeaders(row),
    userMetadata: stringMap(row, 'user_metadata'),
    checksums: stringMap(row, 'checksums'),
    lastModified: int(row, 'last_modified'),
    dispersed: json(row, 'dispersed'),
    storedSize: int(row, 'stored_size'),
  };
}

function toSummary(row: Row): ObjectSummary {
  return {
    key: text(row, 'object_key'),
    versionId: text(row, 'version_id'),
    size: int(row, 'size'),
    etag: text(row, 'etag'),
    lastModified: int(row, 'last_modified'),
    checksums: stringMap(row, 'checksums'),
  };
}

function toIntent(row: Row): WriteIntent {
  const uploadId = optionalText(row, 'upload_id');
  return {
    versionId: text(row, 'version_id'),
    bucket: text(row, 'bucket'),
    key: text(row, 'object_key'),
    ...(uploadId === undefined ? {} : { uploadId }),
    target: json(row, 'target'),
    createdAt: int(row, 'created_at'),
  };
}

function toUpload(row: Row): Upload {
  return {
    uploadId: text(row, 'upload_id'),
    bucket: text(row, 'bucket'),
    key: text(row, 'object_key'),
    initiated: int(row, 'initiated'),
    metadata: json(row, 'metadata'),
  };
}

function toPart(row: Row): Part {
  return {
    uploadId: text(row, 'upload_id'),
    partNumber: int(row, 'part_number'),
    versionId: text(row, 'version_id'),
    size: int(row, 'size'),
    etag: text(row, 'etag'),
    checksums: stringMap(row, 'checksums'),
    dispersed: json(row, 'dispersed'),
    lastModified: int(row, 'last_modified'),
    storedSize: int(row, 'stored_size'),
  };
}

function toGcEntry(row: Row): GcEntry {
  return {
    id: int(row, 'id'),
    versionId: text(row, 'version_id'),
    bucket: text(row, 'bucket'),
    key: text(row, 'object_key'),
    reason: text(row, 'reason') as GcReason,
    locator: json(row, 'locator'),
    enqueuedAt: int(row, 'enqueued_at'),
  };
}

function toRepairTask(row: Row): RepairTask {
  return {
    id: int(row, 'id'),
    versionId: text(row, 'version_id'),
    generation: int(row, 'generation'),
    packetIndex: int(row, 'packet_index'),
    reason: text(row, 'reason'),
    enqueuedAt: int(row, 'enqueued_at'),
  };
}

function toLocation(row: Row): LocationRecord {
  const retiredAt = optionalInt(row, 'retired_at');
  return {
    id: text(row, 'id'),
    kind: text(row, 'kind'),
    store: json(row, 'store_config'),
    wrappedSecret: bytes(row, 'wrapped_secret'),
    attributes: json(row, 'attributes'),
    trustZone: text(row, 'trust_zone'),
    isolationTier: int(row, 'isolation_tier'),
    createdAt: int(row, 'created_at'),
    ...(retiredAt === undefined ? {} : { retiredAt }),
  };
}

function toToken(row: Row): AdminToken {
  const expiresAt = optionalInt(row, 'expires_at');
  const revokedAt = optionalInt(row, 'revoked_at');
  return {
    id: text(row, 'id'),
    tokenHash: text(row, 'token_hash'),
    accessKeyId: text(row, 'access_key_id'),
    description: text(row, 'description'),
    createdAt: int(row, 'created_at'),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
}

function toAuditEntry(row: Row): AuditEntry {
  return {
    seq: int(row, 'seq'),
    at: int(row, 'at'),
    actor: text(row, 'actor'),
    teamId: text(row, 'team_id'),
    operation: text(row, 'operation'),
    target: text(row, 'target'),
    result: text(row, 'result'),
    requestId: text(row, 'request_id'),
    prevHash: text(row, 'prev_hash'),
    hash: text(row, 'hash'),
  };
}

function probeKind(value: unknown, what: string): ProbeKind {
  const found = PROBE_KINDS.find((k) => k === value);
  if (found === undefined) throw new MetaError('invalid', `${what} must be one of ${PROBE_KINDS.join(', ')}`);
  return found;
}

function toProbe(row: Row): ProbeSample {
  return {
    locationId: text(row, 'location_id'),
    probe: probeKind(row.probe, 'probe'),
    at: int(row, 'at'),
    ok: int(row, 'ok') === 1,
    rttMs: optionalNumber(row, 'rtt_ms'),
  };
}

function toOutage(row: Row): Outage {
  const end = optionalInt(row, 'end_at');
  return {
    id: int(row, 'id'),
    locationId: text(row, 'location_id'),
    start: int(row, 'start_at'),
    lastFailure: int(row, 'last_failure'),
    ...(end === undefined ? {} : { end }),
  };
}

function checkPrecondition(current: ObjectVersion | undefined, precondition: Precondition | undefined): void {
  if (precondition === undefined) return;
  const { ifAbsent, ifEtag, ifVersionId } = precondition;
  if (ifAbsent === true && current !== undefined) throw new MetaError('precondition-failed', 'the key already has a current version');
  if (ifEtag !== undefined && current?.etag !== ifEtag) throw new MetaError('precondition-failed', 'the current version does not have the expected ETag');
  if (ifVersionId !== undefined && current?.versionId !== ifVersionId) {
    throw new MetaError('precondition-failed', 'the current version is not the expected one');
  }
}

function checkObject(object: NewObjectVersion): void {
  checkText('bucket name', object.bucket);
  checkText('object key', object.key);
  checkText('version id', object.versionId);
  wholeNumber('size', object.size, 0);
  wholeNumber('storedSize', object.storedSize ?? 0, 0);
  checkStringMap('userMetadata', object.userMetadata);
  checkStringMap('checksums', object.checksums);
}

/** The SQL store over any driver: the only place the metadata logic is written. */
export class SqlMetadataStore implements MetadataStore {
  readonly engine: EngineName;
  readonly #driver: SqlDriver;
  readonly #d: Dialect;
  readonly #clock: () => Millis;

  constructor(driver: SqlDriver, options: StoreOptions = {}) {
    this.#driver = driver;
    this.#d = driver.dialect;
    this.engine = driver.dialect.name;
    this.#clock = options.clock ?? Date.now;
  }

  async migrate(): Promise<number> {
    return this.#driver.transaction(async (tx) => {
      await this.#driver.lockMigrations(tx);
      await tx.run(SCHEMA_MIGRATIONS_TABLE);
      const applied = new Set((await tx.all('SELECT version FROM schema_migrations')).map((row) => int(row, 'version')));
      const known = MIGRATIONS.at(-1)?.version ?? 0;
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new MetaError('unavailable', `the metadata schema is at version ${newest}, newer than this software knows (${known}): upgrade it`);
      }
      let ran = 0;
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.statements(this.#d)) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, this.#clock()]);
        ran++;
      }
      return ran;
    });
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }

  // ---- teams and access keys

  async createTeam(team: { readonly id: string; readonly name: string }): Promise<Team> {
    checkText('team id', team.id);
    checkText('team name', team.name);
    const createdAt = this.#clock();
    const rows = await this.#driver.direct.all('INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id', [
      team.id,
      team.name,
      createdAt,
    ]);
    if (rows.length === 0) throw new MetaError('team-exists', `a team with id ${JSON.stringify(team.id)} or name ${JSON.stringify(team.name)} exists`);
    return { id: team.id, name: team.name, createdAt };
  }

  async getTeam(id: string): Promise<Team | undefined> {
    const rows = await this.#driver.direct.all('SELECT id, name, created_at FROM teams WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : toTeam(rows[0]);
  }

  async listTeams(): Promise<Team[]> {
    return (await this.#driver.direct.all('SELECT id, name, created_at FROM teams ORDER BY name')).map(toTeam);
  }

  async createAccessKey(key: NewAccessKey): Promise<AccessKey> {
    checkText('access key id', key.accessKeyId);
    scope(key.defaultScope, 'defaultScope');
    for (const [bucket, s] of Object.entries(key.scopes ?? {})) {
      checkText('bucket name', bucket);
      scope(s, `scope of ${bucket}`);
    }
    return this.#driver.transaction(async (tx) => {
      await this.#lockTeam(tx, key.teamId);
      const inserted = await tx.all(
        'INSERT INTO access_keys (access_key_id, team_id, wrapped_secret, default_scope, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING access_key_id',
        [key.accessKeyId, key.teamId, key.wrappedSecret, key.defaultScope, this.#clock()],
      );
      if (inserted.length === 0) throw new MetaError('access-key-exists', `access key ${key.accessKeyId} exists`);
      for (const [bucket, s] of Object.entries(key.scopes ?? {})) {
        await tx.run('INSERT INTO access_key_scopes (access_key_id, bucket, scope) VALUES (?, ?, ?)', [key.accessKeyId, bucket, s]);
      }
      const [created] = await this.#readKeys(tx, 'k.access_key_id = ?', [key.accessKeyId]);
      if (created === undefined) throw new MetaError('conflict', `access key ${key.accessKeyId} vanished while being created`);
      return created;
    });
  }

  async getAccessKey(accessKeyId: string): Promise<AccessKey | undefined> {
    return (await this.#readKeys(this.#driver.direct, 'k.access_key_id = ?', [accessKeyId]))[0];
  }

  async listAccessKeys(teamId?: string): Promise<AccessKey[]> {
    return teamId === undefined ? this.#readKeys(this.#driver.direct, '1 = 1', []) : this.#readKeys(this.#driver.direct, 'k.team_id = ?', [teamId]);
  }

  async setScope(accessKeyId: string, bucket: string, newScope: Scope | undefined): Promise<void> {
    checkText('bucket name', bucket);
    if (newScope !== undefined) scope(newScope, 'scope');
    await this.#driver.transaction(async (tx) => {
      const key = await tx.all(`SELECT access_key_id FROM access_keys WHERE access_key_id = ?${this.#d.forUpdate}`, [accessKeyId]);
      if (key.length === 0) throw new MetaError('no-such-access-key', `no access key ${accessKeyId}`);
      if (newScope === undefined) {
        await tx.run('DELETE FROM access_key_scopes WHERE access_key_id = ? AND bucket = ?', [accessKeyId, bucket]);
      } else {
        await tx.run(
          'INSERT INTO access_key_scopes (access_key_id, bucket, scope) VALUES (?, ?, ?) ON CONFLICT (access_key_id, bucket) DO UPDATE SET scope = excluded.scope',
          [accessKeyId, bucket, newScope],
        );
      }
    });
  }

  async setDefaultScope(accessKeyId: string, newScope: Scope): Promise<void> {
    scope(newScope, 'scope');
    const changed = await this.#driver.direct.run('UPDATE access_keys SET default_scope = ? WHERE access_key_id = ?', [newScope, accessKeyId]);
    if (changed === 0) throw new MetaError('no-such-access-key', `no access key ${accessKeyId}`);
  }

  async revokeAccessKey(accessKeyId: string): Promise<void> {
    // The first revocation time stays: revoking twice is harmless and does not rewrite history.
    const changed = await this.#driver.direct.run('UPDATE access_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE access_key_id = ?', [
      this.#clock(),
      accessKeyId,
    ]);
    if (changed === 0) throw new MetaError('no-such-access-key', `no access key ${accessKeyId}`);
  }

  // ---- storage policies

  async putPolicy(name: string, document: unknown): Promise<StoragePolicy> {
    checkText('policy name', name);
    const encoded = toJson('policy document', document);
    return this.#driver.transaction(async (tx) => {
      for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
        const [latest] = await tx.all('SELECT name, version, document, created_at FROM storage_policies WHERE name = ? ORDER BY version DESC LIMIT 1', [name]);
        if (latest !== undefined && text(latest, 'document') === encoded) return toPolicy(latest);
        const version = latest === undefined ? 1 : int(latest, 'version') + 1;
        const createdAt = this.#clock();
        // Another gateway may store the same version number first: then look again and take the next one.
        const inserted = await tx.all(
          'INSERT INTO storage_policies (name, version, document, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING version',
          [name, version, encoded, createdAt],
        );
        if (inserted.length > 0) return { name, version, document: JSON.parse(encoded) as unknown, createdAt };
      }
      throw new MetaError('conflict', `policy ${name}: too many concurrent edits`);
    });
  }

  async getPolicy(name: string, version?: number): Promise<StoragePolicy | undefined> {
    const rows =
      version === undefined
        ? await this.#driver.direct.all('SELECT name, version, document, created_at FROM storage_policies WHERE name = ? ORDER BY version DESC LIMIT 1', [name])
        : await this.#driver.direct.all('SELECT name, version, document, created_at FROM storage_policies WHERE name = ? AND version = ?', [name, version]);
    return rows[0] === undefined ? undefined : toPolicy(rows[0]);
  }

  async listPolicies(): Promise<StoragePolicy[]> {
    const rows = await this.#driver.direct.all(
      `SELECT p.name, p.version, p.document, p.created_at FROM storage_policies p
       WHERE p.version = (SELECT MAX(q.version) FROM storage_policies q WHERE q.name = p.name) ORDER BY p.name`,
    );
    return rows.map(toPolicy);
  }

  async listPolicyVersions(name: string): Promise<StoragePolicy[]> {
    const rows = await this.#driver.direct.all('SELECT name, version, document, created_at FROM storage_policies WHERE name = ? ORDER BY version', [name]);
    return rows.map(toPolicy);
  }

  async deletePolicy(name: string): Promise<void> {
    await this.#driver.transaction(async (tx) => {
      const versions = await tx.all(`SELECT version FROM storage_policies WHERE name = ?${this.#d.forUpdate}`, [name]);
      if (versions.length === 0) throw new MetaError('no-such-policy', `no policy ${name}`);
      const users = await tx.all('SELECT name FROM buckets WHERE policy_name = ? LIMIT 1', [name]);
      if (users[0] !== undefined) throw new MetaError('policy-in-use', `policy ${name} is used by bucket ${text(users[0], 'name')}`);
      await tx.run('DELETE FROM storage_policies WHERE name = ?', [name]);
    });
  }

  // ---- buckets

  async createBucket(bucket: NewBucket): Promise<Bucket> {
    checkText('bucket name', bucket.name);
    const createdAt = this.#clock();
    return this.#driver.transaction(async (tx) => {
      await this.#lockTeam(tx, bucket.teamId);
      const policy = await tx.all(`SELECT version FROM storage_policies WHERE name = ? AND version = ?${this.#d.forShare}`, [
        bucket.policyName,
        bucket.policyVersion,
      ]);
      if (policy.length === 0) throw new MetaError('no-such-policy', `no policy ${bucket.policyName} version ${bucket.policyVersion}`);
      const inserted = await tx.all(
        'INSERT INTO buckets (name, team_id, policy_name, policy_version, wrapped_kek, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING name',
        [bucket.name, bucket.teamId, bucket.policyName, bucket.policyVersion, bucket.wrappedKek, createdAt],
      );
      if (inserted.length === 0) throw new MetaError('bucket-exists', `bucket ${bucket.name} exists`);
      return { ...bucket, wrappedKek: new Uint8Array(bucket.wrappedKek), createdAt };
    });
  }

  async getBucket(name: string): Promise<Bucket | undefined> {
    const rows = await this.#driver.direct.all('SELECT name, team_id, policy_name, policy_version, wrapped_kek, created_at FROM buckets WHERE name = ?', [name]);
    return rows[0] === undefined ? undefined : toBucket(rows[0]);
  }

  async listBuckets(teamId?: string): Promise<Bucket[]> {
    const select = 'SELECT name, team_id, policy_name, policy_version, wrapped_kek, created_at FROM buckets';
    const rows =
      teamId === undefined
        ? await this.#driver.direct.all(`${select} ORDER BY name`)
        : await this.#driver.direct.all(`${select} WHERE team_id = ? ORDER BY name`, [teamId]);
    return rows.map(toBucket);
  }

  async deleteBucket(name: string): Promise<void> {
    await this.#driver.transaction(async (tx) => {
      // The exclusive row lock waits out commits and new uploads in flight (they hold a share lock on the bucket).
      const found = await tx.all(`SELECT name FROM buckets WHERE name = ?${this.#d.forUpdate}`, [name]);
      if (found.length === 0) throw new MetaError('no-such-bucket', `no bucket ${name}`);
      const objects = await tx.all('SELECT object_key FROM objects WHERE bucket = ? LIMIT 1', [name]);
      if (objects.length > 0) throw new MetaError('bucket-not-empty', `bucket ${name} is not empty`);
      await this.#abortBucketUploads(tx, name);
      await tx.run('DELETE FROM access_key_scopes WHERE bucket = ?', [name]);
      await tx.run('DELETE FROM buckets WHERE name = ?', [name]);
    });
  }

  async bucketStats(bucket: string): Promise<BucketStats> {
    // No bucket check: a bucket deleted while its statistics are read simply has none.
    const [row] = await this.#driver.direct.all(
      'SELECT COUNT(*) AS objects, COALESCE(SUM(size), 0) AS logical, COALESCE(SUM(stored_size), 0) AS stored FROM objects WHERE bucket = ?',
      [bucket],
    );
    // PostgreSQL hands COUNT and SUM back as strings (BIGINT, NUMERIC): int() turns them into numbers.
    return row === undefined
      ? { objects: 0, logicalBytes: 0, storedBytes: 0 }
      : { objects: int(row, 'objects'), logicalBytes: int(row, 'logical'), storedBytes: int(row, 'stored') };
  }

  async shredBucket(name: string): Promise<number> {
    return this.#driver.transaction(async (tx) => {
      // The exclusive row lock waits out commits, deletes and new uploads in flight, as for deleteBucket.
      const [bucket] = await tx.all(`SELECT wrapped_kek FROM buckets WHERE name = ?${this.#d.forUpdate}`, [name]);
      if (bucket === undefined) throw new MetaError('no-such-bucket', `no bucket ${name}`);
      // Overwritten before the row goes, so SQLite (secure_delete) leaves zeros where the key was. PostgreSQL keeps the
      // old row version until vacuum whatever is done here: the key vault is what makes shredding final.
      await tx.run('UPDATE buckets SET wrapped_kek = ? WHERE name = ?', [new Uint8Array(bytes(bucket, 'wrapped_kek').length), name]);
      const queued = await tx.run(
        `INSERT INTO gc_queue (version_id, bucket, object_key, reason, locator, enqueued_at)
         SELECT version_id, bucket, object_key, 'deleted', dispersed, CAST(? AS BIGINT) FROM objects WHERE bucket = ? ORDER BY object_key`,
        [this.#clock(), name],
      );
      await this.#abortBucketUploads(tx, name);
      await tx.run('DELETE FROM access_key_scopes WHERE bucket = ?', [name]);
      await tx.run('DELETE FROM objects WHERE bucket = ?', [name]);
      await tx.run('DELETE FROM buckets WHERE name = ?', [name]);
      return queued;
    });
  }

  // ---- writes in flight

  async beginWrite(intent: NewWriteIntent): Promise<WriteIntent> {
    checkText('bucket name', intent.bucket);
    checkText('object key', intent.key);
    checkText('version id', intent.versionId);
    const target = toJson('intent target', intent.target);
    const createdAt = this.#clock();
    return this.#driver.transaction(async (tx) => {
      await this.#lockBucket(tx, intent.bucket);
      if (intent.uploadId !== undefined) {
        const upload = await tx.all('SELECT bucket, object_key FROM uploads WHERE upload_id = ?', [intent.uploadId]);
        const row = upload[0];
        if (row === undefined || text(row, 'bucket') !== intent.bucket || text(row, 'object_key') !== intent.key) {
          throw new MetaError('no-such-upload', `no upload ${intent.uploadId} of ${intent.bucket}/${intent.key}`);
        }
      }
      // A version id names fragments: reusing a live one would let GC of one version delete another's.
      const inUse = await tx.all(
        'SELECT version_id FROM objects WHERE version_id = ? UNION ALL SELECT version_id FROM upload_parts WHERE version_id = ?',
        [intent.versionId, intent.versionId],
      );
      const inserted =
        inUse.length > 0
          ? []
          : await tx.all(
              'INSERT INTO write_intents (version_id, bucket, object_key, upload_id, target, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING version_id',
              [intent.versionId, intent.bucket, intent.key, intent.uploadId ?? null, target, createdAt],
            );
      if (inserted.length === 0) throw new MetaError('intent-exists', `version id ${intent.versionId} is already in use`);
      return { ...intent, target: JSON.parse(target) as unknown, createdAt };
    });
  }

  async abortWrite(versionId: string): Promise<boolean> {
    return this.#driver.transaction(async (tx) => {
      const [intent] = await tx.all('DELETE FROM write_intents WHERE version_id = ? RETURNING version_id, bucket, object_key, target', [versionId]);
      if (intent === undefined) return false;
      await this.#enqueueGc(tx, versionId, text(intent, 'bucket'), text(intent, 'object_key'), 'abandoned-write', text(intent, 'target'));
      return true;
    });
  }

  async listStaleIntents(olderThan: Millis, limit?: number): Promise<WriteIntent[]> {
    const rows = await this.#driver.direct.all(
      'SELECT version_id, bucket, object_key, upload_id, target, created_at FROM write_intents WHERE created_at < ? ORDER BY created_at, version_id LIMIT ?',
      [olderThan, pageSize(limit)],
    );
    return rows.map(toIntent);
  }

  // ---- objects

  async commitObject(object: NewObjectVersion, precondition?: Precondition): Promise<CommitResult> {
    checkObject(object);
    return this.#driver.transaction(async (tx) => {
      await this.#lockBucket(tx, object.bucket);
      await this.#consumeIntent(tx, object.versionId, object.bucket, object.key, undefined);
      return this.#swapCurrent(tx, object, precondition);
    });
  }

  async getObject(bucket: string, key: string): Promise<ObjectVersion | undefined> {
    const rows = await this.#driver.direct.all(`SELECT ${OBJECT_SELECT} FROM objects WHERE bucket = ? AND object_key = ?`, [bucket, key]);
    return rows[0] === undefined ? undefined : toObject(rows[0]);
  }

  async deleteObject(bucket: string, key: string, precondition?: Precondition): Promise<ObjectVersion | undefined> {
    return this.#driver.transaction(async (tx) => {
      await this.#lockBucket(tx, bucket);
      const rows = await tx.all(`SELECT ${OBJECT_SELECT} FROM objects WHERE bucket = ? AND object_key = ?${this.#d.forUpdate}`, [bucket, key]);
      const row = rows[0];
      const current = row === undefined ? undefined : toObject(row);
      checkPrecondition(current, precondition);
      if (row === undefined || current === undefined) return undefined;
      await tx.run('DELETE FROM objects WHERE bucket = ? AND object_key = ?', [bucket, key]);
      await this.#enqueueGc(tx, current.versionId, bucket, key, 'deleted', text(row, 'dispersed'));
      return current;
    });
  }

  async listObjects(bucket: string, options: ListObjectsOptions = {}): Promise<ObjectListing> {
    const limit = pageSize(options.limit);
    const prefix = options.prefix ?? '';
    const { startAfter, delimiter } = options;
    if (delimiter === '') throw new MetaError('invalid', 'the delimiter must not be empty');
    if ((await this.getBucket(bucket)) === undefined) throw new MetaError('no-such-bucket', `no bucket ${bucket}`);
    const end = prefixEnd(prefix);
    // The scan position: keys above `from` (or from it on, when inclusive), below `end`.
    let from = prefix;
    let inclusive = true;
    if (startAfter !== undefined && compareKeys(startAfter, prefix) >= 0) {
      from = startAfter;
      inclusive = false;
    }
    const objects: ObjectSummary[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    const count = (): number => objects.length + commonPrefixes.length;
    // One entry beyond the page tells whether it is truncated.
    let more = false;
    scanning: for (;;) {
      if (end !== undefined && compareKeys(from, end) >= 0) break;
      const want = limit + 1 - count();
      const rows = await this.#driver.direct.all(
        `SELECT object_key, version_id, size, etag, last_modified, checksums FROM objects
         WHERE bucket = ? AND object_key ${inclusive ? '>=' : '>'} ?${end === undefined ? '' : ' AND object_key < ?'}
         ORDER BY object_key LIMIT ?`,
        end === undefined ? [bucket, from, want] : [bucket, from, end, want],
      );
      for (const row of rows) {
        const key = text(row, 'object_key');
        const cut = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
        if (cut >= 0 && delimiter !== undefined) {
          const common = key.slice(0, cut + delimiter.length);
          const after = prefixEnd(common);
          // A common prefix at or before startAfter was listed on an earlier page: skip all of it.
          if (startAfter === undefined || compareKeys(common, startAfter) > 0) {
            if (count() === limit) {
              more = true;
              break scanning;
            }
            commonPrefixes.push(common);
            last = common;
          }
          // Jump over the rest of the group with a fresh seek rather than reading every key in it.
          if (after === undefined) break scanning;
          from = after;
          inclusive = true;
          continue scanning;
        }
        if (count() === limit) {
          more = true;
          break scanning;
        }
        objects.push(toSummary(row));
        last = key;
      }
      if (rows.length < want) break;
      const tail = rows.at(-1);
      if (tail === undefined) break;
      from = text(tail, 'object_key');
      inclusive = false;
    }
    return { objects, commonPrefixes, isTruncated: more, ...(more && last !== undefined ? { nextStartAfter: last } : {}) };
  }

  async updateDispersed(versionId: string, dispersed: unknown, ifCurrent?: unknown): Promise<boolean> {
    const encoded = toJson('dispersed', dispersed);
    const expected = ifCurrent === undefined ? undefined : toJson('ifCurrent', ifCurrent);
    return this.#driver.transaction(async (tx) => {
      for (const table of ['objects', 'upload_parts']) {
        const [row] = await tx.all(`SELECT dispersed FROM ${table} WHERE version_id = ?${this.#d.forUpdate}`, [versionId]);
        if (row === undefined) continue;
        if (expected !== undefined && text(row, 'dispersed') !== expected) {
          throw new MetaError('conflict', `version ${versionId} changed since it was read`);
        }
        await tx.run(`UPDATE ${table} SET dispersed = ? WHERE version_id = ?`, [encoded, versionId]);
        return true;
      }
      return false;
    });
  }

  // ---- multipart uploads

  async createUpload(upload: NewUpload): Promise<Upload> {
    checkText('upload id', upload.uploadId);
    checkText('object key', upload.key);
    const metadata = toJson('upload metadata', upload.metadata);
    const initiated = this.#clock();
    return this.#driver.transaction(async (tx) => {
      await this.#lockBucket(tx, upload.bucket);
      const inserted = await tx.all(
        'INSERT INTO uploads (upload_id, bucket, object_key, initiated, metadata) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING upload_id',
        [upload.uploadId, upload.bucket, upload.key, initiated, metadata],
      );
      if (inserted.length === 0) throw new MetaError('conflict', `upload id ${upload.uploadId} is already in use`);
      return { ...upload, metadata: JSON.parse(metadata) as unknown, initiated };
    });
  }

  async getUpload(uploadId: string): Promise<Upload | undefined> {
    const rows = await this.#driver.direct.all('SELECT upload_id, bucket, object_key, initiated, metadata FROM uploads WHERE upload_id = ?', [uploadId]);
    return rows[0] === undefined ? undefined : toUpload(rows[0]);
  }

  async listUploads(bucket: string, options: ListUploadsOptions = {}): Promise<UploadListing> {
    const limit = pageSize(options.limit);
    if ((await this.getBucket(bucket)) === undefined) throw new MetaError('no-such-bucket', `no bucket ${bucket}`);
    const where = ['bucket = ?'];
    const params: SqlValue[] = [bucket];
    const prefix = options.prefix ?? '';
    if (prefix !== '') {
      where.push('object_key >= ?');
      params.push(prefix);
      const end = prefixEnd(prefix);
      if (end !== undefined) {
        where.push('object_key < ?');
        params.push(end);
      }
    }
    const { keyMarker, uploadIdMarker } = options;
    if (keyMarker !== undefined) {
      const marker = uploadIdMarker === undefined ? undefined : await this.getUpload(uploadIdMarker);
      if (marker !== undefined && marker.bucket === bucket && marker.key === keyMarker) {
        where.push('(object_key > ? OR (object_key = ? AND (initiated > ? OR (initiated = ? AND upload_id > ?))))');
        params.push(keyMarker, keyMarker, marker.initiated, marker.initiated, marker.uploadId);
      } else {
        where.push('object_key > ?');
        params.push(keyMarker);
      }
    }
    params.push(limit + 1);
    const rows = await this.#driver.direct.all(
      `SELECT upload_id, bucket, object_key, initiated, metadata FROM uploads WHERE ${where.join(' AND ')}
       ORDER BY object_key, initiated, upload_id LIMIT ?`,
      params,
    );
    return { uploads: rows.slice(0, limit).map(toUpload), isTruncated: rows.length > limit };
  }

  async putPart(part: NewPart): Promise<Part | undefined> {
    wholeNumber('part number', part.partNumber, 1, 10_000);
    wholeNumber('size', part.size, 0);
    wholeNumber('storedSize', part.storedSize ?? 0, 0);
    checkText('version id', part.versionId);
    checkStringMap('checksums', part.checksums);
    const checksums = toJson('checksums', part.checksums ?? {});
    const dispersed = toJson('dispersed', part.dispersed);
    return this.#driver.transaction(async (tx) => {
      const upload = await this.#lockUpload(tx, part.uploadId, this.#d.forShare);
      await this.#consumeIntent(tx, part.versionId, upload.bucket, upload.key, part.uploadId);
      const lastModified = this.#clock();
      const values = [part.versionId, part.size, part.etag, checksums, dispersed, lastModified, part.storedSize ?? 0];
      for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
        const [row] = await tx.all(`SELECT ${PART_SELECT} FROM upload_parts WHERE upload_id = ? AND part_number = ?${this.#d.forUpdate}`, [
          part.uploadId,
          part.partNumber,
        ]);
        if (row !== undefined) {
          await tx.run(
            'UPDATE upload_parts SET version_id = ?, size = ?, etag = ?, checksums = ?, dispersed = ?, last_modified = ?, stored_size = ? WHERE upload_id = ? AND part_number = ?',
            [...values, part.uploadId, part.partNumber],
          );
          const replaced = toPart(row);
          await this.#enqueueGc(tx, replaced.versionId, upload.bucket, upload.key, 'part-replaced', text(row, 'dispersed'));
          return replaced;
        }
        const inserted = await tx.all(
          `INSERT INTO upload_parts (upload_id, part_number, version_id, size, etag, checksums, dispersed, last_modified, stored_size)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO NOTHING RETURNING part_number`,
          [part.uploadId, part.partNumber, ...values],
        );
        if (inserted.length > 0) return undefined;
      }
      throw new MetaError('conflict', `part ${part.partNumber} of upload ${part.uploadId}: too many concurrent writes`);
    });
  }

  async listParts(uploadId: string, options: ListPartsOptions = {}): Promise<PartListing> {
    const limit = pageSize(options.limit);
    if ((await this.getUpload(uploadId)) === undefined) throw new MetaError('no-such-upload', `no upload ${uploadId}`);
    const rows = await this.#driver.direct.all(
      `SELECT ${PART_SELECT} FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`,
      [uploadId, options.partNumberMarker ?? 0, limit + 1],
    );
    return { parts: rows.slice(0, limit).map(toPart), isTruncated: rows.length > limit };
  }

  async completeUpload(uploadId: string, object: NewObjectVersion, parts: readonly ChosenPart[], precondition?: Precondition): Promise<CommitResult> {
    checkObject(object);
    if (parts.length === 0) throw new MetaError('invalid-part', 'a multipart object needs at least one part');
    if (new Set(parts.map((p) => p.partNumber)).size !== parts.length) throw new MetaError('invalid-part', 'a part is listed twice');
    return this.#driver.transaction(async (tx) => {
      // Exclusive: a second CompleteMultipartUpload or an abort of the same upload waits, then finds it gone.
      const upload = await this.#lockUpload(tx, uploadId, this.#d.forUpdate);
      if (upload.bucket !== object.bucket || upload.key !== object.key) {
        throw new MetaError('conflict', `upload ${uploadId} is for ${upload.bucket}/${upload.key}, not ${object.bucket}/${object.key}`);
      }
      await this.#lockBucket(tx, object.bucket);
      const stored = await tx.all('SELECT part_number, version_id, dispersed FROM upload_parts WHERE upload_id = ? ORDER BY part_number', [uploadId]);
      const byNumber = new Map(stored.map((row) => [int(row, 'part_number'), row]));
      for (const chosen of parts) {
        const row = byNumber.get(chosen.partNumber);
        if (row === undefined || text(row, 'version_id') !== chosen.versionId) {
          throw new MetaError('invalid-part', `part ${chosen.partNumber} of upload ${uploadId} is missing or was uploaded again`);
        }
      }
      const inUse = await tx.all('SELECT version_id FROM objects WHERE version_id = ?', [object.versionId]);
      if (inUse.length > 0) throw new MetaError('conflict', `version id ${object.versionId} is already in use`);
      const result = await this.#swapCurrent(tx, object, precondition);
      const chosen = new Set(parts.map((p) => p.partNumber));
      for (const row of stored) {
        if (chosen.has(int(row, 'part_number'))) continue;
        await this.#enqueueGc(tx, text(row, 'version_id'), upload.bucket, upload.key, 'part-unused', text(row, 'dispersed'));
      }
      await tx.run('DELETE FROM upload_parts WHERE upload_id = ?', [uploadId]);
      await tx.run('DELETE FROM uploads WHERE upload_id = ?', [uploadId]);
      return result;
    });
  }

  async abortUpload(uploadId: string): Promise<void> {
    await this.#driver.transaction(async (tx) => {
      const upload = await this.#lockUpload(tx, uploadId, this.#d.forUpdate);
      await tx.run(
        `INSERT INTO gc_queue (version_id, bucket, object_key, reason, locator, enqueued_at)
         SELECT version_id, CAST(? AS TEXT), CAST(? AS TEXT), 'upload-aborted', dispersed, CAST(? AS BIGINT) FROM upload_parts WHERE upload_id = ? ORDER BY part_number`,
        [upload.bucket, upload.key, this.#clock(), uploadId],
      );
      await tx.run('DELETE FROM upload_parts WHERE upload_id = ?', [uploadId]);
      await tx.run('DELETE FROM uploads WHERE upload_id = ?', [uploadId]);
    });
  }

  // ---- queues

  async claimGc(options: ClaimOptions): Promise<GcEntry[]> {
    const rows = await this.#claim('gc_queue', 'id, version_id, bucket, object_key, reason, locator, enqueued_at', options);
    return rows.map(toGcEntry);
  }

  async completeGc(id: number): Promise<void> {
    await this.#driver.direct.run('DELETE FROM gc_queue WHERE id = ?', [id]);
  }

  async enqueueRepair(task: NewRepairTask): Promise<void> {
    wholeNumber('generation', task.generation, 0);
    wholeNumber('packet index', task.packetIndex, 0);
    await this.#driver.direct.run(
      `INSERT INTO repair_queue (version_id, generation, packet_index, reason, enqueued_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (version_id, generation, packet_index) DO NOTHING`,
      [task.versionId, task.generation, task.packetIndex, task.reason, this.#clock()],
    );
  }

  async claimRepairs(options: ClaimOptions): Promise<RepairTask[]> {
    const rows = await this.#claim('repair_queue', 'id, version_id, generation, packet_index, reason, enqueued_at', options);
    return rows.map(toRepairTask);
  }

  async completeRepair(id: number): Promise<void> {
    await this.#driver.direct.run('DELETE FROM repair_queue WHERE id = ?', [id]);
  }

  async repairQueueDepth(): Promise<number> {
    const [row] = await this.#driver.direct.all('SELECT COUNT(*) AS n FROM repair_queue');
    return row === undefined ? 0 : int(row, 'n');
  }

  // ---- scrub and repair lookups

  async getStoredVersion(versionId: string): Promise<StoredVersion | undefined> {
    // One statement: a part that becomes part of an object in between is found as one or the other, never missed.
    const [row] = await this.#driver.direct.all(
      `SELECT 'object' AS kind, bucket, object_key, version_id, size, dispersed FROM objects WHERE version_id = ?
       UNION ALL
       SELECT 'part' AS kind, u.bucket, u.object_key, p.version_id, p.size, p.dispersed
       FROM upload_parts p JOIN uploads u ON u.upload_id = p.upload_id WHERE p.version_id = ?`,
      [versionId, versionId],
    );
    if (row === undefined) return undefined;
    return {
      kind: text(row, 'kind') === 'part' ? 'part' : 'object',
      versionId: text(row, 'version_id'),
      bucket: text(row, 'bucket'),
      key: text(row, 'object_key'),
      size: int(row, 'size'),
      dispersed: json(row, 'dispersed'),
    };
  }

  async listAllObjects(options: { readonly after?: { readonly bucket: string; readonly key: string }; readonly limit: number }): Promise<ObjectVersion[]> {
    const limit = pageSize(options.limit);
    const { after } = options;
    // Both columns compare in byte order on both engines (keyText), so pages follow each other without gaps or repeats.
    const rows =
      after === undefined
        ? await this.#driver.direct.all(`SELECT ${OBJECT_SELECT} FROM objects ORDER BY bucket, object_key LIMIT ?`, [limit])
        : await this.#driver.direct.all(
            `SELECT ${OBJECT_SELECT} FROM objects WHERE bucket > ? OR (bucket = ? AND object_key > ?) ORDER BY bucket, object_key LIMIT ?`,
            [after.bucket, after.bucket, after.key, limit],
          );
    return rows.map(toObject);
  }

  // ---- locations

  async putLocation(location: NewLocationRecord): Promise<LocationRecord> {
    if (!LOCATION_ID.test(location.id)) throw new MetaError('invalid', `location id ${JSON.stringify(location.id)} must match ${LOCATION_ID.source}`);
    checkText('location kind', location.kind);
    checkText('trust zone', location.trustZone);
    wholeNumber('isolationTier', location.isolationTier, 0);
    const store = toJson('location store', location.store);
    const attributes = toJson('location attributes', location.attributes);
    const createdAt = this.#clock();
    const inserted = await this.#driver.direct.all(
      `INSERT INTO locations (id, kind, store_config, wrapped_secret, attributes, trust_zone, isolation_tier, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
      [location.id, location.kind, store, location.wrappedSecret, attributes, location.trustZone, location.isolationTier, createdAt],
    );
    if (inserted.length === 0) throw new MetaError('location-exists', `location ${location.id} exists`);
    return {
      id: location.id,
      kind: location.kind,
      store: JSON.parse(store) as unknown,
      wrappedSecret: new Uint8Array(location.wrappedSecret),
      attributes: JSON.parse(attributes) as unknown,
      trustZone: location.trustZone,
      isolationTier: location.isolationTier,
      createdAt,
    };
  }

  async getLocation(id: string): Promise<LocationRecord | undefined> {
    const rows = await this.#driver.direct.all(`SELECT ${LOCATION_SELECT} FROM locations WHERE id = ?`, [id]);
    return rows[0] === undefined ? undefined : toLocation(rows[0]);
  }

  async listLocations(): Promise<LocationRecord[]> {
    return (await this.#driver.direct.all(`SELECT ${LOCATION_SELECT} FROM locations ORDER BY id`)).map(toLocation);
  }

  async updateLocation(
    id: string,
    change: { readonly attributes?: unknown; readonly trustZone?: string; readonly isolationTier?: number },
  ): Promise<LocationRecord> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    if (change.attributes !== undefined) {
      sets.push('attributes = ?');
      params.push(toJson('location attributes', change.attributes));
    }
    if (change.trustZone !== undefined) {
      checkText('trust zone', change.trustZone);
      sets.push('trust_zone = ?');
      params.push(change.trustZone);
    }
    if (change.isolationTier !== undefined) {
      wholeNumber('isolationTier', change.isolationTier, 0);
      sets.push('isolation_tier = ?');
      params.push(change.isolationTier);
    }
    return this.#driver.transaction(async (tx) => {
      if (sets.length > 0) await tx.run(`UPDATE locations SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
      const [row] = await tx.all(`SELECT ${LOCATION_SELECT} FROM locations WHERE id = ?`, [id]);
      if (row === undefined) throw new MetaError('no-such-location', `no location ${id}`);
      return toLocation(row);
    });
  }

  async retireLocation(id: string, at: Millis): Promise<LocationRecord> {
    wholeNumber('retirement time', at, 0);
    return this.#driver.transaction(async (tx) => {
      // The first retirement time stays: retiring again (a retried request, a second gateway) rewrites nothing.
      await tx.run('UPDATE locations SET retired_at = COALESCE(retired_at, ?) WHERE id = ?', [at, id]);
      const [row] = await tx.all(`SELECT ${LOCATION_SELECT} FROM locations WHERE id = ?`, [id]);
      if (row === undefined) throw new MetaError('no-such-location', `no location ${id}`);
      return toLocation(row);
    });
  }

  // ---- admin tokens

  async createToken(token: NewAdminToken): Promise<AdminToken> {
    checkText('token id', token.id);
    checkText('token hash', token.tokenHash);
    checkText('token description', token.description);
    if (token.expiresAt !== undefined) wholeNumber('expiresAt', token.expiresAt, 0);
    const createdAt = this.#clock();
    return this.#driver.transaction(async (tx) => {
      // A share lock, as for a team: the key cannot change hands under the token being issued for it.
      const key = await tx.all(`SELECT access_key_id FROM access_keys WHERE access_key_id = ?${this.#d.forShare}`, [token.accessKeyId]);
      if (key.length === 0) throw new MetaError('no-such-access-key', `no access key ${token.accessKeyId}`);
      const inserted = await tx.all(
        `INSERT INTO admin_tokens (id, token_hash, access_key_id, description, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
        [token.id, token.tokenHash, token.accessKeyId, token.description, createdAt, token.expiresAt ?? null],
      );
      if (inserted.length === 0) throw new MetaError('conflict', `a token with id ${token.id} or the same hash exists`);
      return {
        id: token.id,
        tokenHash: token.tokenHash,
        accessKeyId: token.accessKeyId,
        description: token.description,
        createdAt,
        ...(token.expiresAt === undefined ? {} : { expiresAt: token.expiresAt }),
      };
    });
  }

  async getTokenByHash(tokenHash: string): Promise<AdminToken | undefined> {
    const rows = await this.#driver.direct.all(`SELECT ${TOKEN_SELECT} FROM admin_tokens WHERE token_hash = ?`, [tokenHash]);
    return rows[0] === undefined ? undefined : toToken(rows[0]);
  }

  async listTokens(accessKeyId?: string): Promise<AdminToken[]> {
    const rows =
      accessKeyId === undefined
        ? await this.#driver.direct.all(`SELECT ${TOKEN_SELECT} FROM admin_tokens ORDER BY created_at, id`)
        : await this.#driver.direct.all(`SELECT ${TOKEN_SELECT} FROM admin_tokens WHERE access_key_id = ? ORDER BY created_at, id`, [accessKeyId]);
    return rows.map(toToken);
  }

  async revokeToken(id: string): Promise<void> {
    // As for keys: the first revocation time stays.
    const changed = await this.#driver.direct.run('UPDATE admin_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?', [this.#clock(), id]);
    if (changed === 0) throw new MetaError('no-such-token', `no token ${id}`);
  }

  // ---- audit log

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    // An entry is recorded whatever it holds: the target of a hostile request (a key with %00 in it) must not be
    // what keeps the request out of the log. Text the engines cannot store is made storable before it is hashed.
    const fields = {
      actor: wellFormedText(entry.actor),
      teamId: wellFormedText(entry.teamId),
      operation: wellFormedText(entry.operation),
      target: wellFormedText(entry.target),
      result: wellFormedText(entry.result),
      requestId: wellFormedText(entry.requestId),
    };
    return this.#driver.transaction(async (tx) => {
      // One appender at a time across every gateway: two reading the same last entry would fork the chain.
      await this.#driver.lockTable(tx, 'audit_log');
      const [last] = await tx.all('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      const unhashed = {
        seq: last === undefined ? 1 : int(last, 'seq') + 1,
        at: this.#clock(),
        ...fields,
        prevHash: last === undefined ? GENESIS_HASH : text(last, 'hash'),
      };
      const appended: AuditEntry = { ...unhashed, hash: auditEntryHash(unhashed) };
      await tx.run(`INSERT INTO audit_log (${AUDIT_SELECT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        appended.seq,
        appended.at,
        appended.actor,
        appended.teamId,
        appended.operation,
        appended.target,
        appended.result,
        appended.requestId,
        appended.prevHash,
        appended.hash,
      ]);
      return appended;
    });
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? DEFAULT_AUDIT_PAGE;
    wholeNumber('limit', limit, 1, MAX_PAGE);
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.sinceSeq !== undefined) {
      wholeNumber('sinceSeq', query.sinceSeq, 0);
      where.push('seq > ?');
      params.push(query.sinceSeq);
    }
    if (query.sinceTime !== undefined) {
      wholeNumber('sinceTime', query.sinceTime, Number.MIN_SAFE_INTEGER);
      where.push('at >= ?');
      params.push(query.sinceTime);
    }
    const rows = await this.#driver.direct.all(
      `SELECT ${AUDIT_SELECT} FROM audit_log${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY seq LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toAuditEntry);
  }

  // ---- probes and outages

  async recordProbe(sample: ProbeSample): Promise<void> {
    checkText('location id', sample.locationId);
    probeKind(sample.probe, 'probe');
    wholeNumber('probe time', sample.at, 0);
    if (sample.rttMs !== null && !(Number.isFinite(sample.rttMs) && sample.rttMs >= 0)) {
      throw new MetaError('invalid', 'rttMs must be a finite number >= 0, or null');
    }
    await this.#driver.direct.run('INSERT INTO probe_samples (location_id, probe, at, ok, rtt_ms) VALUES (?, ?, ?, ?, ?)', [
      sample.locationId,
      sample.probe,
      sample.at,
      sample.ok ? 1 : 0,
      sample.rttMs,
    ]);
  }

  async listProbes(locationId: string, since: Millis): Promise<ProbeSample[]> {
    const rows = await this.#driver.direct.all(
      'SELECT location_id, probe, at, ok, rtt_ms FROM probe_samples WHERE location_id = ? AND at >= ? ORDER BY at, id',
      [locationId, since],
    );
    return rows.map(toProbe);
  }

  async pruneProbes(before: Millis): Promise<number> {
    return this.#driver.direct.run('DELETE FROM probe_samples WHERE at < ?', [before]);
  }

  async recordProbeFailure(locationId: string, at: Millis): Promise<Outage> {
    checkText('location id', locationId);
    wholeNumber('probe time', at, 0);
    return this.#driver.transaction(async (tx) => {
      for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
        const [open] = await tx.all(`SELECT ${OUTAGE_SELECT} FROM outages WHERE location_id = ? AND end_at IS NULL${this.#d.forUpdate}`, [locationId]);
        if (open !== undefined) {
          // Two gateways' probes may land out of order: the outage's last failure never moves back.
          const lastFailure = Math.max(int(open, 'last_failure'), at);
          await tx.run('UPDATE outages SET last_failure = ? WHERE id = ?', [lastFailure, int(open, 'id')]);
          return { ...toOutage(open), lastFailure };
        }
        // Two gateways may both find none open: the unique index on open outages lets one insert, the other goes round.
        const [inserted] = await tx.all('INSERT INTO outages (location_id, start_at, last_failure) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id', [
          locationId,
          at,
          at,
        ]);
        if (inserted !== undefined) return { id: int(inserted, 'id'), locationId, start: at, lastFailure: at };
      }
      throw new MetaError('conflict', `location ${locationId}: too many concurrent probe results`);
    });
  }

  async recordProbeSuccess(locationId: string, at: Millis): Promise<void> {
    wholeNumber('probe time', at, 0);
    await this.#driver.direct.run('UPDATE outages SET end_at = ? WHERE location_id = ? AND end_at IS NULL', [at, locationId]);
  }

  async listOutages(locationId: string): Promise<Outage[]> {
    return (await this.#driver.direct.all(`SELECT ${OUTAGE_SELECT} FROM outages WHERE location_id = ? ORDER BY start_at, id`, [locationId])).map(toOutage);
  }

  // ---- settings

  async getSetting(name: string): Promise<unknown> {
    const [row] = await this.#driver.direct.all('SELECT value FROM settings WHERE name = ?', [name]);
    return row === undefined ? undefined : json(row, 'value');
  }

  async putSetting(name: string, value: unknown): Promise<void> {
    checkText('setting name', name);
    await this.#driver.direct.run(
      'INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      [name, toJson(`setting ${name}`, value), this.#clock()],
    );
  }

  // ---- shared steps (inside a transaction)

  /** Ends every upload of the bucket, its parts queued for GC. */
  async #abortBucketUploads(tx: SqlExecutor, bucket: string): Promise<void> {
    // Locking the uploads first waits out parts being stored, so none escapes the GC queue below.
    await tx.all(`SELECT upload_id FROM uploads WHERE bucket = ?${this.#d.forUpdate}`, [bucket]);
    await tx.run(
      `INSERT INTO gc_queue (version_id, bucket, object_key, reason, locator, enqueued_at)
       SELECT p.version_id, u.bucket, u.object_key, 'upload-aborted', p.dispersed, CAST(? AS BIGINT)
       FROM upload_parts p JOIN uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ? ORDER BY u.upload_id, p.part_number`,
      [this.#clock(), bucket],
    );
    await tx.run('DELETE FROM upload_parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?)', [bucket]);
    await tx.run('DELETE FROM uploads WHERE bucket = ?', [bucket]);
  }

  /** A share lock on the team row: it cannot disappear under the key or bucket being created for it. */
  async #lockTeam(tx: SqlExecutor, teamId: string): Promise<void> {
    const rows = await tx.all(`SELECT id FROM teams WHERE id = ?${this.#d.forShare}`, [teamId]);
    if (rows.length === 0) throw new MetaError('no-such-team', `no team ${teamId}`);
  }

  /** A share lock on the bucket row: writers run side by side, deleteBucket (exclusive) waits for them. */
  async #lockBucket(tx: SqlExecutor, bucket: string): Promise<void> {
    const rows = await tx.all(`SELECT name FROM buckets WHERE name = ?${this.#d.forShare}`, [bucket]);
    if (rows.length === 0) throw new MetaError('no-such-bucket', `no bucket ${bucket}`);
  }

  async #lockUpload(tx: SqlExecutor, uploadId: string, lock: string): Promise<{ bucket: string; key: string }> {
    const [row] = await tx.all(`SELECT bucket, object_key FROM uploads WHERE upload_id = ?${lock}`, [uploadId]);
    if (row === undefined) throw new MetaError('no-such-upload', `no upload ${uploadId}`);
    return { bucket: text(row, 'bucket'), key: text(row, 'object_key') };
  }

  /**
   * Deletes the write's intent. The conditional delete decides the race with a GC that found the intent stale: only
   * one of them removes the row, so a commit never points at fragments GC is deleting.
   */
  async #consumeIntent(tx: SqlExecutor, versionId: string, bucket: string, key: string, uploadId: string | undefined): Promise<void> {
    const [intent] = await tx.all('DELETE FROM write_intents WHERE version_id = ? RETURNING bucket, object_key, upload_id', [versionId]);
    if (intent === undefined) throw new MetaError('no-such-intent', `no write in progress for version ${versionId} (aborted, or committed already)`);
    if (text(intent, 'bucket') !== bucket || text(intent, 'object_key') !== key || optionalText(intent, 'upload_id') !== uploadId) {
      throw new MetaError('conflict', `the write of version ${versionId} was begun for another object`);
    }
  }

  /** Makes `object` current for its key under the key's row lock; the replaced version goes to the GC queue. */
  async #swapCurrent(tx: SqlExecutor, object: NewObjectVersion, precondition: Precondition | undefined): Promise<CommitResult> {
    const lastModified = this.#clock();
    const headers: Record<string, string> = {};
    for (const [field] of HEADER_COLUMNS) {
      const value = object.headers?.[field];
      if (value !== undefined) headers[field] = value;
    }
    const committed: ObjectVersion = {
      bucket: object.bucket,
      key: object.key,
      versionId: object.versionId,
      size: object.size,
      etag: object.etag,
      headers,
      userMetadata: { ...object.userMetadata },
      checksums: { ...object.checksums },
      lastModified,
      dispersed: JSON.parse(toJson('dispersed', object.dispersed)) as unknown,
      storedSize: object.storedSize ?? 0,
    };
    const values: SqlValue[] = [
      object.versionId,
      object.size,
      object.etag,
      ...HEADER_COLUMNS.map(([field]) => headers[field] ?? null),
      toJson('userMetadata', committed.userMetadata),
      toJson('checksums', committed.checksums),
      lastModified,
      toJson('dispersed', object.dispersed),
      committed.storedSize ?? 0,
    ];
    for (let round = 0; round < MAX_RACE_ROUNDS; round++) {
      const [row] = await tx.all(`SELECT ${OBJECT_SELECT} FROM objects WHERE bucket = ? AND object_key = ?${this.#d.forUpdate}`, [object.bucket, object.key]);
      const current = row === undefined ? undefined : toObject(row);
      checkPrecondition(current, precondition);
      if (row !== undefined && current !== undefined) {
        await tx.run(`UPDATE objects SET ${OBJECT_UPDATE} WHERE bucket = ? AND object_key = ?`, [...values, object.bucket, object.key]);
        await this.#enqueueGc(tx, current.versionId, object.bucket, object.key, 'replaced', text(row, 'dispersed'));
        return { object: committed, replaced: current };
      }
      // No row to lock yet: two first commits of a key both get here; the loser's insert does nothing and it
      // goes round again, now finding (and locking) the winner's row.
      const inserted = await tx.all(
        `INSERT INTO objects (${OBJECT_SELECT}) VALUES (${OBJECT_PLACEHOLDERS}) ON CONFLICT (bucket, object_key) DO NOTHING RETURNING version_id`,
        [object.bucket, object.key, ...values],
      );
      if (inserted.length > 0) return { object: committed };
    }
    throw new MetaError('conflict', `${object.bucket}/${object.key}: too many concurrent commits`);
  }

  async #enqueueGc(tx: SqlExecutor, versionId: string, bucket: string, key: string, reason: GcReason, locatorJson: string): Promise<void> {
    await tx.run('INSERT INTO gc_queue (version_id, bucket, object_key, reason, locator, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)', [
      versionId,
      bucket,
      key,
      reason,
      locatorJson,
      this.#clock(),
    ]);
  }

  async #claim(table: 'gc_queue' | 'repair_queue', columns: string, options: ClaimOptions): Promise<Row[]> {
    const limit = pageSize(options.limit);
    wholeNumber('leaseMs', options.leaseMs, 0);
    return this.#driver.transaction(async (tx) => {
      const now = this.#clock();
      const due = await tx.all(`SELECT id FROM ${table} WHERE lease_until <= ? ORDER BY id LIMIT ?${this.#d.forUpdateSkipLocked}`, [now, limit]);
      if (due.length === 0) return [];
      const ids = due.map((row) => int(row, 'id'));
      const marks = ids.map(() => '?').join(', ');
      await tx.run(`UPDATE ${table} SET lease_until = ? WHERE id IN (${marks})`, [now + options.leaseMs, ...ids]);
      return tx.all(`SELECT ${columns} FROM ${table} WHERE id IN (${marks}) ORDER BY id`, ids);
    });
  }

  async #readKeys(ex: SqlExecutor, where: string, params: readonly SqlValue[]): Promise<AccessKey[]> {
    const rows = await ex.all(
      `SELECT ${KEY_SELECT} FROM access_keys k LEFT JOIN access_key_scopes s ON s.access_key_id = k.access_key_id
       WHERE ${where} ORDER BY k.access_key_id, s.bucket`,
      params,
    );
    return toAccessKeys(rows);
  }
}
