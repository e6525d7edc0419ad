// The object cache on its own: fills, verified reads, LRU eviction, limits, blacklist, free-space floor, encryption,
// invalidation and settings validation.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { ControlError, type CacheSettings } from '../../src/admin/deps.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { DEFAULT_CACHE_SETTINGS, isBlacklisted, openObjectCache, parseCacheSettings, type ObjectCache, type ObjectCacheOptions, type StatFs } from '../../src/objects/cache.ts';
import { must } from '../support/must.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const PLENTY: StatFs = () => Promise.resolve({ bavail: 1024 ** 3, bsize: 1024 });

async function makeCache(settings: Partial<CacheSettings> = {}, options: Partial<ObjectCacheOptions> = {}): Promise<{ cache: ObjectCache; dir: string; root: string }> {
  const root = mkdtempSync(join(tmpdir(), 'dispersa-cache-'));
  roots.push(root);
  const dir = join(root, 'cache');
  const cache = await openObjectCache({ dir, settings: { enabled: true, ...settings }, statfs: PLENTY, ...options });
  return { cache, dir, root };
}

/** A version id as the object service makes them: 32 hex digits. */
function vid(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** The bytes as a request body arrives: in pieces, asynchronously. */
async function* pieces(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array, void, undefined> {
  for (let i = 0; i < bytes.length; i += size) {
    await setImmediate();
    yield bytes.subarray(i, i + size);
  }
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

/** A PUT as the object service makes it: the body teed through a fill, then committed. */
async function put(cache: ObjectCache, versionId: string, bytes: Uint8Array, target: { bucket?: string; key?: string; contentType?: string } = {}): Promise<boolean> {
  const fill = cache.fill({ bucket: target.bucket ?? 'b', key: target.key ?? versionId, contentType: target.contentType });
  const seen = await drain(fill === undefined ? pieces(bytes) : fill.pass(pieces(bytes)));
  assert.deepEqual(seen, Buffer.from(bytes), 'the request sees its bytes whatever the cache does');
  fill?.commit(versionId);
  await cache.idle();
  return fill !== undefined;
}

function ref(versionId: string, size: number, bucket = 'b', key = versionId): { versionId: string; bucket: string; key: string; size: number } {
  return { versionId, bucket, key, size };
}

async function get(cache: ObjectCache, versionId: string, size: number, range?: { start: number; end: number }): Promise<Buffer | undefined> {
  const body = await cache.read(ref(versionId, size), range);
  return body === undefined ? undefined : drain(body);
}

function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('object cache', () => {
  it('is off by default: nothing is filled or looked up', async () => {
    const { cache, dir } = await makeCache({ enabled: false });
    assert.deepEqual(DEFAULT_CACHE_SETTINGS, { enabled: false, maxSizeBytes: 1024 ** 3, minFreeDiskBytes: 1024 ** 3, maxFileSizeBytes: 64 * 1024 ** 2, mimeBlacklist: [], readThrough: true, encrypt: false });
    assert.equal(cache.fill({ bucket: 'b', key: 'k', contentType: undefined }), undefined);
    assert.equal(await get(cache, vid(1), 10), undefined);
    assert.deepEqual(cache.stats(), { entries: 0, bytes: 0, hits: 0, misses: 0, evictions: 0, corruptions: 0, failures: 0 });
    assert.deepEqual(files(dir), []);
  });

  it('serves a committed fill, whole and in ranges, and counts hits and misses', async () => {
    const { cache, dir } = await makeCache();
    const bytes = seededBytes(1, 5000);
    assert.ok(await put(cache, vid(1), bytes));
    assert.deepEqual(files(dir), [vid(1)]);
    assert.equal(statSync(join(dir, vid(1))).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(await get(cache, vid(1), 5000), Buffer.from(bytes));
    assert.deepEqual(await get(cache, vid(1), 5000, { start: 1234, end: 4321 }), Buffer.from(bytes.subarray(1234, 4321)));
    assert.equal(await get(cache, vid(2), 5000), undefined);
    // Same id, other bucket, key or size: never served.
    assert.equal(await cache.read(ref(vid(1), 5000, 'other')), undefined);
    assert.equal(await cache.read(ref(vid(1), 5000, 'b', 'other-key')), undefined);
    assert.equal(await get(cache, vid(1), 4999), undefined);
    assert.deepEqual(cache.stats(), { entries: 1, bytes: 5000, hits: 2, misses: 4, evictions: 0, corruptions: 0, failures: 0 });
  });

  it('keeps nothing of a body that ended early, was discarded or never committed', async () => {
    const { cache, dir } = await makeCache();
    const early = must(cache.fill({ bucket: 'b', key: 'k', contentType: undefined }));
    for await (const _ of early.pass(pieces(seededBytes(2, 5000)))) break;
    early.commit(vid(1));
    const discarded = must(cache.fill({ bucket: 'b', key: 'k2', contentType: undefined }));
    await drain(discarded.pass(pieces(seededBytes(3, 5000))));
    discarded.discard();
    discarded.commit(vid(2));
    const failing = must(cache.fill({ bucket: 'b', key: 'k3', contentType: undefined }));
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield* pieces(seededBytes(4, 100));
      throw new Error('client went away');
    }
    await assert.rejects(drain(failing.pass(broken())), /client went away/);
    failing.commit(vid(3));
    await cache.idle();
    assert.deepEqual(files(dir), []);
    assert.equal(cache.stats().entries, 0);
  });

  it('evicts the least recently used entries when adding would exceed maxSizeBytes', async () => {
    const { cache, dir } = await makeCache({ maxSizeBytes: 3000, maxFileSizeBytes: 1000 });
    for (const n of [1, 2, 3]) await put(cache, vid(n), seededBytes(n, 1000));
    assert.ok(await get(cache, vid(1), 1000), 'A is used again: B is now the oldest');
    await put(cache, vid(4), seededBytes(4, 1000));
    assert.deepEqual(files(dir), [vid(1), vid(3), vid(4)]);
    await put(cache, vid(5), seededBytes(5, 1000));
    assert.deepEqual(files(dir), [vid(1), vid(4), vid(5)]);
    const stats = cache.stats();
    assert.equal(stats.evictions, 2);
    assert.equal(stats.entries, 3);
    assert.equal(stats.bytes, 3000);
    await cache.update({ maxSizeBytes: 2000 });
    await cache.idle();
    assert.deepEqual(files(dir), [vid(4), vid(5)], 'a smaller budget evicts the oldest first');
  });

  it('never caches an object larger than maxFileSizeBytes, PUT or read-through', async () => {
    const { cache, dir } = await makeCache({ maxFileSizeBytes: 1000 });
    await put(cache, vid(1), seededBytes(1, 1000));
    await put(cache, vid(2), seededBytes(2, 1001));
    assert.deepEqual(files(dir), [vid(1)]);
    const big = seededBytes(3, 1500);
    const body = cache.readThrough(ref(vid(3), 1500), pieces(big));
    assert.deepEqual(await drain(body), Buffer.from(big));
    await cache.idle();
    assert.deepEqual(files(dir), [vid(1)]);
    assert.equal(cache.stats().failures, 0, 'too large is no failure');
  });

  it('fills on a complete read-through only', async () => {
    const { cache, dir } = await makeCache();
    const bytes = seededBytes(7, 4000);
    const source = (): AsyncGenerator<Uint8Array, void, undefined> => pieces(bytes);
    // Read partly, then abandoned.
    const partial = cache.readThrough(ref(vid(1), 4000), source());
    await partial.next();
    await partial.return(undefined);
    // Ended before it started.
    await cache.readThrough(ref(vid(1), 4000), source()).return(undefined);
    // A source shorter than the version's size.
    assert.equal((await drain(cache.readThrough(ref(vid(1), 5000), source()))).length, 4000);
    await cache.idle();
    assert.deepEqual(files(dir), []);
    assert.deepEqual(await drain(cache.readThrough(ref(vid(1), 4000), source())), Buffer.from(bytes));
    await cache.idle();
    assert.deepEqual(files(dir), [vid(1)]);
    assert.deepEqual(await get(cache, vid(1), 4000), Buffer.from(bytes));
    await cache.update({ readThrough: false });
    await drain(cache.readThrough(ref(vid(2), 4000), source()));
    await cache.idle();
    assert.deepEqual(files(dir), [vid(1)], 'read-through off: a miss does not fill');
  });

  it('skips blacklisted content types: exact or type/*, case-insensitive, parameters ignored', async () => {
    assert.ok(isBlacklisted('image/png', ['image/*']));
    assert.ok(isBlacklisted('IMAGE/JPEG; q=1', ['image/*']));
    assert.ok(isBlacklisted('Text/HTML;charset=utf-8', ['text/html']));
    assert.ok(!isBlacklisted('text/plain', ['text/html', 'image/*']));
    assert.ok(!isBlacklisted('imagex/png', ['image/*']));
    assert.ok(isBlacklisted(undefined, ['binary/octet-stream']), 'no content type is served as binary/octet-stream');
    const { cache, dir } = await makeCache({ mimeBlacklist: ['Image/*', 'video/mp4; codecs=x'] });
    assert.deepEqual(cache.settings().mimeBlacklist, ['image/*', 'video/mp4']);
    assert.equal(await put(cache, vid(1), seededBytes(1, 100), { contentType: 'image/png' }), false);
    assert.equal(await put(cache, vid(2), seededBytes(2, 100), { contentType: 'video/MP4' }), false);
    assert.equal(await put(cache, vid(3), seededBytes(3, 100), { contentType: 'text/plain' }), true);
    const body = cache.readThrough({ ...ref(vid(4), 100), headers: { contentType: 'image/gif' } }, pieces(seededBytes(4, 100)));
    await drain(body);
    await cache.idle();
    assert.deepEqual(files(dir), [vid(3)]);
    // Blacklisting a type later drops what is cached of it.
    await cache.update({ mimeBlacklist: ['text/*'] });
    await cache.idle();
    assert.deepEqual(files(dir), []);
  });

  it('refuses to take the disk below minFreeDiskBytes, without failing anything', async () => {
    let free = 1024 ** 3 + 64 * 1024 ** 2 + 10_000;
    const statfs: StatFs = () => Promise.resolve({ bavail: free, bsize: 1 });
    const { cache, dir } = await makeCache({}, { statfs });
    // A PUT's size is unknown: it needs room for maxFileSizeBytes above the floor.
    assert.ok(await put(cache, vid(1), seededBytes(1, 1000)));
    free = 1024 ** 3 + 64 * 1024 ** 2 - 1;
    await put(cache, vid(2), seededBytes(2, 1000));
    // A read-through knows its size.
    free = 1024 ** 3 + 999;
    await drain(cache.readThrough(ref(vid(3), 1000), pieces(seededBytes(3, 1000))));
    free = 1024 ** 3 + 1000;
    await drain(cache.readThrough(ref(vid(4), 1000), pieces(seededBytes(4, 1000))));
    await cache.idle();
    assert.deepEqual(files(dir), [vid(1), vid(4)]);
    assert.equal(cache.stats().failures, 0);
  });

  it('counts a failing cache disk and lets the request go on', async () => {
    const errors: unknown[] = [];
    const { cache, dir } = await makeCache({}, { statfs: () => Promise.reject(new Error('EIO: statfs')), onError: (e) => { errors.push(e); } });
    assert.equal(await put(cache, vid(1), seededBytes(1, 3000)), true);
    assert.deepEqual(files(dir), []);
    assert.equal(cache.stats().failures, 1);
    assert.match(String(errors[0]), /EIO/);
  });

  it('detects a flipped byte before serving: deleted, counted, never served', async () => {
    const errors: unknown[] = [];
    const { cache, dir } = await makeCache({}, { onError: (e) => { errors.push(e); } });
    const bytes = seededBytes(9, 3000);
    await put(cache, vid(1), bytes);
    const path = join(dir, vid(1));
    const stored = readFileSync(path);
    stored[1500] = (stored[1500] ?? 0) ^ 0x01;
    writeFileSync(path, stored);
    assert.equal(await get(cache, vid(1), 3000), undefined);
    await cache.idle();
    assert.deepEqual(files(dir), []);
    assert.deepEqual(cache.stats(), { entries: 0, bytes: 0, hits: 0, misses: 1, evictions: 0, corruptions: 1, failures: 0 });
    assert.match(String(errors[0]), /failed verification/);
    // A file swapped for another cached object's (same size) is caught too.
    await put(cache, vid(2), seededBytes(2, 3000));
    await put(cache, vid(3), seededBytes(3, 3000));
    writeFileSync(join(dir, vid(2)), readFileSync(join(dir, vid(3))));
    assert.equal(await get(cache, vid(2), 3000), undefined);
    assert.equal(cache.stats().corruptions, 2);
  });

  it('encrypts files with a local key when asked: no plaintext on disk, tampering detected', async () => {
    const { cache, dir, root } = await makeCache({ encrypt: true });
    const canary = Buffer.from('CANARY-cache-7f3a-do-not-leak\n'.repeat(200));
    await put(cache, vid(1), canary);
    const keyFile = join(root, 'cache.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /^[0-9a-f]{64}\n$/);
    const onDisk = readFileSync(join(dir, vid(1)));
    assert.equal(onDisk.length, canary.length + 29);
    assert.equal(onDisk.indexOf('CANARY'), -1);
    assert.equal(onDisk.indexOf(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex').subarray(0, 16)), -1);
    assert.deepEqual(await get(cache, vid(1), canary.length), canary);
    onDisk[40] = (onDisk[40] ?? 0) ^ 0x80;
    writeFileSync(join(dir, vid(1)), onDisk);
    assert.equal(await get(cache, vid(1), canary.length), undefined);
    assert.equal(cache.stats().corruptions, 1);
    // The same key serves the next start; switching encryption off empties the cache.
    await put(cache, vid(2), canary);
    await cache.update({ encrypt: false });
    await cache.idle();
    assert.deepEqual(files(dir), []);
    await put(cache, vid(3), canary);
    assert.ok(readFileSync(join(dir, vid(3))).includes('CANARY'), 'off: files are plaintext (as documented)');
  });

  it('forgets replaced and deleted versions, keys and whole buckets, and a late fill cannot bring them back', async () => {
    const { cache, dir } = await makeCache();
    await put(cache, vid(1), seededBytes(1, 100), { key: 'a' });
    await put(cache, vid(2), seededBytes(2, 100), { key: 'b' });
    await put(cache, vid(3), seededBytes(3, 100), { bucket: 'other', key: 'c' });
    cache.forgetVersion(vid(1));
    cache.forgetKey('b', 'b');
    await cache.idle();
    assert.deepEqual(files(dir), [vid(3)]);
    // A fill committing a forgotten version (a PUT that lost a race with the next overwrite) is dropped.
    await put(cache, vid(1), seededBytes(1, 100), { key: 'a' });
    assert.deepEqual(files(dir), [vid(3)]);
    // A newer version of a key replaces the older one.
    await put(cache, vid(4), seededBytes(4, 100), { bucket: 'other', key: 'c' });
    assert.deepEqual(files(dir), [vid(4)]);
    // A fill in progress for a key being deleted is dropped.
    const pending = must(cache.fill({ bucket: 'other', key: 'd', contentType: undefined }));
    await drain(pending.pass(pieces(seededBytes(5, 100))));
    cache.forgetKey('other', 'd');
    pending.commit(vid(5));
    assert.equal(await cache.purgeBucket('other'), 1);
    assert.deepEqual(files(dir), []);
    assert.equal(cache.stats().entries, 0);
  });

  it('wipes leftovers at open and on close, leaving foreign files alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dispersa-cache-'));
    roots.push(root);
    const dir = join(root, 'cache');
    const first = await openObjectCache({ dir, settings: { enabled: true }, statfs: PLENTY });
    await put(first, vid(1), seededBytes(1, 100));
    writeFileSync(join(dir, '.fill-0123abcd'), 'half written');
    writeFileSync(join(dir, 'README'), 'not ours');
    const second = await openObjectCache({ dir, settings: { enabled: true }, statfs: PLENTY });
    assert.deepEqual(files(dir), ['README']);
    assert.equal(await get(second, vid(1), 100), undefined, 'the index is never rebuilt from disk');
    await put(second, vid(2), seededBytes(2, 100));
    await second.close();
    assert.deepEqual(files(dir), ['README']);
  });

  it('disabling empties the cache', async () => {
    const { cache, dir } = await makeCache();
    await put(cache, vid(1), seededBytes(1, 100));
    await cache.update({ enabled: false });
    await cache.idle();
    assert.deepEqual(files(dir), []);
    assert.equal(cache.stats().entries, 0);
  });
});

describe('cache settings', () => {
  function invalid(change: unknown): { message: string; errors: readonly { path: string; message: string }[] } {
    try {
      parseCacheSettings(change);
    } catch (error) {
      assert.ok(error instanceof ControlError);
      assert.equal(error.kind, 'invalid');
      return { message: error.message, errors: error.errors };
    }
    assert.fail('expected invalid settings');
  }

  it('accepts camelCase and the admin API snake_case names', () => {
    assert.deepEqual(parseCacheSettings({ enabled: true, max_size_bytes: 5000, maxFileSizeBytes: 100, mime_blacklist: ['TEXT/*'], read_through: false }), {
      ...DEFAULT_CACHE_SETTINGS,
      enabled: true,
      maxSizeBytes: 5000,
      maxFileSizeBytes: 100,
      mimeBlacklist: ['text/*'],
      readThrough: false,
    });
  });

  it('says precisely what is wrong, field by field', () => {
    assert.deepEqual(invalid({ enabled: 'yes', maxSizeBytes: -1, min_free_disk_bytes: 1.5, colour: 'red' }).errors, [
      { path: 'enabled', message: 'enabled must be true or false, got "yes"' },
      { path: 'maxSizeBytes', message: 'maxSizeBytes must be a whole number of bytes >= 0, got -1' },
      { path: 'min_free_disk_bytes', message: 'min_free_disk_bytes must be a whole number of bytes >= 0, got 1.5' },
      { path: 'colour', message: 'colour is not a cache setting (known: enabled, maxSizeBytes, minFreeDiskBytes, maxFileSizeBytes, mimeBlacklist, readThrough, encrypt)' },
    ]);
    assert.equal(invalid({ enabled: 'yes' }).message, 'invalid cache settings: enabled must be true or false, got "yes"');
    assert.deepEqual(invalid({ maxFileSizeBytes: 2 * 1024 ** 3 }).errors[0]?.message, `maxFileSizeBytes must be a whole number of bytes from 0 to ${1024 ** 3} (a cached object is verified in memory before it is served), got ${2 * 1024 ** 3}`);
    assert.deepEqual(invalid({ max_size_bytes: 10, max_file_size_bytes: '11' }).errors, [{ path: 'max_file_size_bytes', message: `max_file_size_bytes must be a whole number of bytes from 0 to ${1024 ** 3} (a cached object is verified in memory before it is served), got "11"` }]);
    assert.deepEqual(invalid({ mimeBlacklist: ['image/*', 'image', 'a/b/c', 7] }).errors.map((e) => e.path), ['mimeBlacklist[1]', 'mimeBlacklist[2]', 'mimeBlacklist[3]']);
    assert.equal(invalid({ mimeBlacklist: ['image'] }).errors[0]?.message, 'mimeBlacklist[0] must be a MIME type as type/subtype or type/*, got "image"');
    assert.equal(invalid({ mimeBlacklist: 'image/*' }).errors[0]?.message, 'mimeBlacklist must be a list of MIME types (type/subtype or type/*), got "image/*"');
    assert.equal(invalid({ encrypt: true, encrypt_: 1 }).errors[0]?.path, 'encrypt_');
    assert.equal(invalid({ readThrough: true, read_through: false }).errors[0]?.message, 'readThrough and read_through name the same setting: give it once');
    assert.equal(invalid(null).message, 'cache settings must be an object');
  });

  it('persists valid updates, and a bad one changes and persists nothing', async () => {
    const persisted: CacheSettings[] = [];
    const { cache } = await makeCache({}, { persist: (s) => { persisted.push(s); return Promise.resolve(); } });
    const next = await cache.update({ maxSizeBytes: 10_000_000, mimeBlacklist: ['image/*'] });
    assert.equal(next.maxSizeBytes, 10_000_000);
    assert.deepEqual(persisted, [next]);
    await assert.rejects(cache.update({ maxSizeBytes: -100, enabled: 'no' }), (e: unknown) => e instanceof ControlError && e.kind === 'invalid' && e.errors.length === 2);
    assert.deepEqual(cache.settings(), next);
    assert.equal(persisted.length, 1);
  });

  it('starts from stored settings over the config file, and writes updates back to the store', async () => {
    const stored = new Map<string, unknown>([['cache', { ...DEFAULT_CACHE_SETTINGS, enabled: true, maxSizeBytes: 777_777_777 }]]);
    const meta = {
      getSetting: (name: string) => Promise.resolve(stored.get(name)),
      putSetting: (name: string, value: unknown) => { stored.set(name, value); return Promise.resolve(); },
      getObject: () => Promise.resolve(undefined),
    };
    const { cache } = await makeCache({ maxSizeBytes: 5_000_000, readThrough: false }, { meta });
    assert.equal(cache.settings().maxSizeBytes, 777_777_777);
    assert.equal(cache.settings().readThrough, true, 'the stored settings are complete: they win');
    await cache.update({ read_through: false });
    assert.deepEqual(stored.get('cache'), { ...DEFAULT_CACHE_SETTINGS, enabled: true, maxSizeBytes: 777_777_777, readThrough: false });
    await put(cache, vid(1), seededBytes(1, 10), { key: 'gone' });
    assert.equal(await cache.sweepStale(), 1, 'a version the store no longer has is dropped');
    const root = mkdtempSync(join(tmpdir(), 'dispersa-cache-'));
    roots.push(root);
    await assert.rejects(openObjectCache({ dir: join(root, 'cache'), settings: { maxSizeBytes: 'big' } }), /invalid cache settings: maxSizeBytes must be a whole number/);
  });
});
