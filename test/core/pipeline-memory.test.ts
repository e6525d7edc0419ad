// Bounded memory: 1 GiB streams through encode and decode while resident memory stays near one generation's worth.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { decodeObject, ObjectEncoder, type CodecPolicy } from '../../src/core/pipeline.ts';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import { testKernel } from '../support/kernel.ts';

const MiB = 1024 * 1024;
const OBJECT_SIZE = 1024 * MiB;
const GENERATION = 4 * MiB;
/** k=4, r=2: the bound is O(G × (n/k + 1)); allow generous slack for copies and garbage not yet collected. */
const RSS_GROWTH_LIMIT = 256 * MiB;

const dir = mkdtempSync(join(tmpdir(), 'dispersa-memory-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

function* body(): Generator<Uint8Array> {
  const base = seededBytes(42, MiB);
  for (let i = 0; i < OBJECT_SIZE / MiB; i++) {
    const chunk = Uint8Array.from(base);
    new DataView(chunk.buffer).setUint32(0, i); // every MiB differs
    yield chunk;
  }
}

it('streams 1 GiB through encode and decode with memory independent of the object size', { timeout: 600_000 }, async () => {
  const kernel = testKernel();
  const bucketKek = seededBytes(1, 32);
  const policy: CodecPolicy = { k: 4, r: 2, systematic: false, generationSize: GENERATION, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' };
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = (): void => { peak = Math.max(peak, process.memoryUsage().rss); };

  const inputHash = createHash('sha256');
  const encoder = new ObjectEncoder(policy, { kernel, bucketKek, random: seededRandom(7) });
  const hashed = (function* () {
    for (const chunk of body()) {
      inputHash.update(chunk);
      yield chunk;
    }
  })();
  for await (const g of encoder.encode(hashed)) {
    // Keep only the last four packets (two redundant among them) so decoding must invert a matrix.
    for (const f of g.fragments.slice(2)) writeFileSync(join(dir, `${g.index}-${f.packetIndex}`), f.bytes);
    sample();
  }
  const manifest = encoder.manifest();
  assert.equal(manifest.size, OBJECT_SIZE);

  const outputHash = createHash('sha256');
  let decoded = 0;
  const source = {
    fetch: (g: number, p: number) => Promise.resolve(p < 2 ? null : new Uint8Array(readFileSync(join(dir, `${g}-${p}`)))),
  };
  for await (const part of decodeObject(manifest, source, { kernel, bucketKek })) {
    outputHash.update(part);
    decoded += part.length;
    sample();
  }
  assert.equal(decoded, OBJECT_SIZE);
  assert.equal(outputHash.digest('hex'), inputHash.digest('hex'));
  const growth = peak - baseline;
  console.log(`# peak RSS growth ${(growth / MiB).toFixed(1)} MiB for a ${OBJECT_SIZE / MiB} MiB object (${kernel.backend})`);
  assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${(growth / MiB).toFixed(1)} MiB, limit ${RSS_GROWTH_LIMIT / MiB} MiB`);
});
