// Golden vectors: the frozen fragments of format v1 decode forever, and uncompressed ones re-encode byte for byte.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseManifest } from '../../src/core/format/manifest.ts';
import { decodeObject, ObjectEncoder, recodeFragment } from '../../src/core/pipeline.ts';
import { runCodecSelfTest, SelfTestError } from '../../src/core/selftest.ts';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import type { GfKernel } from '../../src/core/gf256/kernel.ts';
import { testKernel } from '../support/kernel.ts';
import { VECTOR_CASES, vectorInput, type VectorFile } from '../support/vectors.ts';

const kernel = testKernel();

function load(name: string): VectorFile {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), 'utf8')) as VectorFile;
}

describe('golden vectors (format v1)', () => {
  for (const c of VECTOR_CASES) {
    describe(c.name, () => {
      const v = load(c.name);
      const manifest = parseManifest(v.manifest);
      const input = vectorInput(v.input);
      const fragments = new Map(Object.entries(v.fragments).map(([key, hex]) => [key, new Uint8Array(Buffer.from(hex, 'hex'))]));
      const bucketKek = seededBytes(v.kekSeed, 32);

      it('describes the same case as the code', () => {
        assert.deepEqual({ ...c }, { name: v.name, description: v.description, policy: v.policy, input: v.input, randomSeed: v.randomSeed, kekSeed: v.kekSeed });
        assert.equal(createHash('sha256').update(input).digest('hex'), v.inputSha256);
      });

      it('decodes from the stored fragments, also with the first r packets of every generation lost', async () => {
        for (const lost of [0, manifest.r]) {
          const source = { fetch: (g: number, p: number) => Promise.resolve(p < lost ? null : (fragments.get(`${g}/${p}`) ?? null)) };
          const parts: Uint8Array[] = [];
          for await (const part of decodeObject(manifest, source, { kernel, bucketKek })) parts.push(part);
          assert.deepEqual(Buffer.concat(parts), Buffer.from(input));
        }
      });

      it('recodes every stored fragment byte for byte from the others', () => {
        for (const [key, bytes] of fragments) {
          const [g, p] = key.split('/').map(Number) as [number, number];
          const others = [...fragments].filter(([other]) => other !== key && other.startsWith(`${g}/`)).map(([, b]) => b);
          assert.deepEqual(recodeFragment(manifest, g, p, others, kernel).bytes, bytes, key);
        }
      });

      if (c.policy.compression.scheme === 'none') {
        it('re-encodes to the same fragments and manifest', async () => {
          const encoder = new ObjectEncoder(c.policy, { kernel, bucketKek, random: seededRandom(c.randomSeed) });
          for await (const g of encoder.encode([input])) {
            for (const f of g.fragments) assert.equal(Buffer.from(f.bytes).toString('hex'), v.fragments[`${g.index}/${f.packetIndex}`]);
          }
          assert.deepEqual(encoder.manifest(), manifest);
        });
      }
    });
  }
});

describe('boot self-test', () => {
  it('passes on the selected kernel', async () => {
    const report = await runCodecSelfTest(kernel);
    assert.equal(report.backend, kernel.backend);
  });
  it('refuses a kernel that computes wrong bytes', async () => {
    const broken: GfKernel = {
      ...kernel,
      backend: kernel.backend,
      dotProduct(coefficients, srcs, dsts) {
        kernel.dotProduct(coefficients, srcs, dsts);
        const first = dsts[0];
        if (first !== undefined && first.length > 7) first[7] = (first[7] ?? 0) ^ 1;
      },
    };
    await assert.rejects(runCodecSelfTest(broken), SelfTestError);
  });
});
