// Dispersal under faults (n=6, k=4): downed, lying, stalled and forgetful locations never change what a read returns.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededBytes } from '../../src/core/seeded.ts';
import { DispersalError, repairObject, scrub, withoutKey } from '../../src/dispersal/index.ts';
import type { GetOptions } from '../../src/stores/index.ts';
import { kernel, makeCluster } from '../support/cluster.ts';
import { must } from '../support/must.ts';

const G = 4096;

describe('reads', () => {
  it('return the exact bytes with any 2 of 6 locations down (all 15 pairs)', async () => {
    const c = makeCluster();
    const data = seededBytes(1, 3 * G + 77);
    const { object, missing } = await c.write(data);
    assert.deepEqual(missing, []);
    for (let a = 0; a < 6; a++) {
      for (let b = a + 1; b < 6; b++) {
        for (const s of c.stores) s.fault = { kind: 'none' };
        must(c.stores[a]).fault = { kind: 'down' };
        must(c.stores[b]).fault = { kind: 'down' };
        assert.deepEqual(await c.read(object), Buffer.from(data), `down: ${a}, ${b}`);
      }
    }
  });

  it('fail with a typed error, not wrong bytes, when 3 of 6 are down', async () => {
    const c = makeCluster();
    const { object } = await c.write(seededBytes(2, 100));
    for (const i of [0, 2, 4]) must(c.stores[i]).fault = { kind: 'down' };
    await assert.rejects(c.read(object), (e: unknown) => e instanceof Error && 'kind' in e && e.kind === 'not-enough-fragments');
  });

  it('stay correct when a location returns corrupted bytes, and flag it', async () => {
    for (let liar = 0; liar < 6; liar++) {
      // The liar is the fastest location, so reads ask it first.
      const c = makeCluster({ latenciesMs: [0, 1, 2, 3, 4, 5].map((i) => (i === liar ? 0 : 2)) });
      const data = seededBytes(3, 2 * G);
      const { object } = await c.write(data);
      must(c.stores[liar]).fault = { kind: 'corrupt' };
      const bad: string[] = [];
      for (let read = 0; read < 3; read++) {
        assert.deepEqual(await c.read(object, { onBadFragment: (g, p, loc, reason) => bad.push(`${loc}:${reason}`) }), Buffer.from(data));
      }
      assert.ok(bad.length > 0, 'the liar was asked');
      assert.ok(bad.every((b) => /^loc-\d:(hash-mismatch|malformed|header-mismatch)$/.test(b) && b.startsWith(`loc-${liar}:`)), bad.join(' '));
      assert.ok(c.registry.get(`loc-${liar}`).health.snapshot().failures.integrity > 0, 'flagged');
    }
  });

  it("stay correct when a location serves another object's fragment", async () => {
    const c = makeCluster({ latenciesMs: [2, 0, 2, 2, 2, 2] });
    const a = seededBytes(4, 2 * G + 5);
    const b = seededBytes(5, 2 * G + 5);
    const objA = (await c.write(a)).object;
    const objB = (await c.write(b)).object;
    // Location 1 (the fastest) answers requests for object A with object B's fragment of the same generation and packet.
    const honest = must(c.stores[1]).inner;
    c.registry.get('loc-1').store.get = (key: string, options?: GetOptions) => honest.get(key.replace(objA.manifest.objectVersionId, objB.manifest.objectVersionId), options);
    const bad: string[] = [];
    assert.deepEqual(await c.read(objA, { onBadFragment: (g, p, loc, reason) => bad.push(`${loc}:${reason}`) }), Buffer.from(a));
    assert.ok(bad.length > 0 && bad.every((x) => x === 'loc-1:hash-mismatch'), bad.join(' '));
    assert.ok(c.registry.get('loc-1').health.snapshot().failures.integrity > 0);
  });

  it('complete through hedging when one of the fastest locations stalls', async () => {
    const c = makeCluster({ latenciesMs: [1, 2, 3, 4, 30, 40] });
    const data = seededBytes(6, 3 * G);
    const { object } = await c.write(data);
    // Warm the latency statistics so the reader knows which locations are fast.
    for (let i = 0; i < 10; i++) assert.deepEqual(await c.read(object), Buffer.from(data));
    must(c.stores[0]).fault = { kind: 'stall' };
    const started = performance.now();
    assert.deepEqual(await c.read(object, { requestTimeoutMs: 10_000 }), Buffer.from(data));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2_000, `read took ${elapsed.toFixed(0)} ms: it waited for the stalled location instead of hedging`);
  });

  it('fetch only the generations a byte range touches', async () => {
    const c = makeCluster();
    const data = seededBytes(7, 5 * G);
    const { object } = await c.write(data);
    for (const s of c.stores) s.resetCalls();
    assert.deepEqual(await c.read(object, { range: { start: 2 * G + 10, end: 3 * G + 20 } }), Buffer.from(data.subarray(2 * G + 10, 3 * G + 20)));
    const gets = c.stores.reduce((sum, s) => sum + s.calls.get, 0);
    assert.equal(gets, 2 * 4, 'k fragments of each of the 2 generations touched');
  });
});

