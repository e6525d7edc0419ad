// The fault-injecting wrapper: each fault does what it says, deterministically for a given seed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import { FaultyStore, type Fault } from '../../src/stores/faulty.ts';
import { MemoryStore } from '../../src/stores/memory.ts';
import { collect, isStoreError, storeContract } from './contract.ts';

/** Uniform in [0, 1) from the project's seeded generator: the same seed always draws the same faults. */
function seededUniform(seed: number): () => number {
  const next = seededRandom(seed);
  return () => {
    const b = next(4);
    return ((((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0) / 2 ** 32;
  };
}

/** A sleep that records what it was asked to wait and returns at once: latency faults without slow tests. */
function recordingSleep(): { sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

function faulty(fault: Fault, seed = 1): { store: FaultyStore; inner: MemoryStore; waits: number[] } {
  const inner = new MemoryStore();
  const { sleep, waits } = recordingSleep();
  return { store: new FaultyStore(inner, { fault, random: seededUniform(seed), sleep }), inner, waits };
}

const ALL_OPERATIONS = (store: FaultyStore, signal?: AbortSignal): (() => Promise<unknown>)[] => [
  () => store.put('k/1', new Uint8Array([1]), signal),
  () => store.get('k/1', signal === undefined ? {} : { signal }),
  () => store.head('k/1', signal),
  () => store.delete('k/1', signal),
  () => collect(store.list('k/', signal)),
];

// With no fault the wrapper must be invisible, including with latency drawn from a range.
storeContract('faulty wrapper, no fault', () => Promise.resolve(new FaultyStore(new MemoryStore(), { random: seededUniform(9), sleep: recordingSleep().sleep })));
storeContract('faulty wrapper, slow', () =>
  Promise.resolve(new FaultyStore(new MemoryStore(), { fault: { kind: 'slow', latencyMs: { min: 0, max: 2 } }, random: seededUniform(10), sleep: recordingSleep().sleep })),
);

describe('FaultyStore', () => {
  it('draws uniform numbers in [0, 1) from the seeded generator', () => {
    const random = seededUniform(3);
    const draws = Array.from({ length: 1000 }, random);
    assert.ok(draws.every((x) => x >= 0 && x < 1));
    assert.ok(draws.some((x) => x < 0.1) && draws.some((x) => x > 0.9));
    assert.deepEqual(Array.from({ length: 1000 }, seededUniform(3)), draws);
  });

  it('counts calls per operation, including refused ones, and resets them', async () => {
    const { store } = faulty({ kind: 'none' });
    for (const op of ALL_OPERATIONS(store)) await op();
    await store.get('k/2');
    await assert.rejects(store.get('../bad'), isStoreError('invalid-key'));
    assert.deepEqual(store.calls, { put: 1, get: 3, head: 1, delete: 1, list: 1 });
    assert.equal(store.totalCalls, 7);
    store.resetCalls();
    assert.equal(store.totalCalls, 0);
  });

  it('down: every operation is unavailable and the inner store is never asked', async () => {
    const { store, inner } = faulty({ kind: 'down' });
    await inner.put('k/1', new Uint8Array([9]));
    for (const op of ALL_OPERATIONS(store)) await assert.rejects(op(), isStoreError('unavailable'));
    assert.deepEqual(await inner.get('k/1'), new Uint8Array([9]), 'neither overwritten nor deleted');
    assert.equal(store.totalCalls, 5);
    // Key validation still comes first, as it would on a real store.
    await assert.rejects(store.put('/x', new Uint8Array(1)), isStoreError('invalid-key'));
    store.fault = { kind: 'none' };
    assert.deepEqual(await store.get('k/1'), new Uint8Array([9]), 'back up');
  });

  it('slow: waits a fixed latency, or one drawn from {min, max} reproducibly, on top of the base latency', async () => {
    const fixed = faulty({ kind: 'slow', latencyMs: 20 });
    for (const op of ALL_OPERATIONS(fixed.store)) await op();
    assert.deepEqual(fixed.waits, [20, 20, 20, 20, 20]);

    const ranged = faulty({ kind: 'slow', latencyMs: { min: 10, max: 30 } }, 5);
    for (let i = 0; i < 200; i++) await ranged.store.head('k/1');
    assert.ok(ranged.waits.every((ms) => ms >= 10 && ms <= 30));
    assert.ok(Math.max(...ranged.waits) - Math.min(...ranged.waits) > 15, 'spread over the range');
    const again = faulty({ kind: 'slow', latencyMs: { min: 10, max: 30 } }, 5);
    for (let i = 0; i < 200; i++) await again.store.head('k/1');
    assert.deepEqual(again.waits, ranged.waits);

    const { sleep, waits } = recordingSleep();
    const based = new FaultyStore(new MemoryStore(), { latencyMs: 20, random: seededUniform(1), sleep });
    await based.put('k/1', new Uint8Array(1));
    based.fault = { kind: 'slow', latencyMs: 5 };
    await based.get('k/1');
    based.fault = { kind: 'down' };
    await assert.rejects(based.head('k/1'), isStoreError('unavailable'));
    assert.deepEqual(waits, [20, 25, 20], 'the base latency applies whatever the fault');
  });

  it('slow and base latency honour the signal with the real timer', async () => {
    const store = new FaultyStore(new MemoryStore(), { latencyMs: 10_000, random: seededUniform(1) });
    const started = performance.now();
    await assert.rejects(store.get('k/1', { signal: AbortSignal.timeout(30) }), isStoreError('aborted'));
    assert.ok(performance.now() - started < 2000, 'gave up promptly');
    store.latencyMs = 15;
    const t0 = performance.now();
    await store.put('k/1', new Uint8Array(1));
    assert.ok(performance.now() - t0 >= 10, 'really waited');
  });

  it('flaky: fails about errorRate of the calls, the same calls for the same seed', async () => {
    const run = async (seed: number): Promise<boolean[]> => {
      const { store, inner } = faulty({ kind: 'flaky', errorRate: 0.3 }, seed);
      await inner.put('k/1', new Uint8Array([1]));
      const outcomes: boolean[] = [];
      for (let i = 0; i < 1000; i++) {
        try {
          await store.get('k/1');
          outcomes.push(true);
        } catch (error) {
          assert.ok(isStoreError('unavailable')(error));
          outcomes.push(false);
        }
      }
      return outcomes;
    };
    const first = await run(42);
    const failures = first.filter((ok) => !ok).length;
    assert.ok(failures > 240 && failures < 360, `${failures} failures in 1000 at rate 0.3`);
    assert.deepEqual(await run(42), first);
    assert.notDeepEqual(await run(43), first);

    const never = faulty({ kind: 'flaky', errorRate: 0 });
    const always = faulty({ kind: 'flaky', errorRate: 1 });
    for (let i = 0; i < 50; i++) {
      await never.store.put(`k/${i}`, new Uint8Array(1));
      await assert.rejects(always.store.put(`k/${i}`, new Uint8Array(1)), isStoreError('unavailable'));
    }
    assert.equal((await collect(always.inner.list(''))).length, 0);
  });

  it('corrupt: flips exactly one bit of what get returns, leaving the stored bytes intact', async () => {
    const { store, inner } = faulty({ kind: 'corrupt' }, 7);
    const data = seededBytes(1, 4096);
    await store.put('k/1', data);
    const positions = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const read = await store.get('k/1');
      assert.ok(read !== null && read.length === data.length);
      const diffs = [...read.keys()].filter((j) => read[j] !== data[j]);
      assert.equal(diffs.length, 1);
      const j = diffs[0] ?? -1;
      const flipped = (read[j] ?? 0) ^ (data[j] ?? 0);
      assert.ok(flipped !== 0 && (flipped & (flipped - 1)) === 0, 'a single bit');
      positions.add(j);
    }
    assert.ok(positions.size > 10, 'at random places');
    assert.deepEqual(await inner.get('k/1'), data);
    const range = await store.get('k/1', { range: { start: 100, end: 104 } });
    assert.notDeepEqual(range, data.slice(100, 104));
    await store.put('k/empty', new Uint8Array(0));
    assert.deepEqual(await store.get('k/empty'), new Uint8Array(0), 'nothing to flip');
    assert.equal(await store.get('k/missing'), null);
    assert.deepEqual(await store.head('k/1'), { size: 4096 }, 'other operations are honest');
  });

  it('corrupt with a probability: some reads are clean, reproducibly', async () => {
    const run = async (): Promise<boolean[]> => {
      const { store } = faulty({ kind: 'corrupt', probability: 0.5 }, 11);
      const data = seededBytes(2, 256);
      await store.put('k/1', data);
      const clean: boolean[] = [];
      for (let i = 0; i < 200; i++) clean.push(Buffer.from((await store.get('k/1')) ?? []).equals(data));
      return clean;
    };
    const first = await run();
    const cleanReads = first.filter(Boolean).length;
    assert.ok(cleanReads > 70 && cleanReads < 130, `${cleanReads} clean reads of 200`);
    assert.deepEqual(await run(), first);
  });

  it('lost-write: put reports success and stores nothing; the rest passes through', async () => {
    const { store, inner } = faulty({ kind: 'lost-write' });
    await inner.put('k/old', new Uint8Array([1]));
    await store.put('k/new', new Uint8Array([2]));
    await store.put('k/old', new Uint8Array([3]));
    assert.equal(await inner.get('k/new'), null);
    assert.deepEqual(await store.get('k/old'), new Uint8Array([1]));
    assert.deepEqual(await collect(store.list('k/')), [{ key: 'k/old', size: 1 }]);
    await store.delete('k/old');
    assert.equal(await inner.get('k/old'), null);
    assert.equal(store.calls.put, 2);
  });

  it('stall: nothing answers until the signal fires, then every operation rejects with aborted', async () => {
    const { store, inner } = faulty({ kind: 'stall' });
    await inner.put('k/1', new Uint8Array([1]));
    for (let i = 0; i < 5; i++) {
      // A referenced timer: AbortSignal.timeout's is not, and a stall alone would let the event loop run dry.
      const controller = new AbortController();
      const timer = setTimeout(() => { controller.abort(); }, 20);
      const op = ALL_OPERATIONS(store, controller.signal)[i];
      assert.ok(op !== undefined);
      const started = performance.now();
      await assert.rejects(op(), isStoreError('aborted'));
      clearTimeout(timer);
      assert.ok(performance.now() - started >= 10, 'it did wait');
    }
    assert.deepEqual(await inner.get('k/1'), new Uint8Array([1]), 'the stalled put and delete did nothing');
    const controller = new AbortController();
    let settled = false;
    const pending = store.get('k/1', { signal: controller.signal }).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(settled, false);
    controller.abort();
    await assert.rejects(pending, isStoreError('aborted'));
  });

  it('an already-aborted signal wins over every fault', async () => {
    for (const fault of [{ kind: 'down' }, { kind: 'stall' }, { kind: 'flaky', errorRate: 1 }, { kind: 'lost-write' }] as const) {
      const { store } = faulty(fault);
      for (const op of ALL_OPERATIONS(store, AbortSignal.abort())) await assert.rejects(op(), isStoreError('aborted'), fault.kind);
    }
  });

  it('refuses nonsense fault settings', () => {
    const { store } = faulty({ kind: 'none' });
    assert.throws(() => (store.fault = { kind: 'flaky', errorRate: 1.5 }), RangeError);
    assert.throws(() => (store.fault = { kind: 'slow', latencyMs: { min: 5, max: 1 } }), RangeError);
    assert.throws(() => (store.fault = { kind: 'slow', latencyMs: -1 }), RangeError);
    assert.throws(() => (store.fault = { kind: 'corrupt', probability: Number.NaN }), RangeError);
    assert.throws(() => (store.latencyMs = Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => (store.fault = JSON.parse('{"kind":"gremlins"}') as Fault), TypeError);
    assert.deepEqual(store.fault, { kind: 'none' });
  });
});
