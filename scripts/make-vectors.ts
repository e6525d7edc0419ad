// Writes the golden vectors under test/vectors/ once. They are frozen: existing files are never overwritten
// (a format change is a new version with new vector names), unless --force is given while a format is in draft.

import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { getGfKernel } from '../src/core/gf256/index.ts';
import { ObjectEncoder } from '../src/core/pipeline.ts';
import { seededBytes, seededRandom } from '../src/core/seeded.ts';
import { VECTOR_CASES, vectorInput, type VectorFile } from '../test/support/vectors.ts';

const force = process.argv.includes('--force');
const kernel = getGfKernel();

for (const c of VECTOR_CASES) {
  const path = new URL(`../test/vectors/${c.name}.json`, import.meta.url);
  if (existsSync(path) && !force) {
    console.log(`${c.name}: exists, left as it is`);
    continue;
  }
  const input = vectorInput(c.input);
  const encoder = new ObjectEncoder(c.policy, { kernel, bucketKek: seededBytes(c.kekSeed, 32), random: seededRandom(c.randomSeed) });
  const fragments: Record<string, string> = {};
  for await (const g of encoder.encode([input])) {
    for (const f of g.fragments) fragments[`${g.index}/${f.packetIndex}`] = Buffer.from(f.bytes).toString('hex');
  }
  const file: VectorFile = { ...c, inputSha256: createHash('sha256').update(input).digest('hex'), manifest: encoder.manifest(), fragments };
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  console.log(`${c.name}: written`);
}
