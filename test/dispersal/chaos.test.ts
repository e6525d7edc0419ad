// Randomised chaos: 200 seeded operations under random faults on at most r locations at a time; every read exact.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { seededBytes } from '../../src/core/seeded.ts';
import { deleteObject, scrub, withoutKey, type DispersedObject } from '../../src/dispersal/index.ts';
import type { Fault } from '../../src/stores/index.ts';
import { kernel, makeCluster, seededUniform } from '../support/cluster.ts';
import { must } from '../support/must.ts';

const OPERATIONS = 200;
const G = 4096;

it(`survives ${OPERATIONS} random operations with up to r = 2 faulty locations at a time`, { timeout: 120_000 }, async () => {
  const random = seededUniform(20261122);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const c = makeCluster({ writeQuorum: 4, seed: 99, healthOptions: { openMs: 20, maxOpenMs: 80 } });
  const objects = new Map<string, { object: DispersedObject; data: Uint8Array }>();
  const faults: (() => Fault)[] = [
    () => ({ kind: 'down' }),
    () => ({ kind: 'slow', latencyMs: { min: 5, max: 30 } }),
    () => ({ kind: 'flaky', errorRate: 0.5 }),
    () => ({ kind: 'corrupt', probability: 0.7 }),
    () => ({ kind: 'lost-write' }),
    () => ({ kind: 'stall' }),
  ];
  const counts = { write: 0, read: 0, range: 0, delete: 0, scrub: 0, epoch: 0 };
  let objectSeed = 1;

  // Heals every location, lets breakers cool down, and brings every object back to n healthy fragments.
  const heal = async (): Promise<void> => {
    for (const s of c.stores) s.fault = { kind: 'none' };
    await new Promise((r) => setTimeout(r, 100));
    const summary = await scrub(
      [...objects.values()].map((o) => withoutKey(o.object)),
      c.registry,
      {
        kernel,
        mode: 'full',
        repair: true,
        requestTimeoutMs: 500,
        onObjectChanged: (changed) => {
          const entry = objects.get(changed.manifest.objectVersionId);
          if (entry) entry.object = { manifest: entry.object.manifest, placement: changed.placement };
        },
      },
    );
    assert.equal(summary.unrepairable, 0, 'every damaged fragment was repairable');
  };

  for (let op = 0; op < OPERATIONS; op++) {
    const roll = random();
    const ids = [...objects.keys()];
    if (roll < 0.1 || op === 0) {
      counts.epoch++;
      await heal();
      const faulty = [...c.stores.keys()].sort(() => random() - 0.5).slice(0, Math.floor(random() * 3));
      for (const i of faulty) must(c.stores[i]).fault = pick(faults)();
    } else if (roll < 0.4 || ids.length === 0) {
      counts.write++;
      const size = pick([0, 1, 100, G - 1, G, 2 * G + 3, 5 * G]);
      const data = seededBytes(objectSeed++, size);
      const { object } = await c.write(data, { requestTimeoutMs: 500 });
      objects.set(object.manifest.objectVersionId, { object, data });
    } else if (roll < 0.7) {
      counts.read++;
      const { object, data } = must(objects.get(pick(ids)));
      assert.deepEqual(await c.read(object, { requestTimeoutMs: 500 }), Buffer.from(data), `op ${op}: read`);
    } else if (roll < 0.85) {
      counts.range++;
      const { object, data } = must(objects.get(pick(ids)));
      const start = Math.floor(random() * (data.length + 1));
      const end = start + Math.floor(random() * (data.length - start + 1));
      assert.deepEqual(await c.read(object, { range: { start, end }, requestTimeoutMs: 500 }), Buffer.from(data.subarray(start, end)), `op ${op}: range ${start}-${end}`);
    } else if (roll < 0.93) {
      counts.delete++;
      const id = pick(ids);
      await deleteObject(must(objects.get(id)).object, c.registry, { requestTimeoutMs: 500 });
      objects.delete(id);
    } else {
      counts.scrub++;
      await heal();
    }
  }
  await heal();
  for (const { object, data } of objects.values()) assert.deepEqual(await c.read(object), Buffer.from(data));
  console.log(`# chaos: ${JSON.stringify(counts)}, ${objects.size} objects at the end`);
  assert.ok(counts.read + counts.range > 50 && counts.write > 30 && counts.epoch > 5, JSON.stringify(counts));
});
