// Evacuation, key-less repair and what locations may see: no plaintext, no key, no names.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededBytes } from '../../src/core/seeded.ts';
import { evacuateObject, repairObject, scrub, withoutKey, type DispersedObject } from '../../src/dispersal/index.ts';
import { bucketKek, kernel, makeCluster } from '../support/cluster.ts';
import { must } from '../support/must.ts';

const G = 4096;

describe('evacuation', () => {
  it('moves every fragment off a retiring location, keeping every object readable', async () => {
    const c = makeCluster({ extra: 2 });
    const data = [seededBytes(1, 3 * G), seededBytes(2, 100), seededBytes(3, G)];
    const objects: DispersedObject[] = [];
    for (const d of data) objects.push((await c.write(d)).object);
    c.registry.retire('loc-2');
    // One fragment on the retiring location is already corrupt: it must be rebuilt, not copied.
    const key = `${must(objects[0]).manifest.objectVersionId}/1/2`;
    const bad = must(await must(c.stores[2]).inner.get(key));
    bad[70] = (bad[70] ?? 0) ^ 1;
    await must(c.stores[2]).inner.put(key, bad);
    const moved: DispersedObject[] = [];
    for (const o of objects) {
      const result = await evacuateObject(withoutKey(o), c.registry, 'loc-2', { kernel });
      assert.deepEqual(result.stuck, []);
      assert.equal(result.moved.length, o.manifest.generations.length);
      assert.ok(result.object.placement.moved.every((m) => m.locationId !== 'loc-2'));
      moved.push({ manifest: o.manifest, placement: result.object.placement });
    }
    assert.deepEqual(await must(c.stores[2]).inner.list('')[Symbol.asyncIterator]().next(), { done: true, value: undefined }, 'nothing left on loc-2');
    must(c.stores[2]).fault = { kind: 'down' };
    must(c.stores[0]).fault = { kind: 'down' };
    must(c.stores[1]).fault = { kind: 'down' };
    for (const [i, o] of moved.entries()) assert.deepEqual(await c.read(o), Buffer.from(must(data[i])));
    // Fragments of one generation never share a location after the move.
    for (const o of moved) {
      for (let g = 0; g < o.manifest.generations.length; g++) {
        const homes = must(o.manifest.generations[g]).fragments.map((f) => o.placement.moved.find((m) => m.generation === g && m.packetIndex === f.packetIndex)?.locationId ?? o.placement.locations[f.packetIndex]);
        assert.equal(new Set(homes).size, 6);
      }
    }
  });
});

describe('key-less repair', () => {
  it('repairs from a manifest that holds no key at all', async () => {
    const c = makeCluster();
    const data = seededBytes(5, 2 * G);
    const { object } = await c.write(data);
    const keyless = withoutKey(object);
    assert.equal('wrappedDek' in keyless.manifest, false);
    await must(c.stores[0]).inner.delete(`${object.manifest.objectVersionId}/0/0`);
    await must(c.stores[5]).inner.delete(`${object.manifest.objectVersionId}/1/5`);
    const report = await repairObject(keyless, c.registry, { kernel });
    assert.deepEqual(report.repaired, [{ generation: 0, packetIndex: 0 }, { generation: 1, packetIndex: 5 }]);
    const summary = await scrub([keyless], c.registry, { kernel, mode: 'full', repair: false });
    assert.equal(summary.missing + summary.corrupt, 0);
  });
});

describe('what locations see', () => {
  it('never a byte of plaintext, key, bucket name or object key', async () => {
    const c = makeCluster();
    const canary = 'CANARY-7f3a-secret-payload';
    const text = new TextEncoder().encode(`${canary} `.repeat(2000));
    const { object } = await c.write(text);
    const secrets = [
      Buffer.from(canary),
      Buffer.from(bucketKek.subarray(0, 16)),
      Buffer.from(object.manifest.wrappedDek, 'hex').subarray(13, 29),
      Buffer.from(text.subarray(100, 132)),
    ];
    let fragments = 0;
    for (const s of c.stores) {
      for await (const f of s.inner.list('')) {
        fragments++;
        assert.match(f.key, /^[0-9a-f]{32}\/\d+\/\d+$/, 'opaque fragment names only');
        const bytes = Buffer.from(must(await s.inner.get(f.key)));
        for (const secret of secrets) assert.equal(bytes.indexOf(secret), -1, `a secret reached ${f.key}`);
      }
    }
    assert.equal(fragments, object.manifest.generations.length * 6);
    assert.deepEqual(await c.read(object), Buffer.from(text));
  });
});
