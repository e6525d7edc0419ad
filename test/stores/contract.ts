// The fragment store contract as tests: every FragmentStore implementation runs this same suite.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededBytes } from '../../src/core/seeded.ts';
import { StoreError, type FragmentStore, type StoreErrorKind, type StoredFragmentInfo } from '../../src/stores/types.ts';

/** Makes a fresh, empty store; each test gets its own and closes it. */
export type StoreFactory = () => Promise<FragmentStore>;

export function isStoreError(kind: StoreErrorKind): (error: unknown) => boolean {
  return (error) => error instanceof StoreError && error.kind === kind;
}

export async function collect(iterable: AsyncIterable<StoredFragmentInfo>): Promise<StoredFragmentInfo[]> {
  const out: StoredFragmentInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

/** Runs `tasks` with at most `width` in flight: enough parallelism to be quick, without opening a socket per key. */
async function inParallel(width: number, tasks: (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tasks.length; i = next++) await tasks[i]?.();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
}

const MiB = 1 << 20;

export const INVALID_KEYS: readonly string[] = ['../x', '/abs', 'a//b', 'a/./b', '', 'k'.repeat(600), 'a\\b', 'ä', 'a/', '.', '..', 'a b', 'a/../b'];

export function storeContract(name: string, factory: StoreFactory): void {
  async function withStore(body: (store: FragmentStore) => Promise<void>): Promise<void> {
    const store = await factory();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  }

  describe(`fragment store contract: ${name}`, () => {
    it('round-trips fragments of many sizes, including empty and 3 MiB', () =>
      withStore(async (store) => {
        const sizes = [0, 1, 100, 64 * 1024 + 3, 3 * MiB];
        for (const size of sizes) {
          const data = seededBytes(size + 1, size);
          await store.put(`obj/size-${size}`, data);
          assert.deepEqual(await store.get(`obj/size-${size}`), data, `size ${size}`);
          assert.deepEqual(await store.head(`obj/size-${size}`), { size });
        }
      }));

    it('replaces a fragment on overwrite, also with a shorter one', () =>
      withStore(async (store) => {
        await store.put('k/1', seededBytes(1, 5000));
        await store.put('k/1', seededBytes(2, 10));
        assert.deepEqual(await store.get('k/1'), seededBytes(2, 10));
        assert.deepEqual(await store.head('k/1'), { size: 10 });
        assert.deepEqual(await collect(store.list('k/')), [{ key: 'k/1', size: 10 }]);
      }));

    it('answers null for a missing key, with or without a range', () =>
      withStore(async (store) => {
        await store.put('present/1', seededBytes(3, 10));
        assert.equal(await store.get('missing/1'), null);
        assert.equal(await store.get('present/2'), null);
        assert.equal(await store.get('present'), null, 'a key that names a "directory" of other keys holds no fragment');
        assert.equal(await store.get('present/1/deeper'), null);
        assert.equal(await store.get('missing/1', { range: { start: 0, end: 5 } }), null);
        assert.equal(await store.get('missing/1', { range: { start: 3, end: 3 } }), null);
        assert.equal(await store.head('missing/1'), null);
        assert.equal(await store.head('present'), null);
      }));

    it('deletes fragments, and deleting a missing key succeeds', () =>
      withStore(async (store) => {
        await store.put('d/a/1', seededBytes(4, 10));
        await store.put('d/b', seededBytes(5, 20));
        await store.delete('d/a/1');
        assert.equal(await store.get('d/a/1'), null);
        assert.equal(await store.head('d/a/1'), null);
        assert.deepEqual(await collect(store.list('')), [{ key: 'd/b', size: 20 }]);
        await store.delete('d/a/1');
        await store.delete('never/was/here');
        await store.put('d/a/1', seededBytes(6, 7));
        assert.deepEqual(await store.get('d/a/1'), seededBytes(6, 7));
      }));

    it('reads byte ranges: start, middle, end, clipped past the end, empty', () =>
      withStore(async (store) => {
        const data = seededBytes(7, 1000);
        await store.put('r/1', data);
        const cases: [number, number, Uint8Array][] = [
          [0, 1, data.subarray(0, 1)],
          [0, 10, data.subarray(0, 10)],
          [500, 600, data.subarray(500, 600)],
          [999, 1000, data.subarray(999)],
          [990, 1000, data.subarray(990)],
          [990, 5000, data.subarray(990)],
          [0, 1000, data],
          [1000, 1010, new Uint8Array(0)],
          [5000, 6000, new Uint8Array(0)],
          [10, 10, new Uint8Array(0)],
        ];
        for (const [start, end, expected] of cases) {
          assert.deepEqual(await store.get('r/1', { range: { start, end } }), new Uint8Array(expected), `range [${start}, ${end})`);
        }
        const big = seededBytes(8, 3 * MiB);
        await store.put('r/big', big);
        assert.deepEqual(await store.get('r/big', { range: { start: 2 * MiB + 5, end: 2 * MiB + 4101 } }), big.slice(2 * MiB + 5, 2 * MiB + 4101));
      }));

    it('reads ranges of an empty fragment as empty', () =>
      withStore(async (store) => {
        await store.put('r/empty', new Uint8Array(0));
        assert.deepEqual(await store.get('r/empty', { range: { start: 0, end: 0 } }), new Uint8Array(0));
        assert.deepEqual(await store.get('r/empty', { range: { start: 0, end: 10 } }), new Uint8Array(0));
      }));

    it('refuses malformed ranges as a caller error', () =>
      withStore(async (store) => {
        await store.put('r/1', seededBytes(9, 10));
        for (const range of [{ start: 5, end: 3 }, { start: -1, end: 3 }, { start: 0.5, end: 3 }]) {
          await assert.rejects(store.get('r/1', { range }), RangeError, JSON.stringify(range));
        }
      }));

    it('lists by plain string prefix, nested, in lexicographic order, with sizes', () =>
      withStore(async (store) => {
        const keys = ['a/1', 'a/2/x', 'a/2/y', 'a/10', 'ab/c', 'b', 'b0/1/2/3', 'Z', '_', 'c1', 'c2/x'];
        for (const [i, key] of keys.entries()) await store.put(key, seededBytes(i + 10, i));
        const sizeOf = new Map(keys.map((key, i) => [key, i]));
        const expect = (prefix: string): StoredFragmentInfo[] =>
          keys.filter((k) => k.startsWith(prefix)).sort().map((key) => ({ key, size: sizeOf.get(key) ?? -1 }));
        for (const prefix of ['', 'a', 'a/', 'a/1', 'a/2', 'a/2/', 'ab', 'b', 'b0/1/', 'c', 'd', 'nothing/here/', 'a/2/x']) {
          assert.deepEqual(await collect(store.list(prefix)), expect(prefix), `prefix ${JSON.stringify(prefix)}`);
        }
        assert.deepEqual(
          (await collect(store.list(''))).map((i) => i.key),
          ['Z', '_', 'a/1', 'a/10', 'a/2/x', 'a/2/y', 'ab/c', 'b', 'b0/1/2/3', 'c1', 'c2/x'],
          'byte order: uppercase, underscore, lowercase; "a/10" before "a/2/x"',
        );
      }));

    it('lists keys that sort around "/" in byte order ("-" < "." < "/")', () =>
      withStore(async (store) => {
        for (const key of ['a/1', 'a.c', 'a-b', 'a/0/x', 'a0']) await store.put(key, new Uint8Array(1));
        assert.deepEqual((await collect(store.list(''))).map((i) => i.key), ['a-b', 'a.c', 'a/0/x', 'a/1', 'a0']);
        assert.deepEqual((await collect(store.list('a'))).map((i) => i.key), ['a-b', 'a.c', 'a/0/x', 'a/1', 'a0']);
      }));

    it('lists 1,200 keys in order (more than one S3 page)', () =>
      withStore(async (store) => {
        const keys = Array.from({ length: 1200 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
        await inParallel(32, keys.map((key, i) => () => store.put(key, new Uint8Array([i & 0xff]))));
        await store.put('other/1', new Uint8Array(3));
        const listed = await collect(store.list('many/'));
        assert.equal(listed.length, 1200);
        assert.deepEqual(listed.map((i) => i.key), keys);
        assert.ok(listed.every((i) => i.size === 1));
        assert.deepEqual((await collect(store.list('many/11'))).map((i) => i.key), keys.slice(1100));
        assert.equal((await collect(store.list(''))).length, 1201);
      }));

    it('refuses invalid keys and prefixes with invalid-key, and writes nothing', () =>
      withStore(async (store) => {
        for (const key of INVALID_KEYS) {
          const label = JSON.stringify(key.slice(0, 20));
          await assert.rejects(store.put(key, new Uint8Array([1])), isStoreError('invalid-key'), `put ${label}`);
          await assert.rejects(store.get(key), isStoreError('invalid-key'), `get ${label}`);
          await assert.rejects(store.head(key), isStoreError('invalid-key'), `head ${label}`);
          await assert.rejects(store.delete(key), isStoreError('invalid-key'), `delete ${label}`);
        }
        for (const prefix of ['../', '/abs', 'a//', 'a/./', 'a/../', 'ä', 'a\\b', 'p'.repeat(600)]) {
          await assert.rejects(collect(store.list(prefix)), isStoreError('invalid-key'), `list ${JSON.stringify(prefix.slice(0, 20))}`);
        }
        assert.deepEqual(await collect(store.list('')), []);
      }));

    it('rejects with aborted, doing nothing, when the signal has already fired', () =>
      withStore(async (store) => {
        await store.put('s/old', seededBytes(11, 10));
        const signal = AbortSignal.abort(new Error('caller gave up'));
        await assert.rejects(store.put('s/new', seededBytes(12, 10), signal), isStoreError('aborted'));
        await assert.rejects(store.put('s/old', seededBytes(13, 10), signal), isStoreError('aborted'));
        await assert.rejects(store.get('s/old', { signal }), isStoreError('aborted'));
        await assert.rejects(store.get('s/old', { signal, range: { start: 0, end: 2 } }), isStoreError('aborted'));
        await assert.rejects(store.head('s/old', signal), isStoreError('aborted'));
        await assert.rejects(store.delete('s/old', signal), isStoreError('aborted'));
        await assert.rejects(collect(store.list('', signal)), isStoreError('aborted'));
        assert.equal(await store.get('s/new'), null);
        assert.deepEqual(await store.get('s/old'), seededBytes(11, 10));
      }));

    it('leaves the old or the new fragment whole when a put is aborted in flight', () =>
      withStore(async (store) => {
        const before = seededBytes(14, 3 * MiB);
        const after = seededBytes(15, 3 * MiB);
        await store.put('s/1', before);
        const controller = new AbortController();
        const putting = store.put('s/1', after, controller.signal);
        setImmediate(() => {
          controller.abort();
        });
        try {
          await putting;
        } catch (error) {
          assert.ok(isStoreError('aborted')(error), `an aborted put rejects with aborted, not ${String(error)}`);
        }
        const stored = await store.get('s/1');
        assert.ok(stored !== null);
        assert.ok(Buffer.from(stored).equals(before) || Buffer.from(stored).equals(after), 'never a torn fragment');
        assert.deepEqual((await collect(store.list('s/'))).map((i) => i.key), ['s/1']);
      }));

    it('isolates stored bytes from the buffers of callers', () =>
      withStore(async (store) => {
        const data = seededBytes(16, 64);
        const original = data.slice();
        await store.put('i/1', data);
        data.fill(0);
        const read = await store.get('i/1');
        assert.deepEqual(read, original);
        read.fill(1);
        assert.deepEqual(await store.get('i/1'), original);
        const part = await store.get('i/1', { range: { start: 8, end: 16 } });
        assert.ok(part !== null);
        part.fill(2);
        assert.deepEqual(await store.get('i/1'), original);
      }));

    it('accepts concurrent puts of distinct keys', () =>
      withStore(async (store) => {
        const keys = Array.from({ length: 40 }, (_, i) => `c/${i % 4}/${i}`);
        await Promise.all(keys.map((key, i) => store.put(key, seededBytes(100 + i, 1000 + i))));
        for (const [i, key] of keys.entries()) assert.deepEqual(await store.get(key), seededBytes(100 + i, 1000 + i), key);
        assert.equal((await collect(store.list('c/'))).length, 40);
      }));

    it('handles concurrent puts and deletes under the same directory', () =>
      withStore(async (store) => {
        // A delete that prunes an emptied parent must not break a put creating a sibling in it.
        const tasks: Promise<void>[] = [];
        for (let i = 0; i < 30; i++) {
          tasks.push(store.put(`p/q/${i}`, new Uint8Array([i])), store.delete(`p/q/${i - 1}`));
        }
        await Promise.all(tasks);
        const listed = await collect(store.list('p/'));
        assert.ok(listed.some((i) => i.key === 'p/q/29'), 'the last put survives');
        for (const { key } of listed) {
          assert.deepEqual(await store.get(key), new Uint8Array([Number(key.split('/')[2])]));
        }
      }));
  });
}