describe('writes', () => {
  it('succeed at write quorum 5 with one location down; repair later restores 6 of 6', async () => {
    const c = makeCluster({ writeQuorum: 5 });
    must(c.stores[3]).fault = { kind: 'down' };
    const data = seededBytes(8, 3 * G + 1);
    const { object, missing, settled } = await c.write(data);
    assert.deepEqual(missing.map((m) => m.packetIndex), [3, 3, 3, 3]);
    assert.equal((await settled).length, 4);
    assert.deepEqual(await c.read(object), Buffer.from(data));
    must(c.stores[3]).fault = { kind: 'none' };
    await new Promise((r) => setTimeout(r, 60)); // the breaker's cool-down
    const report = await repairObject(withoutKey(object), c.registry, { kernel });
    assert.equal(report.repaired.length, 4);
    assert.deepEqual(report.unrepairable, []);
    const after = await scrub([report.object], c.registry, { kernel, mode: 'full', repair: false });
    assert.deepEqual({ missing: after.missing, corrupt: after.corrupt, checked: after.fragmentsChecked }, { missing: 0, corrupt: 0, checked: 4 * 6 });
    must(c.stores[0]).fault = { kind: 'down' };
    must(c.stores[1]).fault = { kind: 'down' };
    assert.deepEqual(await c.read(object), Buffer.from(data), 'the repaired fragments serve reads');
  });

  it('fail cleanly below the write quorum: typed error, nothing left on any location', async () => {
    const c = makeCluster({ writeQuorum: 5 });
    must(c.stores[0]).fault = { kind: 'down' };
    must(c.stores[5]).fault = { kind: 'flaky', errorRate: 1 };
    await assert.rejects(c.write(seededBytes(9, 4 * G)), (e: unknown) => e instanceof DispersalError && e.kind === 'write-quorum-not-met');
    assert.deepEqual(await c.storedKeys(), []);
  });

  it('return at the quorum without waiting for a stalled location', async () => {
    const c = makeCluster({ writeQuorum: 5 });
    must(c.stores[2]).fault = { kind: 'stall' };
    const started = performance.now();
    const { object, missing, settled } = await c.write(seededBytes(10, 2 * G), { requestTimeoutMs: 1_000 });
    assert.ok(performance.now() - started < 900, 'returned before the stalled writes timed out');
    assert.deepEqual(missing, []);
    assert.deepEqual((await settled).map((m) => m.packetIndex), [2, 2]);
    assert.equal(object.manifest.generations.length, 2);
  });
});

describe('scrub and repair', () => {
  it('find lost writes (acknowledged, never stored) and restore them', async () => {
    const c = makeCluster();
    must(c.stores[4]).fault = { kind: 'lost-write' };
    const objects = [];
    for (let i = 0; i < 3; i++) objects.push(withoutKey((await c.write(seededBytes(20 + i, 2 * G + i))).object));
    must(c.stores[4]).fault = { kind: 'none' };
    const first = await scrub(objects, c.registry, { kernel, mode: 'head', repair: true });
    assert.equal(first.objects, 3);
    assert.equal(first.missing, 2 + 3 + 3, 'one fragment per generation (objects of 2, 3 and 3 generations)');
    assert.equal(first.repaired, 8);
    const second = await scrub(objects, c.registry, { kernel, mode: 'full', repair: false });
    assert.deepEqual({ missing: second.missing, corrupt: second.corrupt }, { missing: 0, corrupt: 0 });
  });

  it('replace corrupted stored fragments found by a full scrub', async () => {
    const c = makeCluster();
    const { object } = await c.write(seededBytes(30, G));
    const key = `${object.manifest.objectVersionId}/0/2`;
    const stored = must(await must(c.stores[2]).inner.get(key));
    stored[60] = (stored[60] ?? 0) ^ 0xff;
    await must(c.stores[2]).inner.put(key, stored);
    const head = await scrub([withoutKey(object)], c.registry, { kernel, mode: 'head', repair: false });
    assert.equal(head.corrupt, 0, 'a same-size corruption is invisible to HEAD');
    const full = await scrub([withoutKey(object)], c.registry, { kernel, mode: 'full', repair: true });
    assert.deepEqual({ corrupt: full.corrupt, repaired: full.repaired }, { corrupt: 1, repaired: 1 });
    const again = await scrub([withoutKey(object)], c.registry, { kernel, mode: 'full', repair: false });
    assert.equal(again.corrupt, 0);
  });

  it('moves a fragment to a replacement location when its home is gone', async () => {
    const c = makeCluster({ extra: 1 });
    const data = seededBytes(31, 2 * G);
    const { object } = await c.write(data);
    must(c.stores[1]).fault = { kind: 'down' };
    for (let i = 0; i < 3; i++) await c.read(object); // the breaker opens on repeated failures
    const report = await repairObject(withoutKey(object), c.registry, { kernel });
    assert.equal(report.repaired.length, 2);
    assert.deepEqual(report.object.placement.moved.map((m) => m.locationId), ['loc-6', 'loc-6']);
    must(c.stores[0]).fault = { kind: 'down' };
    must(c.stores[2]).fault = { kind: 'down' };
    assert.deepEqual(await c.read({ ...object, placement: report.object.placement }), Buffer.from(data));
  });
});
