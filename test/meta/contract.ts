// The metadata store contract as tests: every engine runs this same suite.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  effectiveScope,
  MetaError,
  type AccessKey,
  type AuditQuery,
  type CommitResult,
  type GcEntry,
  type ListObjectsOptions,
  type ListUploadsOptions,
  type MetaErrorKind,
  type MetadataStore,
  type NewAdminToken,
  type NewAuditEntry,
  type NewLocationRecord,
  type NewObjectVersion,
  type ProbeKind,
} from '../../src/meta/index.ts';
import { auditEntryHash, checkAuditChain, GENESIS_HASH } from '../../src/meta/audit-chain.ts';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, type Dialect } from '../../src/meta/migrations.ts';
import type { Row, SqlValue, StoreOptions } from '../../src/meta/sql.ts';

/** One database; `open` connects another store to it, as another gateway would. */
export interface MetaDatabase {
  open(options?: StoreOptions): Promise<MetadataStore>;
  readonly dialect: Dialect;
  /** Runs one statement (`?` placeholders) on the database, bypassing every store: to build what an older release left. */
  raw(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Closes nothing the test opened; removes the database. */
  drop(): Promise<void>;
}

/** Makes a fresh, empty database; each test gets its own. */
export type MetaFactory = () => Promise<MetaDatabase>;

export function isMetaError(kind: MetaErrorKind): (error: unknown) => boolean {
  return (error) => error instanceof MetaError && error.kind === kind;
}

/** A clock tests move by hand. */
class ManualClock {
  now = 1_700_000_000_000;
  readonly read = (): number => this.now;
}

const KEK = Uint8Array.from([1, 2, 3, 250, 0, 255]);
const POLICY = { name: 'eu-hybrid', redundancy: { scheme: 'RLNC', data_packets: 4, redundant_packets: 2 } };

function versionId(): string {
  return randomBytes(16).toString('hex');
}

function dispersedFor(id: string): unknown {
  return { manifest: { version: 1, objectVersionId: id, size: 3, generations: [{ fragments: [{ packetIndex: 0, sha256: 'ab' }] }] }, placement: { locations: ['l1', 'l2'], moved: [] } };
}

function objectAt(bucket: string, key: string, id = versionId(), extra: Partial<NewObjectVersion> = {}): NewObjectVersion {
  return { bucket, key, versionId: id, size: 3, etag: `"etag-${id.slice(0, 6)}"`, dispersed: dispersedFor(id), ...extra };
}

export function metaContract(name: string, factory: MetaFactory): void {
  interface Env {
    readonly db: MetaDatabase;
    readonly store: MetadataStore;
    readonly clock: ManualClock;
    /** Another store on the same database. */
    readonly other: () => Promise<MetadataStore>;
  }

  async function withStore(body: (env: Env) => Promise<void>): Promise<void> {
    const db = await factory();
    const clock = new ManualClock();
    const opened: MetadataStore[] = [];
    const open = async (): Promise<MetadataStore> => {
      const s = await db.open({ clock: clock.read });
      opened.push(s);
      return s;
    };
    try {
      const store = await open();
      await body({ db, store, clock, other: open });
    } finally {
      for (const s of opened) await s.close();
      await db.drop();
    }
  }

  /** A team, a policy and a bucket: what most tests start from. */
  async function withBucket(body: (env: Env & { bucket: string }) => Promise<void>): Promise<void> {
    await withStore(async (env) => {
      await env.store.createTeam({ id: 't1', name: 'Team One' });
      await env.store.putPolicy('default', POLICY);
      await env.store.createBucket({ name: 'b1', teamId: 't1', policyName: 'default', policyVersion: 1, wrappedKek: KEK });
      await body({ ...env, bucket: 'b1' });
    });
  }

  /** beginWrite + commitObject, as the object service does around writing fragments. */
  async function put(store: MetadataStore, object: NewObjectVersion): Promise<CommitResult> {
    await store.beginWrite({ versionId: object.versionId, bucket: object.bucket, key: object.key, target: { locations: ['l1', 'l2'] } });
    return store.commitObject(object);
  }

  async function allGc(store: MetadataStore): Promise<GcEntry[]> {
    return store.claimGc({ limit: 1000, leaseMs: 60_000 });
  }

  describe(`metadata contract: ${name}`, () => {
    describe('migrations', () => {
      it('are applied once; migrating again, or from another store on the same database, is a no-op', () =>
        withStore(async ({ store, other }) => {
          assert.equal(await store.migrate(), 0);
          await store.createTeam({ id: 't', name: 'n' });
          const second = await other();
          assert.equal(await second.migrate(), 0);
          assert.deepEqual(await second.getTeam('t'), await store.getTeam('t'));
        }));

      it('two stores opening a fresh database at once both end up migrated', async () => {
        const db = await factory();
        try {
          const stores = await Promise.all([db.open(), db.open(), db.open()]);
          for (const s of stores) assert.equal(await s.migrate(), 0);
          const [first, , last] = stores;
          await first.createTeam({ id: 'x', name: 'x' });
          assert.equal((await last.getTeam('x'))?.name, 'x');
          for (const s of stores) await s.close();
        } finally {
          await db.drop();
        }
      });

      it('a database left at the previous schema version by an older release upgrades and keeps its data', async () => {
        const db = await factory();
        try {
          const previous = MIGRATIONS.slice(0, -1);
          await db.raw(SCHEMA_MIGRATIONS_TABLE);
          for (const migration of previous) {
            for (const statement of migration.statements(db.dialect)) await db.raw(statement);
            await db.raw('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, 1]);
          }
          // Rows as the older release wrote them: the columns of migration 1 only.
          const objectId = versionId();
          const partId = versionId();
          await db.raw("INSERT INTO teams (id, name, created_at) VALUES ('t1', 'Team One', 10)");
          await db.raw("INSERT INTO access_keys (access_key_id, team_id, wrapped_secret, default_scope, created_at) VALUES ('K', 't1', ?, 'read', 11)", [KEK]);
          await db.raw("INSERT INTO access_key_scopes (access_key_id, bucket, scope) VALUES ('K', 'b1', 'full')");
          await db.raw("INSERT INTO storage_policies (name, version, document, created_at) VALUES ('default', 1, ?, 12)", [JSON.stringify(POLICY)]);
          await db.raw("INSERT INTO buckets (name, team_id, policy_name, policy_version, wrapped_kek, created_at) VALUES ('b1', 't1', 'default', 1, ?, 13)", [KEK]);
          await db.raw(
            `INSERT INTO objects (bucket, object_key, version_id, size, etag, content_type, user_metadata, checksums, last_modified, dispersed)
             VALUES ('b1', 'k', ?, 3, '"e"', 'text/plain', '{"a":"b"}', '{}', 14, ?)`,
            [objectId, JSON.stringify(dispersedFor(objectId))],
          );
          await db.raw("INSERT INTO uploads (upload_id, bucket, object_key, initiated, metadata) VALUES ('u', 'b1', 'big', 15, '{}')");
          await db.raw(
            `INSERT INTO upload_parts (upload_id, part_number, version_id, size, etag, checksums, dispersed, last_modified)
             VALUES ('u', 1, ?, 5, '"p"', '{}', ?, 16)`,
            [partId, JSON.stringify(dispersedFor(partId))],
          );
          await db.raw("INSERT INTO repair_queue (version_id, generation, packet_index, reason, enqueued_at) VALUES (?, 0, 1, 'missing', 17)", [objectId]);

          const store = await db.open();
          try {
            assert.equal(await store.migrate(), 0);
            const applied = await db.raw('SELECT version FROM schema_migrations ORDER BY version');
            assert.deepEqual(applied.map((row) => Number(row.version)), MIGRATIONS.map((m) => m.version));
            assert.deepEqual(await store.getObject('b1', 'k'), {
              bucket: 'b1',
              key: 'k',
              versionId: objectId,
              size: 3,
              etag: '"e"',
              headers: { contentType: 'text/plain' },
              userMetadata: { a: 'b' },
              checksums: {},
              lastModified: 14,
              dispersed: dispersedFor(objectId),
              storedSize: 0,
            });
            assert.deepEqual((await getKey(store, 'K')).scopes, { b1: 'full' });
            assert.deepEqual(await store.getBucket('b1'), { name: 'b1', teamId: 't1', policyName: 'default', policyVersion: 1, wrappedKek: KEK, createdAt: 13 });
            assert.deepEqual((await store.listParts('u')).parts.map((p) => [p.versionId, p.storedSize]), [[partId, 0]]);
            assert.equal((await store.getStoredVersion(partId))?.kind, 'part');
            assert.deepEqual(await store.bucketStats('b1'), { objects: 1, logicalBytes: 3, storedBytes: 0 });
            assert.equal(await store.repairQueueDepth(), 1);
            // What the new version added works on the upgraded database.
            await store.createAccessKey({ accessKeyId: 'K2', teamId: 't1', wrappedSecret: KEK, defaultScope: 'none' });
            await store.createToken({ id: 'tok', tokenHash: 'h', accessKeyId: 'K', description: '' });
            assert.equal((await store.appendAudit({ actor: 'K', teamId: 't1', operation: 'x', target: 'y', result: 'ok', requestId: 'r' })).seq, 1);
            await store.putSetting('s', { on: true });
            await store.putLocation({ id: 'l1', kind: 'local', store: {}, wrappedSecret: new Uint8Array(0), attributes: {}, trustZone: 'z', isolationTier: 0 });
            assert.equal(await store.shredBucket('b1'), 1);
          } finally {
            await store.close();
          }
        } finally {
          await db.drop();
        }
      });

      it('refuses a database migrated by a newer release', async () => {
        const db = await factory();
        try {
          const store = await db.open();
          await store.close();
          const newer = (MIGRATIONS.at(-1)?.version ?? 0) + 1;
          await db.raw('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [newer, 'from the future', 1]);
          await assert.rejects(db.open(), isMetaError('unavailable'));
        } finally {
          await db.drop();
        }
      });
    });

    describe('teams and access keys', () => {
      it('creates, reads and lists teams; ids and names are unique', () =>
        withStore(async ({ store, clock }) => {
          const team = await store.createTeam({ id: 't1', name: 'Zeta' });
          assert.deepEqual(team, { id: 't1', name: 'Zeta', createdAt: clock.now });
          await store.createTeam({ id: 't2', name: 'Alpha' });
          assert.deepEqual(await store.getTeam('t1'), team);
          assert.equal(await store.getTeam('nope'), undefined);
          assert.deepEqual((await store.listTeams()).map((t) => t.name), ['Alpha', 'Zeta']);
          await assert.rejects(store.createTeam({ id: 't1', name: 'Other' }), isMetaError('team-exists'));
          await assert.rejects(store.createTeam({ id: 't3', name: 'Alpha' }), isMetaError('team-exists'));
        }));

      it('stores a key with its wrapped secret, scopes and default scope', () =>
        withBucket(async ({ store, clock }) => {
          const wrappedSecret = randomBytes(60);
          const key = await store.createAccessKey({ accessKeyId: 'AKID1', teamId: 't1', wrappedSecret, defaultScope: 'read', scopes: { b1: 'full', b2: 'none' } });
          assert.deepEqual(key, {
            accessKeyId: 'AKID1',
            teamId: 't1',
            wrappedSecret: new Uint8Array(wrappedSecret),
            defaultScope: 'read',
            scopes: { b1: 'full', b2: 'none' },
            createdAt: clock.now,
          });
          assert.deepEqual(await store.getAccessKey('AKID1'), key);
          assert.equal(await store.getAccessKey('AKID2'), undefined);
          await assert.rejects(
            store.createAccessKey({ accessKeyId: 'AKID1', teamId: 't1', wrappedSecret, defaultScope: 'none' }),
            isMetaError('access-key-exists'),
          );
          await assert.rejects(
            store.createAccessKey({ accessKeyId: 'AKID9', teamId: 'ghost', wrappedSecret, defaultScope: 'none' }),
            isMetaError('no-such-team'),
          );
          await assert.rejects(
            store.createAccessKey({ accessKeyId: 'AKID8', teamId: 't1', wrappedSecret, defaultScope: 'admin' as 'full' }),
            isMetaError('invalid'),
          );
        }));

      it('changes scopes: per bucket, removal falls back to the default, and the default itself', () =>
        withBucket(async ({ store }) => {
          await store.createAccessKey({ accessKeyId: 'K', teamId: 't1', wrappedSecret: KEK, defaultScope: 'none' });
          const bucket = { name: 'b1', teamId: 't1' };
          assert.equal(effectiveScope(await getKey(store, 'K'), bucket), 'none');
          await store.setScope('K', 'b1', 'read');
          assert.equal(effectiveScope(await getKey(store, 'K'), bucket), 'read');
          await store.setScope('K', 'b1', 'full');
          assert.deepEqual((await getKey(store, 'K')).scopes, { b1: 'full' });
          await store.setScope('K', 'b1', undefined);
          await store.setDefaultScope('K', 'read');
          assert.equal(effectiveScope(await getKey(store, 'K'), bucket), 'read');
          // Another team's bucket is never in scope, whatever the key says.
          assert.equal(effectiveScope(await getKey(store, 'K'), { name: 'b1', teamId: 't2' }), 'none');
          await assert.rejects(store.setScope('nope', 'b1', 'read'), isMetaError('no-such-access-key'));
          await assert.rejects(store.setDefaultScope('nope', 'read'), isMetaError('no-such-access-key'));
        }));

      it('revokes a key: it stays readable with revokedAt (first time kept) and has no scope anywhere', () =>
        withBucket(async ({ store, clock }) => {
          await store.createAccessKey({ accessKeyId: 'K', teamId: 't1', wrappedSecret: KEK, defaultScope: 'full' });
          clock.now += 1000;
          const revokedAt = clock.now;
          await store.revokeAccessKey('K');
          clock.now += 1000;
          await store.revokeAccessKey('K');
          const key = await getKey(store, 'K');
          assert.equal(key.revokedAt, revokedAt);
          assert.equal(effectiveScope(key, { name: 'b1', teamId: 't1' }), 'none');
          await assert.rejects(store.revokeAccessKey('nope'), isMetaError('no-such-access-key'));
        }));

      it('lists keys, all or one team’s', () =>
        withBucket(async ({ store }) => {
          await store.createTeam({ id: 't2', name: 'Team Two' });
          await store.createAccessKey({ accessKeyId: 'K2', teamId: 't2', wrappedSecret: KEK, defaultScope: 'full', scopes: { x: 'read', y: 'none' } });
          await store.createAccessKey({ accessKeyId: 'K1', teamId: 't1', wrappedSecret: KEK, defaultScope: 'full' });
          await store.createAccessKey({ accessKeyId: 'K3', teamId: 't2', wrappedSecret: KEK, defaultScope: 'read' });
          assert.deepEqual((await store.listAccessKeys()).map((k) => k.accessKeyId), ['K1', 'K2', 'K3']);
          const team2 = await store.listAccessKeys('t2');
          assert.deepEqual(team2.map((k) => [k.accessKeyId, k.scopes]), [['K2', { x: 'read', y: 'none' }], ['K3', {}]]);
        }));
    });

    describe('storage policies', () => {
      it('versions are immutable: an edit stores the next version, an unchanged document does not', () =>
        withStore(async ({ store }) => {
          const v1 = await store.putPolicy('p', { k: 4 });
          assert.equal(v1.version, 1);
          assert.deepEqual(v1.document, { k: 4 });
          assert.equal((await store.putPolicy('p', { k: 4 })).version, 1);
          const v2 = await store.putPolicy('p', { k: 6 });
          assert.equal(v2.version, 2);
          assert.deepEqual((await store.getPolicy('p', 1))?.document, { k: 4 });
          assert.deepEqual(await store.getPolicy('p'), v2);
          assert.equal(await store.getPolicy('p', 3), undefined);
          assert.equal(await store.getPolicy('q'), undefined);
          await store.putPolicy('a', { k: 1 });
          assert.deepEqual((await store.listPolicies()).map((p) => [p.name, p.version]), [['a', 1], ['p', 2]]);
          assert.deepEqual((await store.listPolicyVersions('p')).map((p) => p.version), [1, 2]);
        }));

      it('concurrent edits from two stores get distinct versions', () =>
        withStore(async ({ store, other }) => {
          const second = await other();
          const stored = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : second).putPolicy('p', { edit: i })));
          assert.deepEqual(stored.map((p) => p.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
        }));

      it('a policy in use cannot be deleted; an unused one can', () =>
        withBucket(async ({ store }) => {
          await assert.rejects(store.deletePolicy('default'), isMetaError('policy-in-use'));
          await store.putPolicy('spare', { k: 2 });
          await store.putPolicy('spare', { k: 3 });
          await store.deletePolicy('spare');
          assert.deepEqual(await store.listPolicyVersions('spare'), []);
          await assert.rejects(store.deletePolicy('spare'), isMetaError('no-such-policy'));
        }));
    });

    describe('buckets', () => {
      it('creates, reads and lists buckets (by name, per team); names are unique', () =>
        withBucket(async ({ store, clock }) => {
          await store.createTeam({ id: 't2', name: 'Team Two' });
          await store.putPolicy('default', { ...POLICY, edited: true });
          const b = await store.createBucket({ name: 'a-bucket', teamId: 't2', policyName: 'default', policyVersion: 2, wrappedKek: KEK });
          assert.deepEqual(b, { name: 'a-bucket', teamId: 't2', policyName: 'default', policyVersion: 2, wrappedKek: KEK, createdAt: clock.now });
          assert.deepEqual(await store.getBucket('a-bucket'), b);
          assert.equal(await store.getBucket('zzz'), undefined);
          assert.deepEqual((await store.listBuckets()).map((x) => x.name), ['a-bucket', 'b1']);
          assert.deepEqual((await store.listBuckets('t1')).map((x) => x.name), ['b1']);
          await assert.rejects(
            store.createBucket({ name: 'b1', teamId: 't2', policyName: 'default', policyVersion: 1, wrappedKek: KEK }),
            isMetaError('bucket-exists'),
          );
          await assert.rejects(
            store.createBucket({ name: 'c', teamId: 'ghost', policyName: 'default', policyVersion: 1, wrappedKek: KEK }),
            isMetaError('no-such-team'),
          );
          await assert.rejects(
            store.createBucket({ name: 'c', teamId: 't1', policyName: 'default', policyVersion: 9, wrappedKek: KEK }),
            isMetaError('no-such-policy'),
          );
        }));

      it('a bucket with an object cannot be deleted; once empty it can, and its scopes go with it', () =>
        withBucket(async ({ store, bucket }) => {
          await store.createAccessKey({ accessKeyId: 'K', teamId: 't1', wrappedSecret: KEK, defaultScope: 'none', scopes: { [bucket]: 'full', other: 'read' } });
          await put(store, objectAt(bucket, 'k'));
          await assert.rejects(store.deleteBucket(bucket), isMetaError('bucket-not-empty'));
          await store.deleteObject(bucket, 'k');
          await store.deleteBucket(bucket);
          assert.equal(await store.getBucket(bucket), undefined);
          assert.deepEqual((await getKey(store, 'K')).scopes, { other: 'read' });
          await assert.rejects(store.deleteBucket(bucket), isMetaError('no-such-bucket'));
        }));

      it('deleting a bucket aborts its unfinished uploads and queues their parts for GC', () =>
        withBucket(async ({ store, bucket }) => {
          await store.createUpload({ uploadId: 'u1', bucket, key: 'big', metadata: {} });
          const part = versionId();
          await store.beginWrite({ versionId: part, bucket, key: 'big', uploadId: 'u1', target: {} });
          await store.putPart({ uploadId: 'u1', partNumber: 1, versionId: part, size: 5, etag: '"p1"', dispersed: dispersedFor(part) });
          await store.deleteBucket(bucket);
          assert.equal(await store.getUpload('u1'), undefined);
          const gc = await allGc(store);
          assert.deepEqual(gc.map((g) => [g.versionId, g.reason, g.key]), [[part, 'upload-aborted', 'big']]);
          assert.deepEqual(gc[0]?.locator, dispersedFor(part));
        }));
    });

    describe('objects: write, then commit', () => {
      it('commits an object with its headers, metadata, checksums and DispersedObject', () =>
        withBucket(async ({ store, bucket, clock }) => {
          const object = objectAt(bucket, 'docs/a.txt', versionId(), {
            size: 12345,
            headers: { contentType: 'text/plain', contentEncoding: 'gzip', contentDisposition: 'inline', contentLanguage: 'en', cacheControl: 'no-cache', expires: 'Wed, 21 Oct 2015 07:28:00 GMT' },
            userMetadata: { colour: 'blue', 'x-odd': 'é 😀' },
            checksums: { CRC32: 'AAAAAA==' },
          });
          clock.now += 5;
          const { object: committed, replaced } = await put(store, object);
          assert.equal(replaced, undefined);
          assert.equal(committed.lastModified, clock.now);
          assert.deepEqual(await store.getObject(bucket, 'docs/a.txt'), committed);
          // storedSize was not given: 0, "unknown".
          assert.deepEqual(committed, { ...object, lastModified: clock.now, storedSize: 0 });
          assert.equal(await store.getObject(bucket, 'docs/b.txt'), undefined);
          // A plain commit has no headers or metadata: empty records, not missing ones.
          const bare = await put(store, objectAt(bucket, 'bare'));
          assert.deepEqual([bare.object.headers, bare.object.userMetadata, bare.object.checksums], [{}, {}, {}]);
        }));

      it('a commit replacing a version returns it and queues it for GC', () =>
        withBucket(async ({ store, bucket }) => {
          const first = objectAt(bucket, 'k');
          await put(store, first);
          assert.deepEqual(await allGc(store), []);
          const second = objectAt(bucket, 'k');
          const { replaced } = await put(store, second);
          assert.equal(replaced?.versionId, first.versionId);
          assert.deepEqual(replaced.dispersed, first.dispersed);
          assert.equal((await store.getObject(bucket, 'k'))?.versionId, second.versionId);
          const gc = await allGc(store);
          assert.deepEqual(gc.map((g) => [g.versionId, g.bucket, g.key, g.reason]), [[first.versionId, bucket, 'k', 'replaced']]);
          assert.deepEqual(gc[0]?.locator, first.dispersed);
        }));

      it('deleting returns the removed version and queues it for GC; deleting nothing returns undefined', () =>
        withBucket(async ({ store, bucket }) => {
          const object = objectAt(bucket, 'k');
          await put(store, object);
          assert.equal((await store.deleteObject(bucket, 'k'))?.versionId, object.versionId);
          assert.equal(await store.getObject(bucket, 'k'), undefined);
          assert.equal(await store.deleteObject(bucket, 'k'), undefined);
          assert.deepEqual((await allGc(store)).map((g) => [g.versionId, g.reason]), [[object.versionId, 'deleted']]);
          await assert.rejects(store.deleteObject('nope', 'k'), isMetaError('no-such-bucket'));
        }));

      it('a commit needs its intent, for the same object, and consumes it', () =>
        withBucket(async ({ store, bucket }) => {
          const object = objectAt(bucket, 'k');
          await assert.rejects(store.commitObject(object), isMetaError('no-such-intent'));
          await store.beginWrite({ versionId: object.versionId, bucket, key: 'other', target: {} });
          await assert.rejects(store.commitObject(object), isMetaError('conflict'));
          // The failed commit changed nothing: the intent is still there.
          assert.equal((await store.listStaleIntents(Number.MAX_SAFE_INTEGER)).length, 1);
          assert.equal(await store.abortWrite(object.versionId), true);
          await put(store, object);
          await assert.rejects(store.commitObject(object), isMetaError('no-such-intent'));
          // A version id that names live fragments cannot be reused for another write.
          await assert.rejects(store.beginWrite({ versionId: object.versionId, bucket, key: 'k2', target: {} }), isMetaError('intent-exists'));
          await assert.rejects(store.beginWrite({ versionId: versionId(), bucket: 'nope', key: 'k', target: {} }), isMetaError('no-such-bucket'));
        }));

      it('preconditions are checked under the lock; a failed one leaves the intent for a later commit or abort', () =>
        withBucket(async ({ store, bucket }) => {
          const first = objectAt(bucket, 'k');
          await put(store, first);
          const second = objectAt(bucket, 'k');
          await store.beginWrite({ versionId: second.versionId, bucket, key: 'k', target: {} });
          await assert.rejects(store.commitObject(second, { ifAbsent: true }), isMetaError('precondition-failed'));
          await assert.rejects(store.commitObject(second, { ifEtag: '"wrong"' }), isMetaError('precondition-failed'));
          await assert.rejects(store.commitObject(second, { ifVersionId: versionId() }), isMetaError('precondition-failed'));
          const { replaced } = await store.commitObject(second, { ifEtag: first.etag });
          assert.equal(replaced?.versionId, first.versionId);
          await assert.rejects(store.deleteObject(bucket, 'k', { ifVersionId: first.versionId }), isMetaError('precondition-failed'));
          assert.equal((await store.deleteObject(bucket, 'k', { ifVersionId: second.versionId }))?.versionId, second.versionId);
        }));

      it('rejects keys the engines cannot store alike', () =>
        withBucket(async ({ store, bucket }) => {
          await assert.rejects(store.beginWrite({ versionId: versionId(), bucket, key: 'a\0b', target: {} }), isMetaError('invalid'));
          await assert.rejects(store.beginWrite({ versionId: versionId(), bucket, key: 'a\ud800b', target: {} }), isMetaError('invalid'));
          await assert.rejects(store.beginWrite({ versionId: versionId(), bucket, key: 'k', target: undefined }), isMetaError('invalid'));
        }));

      it('concurrent commits to one key from two stores: one wins, every other version is replaced exactly once and queued for GC', () =>
        withBucket(async ({ store, bucket, other }) => {
          const second = await other();
          const objects = Array.from({ length: 24 }, () => objectAt(bucket, 'hot'));
          const results = await Promise.all(objects.map((o, i) => put(i % 2 === 0 ? store : second, o)));
          const current = await store.getObject(bucket, 'hot');
          const replaced = results.flatMap((r) => (r.replaced === undefined ? [] : [r.replaced.versionId]));
          assert.equal(results.filter((r) => r.replaced === undefined).length, 1, 'exactly one commit found the key empty');
          assert.equal(new Set(replaced).size, replaced.length, 'no version is replaced twice');
          assert.deepEqual([...replaced, current?.versionId].sort(), objects.map((o) => o.versionId).sort());
          assert.deepEqual((await allGc(store)).map((g) => g.versionId).sort(), [...replaced].sort());
          // The winner is the last commit: the one nobody replaced.
          assert.ok(current !== undefined && !replaced.includes(current.versionId));
        }));
    });

    describe('writes in flight and GC', () => {
      it('lists intents older than a grace period; aborting one queues its target for GC, once', () =>
        withBucket(async ({ store, bucket, clock }) => {
          const old = versionId();
          await store.beginWrite({ versionId: old, bucket, key: 'slow', target: { locations: ['x'], generations: 3 } });
          clock.now += 60_000;
          const fresh = versionId();
          const intent = await store.beginWrite({ versionId: fresh, bucket, key: 'fast', target: {} });
          assert.deepEqual(intent, { versionId: fresh, bucket, key: 'fast', target: {}, createdAt: clock.now });
          const stale = await store.listStaleIntents(clock.now - 30_000);
          assert.deepEqual(stale.map((i) => [i.versionId, i.key, i.createdAt]), [[old, 'slow', clock.now - 60_000]]);
          assert.equal(await store.abortWrite(old), true);
          assert.equal(await store.abortWrite(old), false);
          // The write that was declared dead cannot commit: its fragments are about to go.
          await assert.rejects(store.commitObject(objectAt(bucket, 'slow', old)), isMetaError('no-such-intent'));
          const gc = await allGc(store);
          assert.deepEqual(gc.map((g) => [g.versionId, g.reason, g.locator]), [[old, 'abandoned-write', { locations: ['x'], generations: 3 }]]);
          assert.deepEqual((await store.listStaleIntents(clock.now + 1)).map((i) => i.versionId), [fresh]);
          assert.deepEqual((await store.listStaleIntents(clock.now + 1, 1)).length, 1);
        }));

      it('claims GC entries with a lease: hidden while leased, back after it expires, gone when completed', () =>
        withBucket(async ({ store, bucket, clock, other }) => {
          for (let i = 0; i < 5; i++) await store.deleteObject(bucket, (await put(store, objectAt(bucket, `k${i}`))).object.key);
          const first = await store.claimGc({ limit: 2, leaseMs: 1000 });
          assert.deepEqual(first.map((g) => g.key), ['k0', 'k1']);
          assert.ok(first[0] !== undefined && first[1] !== undefined && first[0].id < first[1].id);
          const second = await (await other()).claimGc({ limit: 10, leaseMs: 1000 });
          assert.deepEqual(second.map((g) => g.key), ['k2', 'k3', 'k4']);
          assert.deepEqual(await store.claimGc({ limit: 10, leaseMs: 1000 }), []);
          for (const g of second) await store.completeGc(g.id);
          clock.now += 1001;
          const again = await store.claimGc({ limit: 10, leaseMs: 1000 });
          assert.deepEqual(again.map((g) => g.id), first.map((g) => g.id));
          for (const g of again) await store.completeGc(g.id);
          await store.completeGc(again[0]?.id ?? 0);
          clock.now += 5000;
          assert.deepEqual(await store.claimGc({ limit: 10, leaseMs: 1000 }), []);
        }));

      it('concurrent claimers never get the same entry while its lease runs', () =>
        withBucket(async ({ store, bucket, other }) => {
          for (let i = 0; i < 30; i++) await store.deleteObject(bucket, (await put(store, objectAt(bucket, `k${i}`))).object.key);
          const second = await other();
          const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : second).claimGc({ limit: 4, leaseMs: 60_000 })));
          const ids = claims.flat().map((g) => g.id);
          assert.equal(new Set(ids).size, ids.length);
          assert.equal(ids.length, 30);
        }));
    });

    describe('listing', () => {
      // Byte order of UTF-8; a locale order would put 'B' after 'a…' and ignore punctuation, UTF-16 would put 😀 before U+FFFD.
      const KEYS = ['a/b', 'a-b', 'a.b', 'B', 'é', 'a b', 'a', 'a/c/d', 'a/c/e', 'ab', 'Z', '\ufffd', '😀', 'a/b/c'];
      const BYTE_ORDER = ['B', 'Z', 'a', 'a b', 'a-b', 'a.b', 'a/b', 'a/b/c', 'a/c/d', 'a/c/e', 'ab', 'é', '\ufffd', '😀'];

      async function fill(store: MetadataStore, bucket: string, keys: readonly string[]): Promise<void> {
        for (const key of keys) await put(store, objectAt(bucket, key));
      }

      it('lists keys in UTF-8 byte order, whatever the database locale', () =>
        withBucket(async ({ store, bucket }) => {
          await fill(store, bucket, KEYS);
          const listing = await store.listObjects(bucket);
          assert.deepEqual(listing.objects.map((o) => o.key), BYTE_ORDER);
          assert.equal(listing.isTruncated, false);
          assert.equal(listing.nextStartAfter, undefined);
          const first = listing.objects[0];
          const stored = await store.getObject(bucket, 'B');
          assert.deepEqual(first, { key: 'B', versionId: stored?.versionId, size: 3, etag: stored?.etag, lastModified: stored?.lastModified, checksums: {} });
          await assert.rejects(store.listObjects('nope'), isMetaError('no-such-bucket'));
        }));

      it('filters by prefix and starts after a key', () =>
        withBucket(async ({ store, bucket }) => {
          await fill(store, bucket, KEYS);
          const keys = async (options: ListObjectsOptions): Promise<string[]> =>
            (await store.listObjects(bucket, options)).objects.map((o) => o.key);
          assert.deepEqual(await keys({ prefix: 'a/' }), ['a/b', 'a/b/c', 'a/c/d', 'a/c/e']);
          assert.deepEqual(await keys({ prefix: 'a' }), BYTE_ORDER.filter((k) => k.startsWith('a')));
          assert.deepEqual(await keys({ prefix: 'a/', startAfter: 'a/b/c' }), ['a/c/d', 'a/c/e']);
          assert.deepEqual(await keys({ prefix: 'a/', startAfter: 'A' }), ['a/b', 'a/b/c', 'a/c/d', 'a/c/e']);
          assert.deepEqual(await keys({ startAfter: 'é' }), ['\ufffd', '😀']);
          assert.deepEqual(await keys({ prefix: '\u{10ffff}' }), []);
          assert.deepEqual(await keys({ prefix: 'x' }), []);
          await assert.rejects(store.listObjects(bucket, { limit: 0 }), isMetaError('invalid'));
          await assert.rejects(store.listObjects(bucket, { limit: 1001 }), isMetaError('invalid'));
        }));

      it('pages with limit and nextStartAfter, each key once', () =>
        withBucket(async ({ store, bucket }) => {
          await fill(store, bucket, KEYS);
          const seen: string[] = [];
          let startAfter: string | undefined;
          for (let page = 0; page < 20; page++) {
            const listing = await store.listObjects(bucket, { limit: 3, ...(startAfter === undefined ? {} : { startAfter }) });
            seen.push(...listing.objects.map((o) => o.key));
            if (!listing.isTruncated) break;
            assert.equal(listing.objects.length, 3);
            startAfter = listing.nextStartAfter;
          }
          assert.deepEqual(seen, BYTE_ORDER);
          const exact = await store.listObjects(bucket, { limit: KEYS.length });
          assert.equal(exact.isTruncated, false);
        }));

      it('groups by delimiter into common prefixes, and pages through them without repeats', () =>
        withBucket(async ({ store, bucket }) => {
          await fill(store, bucket, KEYS);
          const all = await store.listObjects(bucket, { delimiter: '/' });
          assert.deepEqual(all.commonPrefixes, ['a/']);
          assert.deepEqual(all.objects.map((o) => o.key), BYTE_ORDER.filter((k) => !k.startsWith('a/')));
          const nested = await store.listObjects(bucket, { prefix: 'a/', delimiter: '/' });
          assert.deepEqual(nested.commonPrefixes, ['a/b/', 'a/c/']);
          assert.deepEqual(nested.objects.map((o) => o.key), ['a/b']);
          const entries: string[] = [];
          let startAfter: string | undefined;
          for (let page = 0; page < 20; page++) {
            const listing = await store.listObjects(bucket, { prefix: 'a/', delimiter: '/', limit: 1, ...(startAfter === undefined ? {} : { startAfter }) });
            entries.push(...listing.objects.map((o) => o.key), ...listing.commonPrefixes);
            if (!listing.isTruncated) break;
            startAfter = listing.nextStartAfter;
          }
          assert.deepEqual(entries, ['a/b', 'a/b/', 'a/c/']);
          await assert.rejects(store.listObjects(bucket, { delimiter: '' }), isMetaError('invalid'));
        }));
    });

    describe('multipart uploads', () => {
      async function part(store: MetadataStore, uploadId: string, key: string, partNumber: number, bucket = 'b1') {
        const id = versionId();
        await store.beginWrite({ versionId: id, bucket, key, uploadId, target: {} });
        const replaced = await store.putPart({ uploadId, partNumber, versionId: id, size: 5 << 20, etag: `"p${partNumber}-${id.slice(0, 4)}"`, checksums: { CRC32: 'x' }, dispersed: dispersedFor(id) });
        return { id, replaced };
      }

      it('creates, reads and lists uploads by key, then initiation', () =>
        withBucket(async ({ store, bucket, clock }) => {
          const upload = await store.createUpload({ uploadId: 'u-b', bucket, key: 'b', metadata: { contentType: 'x/y' } });
          assert.deepEqual(upload, { uploadId: 'u-b', bucket, key: 'b', metadata: { contentType: 'x/y' }, initiated: clock.now });
          assert.deepEqual(await store.getUpload('u-b'), upload);
          clock.now += 1;
          await store.createUpload({ uploadId: 'u-a2', bucket, key: 'a', metadata: {} });
          clock.now += 1;
          await store.createUpload({ uploadId: 'u-a1', bucket, key: 'a', metadata: {} });
          await store.createUpload({ uploadId: 'u-B', bucket, key: 'B', metadata: {} });
          const ids = async (options: ListUploadsOptions): Promise<string[]> =>
            (await store.listUploads(bucket, options)).uploads.map((u) => u.uploadId);
          assert.deepEqual(await ids({}), ['u-B', 'u-a2', 'u-a1', 'u-b']);
          assert.deepEqual(await ids({ prefix: 'a' }), ['u-a2', 'u-a1']);
          assert.deepEqual(await ids({ keyMarker: 'a' }), ['u-b']);
          assert.deepEqual(await ids({ keyMarker: 'a', uploadIdMarker: 'u-a2' }), ['u-a1', 'u-b']);
          const page = await store.listUploads(bucket, { limit: 2 });
          assert.equal(page.isTruncated, true);
          assert.equal((await store.listUploads(bucket, { limit: 4 })).isTruncated, false);
          await assert.rejects(store.createUpload({ uploadId: 'u-b', bucket, key: 'c', metadata: {} }), isMetaError('conflict'));
          await assert.rejects(store.createUpload({ uploadId: 'u-x', bucket: 'nope', key: 'c', metadata: {} }), isMetaError('no-such-bucket'));
          await assert.rejects(store.listUploads('nope'), isMetaError('no-such-bucket'));
        }));

      it('stores parts through intents, lists them by number, and queues a re-uploaded part for GC', () =>
        withBucket(async ({ store, bucket }) => {
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const numbers = [10, 2, 7, 1, 10000];
          const ids = new Map<number, string>();
          for (const n of numbers) ids.set(n, (await part(store, 'u', 'big', n)).id);
          const listed = await store.listParts('u');
          assert.deepEqual(listed.parts.map((p) => p.partNumber), [1, 2, 7, 10, 10000]);
          assert.equal(listed.isTruncated, false);
          assert.deepEqual(listed.parts[0]?.checksums, { CRC32: 'x' });
          assert.deepEqual(listed.parts[0].dispersed, dispersedFor(ids.get(1) ?? ''));
          const paged = await store.listParts('u', { partNumberMarker: 2, limit: 2 });
          assert.deepEqual([paged.parts.map((p) => p.partNumber), paged.isTruncated], [[7, 10], true]);
          const again = await part(store, 'u', 'big', 7);
          assert.equal(again.replaced?.versionId, ids.get(7));
          assert.deepEqual((await allGc(store)).map((g) => [g.versionId, g.reason]), [[ids.get(7), 'part-replaced']]);
          // A part needs an intent begun for this upload.
          const loose = versionId();
          await store.beginWrite({ versionId: loose, bucket, key: 'big', target: {} });
          await assert.rejects(store.putPart({ uploadId: 'u', partNumber: 3, versionId: loose, size: 1, etag: '"e"', dispersed: {} }), isMetaError('conflict'));
          await assert.rejects(store.putPart({ uploadId: 'u', partNumber: 3, versionId: versionId(), size: 1, etag: '"e"', dispersed: {} }), isMetaError('no-such-intent'));
          await assert.rejects(store.putPart({ uploadId: 'u', partNumber: 0, versionId: loose, size: 1, etag: '"e"', dispersed: {} }), isMetaError('invalid'));
          await assert.rejects(store.putPart({ uploadId: 'nope', partNumber: 3, versionId: loose, size: 1, etag: '"e"', dispersed: {} }), isMetaError('no-such-upload'));
          await assert.rejects(store.beginWrite({ versionId: versionId(), bucket, key: 'other', uploadId: 'u', target: {} }), isMetaError('no-such-upload'));
          await assert.rejects(store.listParts('nope'), isMetaError('no-such-upload'));
        }));

      it('completes: the object becomes current, unused parts and the replaced version go to GC, the upload ends', () =>
        withBucket(async ({ store, bucket }) => {
          const old = objectAt(bucket, 'big');
          await put(store, old);
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const p1 = await part(store, 'u', 'big', 1);
          const p2 = await part(store, 'u', 'big', 2);
          const p3 = await part(store, 'u', 'big', 3);
          const object = objectAt(bucket, 'big', versionId(), { etag: '"abc-2"', dispersed: { parts: [p1.id, p3.id] } });
          const chosen = [
            { partNumber: 1, versionId: p1.id },
            { partNumber: 3, versionId: p3.id },
          ];
          await assert.rejects(store.completeUpload('u', object, [{ partNumber: 1, versionId: versionId() }]), isMetaError('invalid-part'));
          await assert.rejects(store.completeUpload('u', object, [{ partNumber: 4, versionId: p1.id }]), isMetaError('invalid-part'));
          await assert.rejects(store.completeUpload('u', { ...object, key: 'other' }, chosen), isMetaError('conflict'));
          await assert.rejects(store.completeUpload('u', object, chosen, { ifAbsent: true }), isMetaError('precondition-failed'));
          const { object: committed, replaced } = await store.completeUpload('u', object, chosen);
          assert.equal(replaced?.versionId, old.versionId);
          assert.deepEqual(await store.getObject(bucket, 'big'), committed);
          assert.deepEqual(committed.dispersed, { parts: [p1.id, p3.id] });
          assert.equal(await store.getUpload('u'), undefined);
          const gc = await allGc(store);
          assert.deepEqual(gc.map((g) => [g.versionId, g.reason]).sort(), [[old.versionId, 'replaced'], [p2.id, 'part-unused']].sort());
          await assert.rejects(store.completeUpload('u', object, chosen), isMetaError('no-such-upload'));
        }));

      it('aborts: every part goes to GC and the upload is gone', () =>
        withBucket(async ({ store, bucket }) => {
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const p1 = await part(store, 'u', 'big', 1);
          const p2 = await part(store, 'u', 'big', 2);
          await store.abortUpload('u');
          assert.equal(await store.getUpload('u'), undefined);
          assert.deepEqual((await allGc(store)).map((g) => [g.versionId, g.reason]), [[p1.id, 'upload-aborted'], [p2.id, 'upload-aborted']]);
          await assert.rejects(store.abortUpload('u'), isMetaError('no-such-upload'));
        }));

      it('concurrent uploads of one part number: one survives, every other one is queued for GC', () =>
        withBucket(async ({ store, bucket, other }) => {
          const second = await other();
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const results = await Promise.all(Array.from({ length: 10 }, (_, i) => part(i % 2 === 0 ? store : second, 'u', 'big', 5)));
          const surviving = (await store.listParts('u')).parts.map((p) => p.versionId);
          const replaced = results.flatMap((r) => (r.replaced === undefined ? [] : [r.replaced.versionId]));
          assert.equal(surviving.length, 1);
          assert.deepEqual([...replaced, ...surviving].sort(), results.map((r) => r.id).sort());
          assert.deepEqual((await allGc(store)).map((g) => g.versionId).sort(), [...replaced].sort());
        }));
    });

    describe('repair and placement updates', () => {
      it('queues repairs once per fragment and hands them out with a lease', () =>
        withStore(async ({ store, clock }) => {
          await store.enqueueRepair({ versionId: 'v1', generation: 0, packetIndex: 3, reason: 'hash mismatch' });
          await store.enqueueRepair({ versionId: 'v1', generation: 0, packetIndex: 3, reason: 'missing' });
          await store.enqueueRepair({ versionId: 'v1', generation: 1, packetIndex: 3, reason: 'missing' });
          const tasks = await store.claimRepairs({ limit: 10, leaseMs: 100 });
          assert.deepEqual(
            tasks.map((t) => [t.versionId, t.generation, t.packetIndex, t.reason, t.enqueuedAt]),
            [['v1', 0, 3, 'hash mismatch', clock.now], ['v1', 1, 3, 'missing', clock.now]],
          );
          assert.deepEqual(await store.claimRepairs({ limit: 10, leaseMs: 100 }), []);
          await store.completeRepair(tasks[0]?.id ?? 0);
          clock.now += 101;
          assert.deepEqual((await store.claimRepairs({ limit: 10, leaseMs: 100 })).map((t) => t.generation), [1]);
        }));

      it('updates the DispersedObject of the current version or part, guarded against a concurrent change', () =>
        withBucket(async ({ store, bucket }) => {
          const object = objectAt(bucket, 'k');
          await put(store, object);
          const moved = { ...(object.dispersed as object), placement: { locations: ['l1', 'l2'], moved: [{ generation: 0, packetIndex: 1, locationId: 'l9' }] } };
          assert.equal(await store.updateDispersed(object.versionId, moved, object.dispersed), true);
          assert.deepEqual((await store.getObject(bucket, 'k'))?.dispersed, moved);
          await assert.rejects(store.updateDispersed(object.versionId, object.dispersed, object.dispersed), isMetaError('conflict'));
          await put(store, objectAt(bucket, 'k'));
          assert.equal(await store.updateDispersed(object.versionId, moved), false);
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const id = versionId();
          await store.beginWrite({ versionId: id, bucket, key: 'big', uploadId: 'u', target: {} });
          await store.putPart({ uploadId: 'u', partNumber: 1, versionId: id, size: 1, etag: '"e"', dispersed: {} });
          assert.equal(await store.updateDispersed(id, { repaired: true }), true);
          assert.deepEqual((await store.listParts('u')).parts[0]?.dispersed, { repaired: true });
        }));
    });

    describe('stored sizes, statistics and scrub lookups', () => {
      it('keeps the stored size of objects and parts, and sums both sizes per bucket', () =>
        withBucket(async ({ store, bucket }) => {
          assert.deepEqual(await store.bucketStats(bucket), { objects: 0, logicalBytes: 0, storedBytes: 0 });
          const a = await put(store, objectAt(bucket, 'a', versionId(), { size: 1000, storedSize: 1500 }));
          assert.equal(a.object.storedSize, 1500);
          assert.equal((await store.getObject(bucket, 'a'))?.storedSize, 1500);
          await put(store, objectAt(bucket, 'b', versionId(), { size: 24, storedSize: 60 }));
          // Replacing a version counts the new one only.
          await put(store, objectAt(bucket, 'b', versionId(), { size: 10, storedSize: 30 }));
          await put(store, objectAt(bucket, 'c', versionId(), { size: 2 }));
          assert.deepEqual(await store.bucketStats(bucket), { objects: 3, logicalBytes: 1012, storedBytes: 1530 });
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const p1 = versionId();
          await store.beginWrite({ versionId: p1, bucket, key: 'big', uploadId: 'u', target: {} });
          await store.putPart({ uploadId: 'u', partNumber: 1, versionId: p1, size: 5, etag: '"p"', dispersed: {}, storedSize: 9 });
          assert.equal((await store.listParts('u')).parts[0]?.storedSize, 9);
          // Parts of an unfinished upload are not objects of the bucket yet.
          assert.equal((await store.bucketStats(bucket)).objects, 3);
          const { object } = await store.completeUpload('u', objectAt(bucket, 'big', versionId(), { size: 5, storedSize: 11 }), [{ partNumber: 1, versionId: p1 }]);
          assert.equal(object.storedSize, 11);
          assert.deepEqual(await store.bucketStats(bucket), { objects: 4, logicalBytes: 1017, storedBytes: 1541 });
          await store.deleteObject(bucket, 'a');
          assert.deepEqual(await store.bucketStats(bucket), { objects: 3, logicalBytes: 17, storedBytes: 41 });
          assert.deepEqual(await store.bucketStats('nope'), { objects: 0, logicalBytes: 0, storedBytes: 0 });
          const bad = objectAt(bucket, 'bad', versionId(), { storedSize: -1 });
          await store.beginWrite({ versionId: bad.versionId, bucket, key: 'bad', target: {} });
          await assert.rejects(store.commitObject(bad), isMetaError('invalid'));
        }));

      it('finds a version by id: the current object, else a stored part, else nothing', () =>
        withBucket(async ({ store, bucket }) => {
          const first = objectAt(bucket, 'k', versionId(), { size: 7 });
          await put(store, first);
          assert.deepEqual(await store.getStoredVersion(first.versionId), { kind: 'object', versionId: first.versionId, bucket, key: 'k', size: 7, dispersed: first.dispersed });
          await put(store, objectAt(bucket, 'k'));
          assert.equal(await store.getStoredVersion(first.versionId), undefined);
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const part = versionId();
          await store.beginWrite({ versionId: part, bucket, key: 'big', uploadId: 'u', target: {} });
          await store.putPart({ uploadId: 'u', partNumber: 2, versionId: part, size: 5, etag: '"p"', dispersed: dispersedFor(part) });
          assert.deepEqual(await store.getStoredVersion(part), { kind: 'part', versionId: part, bucket, key: 'big', size: 5, dispersed: dispersedFor(part) });
          assert.equal(await store.getStoredVersion(versionId()), undefined);
        }));

      it('lists every current object of every bucket in (bucket, key) byte order, a page at a time', () =>
        withBucket(async ({ store, bucket }) => {
          // Byte order puts 'B' before 'a'; the locale orders of PostgreSQL would not.
          for (const name of ['a', 'B']) await store.createBucket({ name, teamId: 't1', policyName: 'default', policyVersion: 1, wrappedKek: KEK });
          for (const [b, k] of [[bucket, 'a-b'], [bucket, 'a/b'], ['a', 'B'], ['a', 'a'], ['B', 'z'], [bucket, '😀'], [bucket, 'é']] as const) await put(store, objectAt(b, k));
          const expected = [['B', 'z'], ['a', 'B'], ['a', 'a'], [bucket, 'a-b'], [bucket, 'a/b'], [bucket, 'é'], [bucket, '😀']];
          const all = await store.listAllObjects({ limit: 1000 });
          assert.deepEqual(all.map((o) => [o.bucket, o.key]), expected);
          assert.deepEqual(all[0], await store.getObject('B', 'z'));
          const seen: string[][] = [];
          let after: { bucket: string; key: string } | undefined;
          for (let page = 0; page < 10; page++) {
            const objects = await store.listAllObjects({ limit: 2, ...(after === undefined ? {} : { after }) });
            seen.push(...objects.map((o) => [o.bucket, o.key]));
            const last = objects.at(-1);
            if (last === undefined) break;
            after = { bucket: last.bucket, key: last.key };
          }
          assert.deepEqual(seen, expected);
          // `after` need not be an existing object.
          assert.deepEqual((await store.listAllObjects({ after: { bucket: 'a', key: 'C' }, limit: 1 })).map((o) => o.key), ['a']);
          await assert.rejects(store.listAllObjects({ limit: 0 }), isMetaError('invalid'));
        }));

      it('counts the repair tasks waiting, claimed or not', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.repairQueueDepth(), 0);
          await store.enqueueRepair({ versionId: 'v1', generation: 0, packetIndex: 1, reason: 'missing' });
          await store.enqueueRepair({ versionId: 'v1', generation: 0, packetIndex: 1, reason: 'again' });
          await store.enqueueRepair({ versionId: 'v2', generation: 0, packetIndex: 1, reason: 'missing' });
          assert.equal(await store.repairQueueDepth(), 2);
          const [task] = await store.claimRepairs({ limit: 1, leaseMs: 1000 });
          assert.equal(await store.repairQueueDepth(), 2);
          await store.completeRepair(task?.id ?? 0);
          assert.equal(await store.repairQueueDepth(), 1);
        }));
    });

    describe('crypto-shredding', () => {
      it('erases the bucket: objects and uploads queued for GC, scopes dropped, the name free again', () =>
        withBucket(async ({ store, bucket }) => {
          await store.createBucket({ name: 'kept', teamId: 't1', policyName: 'default', policyVersion: 1, wrappedKek: KEK });
          await store.createAccessKey({ accessKeyId: 'K', teamId: 't1', wrappedSecret: KEK, defaultScope: 'none', scopes: { [bucket]: 'full', kept: 'read' } });
          const objects = [objectAt(bucket, 'x'), objectAt(bucket, 'y/z'), objectAt(bucket, 'é')];
          for (const object of objects) await put(store, object);
          const keptObject = objectAt('kept', 'x');
          await put(store, keptObject);
          await store.createUpload({ uploadId: 'u', bucket, key: 'big', metadata: {} });
          const part = versionId();
          await store.beginWrite({ versionId: part, bucket, key: 'big', uploadId: 'u', target: {} });
          await store.putPart({ uploadId: 'u', partNumber: 1, versionId: part, size: 5, etag: '"p"', dispersed: dispersedFor(part) });

          assert.equal(await store.shredBucket(bucket), 3);
          assert.equal(await store.getBucket(bucket), undefined);
          for (const object of objects) assert.equal(await store.getObject(bucket, object.key), undefined);
          assert.equal(await store.getUpload('u'), undefined);
          assert.equal(await store.getStoredVersion(part), undefined);
          assert.deepEqual(await store.listAllObjects({ limit: 1000 }), [await store.getObject('kept', 'x')]);
          const gc = await allGc(store);
          const expected = [...objects.map((o) => [o.versionId, bucket, o.key, 'deleted', o.dispersed]), [part, bucket, 'big', 'upload-aborted', dispersedFor(part)]];
          const byId = (a: unknown[], b: unknown[]): number => String(a[0]).localeCompare(String(b[0]));
          assert.deepEqual(gc.map((g) => [g.versionId, g.bucket, g.key, g.reason, g.locator]).sort(byId), expected.sort(byId));
          assert.deepEqual((await getKey(store, 'K')).scopes, { kept: 'read' });
          assert.deepEqual(await store.listBuckets(), [await store.getBucket('kept')]);

          const again = await store.createBucket({ name: bucket, teamId: 't1', policyName: 'default', policyVersion: 1, wrappedKek: Uint8Array.from([9, 9]) });
          assert.deepEqual(again.wrappedKek, Uint8Array.from([9, 9]));
          assert.deepEqual((await store.listObjects(bucket)).objects, []);
          assert.deepEqual(await store.bucketStats(bucket), { objects: 0, logicalBytes: 0, storedBytes: 0 });
          await put(store, objectAt(bucket, 'x'));
          assert.equal((await store.shredBucket(bucket)), 1);
          assert.equal(await store.shredBucket('kept'), 1);
          await assert.rejects(store.shredBucket(bucket), isMetaError('no-such-bucket'));
          await assert.rejects(store.shredBucket('nope'), isMetaError('no-such-bucket'));
        }));

      it('an empty bucket shreds to nothing queued; a commit begun before the shred cannot land after it', () =>
        withBucket(async ({ store, bucket }) => {
          const late = objectAt(bucket, 'late');
          await store.beginWrite({ versionId: late.versionId, bucket, key: 'late', target: {} });
          assert.equal(await store.shredBucket(bucket), 0);
          await assert.rejects(store.commitObject(late), isMetaError('no-such-bucket'));
          // The write's intent is still there for GC to find as stale.
          assert.deepEqual((await store.listStaleIntents(Number.MAX_SAFE_INTEGER)).map((i) => i.versionId), [late.versionId]);
        }));
    });

    describe('locations', () => {
      const location = (id: string, extra: Partial<NewLocationRecord> = {}): NewLocationRecord => ({
        id,
        kind: 'cloud',
        store: { type: 's3', endpoint: 'https://s3.example', bucket: 'frags', region: 'eu-1', accessKeyId: 'AK' },
        wrappedSecret: Uint8Array.from([0, 1, 254, 255]),
        attributes: { provider: 'Example', country: 'DK', gdprCompliant: true, storageCostPerGbMonth: 0.02 },
        trustZone: 'example',
        isolationTier: 3,
        ...extra,
      });

      it('stores, reads and lists locations by id; ids are unique and well-formed', () =>
        withStore(async ({ store, clock }) => {
          const created = await store.putLocation(location('zeta'));
          assert.deepEqual(created, { ...location('zeta'), createdAt: clock.now });
          assert.deepEqual(await store.getLocation('zeta'), created);
          assert.equal(await store.getLocation('nope'), undefined);
          const local = await store.putLocation(location('local-1', { kind: 'local', store: { type: 'fs', dir: '/x' }, wrappedSecret: new Uint8Array(0), isolationTier: 0 }));
          assert.deepEqual(local.wrappedSecret, new Uint8Array(0));
          assert.deepEqual((await store.getLocation('local-1'))?.wrappedSecret, new Uint8Array(0));
          assert.deepEqual((await store.listLocations()).map((l) => l.id), ['local-1', 'zeta']);
          await assert.rejects(store.putLocation(location('zeta', { trustZone: 'other' })), isMetaError('location-exists'));
          assert.equal((await store.getLocation('zeta'))?.trustZone, 'example');
          for (const bad of ['', 'Upper', '-lead', 'a/b', 'x'.repeat(64)]) await assert.rejects(store.putLocation(location(bad)), isMetaError('invalid'), bad);
          await assert.rejects(store.putLocation(location('neg', { isolationTier: -1 })), isMetaError('invalid'));
        }));

      it('updates only the fields given', () =>
        withStore(async ({ store }) => {
          const created = await store.putLocation(location('l1'));
          const zone = await store.updateLocation('l1', { trustZone: 'zone-b' });
          assert.deepEqual(zone, { ...created, trustZone: 'zone-b' });
          const attributes = await store.updateLocation('l1', { attributes: { city: 'Aarhus' } });
          assert.deepEqual(attributes, { ...created, trustZone: 'zone-b', attributes: { city: 'Aarhus' } });
          const tier = await store.updateLocation('l1', { isolationTier: 1 });
          assert.deepEqual(tier, { ...attributes, isolationTier: 1 });
          assert.deepEqual(await store.updateLocation('l1', {}), tier);
          assert.deepEqual(await store.getLocation('l1'), tier);
          await assert.rejects(store.updateLocation('nope', { trustZone: 'z' }), isMetaError('no-such-location'));
          await assert.rejects(store.updateLocation('nope', {}), isMetaError('no-such-location'));
          await assert.rejects(store.updateLocation('l1', { isolationTier: 1.5 }), isMetaError('invalid'));
        }));

      it('retires a location once: the first time stays, and it is still listed', () =>
        withStore(async ({ store }) => {
          await store.putLocation(location('l1'));
          const retired = await store.retireLocation('l1', 5000);
          assert.equal(retired.retiredAt, 5000);
          assert.equal((await store.retireLocation('l1', 9000)).retiredAt, 5000);
          assert.equal((await store.getLocation('l1'))?.retiredAt, 5000);
          assert.deepEqual((await store.listLocations()).map((l) => [l.id, l.retiredAt]), [['l1', 5000]]);
          await assert.rejects(store.retireLocation('nope', 1), isMetaError('no-such-location'));
        }));
    });

    describe('admin tokens', () => {
      const token = (id: string, extra: Partial<NewAdminToken> = {}): NewAdminToken => ({
        id,
        tokenHash: `hash-of-${id}`,
        accessKeyId: 'K1',
        description: 'for the portal',
        ...extra,
      });

      it('stores tokens by hash, with or without an expiry; ids and hashes are unique', () =>
        withBucket(async ({ store, clock }) => {
          await store.createAccessKey({ accessKeyId: 'K1', teamId: 't1', wrappedSecret: KEK, defaultScope: 'full' });
          const lasting = await store.createToken(token('0011223344556677'));
          assert.deepEqual(lasting, { ...token('0011223344556677'), createdAt: clock.now });
          const expiring = await store.createToken(token('8899aabbccddeeff', { expiresAt: clock.now + 60_000 }));
          assert.equal(expiring.expiresAt, clock.now + 60_000);
          assert.deepEqual(await store.getTokenByHash('hash-of-0011223344556677'), lasting);
          assert.deepEqual(await store.getTokenByHash('hash-of-8899aabbccddeeff'), expiring);
          assert.equal(await store.getTokenByHash('hash-of-nothing'), undefined);
          await assert.rejects(store.createToken(token('0011223344556677', { tokenHash: 'fresh' })), isMetaError('conflict'));
          await assert.rejects(store.createToken(token('fresh', { tokenHash: 'hash-of-0011223344556677' })), isMetaError('conflict'));
          await assert.rejects(store.createToken(token('ghost', { accessKeyId: 'nobody' })), isMetaError('no-such-access-key'));
          assert.equal((await store.listTokens()).length, 2);
        }));

      it('lists tokens by creation time, all or one key’s, and revokes them (first time kept)', () =>
        withBucket(async ({ store, clock }) => {
          await store.createAccessKey({ accessKeyId: 'K1', teamId: 't1', wrappedSecret: KEK, defaultScope: 'full' });
          await store.createAccessKey({ accessKeyId: 'K2', teamId: 't1', wrappedSecret: KEK, defaultScope: 'read' });
          await store.createToken(token('c'));
          clock.now += 10;
          await store.createToken(token('a', { accessKeyId: 'K2' }));
          clock.now += 10;
          await store.createToken(token('b'));
          assert.deepEqual((await store.listTokens()).map((t) => t.id), ['c', 'a', 'b']);
          assert.deepEqual((await store.listTokens('K1')).map((t) => t.id), ['c', 'b']);
          assert.deepEqual(await store.listTokens('K9'), []);
          clock.now += 10;
          const revokedAt = clock.now;
          await store.revokeToken('a');
          clock.now += 10;
          await store.revokeToken('a');
          assert.equal((await store.getTokenByHash('hash-of-a'))?.revokedAt, revokedAt);
          assert.equal((await store.getTokenByHash('hash-of-b'))?.revokedAt, undefined);
          await assert.rejects(store.revokeToken('nope'), isMetaError('no-such-token'));
        }));
    });

    describe('audit log', () => {
      const entry = (n: number, extra: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
        actor: 'AKID1',
        teamId: 't1',
        operation: 'PutObject',
        target: `b1/key-${n}`,
        result: 'ok',
        requestId: `req-${n}`,
        ...extra,
      });

      it('numbers entries from 1 without gaps and chains each to the one before', () =>
        withStore(async ({ store, clock }) => {
          const first = await store.appendAudit(entry(1));
          assert.deepEqual(first, { ...entry(1), seq: 1, at: clock.now, prevHash: GENESIS_HASH, hash: first.hash });
          assert.equal(first.hash, auditEntryHash(first));
          clock.now += 1000;
          const second = await store.appendAudit(entry(2, { result: 'AccessDenied' }));
          assert.deepEqual([second.seq, second.at, second.prevHash], [2, clock.now, first.hash]);
          const listed = await store.listAudit();
          assert.deepEqual(listed, [first, second]);
          assert.equal(checkAuditChain(listed), undefined);
        }));

      it('pages: sinceSeq is exclusive, sinceTime inclusive, limit 1..1000 (default 100), by seq ascending', () =>
        withStore(async ({ store, clock }) => {
          for (let n = 1; n <= 105; n++) {
            await store.appendAudit(entry(n));
            clock.now += 10;
          }
          const seqs = async (query?: AuditQuery): Promise<number[]> => (await store.listAudit(query)).map((e) => e.seq);
          const firstPage = await store.listAudit();
          assert.deepEqual(firstPage.map((e) => e.seq), Array.from({ length: 100 }, (_, i) => i + 1));
          assert.deepEqual(await seqs({ sinceSeq: 100 }), [101, 102, 103, 104, 105]);
          assert.deepEqual(await seqs({ sinceSeq: 3, limit: 2 }), [4, 5]);
          const at50 = firstPage[49]?.at ?? 0;
          assert.deepEqual(await seqs({ sinceTime: at50, limit: 3 }), [50, 51, 52]);
          assert.deepEqual(await seqs({ sinceTime: at50 + 1, limit: 1 }), [51]);
          assert.deepEqual(await seqs({ sinceSeq: 60, sinceTime: at50, limit: 2 }), [61, 62]);
          assert.deepEqual(await seqs({ sinceSeq: 105 }), []);
          // Pages checked one after another, each from the last entry of the one before.
          const rest = await store.listAudit({ sinceSeq: 100 });
          assert.equal(checkAuditChain(rest, firstPage.at(-1)), undefined);
          await assert.rejects(store.listAudit({ limit: 0 }), isMetaError('invalid'));
          await assert.rejects(store.listAudit({ limit: 1001 }), isMetaError('invalid'));
          await assert.rejects(store.listAudit({ sinceSeq: -1 }), isMetaError('invalid'));
        }));

      it('50 concurrent appends from two stores make one chain: no gap, no fork', () =>
        withStore(async ({ store, other }) => {
          const second = await other();
          const appended = await Promise.all(Array.from({ length: 50 }, (_, n) => (n % 2 === 0 ? store : second).appendAudit(entry(n))));
          assert.deepEqual(appended.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
          const listed = await store.listAudit({ limit: 1000 });
          assert.equal(listed.length, 50);
          assert.equal(checkAuditChain(listed), undefined);
          assert.deepEqual(new Set(listed.map((e) => e.requestId)), new Set(appended.map((e) => e.requestId)));
          assert.equal(new Set(listed.map((e) => e.prevHash)).size, 50);
        }));

      it('records an entry whatever text it holds: what no engine can store becomes U+FFFD, and the chain holds', () =>
        withStore(async ({ store }) => {
          const hostile = await store.appendAudit(entry(1, { actor: 'AK\0ID', target: 'b1/\ud800x' }));
          assert.deepEqual([hostile.actor, hostile.target], ['AK\ufffdID', 'b1/\ufffdx']);
          await store.appendAudit(entry(2, { target: 'b1/é 😀' }));
          const listed = await store.listAudit();
          assert.deepEqual(listed[0], hostile);
          assert.equal(listed[1]?.target, 'b1/é 😀');
          assert.equal(checkAuditChain(listed), undefined);
        }));
    });

    describe('probes and outages', () => {
      it('records samples, lists one location’s since a time (oldest first), and prunes old ones', () =>
        withStore(async ({ store }) => {
          await store.recordProbe({ locationId: 'l1', probe: 'upload-1B', at: 1000, ok: true, rttMs: 12.5 });
          await store.recordProbe({ locationId: 'l1', probe: 'download-1MB', at: 3000, ok: false, rttMs: null });
          await store.recordProbe({ locationId: 'l1', probe: 'download-1B', at: 2000, ok: true, rttMs: 4 });
          await store.recordProbe({ locationId: 'l2', probe: 'upload-1MB', at: 2500, ok: true, rttMs: 80 });
          assert.deepEqual(await store.listProbes('l1', 0), [
            { locationId: 'l1', probe: 'upload-1B', at: 1000, ok: true, rttMs: 12.5 },
            { locationId: 'l1', probe: 'download-1B', at: 2000, ok: true, rttMs: 4 },
            { locationId: 'l1', probe: 'download-1MB', at: 3000, ok: false, rttMs: null },
          ]);
          assert.deepEqual((await store.listProbes('l1', 2000)).map((p) => p.at), [2000, 3000]);
          assert.deepEqual(await store.listProbes('l3', 0), []);
          assert.equal(await store.pruneProbes(2500), 2);
          assert.deepEqual((await store.listProbes('l1', 0)).map((p) => p.at), [3000]);
          assert.deepEqual((await store.listProbes('l2', 0)).map((p) => p.at), [2500]);
          assert.equal(await store.pruneProbes(2500), 0);
          await assert.rejects(store.recordProbe({ locationId: 'l1', probe: 'upload-1GB' as ProbeKind, at: 1, ok: true, rttMs: 1 }), isMetaError('invalid'));
          await assert.rejects(store.recordProbe({ locationId: 'l1', probe: 'upload-1B', at: 1, ok: true, rttMs: -1 }), isMetaError('invalid'));
        }));

      it('a failure opens an outage or extends the open one; a success ends it; outages are kept and listed oldest first', () =>
        withStore(async ({ store }) => {
          const opened = await store.recordProbeFailure('l1', 1000);
          assert.deepEqual(opened, { id: opened.id, locationId: 'l1', start: 1000, lastFailure: 1000 });
          assert.deepEqual(await store.recordProbeFailure('l1', 1600), { ...opened, lastFailure: 1600 });
          await store.recordProbeFailure('l2', 1700);
          await store.recordProbeSuccess('l1', 2000);
          // A second success finds nothing open and changes nothing.
          await store.recordProbeSuccess('l1', 2500);
          await store.recordProbeSuccess('l3', 2500);
          const reopened = await store.recordProbeFailure('l1', 3000);
          assert.notEqual(reopened.id, opened.id);
          assert.deepEqual(await store.listOutages('l1'), [
            { ...opened, lastFailure: 1600, end: 2000 },
            { id: reopened.id, locationId: 'l1', start: 3000, lastFailure: 3000 },
          ]);
          assert.deepEqual((await store.listOutages('l2')).map((o) => [o.start, o.end]), [[1700, undefined]]);
          assert.deepEqual(await store.listOutages('l3'), []);
          // Pruning samples keeps outages.
          await store.pruneProbes(Number.MAX_SAFE_INTEGER);
          assert.equal((await store.listOutages('l1')).length, 2);
        }));

      it('concurrent failures from two stores open one outage', () =>
        withStore(async ({ store, other }) => {
          const second = await other();
          const outages = await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 === 0 ? store : second).recordProbeFailure('l1', 1000 + n)));
          assert.equal(new Set(outages.map((o) => o.id)).size, 1);
          const listed = await store.listOutages('l1');
          assert.deepEqual(listed.map((o) => [o.lastFailure, o.end]), [[1009, undefined]]);
        }));
    });

    describe('settings', () => {
      it('stores JSON settings every store on the database sees; an unknown one is undefined', () =>
        withStore(async ({ store, other }) => {
          assert.equal(await store.getSetting('cache'), undefined);
          await store.putSetting('cache', { enabled: true, maxSizeBytes: 1 << 30, mimeBlacklist: ['video/*'] });
          const second = await other();
          assert.deepEqual(await second.getSetting('cache'), { enabled: true, maxSizeBytes: 1 << 30, mimeBlacklist: ['video/*'] });
          await second.putSetting('cache', { enabled: false });
          assert.deepEqual(await store.getSetting('cache'), { enabled: false });
          await store.putSetting('flag', false);
          assert.equal(await store.getSetting('flag'), false);
          await store.putSetting('nothing', null);
          assert.equal(await store.getSetting('nothing'), null);
          await assert.rejects(store.putSetting('bad', undefined), isMetaError('invalid'));
        }));
    });
  });
}

async function getKey(store: MetadataStore, id: string): Promise<AccessKey> {
  const key = await store.getAccessKey(id);
  assert.ok(key !== undefined, `access key ${id} exists`);
  return key;
}
