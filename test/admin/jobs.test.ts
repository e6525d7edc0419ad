// Background jobs over a gateway-like setup (real SQLite metadata, in-memory locations): scrub finds and queues
// damage, repair recreates it without a key (single and multipart objects), evacuation empties a retired location.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { JobRunner, startRepairWorker } from '../../src/admin/jobs.ts';
import type { JobView } from '../../src/admin/deps.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { FragmentPool } from '../../src/core/pipeline.ts';
import { fragmentKey, locationOf, LocationRegistry, type DispersalPolicy, type DispersedObject } from '../../src/dispersal/index.ts';
import { openMetadata, type MetadataStore } from '../../src/meta/index.ts';
import { KeyCustody } from '../../src/objects/custody.ts';
import { GatewayBackend, type GatewayPrincipal } from '../../src/objects/gateway-backend.ts';
import { segmentsOf } from '../../src/objects/layout.ts';
import { FaultyStore, MemoryStore } from '../../src/stores/index.ts';
import { testKernel } from '../support/kernel.ts';
import { must } from '../support/must.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'jobs';
/** Packets 0..3 live on loc-1..loc-4; loc-5 and loc-6 are spares for repair and evacuation. */
const HOMES = ['loc-1', 'loc-2', 'loc-3', 'loc-4'];
const SPARES = ['loc-5', 'loc-6'];
const POLICY: DispersalPolicy = {
  codec: { k: 2, r: 2, systematic: false, generationSize: 256 * KiB, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' },
  locations: HOMES,
  writeQuorum: 4,
};

interface Env {
  readonly dir: string;
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  readonly stores: ReadonlyMap<string, FaultyStore>;
  readonly backend: GatewayBackend;
  readonly runner: JobRunner;
  readonly principal: GatewayPrincipal;
  /** Errors the runner and the backend reported. */
  readonly errors: unknown[];
  /** Every view onChange was told about. */
  readonly changes: JobView[];
}

let env: Env | undefined;

async function setup(): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'dispersa-jobs-'));
  const meta = await openMetadata({ engine: 'sqlite', path: join(dir, 'meta.sqlite') });
  const registry = new LocationRegistry();
  const stores = new Map<string, FaultyStore>();
  for (const id of [...HOMES, ...SPARES]) {
    const store = new FaultyStore(new MemoryStore());
    registry.add({ id, kind: 'local', attributes: {}, trustZone: id, isolationTier: 0 }, store);
    stores.set(id, store);
  }
  await meta.putPolicy('test', POLICY);
  await meta.createTeam({ id: 'team', name: 'team' });
  const errors: unknown[] = [];
  const changes: JobView[] = [];
  const kernel = testKernel();
  const backend = new GatewayBackend({
    meta,
    registry,
    custody: new KeyCustody(new Uint8Array(randomBytes(32))),
    kernel,
    pool: new FragmentPool(),
    random: (n) => new Uint8Array(randomBytes(n)),
    defaultPolicy: 'test',
    region: 'us-east-1',
    requestTimeoutMs: 2_000,
    onBackgroundError: (error) => { errors.push(error); },
  });
  const runner = new JobRunner({
    meta,
    registry,
    kernel,
    requestTimeoutMs: 2_000,
    now: () => Date.now(),
    onError: (error) => { errors.push(error); },
    onChange: (job) => { changes.push(job); },
    pageSize: 2,
  });
  const principal: GatewayPrincipal = {
    accessKeyId: 'JOBSKEY',
    teamId: 'team',
    secretKey: 'secret',
    key: { accessKeyId: 'JOBSKEY', teamId: 'team', wrappedSecret: new Uint8Array(0), defaultScope: 'full', scopes: {}, createdAt: 0 },
  };
  await backend.createBucket(principal, BUCKET, undefined);
  env = { dir, meta, registry, stores, backend, runner, principal, errors, changes };
  return env;
}

afterEach(async () => {
  if (env === undefined) return;
  const { dir, meta, registry, backend, runner } = env;
  env = undefined;
  await runner.close();
  await backend.idle();
  await meta.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

function body(...chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      const each = chunks[Symbol.iterator]();
      return { next: () => Promise.resolve(each.next()) };
    },
  };
}

const finish = (): { etag: string; checksums: Record<string, string> } => ({ etag: `"${randomBytes(16).toString('hex')}"`, checksums: {} });

async function put(e: Env, key: string, bytes: Uint8Array): Promise<void> {
  await e.backend.putObject(e.principal, { bucket: BUCKET, key, body: body(bytes), headers: {}, userMetadata: {}, finish });
}

async function putMultipart(e: Env, key: string, parts: readonly Uint8Array[]): Promise<void> {
  const upload = await e.backend.createMultipartUpload(e.principal, { bucket: BUCKET, key, headers: {}, userMetadata: {}, checksumAlgorithm: undefined });
  const done: { partNumber: number; etag: string }[] = [];
  for (const [i, part] of parts.entries()) {
    const info = await e.backend.uploadPart(e.principal, { bucket: BUCKET, key, uploadId: upload.uploadId, partNumber: i + 1, body: body(part), finish });
    done.push({ partNumber: i + 1, etag: info.etag });
  }
  await e.backend.completeMultipartUpload(e.principal, { bucket: BUCKET, key, uploadId: upload.uploadId, parts: done });
}

async function read(e: Env, key: string): Promise<Buffer> {
  const result = await e.backend.getObject(e.principal, BUCKET, key, undefined);
  const chunks: Uint8Array[] = [];
  for await (const chunk of result.body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The DispersedObjects of the current version of `key`, with its version id. */
async function stored(e: Env, key: string): Promise<{ versionId: string; segments: DispersedObject[] }> {
  const object = must(await e.meta.getObject(BUCKET, key), key);
  return { versionId: object.versionId, segments: segmentsOf(object.dispersed, object.size).map((s) => s.object) };
}

/** Where a fragment is now and its opaque name. */
function whereIs(object: DispersedObject, generation: number, packetIndex: number): { location: string; key: string } {
  return { location: locationOf(object.placement, generation, packetIndex), key: fragmentKey(object.manifest.objectVersionId, generation, packetIndex) };
}

function store(e: Env, id: string): FaultyStore {
  return must(e.stores.get(id), id);
}

async function deleteFragment(e: Env, object: DispersedObject, generation: number, packetIndex: number): Promise<void> {
  const { location, key } = whereIs(object, generation, packetIndex);
  await store(e, location).inner.delete(key);
}

async function hasFragment(e: Env, object: DispersedObject, generation: number, packetIndex: number): Promise<boolean> {
  const { location, key } = whereIs(object, generation, packetIndex);
  return (await store(e, location).inner.head(key)) !== null;
}

/** Runs a job to its end. */
async function run(e: Env, start: () => JobView): Promise<JobView> {
  const job = start();
  await e.runner.idle();
  return must(e.runner.get(job.id), 'job');
}

/** Reads `key` with packets `down` unreachable: only the other fragments (repaired ones among them) can decode it. */
async function readWithout(e: Env, key: string, down: readonly string[]): Promise<Buffer> {
  for (const id of down) store(e, id).fault = { kind: 'down' };
  try {
    return await read(e, key);
  } finally {
    for (const id of down) store(e, id).fault = { kind: 'none' };
  }
}

describe('scrub and repair', () => {
  it('scrub (head) finds deleted fragments and queues them; repair recreates them and the object decodes from them', async () => {
    const e = await setup();
    const a = seededBytes(1, 600 * KiB); // 3 generations
    const b = seededBytes(2, 100 * KiB);
    await put(e, 'a', a);
    await put(e, 'b', b);
    const { versionId, segments } = await stored(e, 'a');
    const [object] = segments;
    assert.ok(object !== undefined);
    assert.equal(object.manifest.generations.length, 3);
    await deleteFragment(e, object, 0, 0);
    await deleteFragment(e, object, 2, 1);

    const scrub = await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    assert.equal(scrub.state, 'done', scrub.error);
    assert.deepEqual(scrub.summary, { objects: 2, segments: 2, fragments: 4 * 3 + 4, missing: 2, corrupt: 0, queued: 2 });
    assert.equal(scrub.done, 2);
    assert.equal(scrub.total, 2);
    assert.equal(e.runner.lastScrub()?.id, scrub.id);
    assert.equal(await e.meta.repairQueueDepth(), 2);
    const tasks = await e.meta.claimRepairs({ limit: 10, leaseMs: 1 });
    assert.deepEqual(tasks.map((t) => [t.versionId, t.generation, t.packetIndex, t.reason]).sort(), [[versionId, 0, 0, 'missing'], [versionId, 2, 1, 'missing']]);
    await new Promise((resolve) => setTimeout(resolve, 5)); // the 1 ms lease ends

    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.equal(repair.state, 'done', repair.error);
    assert.deepEqual(repair.summary, { versions: 1, repaired: 1, failed: 0, unchanged: 0, fragments: 2 });
    assert.equal(repair.done, 2);
    assert.equal(repair.total, 2);
    assert.equal(await e.meta.repairQueueDepth(), 0);
    assert.ok(await hasFragment(e, object, 0, 0));
    assert.ok(await hasFragment(e, object, 2, 1));
    // Back home: the placement did not change.
    assert.deepEqual((await stored(e, 'a')).segments[0]?.placement, object.placement);
    // Generation 0 decodes from packets 0 and 1 only, generation 2 from 0 and 1 as well: the recreated ones.
    assert.ok((await readWithout(e, 'a', ['loc-3', 'loc-4'])).equals(a));
    assert.deepEqual(e.errors, []);
  });

  it('repair puts a fragment whose home is down on a spare location and records the move', async () => {
    const e = await setup();
    const a = seededBytes(3, 300 * KiB); // 2 generations
    await put(e, 'a', a);
    const [object] = (await stored(e, 'a')).segments;
    assert.ok(object !== undefined);
    await deleteFragment(e, object, 1, 2);
    store(e, 'loc-3').fault = { kind: 'down' };
    const scrub = await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    // loc-3 answers nothing: both of its fragments are missing for the scrub.
    assert.deepEqual(scrub.summary, { objects: 1, segments: 1, fragments: 8, missing: 2, corrupt: 0, queued: 2 });
    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.equal(repair.state, 'done', repair.error);
    assert.deepEqual(repair.summary, { versions: 1, repaired: 1, failed: 0, unchanged: 0, fragments: 2 });
    const [after] = (await stored(e, 'a')).segments;
    assert.ok(after !== undefined);
    assert.deepEqual(after.placement.locations, HOMES);
    assert.deepEqual(after.placement.moved.map((m) => [m.generation, m.packetIndex]), [[0, 2], [1, 2]]);
    for (const m of after.placement.moved) {
      assert.ok(SPARES.includes(m.locationId), m.locationId);
      assert.ok(await hasFragment(e, after, m.generation, m.packetIndex));
    }
    // Only the moved packet 2 and packet 3 reachable: they must decode.
    assert.ok((await readWithout(e, 'a', ['loc-1', 'loc-2', 'loc-3'])).equals(a));
    assert.deepEqual(e.errors, []);
  });

  it('scrub (full) finds a corrupt fragment that a head scrub cannot see, and repair replaces it', async () => {
    const e = await setup();
    const a = seededBytes(4, 300 * KiB);
    await put(e, 'a', a);
    const [object] = (await stored(e, 'a')).segments;
    assert.ok(object !== undefined);
    const { location, key } = whereIs(object, 1, 3);
    const bytes = must(await store(e, location).inner.get(key), 'fragment');
    const flipped = bytes.slice();
    flipped[flipped.length - 100] = (flipped[flipped.length - 100] ?? 0) ^ 0x40;
    await store(e, location).inner.put(key, flipped);

    const head = await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    assert.deepEqual(head.summary, { objects: 1, segments: 1, fragments: 8, missing: 0, corrupt: 0, queued: 0 });
    const full = await run(e, () => e.runner.start('scrub', { mode: 'full' }));
    assert.deepEqual(full.summary, { objects: 1, segments: 1, fragments: 8, missing: 0, corrupt: 1, queued: 1 });
    assert.equal(e.runner.lastScrub()?.id, full.id);
    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.deepEqual(repair.summary, { versions: 1, repaired: 1, failed: 0, unchanged: 0, fragments: 1 });
    assert.ok(Buffer.from(must(await store(e, location).inner.get(key), 'fragment')).equals(bytes), 'the recoded fragment equals the original');
    assert.ok((await readWithout(e, 'a', ['loc-1', 'loc-2'])).equals(a));
    const again = await run(e, () => e.runner.start('scrub', { mode: 'full' }));
    assert.equal(again.summary.corrupt, 0);
  });

  it('a scrub of one bucket checks only its objects', async () => {
    const e = await setup();
    await e.backend.createBucket(e.principal, 'other', undefined);
    await put(e, 'a', seededBytes(5, 10 * KiB));
    await e.backend.putObject(e.principal, { bucket: 'other', key: 'x', body: body(seededBytes(6, 10 * KiB)), headers: {}, userMetadata: {}, finish });
    await e.backend.putObject(e.principal, { bucket: 'other', key: 'y', body: body(seededBytes(7, 10 * KiB)), headers: {}, userMetadata: {}, finish });
    const one = await run(e, () => e.runner.start('scrub', { mode: 'head', bucket: BUCKET }));
    assert.equal(one.target, BUCKET);
    assert.equal(one.summary.objects, 1);
    assert.equal(one.total, 1);
    const other = await run(e, () => e.runner.start('scrub', { mode: 'head', bucket: 'other' }));
    assert.equal(other.summary.objects, 2);
    const all = await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    assert.equal(all.summary.objects, 3);
    const missing = await run(e, () => e.runner.start('scrub', { mode: 'head', bucket: 'no-such' }));
    assert.equal(missing.state, 'failed');
    assert.match(missing.error ?? '', /no bucket/);
    e.errors.length = 0;
  });

  it('repairs the fragments of every part of a multipart object', async () => {
    const e = await setup();
    const part1 = seededBytes(8, 5 * MiB); // 20 generations
    const part2 = seededBytes(9, 300 * KiB); // 2 generations
    await putMultipart(e, 'mp', [part1, part2]);
    const { versionId, segments } = await stored(e, 'mp');
    const [p1, p2] = segments;
    assert.ok(p1 !== undefined && p2 !== undefined);
    assert.notEqual(p1.manifest.objectVersionId, p2.manifest.objectVersionId);
    await deleteFragment(e, p1, 0, 1);
    await deleteFragment(e, p2, 0, 1); // the same (generation, packet) in the other part: one task covers both
    await deleteFragment(e, p1, 17, 0);
    await deleteFragment(e, p2, 1, 0);

    const scrub = await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    assert.deepEqual(scrub.summary, { objects: 1, segments: 2, fragments: 4 * 22, missing: 4, corrupt: 0, queued: 3 });
    const queued = await e.meta.claimRepairs({ limit: 10, leaseMs: 1 });
    assert.deepEqual(new Set(queued.map((t) => t.versionId)), new Set([versionId]));
    await new Promise((resolve) => setTimeout(resolve, 5));

    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.equal(repair.state, 'done', repair.error);
    assert.deepEqual(repair.summary, { versions: 1, repaired: 1, failed: 0, unchanged: 0, fragments: 4 });
    assert.equal(await e.meta.repairQueueDepth(), 0);
    for (const [object, g, p] of [[p1, 0, 1], [p2, 0, 1], [p1, 17, 0], [p2, 1, 0]] as const) assert.ok(await hasFragment(e, object, g, p), `${g}/${p}`);
    assert.ok((await readWithout(e, 'mp', ['loc-3', 'loc-4'])).equals(Buffer.concat([part1, part2])));
    assert.deepEqual(e.errors, []);
  });

  it('a multipart object part moved by repair is recorded in the stored parts layout', async () => {
    const e = await setup();
    const part1 = seededBytes(10, 5 * MiB);
    const part2 = seededBytes(11, 10 * KiB);
    await putMultipart(e, 'mp', [part1, part2]);
    const before = await stored(e, 'mp');
    const p2 = must(before.segments[1], 'part 2');
    await deleteFragment(e, p2, 0, 3);
    await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    // Retired, loc-4 still serves what it holds but takes nothing new: the recreated fragment goes to a spare.
    e.registry.retire('loc-4');
    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.deepEqual(repair.summary, { versions: 1, repaired: 1, failed: 0, unchanged: 0, fragments: 1 });
    const after = await stored(e, 'mp');
    assert.equal(after.versionId, before.versionId);
    assert.deepEqual(after.segments[0]?.placement, before.segments[0]?.placement);
    const moved = must(after.segments[1], 'part 2').placement.moved;
    assert.equal(moved.length, 1);
    assert.ok(SPARES.includes(moved[0]?.locationId ?? ''));
    const layout = must(await e.meta.getObject(BUCKET, 'mp'), 'mp').dispersed as { version: number; parts: { partNumber: number }[] };
    assert.equal(layout.version, 1);
    assert.deepEqual(layout.parts.map((p) => p.partNumber), [1, 2]);
    assert.ok((await readWithout(e, 'mp', ['loc-1', 'loc-2'])).equals(Buffer.concat([part1, part2])));
  });

  it('a layout another writer changed meanwhile is read again and worked on once more', async () => {
    const e = await setup();
    const a = seededBytes(14, 300 * KiB);
    await put(e, 'a', a);
    const [object] = (await stored(e, 'a')).segments;
    assert.ok(object !== undefined);
    await deleteFragment(e, object, 0, 3);
    await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    e.registry.retire('loc-4'); // the recreated fragment must move, so the layout is updated
    let raced = 0;
    const meta = new Proxy(e.meta, {
      get(target, property, receiver) {
        if (property === 'updateDispersed') {
          return async (versionId: string, dispersed: unknown, ifCurrent?: unknown): Promise<boolean> => {
            if (raced++ === 0) {
              // Another gateway's update lands between this repair's read and its write.
              const current = must(await target.getStoredVersion(versionId), 'version');
              await target.updateDispersed(versionId, { ...(current.dispersed as object), touchedBy: 'another gateway' });
            }
            return target.updateDispersed(versionId, dispersed, ifCurrent);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const runner = new JobRunner({ meta, registry: e.registry, kernel: testKernel(), requestTimeoutMs: 2_000, now: () => Date.now(), onError: (error) => { e.errors.push(error); } });
    const job = runner.start('repair', {});
    await runner.idle();
    const repair = must(runner.get(job.id), 'job');
    assert.equal(repair.state, 'done', repair.error);
    assert.deepEqual(repair.summary, { versions: 1, repaired: 1, failed: 0, unchanged: 0, fragments: 1 });
    assert.equal(raced, 2);
    const current = must(await e.meta.getObject(BUCKET, 'a'), 'a').dispersed as DispersedObject & { touchedBy?: string };
    assert.equal(current.touchedBy, 'another gateway', 'the other writer\'s change is kept');
    assert.deepEqual(current.placement.moved.map((m) => [m.generation, m.packetIndex]), [[0, 3]]);
    assert.equal(await e.meta.repairQueueDepth(), 0);
    assert.ok((await readWithout(e, 'a', ['loc-1', 'loc-2'])).equals(a));
    assert.deepEqual(e.errors, []);
  });

  it('completes the task of a version deleted meanwhile, without error', async () => {
    const e = await setup();
    await put(e, 'gone', seededBytes(12, 10 * KiB));
    const [object] = (await stored(e, 'gone')).segments;
    assert.ok(object !== undefined);
    await deleteFragment(e, object, 0, 2);
    await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    assert.equal(await e.meta.repairQueueDepth(), 1);
    await e.backend.deleteObject(e.principal, BUCKET, 'gone');
    await e.backend.idle();
    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.equal(repair.state, 'done', repair.error);
    assert.deepEqual(repair.summary, { versions: 1, repaired: 0, failed: 0, unchanged: 1, fragments: 0 });
    assert.equal(await e.meta.repairQueueDepth(), 0);
    assert.deepEqual(e.errors, []);
  });

  it('with fewer than k fragments left, repair counts a failure and leaves the tasks queued', async () => {
    const e = await setup();
    await put(e, 'lost', seededBytes(13, 300 * KiB));
    const [object] = (await stored(e, 'lost')).segments;
    assert.ok(object !== undefined);
    for (const p of [0, 1, 2]) await deleteFragment(e, object, 1, p);
    await deleteFragment(e, object, 0, 3);
    const scrub = await run(e, () => e.runner.start('scrub', { mode: 'head' }));
    assert.equal(scrub.summary.queued, 4);
    const repair = await run(e, () => e.runner.start('repair', {}));
    assert.equal(repair.state, 'done', repair.error);
    assert.deepEqual(repair.summary, { versions: 1, repaired: 0, failed: 1, unchanged: 0, fragments: 1 });
    assert.equal(repair.done, 4);
    // Generation 0 was repaired (its task completed); generation 1's three stay, leased.
    assert.equal(await e.meta.repairQueueDepth(), 3);
    assert.ok(await hasFragment(e, object, 0, 3));
    assert.deepEqual(await e.meta.claimRepairs({ limit: 10, leaseMs: 1000 }), []);
    // Nothing is claimable until the lease ends: the worker's check does not start a pointless job.
    assert.equal(await e.runner.repairIfQueued(), undefined);
    assert.deepEqual(e.errors, []);
  });
});

describe('evacuation', () => {
  it('moves every fragment off a retired location; progress ends at done == total', async () => {
    const e = await setup();
    const data = new Map([
      ['a', seededBytes(20, 600 * KiB)],
      ['b', seededBytes(21, 1)],
      ['c', seededBytes(22, 300 * KiB)],
    ]);
    for (const [key, bytes] of data) await put(e, key, bytes);
    const part1 = seededBytes(23, 5 * MiB);
    const part2 = seededBytes(24, 100 * KiB);
    await putMultipart(e, 'mp', [part1, part2]);
    const expectedMoved = (await Promise.all([...data.keys(), 'mp'].map((k) => stored(e, k))))
      .flatMap((s) => s.segments)
      .reduce((sum, o) => sum + o.manifest.generations.length, 0);
    const retired = 'loc-2';
    assert.ok(expectedMoved > 0);
    const before: string[] = [];
    for await (const f of store(e, retired).inner.list('')) before.push(f.key);
    assert.equal(before.length, expectedMoved);

    e.registry.retire(retired);
    const job = await run(e, () => e.runner.start('evacuate', { location: retired }));
    assert.equal(job.state, 'done', job.error);
    assert.equal(job.target, retired);
    assert.deepEqual(job.summary, { objects: 4, moved: expectedMoved, stuck: 0 });
    assert.equal(job.done, 4);
    assert.equal(job.total, 4);
    const progress = e.changes.filter((c) => c.id === job.id);
    assert.ok(progress.some((c) => c.state === 'running' && c.total === 4 && c.done < 4), 'the progress bar had a total before the end');
    assert.deepEqual(progress.map((c) => c.done), [...progress.map((c) => c.done)].sort((x, y) => x - y), 'done only grows');

    const after: string[] = [];
    for await (const f of store(e, retired).inner.list('')) after.push(f.key);
    assert.deepEqual(after, []);
    for (const key of [...data.keys(), 'mp']) {
      for (const object of (await stored(e, key)).segments) {
        for (const [g, generation] of object.manifest.generations.entries()) {
          for (const f of generation.fragments) {
            assert.notEqual(locationOf(object.placement, g, f.packetIndex), retired);
            assert.ok(await hasFragment(e, object, g, f.packetIndex));
          }
        }
      }
    }
    // Readable, even with the packets that moved needed: the retired location down and another one too.
    for (const [key, bytes] of data) assert.ok((await readWithout(e, key, [retired, 'loc-1', 'loc-3'])).equals(bytes), key);
    assert.ok((await readWithout(e, 'mp', [retired, 'loc-1', 'loc-3'])).equals(Buffer.concat([part1, part2])));
    // Another pass finds nothing left to move.
    const again = await run(e, () => e.runner.start('evacuate', { location: retired }));
    assert.deepEqual(again.summary, { objects: 0, moved: 0, stuck: 0 });
    assert.deepEqual(e.errors, []);
  });

  it('refuses a location that is not retired, or unknown', async () => {
    const e = await setup();
    await put(e, 'a', seededBytes(25, 1000));
    const active = await run(e, () => e.runner.start('evacuate', { location: 'loc-1' }));
    assert.equal(active.state, 'failed');
    assert.match(active.error ?? '', /not retired/);
    const unknown = await run(e, () => e.runner.start('evacuate', { location: 'nowhere' }));
    assert.equal(unknown.state, 'failed');
    assert.match(unknown.error ?? '', /no location/);
    assert.equal(e.errors.length, 2);
    e.errors.length = 0;
  });
});

describe('the job runner', () => {
  it('runs one job of a kind at a time: a second start returns the running one', async () => {
    const e = await setup();
    for (let i = 0; i < 3; i++) await put(e, `k${i}`, seededBytes(30 + i, 1000));
    const scrub = e.runner.start('scrub', { mode: 'head' });
    assert.equal(scrub.state, 'running');
    assert.equal(e.runner.start('scrub', { mode: 'full' }).id, scrub.id);
    const repair = e.runner.start('repair', {});
    assert.equal(e.runner.start('repair', {}).id, repair.id);
    assert.notEqual(repair.id, scrub.id);
    e.registry.retire('loc-5');
    e.registry.retire('loc-6');
    const ev5 = e.runner.start('evacuate', { location: 'loc-5' });
    const ev6 = e.runner.start('evacuate', { location: 'loc-6' });
    assert.notEqual(ev5.id, ev6.id);
    assert.equal(e.runner.start('evacuate', { location: 'loc-5' }).id, ev5.id);
    assert.deepEqual(e.runner.list().map((j) => j.id), [ev6.id, ev5.id, repair.id, scrub.id]);
    await e.runner.idle();
    for (const j of e.runner.list()) assert.equal(j.state, 'done', j.error);
    const finished = must(e.runner.get(scrub.id), 'scrub');
    assert.ok(finished.finishedAt !== undefined && finished.finishedAt >= finished.startedAt);
    assert.equal(finished.done, 3);
    const next = e.runner.start('scrub', { mode: 'head' });
    assert.notEqual(next.id, scrub.id);
    await e.runner.idle();
    assert.equal(e.runner.lastScrub()?.id, next.id);
    assert.equal(e.runner.get('nope'), undefined);
    assert.throws(() => e.runner.start('scrub', { mode: 'deep' as 'head' }), /mode/);
  });

  it('keeps the last 50 finished jobs', async () => {
    const e = await setup();
    const first = await run(e, () => e.runner.start('repair', {}));
    for (let i = 0; i < 55; i++) await run(e, () => e.runner.start('repair', {}));
    const jobs = e.runner.list();
    assert.equal(jobs.length, 50);
    assert.equal(e.runner.get(first.id), undefined);
    assert.ok(jobs.every((j) => j.kind === 'repair' && j.state === 'done' && j.done === 0 && j.total === 0));
  });

  it('the repair worker starts a repair job when the queue holds tasks', async () => {
    const e = await setup();
    await put(e, 'a', seededBytes(40, 10 * KiB));
    const [object] = (await stored(e, 'a')).segments;
    assert.ok(object !== undefined);
    const stop = startRepairWorker(e.runner, 10);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(e.runner.list(), [], 'an empty queue starts nothing');
      await deleteFragment(e, object, 0, 1);
      await e.meta.enqueueRepair({ versionId: object.manifest.objectVersionId, generation: 0, packetIndex: 1, reason: 'missing' });
      for (let i = 0; i < 200 && !(e.runner.list()[0]?.state === 'done'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      stop();
    }
    await e.runner.idle();
    const [job] = e.runner.list();
    assert.equal(job?.kind, 'repair');
    assert.equal(job.summary.fragments, 1);
    assert.ok(await hasFragment(e, object, 0, 1));
    assert.equal(await e.meta.repairQueueDepth(), 0);
  });
});
