// The codec pipeline end to end: round trips, any k of n fragments, byte ranges, lying fragments, truncation, key-less repair.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoError } from '../../src/core/crypto.ts';
import type { ObjectManifest } from '../../src/core/format/manifest.ts';
import {
  CodecError,
  FragmentPool,
  ObjectEncoder,
  decodeObject,
  recodeFragment,
  type BadFragmentReason,
  type CodecPolicy,
  type EncodedGeneration,
  type FragmentSource,
} from '../../src/core/pipeline.ts';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import { testKernel } from '../support/kernel.ts';

const kernel = testKernel();
const bucketKek = seededBytes(77, 32);
const G = 4096;

const policies: Record<string, CodecPolicy> = {
  'k=4 r=2 coded inline none': { k: 4, r: 2, systematic: false, generationSize: G, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' },
  'k=3 r=2 systematic aside deflate': { k: 3, r: 2, systematic: true, generationSize: G, compression: { scheme: 'deflate', level: 6 }, coefficients: 'aside' },
  'k=5 r=1 coded inline brotli': { k: 5, r: 1, systematic: false, generationSize: 2048, compression: { scheme: 'brotli', level: 1 }, coefficients: 'inline' },
  'k=1 r=3 systematic inline none': { k: 1, r: 3, systematic: true, generationSize: 1024, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' },
};

const basePolicy = policies['k=4 r=2 coded inline none'] as CodecPolicy;

function textLike(seed: number, length: number): Uint8Array {
  const words = ['dispersa', 'fragment', 'location', 'policy', 'bucket', 'object', 'generation', 'coded'];
  const rnd = seededBytes(seed, length);
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < length; i++) {
    const w = words[(rnd[i % rnd.length] ?? 0) % words.length] ?? 'x';
    parts.push(w);
    len += w.length + 1;
  }
  return new TextEncoder().encode(parts.join(' ')).subarray(0, length);
}

interface Stored {
  manifest: ObjectManifest;
  fragments: Map<string, Uint8Array>;
  generations: EncodedGeneration[];
}

function chunks(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function encode(data: Uint8Array, policy: CodecPolicy = basePolicy, seed = 1, chunkSizes: readonly number[] = [1000, 1, 7777]): Promise<Stored> {
  const encoder = new ObjectEncoder(policy, { kernel, bucketKek, random: seededRandom(seed) });
  const fragments = new Map<string, Uint8Array>();
  const generations: EncodedGeneration[] = [];
  for await (const g of encoder.encode(chunks(data, chunkSizes))) {
    generations.push(g);
    for (const f of g.fragments) fragments.set(`${g.index}/${f.packetIndex}`, f.bytes);
  }
  return { manifest: encoder.manifest(), fragments, generations };
}

function sourceOf(fragments: Map<string, Uint8Array>, fetched?: string[]): FragmentSource {
  return {
    fetch(generation, packet) {
      fetched?.push(`${generation}/${packet}`);
      return Promise.resolve(fragments.get(`${generation}/${packet}`) ?? null);
    },
  };
}

async function decodeAll(manifest: ObjectManifest, source: FragmentSource, range?: { start: number; end: number }, bad?: [number, number, BadFragmentReason][]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of decodeObject(manifest, source, { kernel, bucketKek, onBadFragment: (g, p, r) => bad?.push([g, p, r]) }, range)) parts.push(part);
  return Buffer.concat(parts);
}

describe('codec pipeline', () => {
  for (const [name, policy] of Object.entries(policies)) {
    it(`round-trips objects of every boundary size (${name})`, async () => {
      const g = policy.generationSize;
      for (const size of [0, 1, 15, g - 1, g, g + 1, 3 * g, 3 * g + 5]) {
        const data = size % 2 === 0 ? textLike(size, size) : seededBytes(size, size);
        const { manifest, fragments } = await encode(data, policy, size + 1);
        assert.equal(manifest.size, size);
        assert.equal(manifest.generations.length, Math.max(1, Math.ceil(size / g)));
        assert.deepEqual(await decodeAll(manifest, sourceOf(fragments)), Buffer.from(data), `size ${size}`);
      }
    });
  }

  it('compresses text and stores random data uncompressed', async () => {
    const policy = policies['k=3 r=2 systematic aside deflate'] as CodecPolicy;
    const text = await encode(textLike(1, G), policy);
    const random = await encode(seededBytes(2, G), policy);
    assert.ok((text.manifest.generations[0]?.sealedLength ?? G) < G / 2, 'text shrank');
    assert.equal(random.manifest.generations[0]?.sealedLength, G + 1 + 16, 'random stored: tag byte + data + GCM tag');
  });

  it('decodes with any 2 of 6 fragments of every generation missing (all 15 pairs)', async () => {
    const data = seededBytes(3, 3 * G + 100);
    const { manifest, fragments } = await encode(data);
    for (let a = 0; a < 6; a++) {
      for (let b = a + 1; b < 6; b++) {
        const partial = new Map([...fragments].filter(([key]) => !key.endsWith(`/${a}`) && !key.endsWith(`/${b}`)));
        const bad: [number, number, BadFragmentReason][] = [];
        assert.deepEqual(await decodeAll(manifest, sourceOf(partial), undefined, bad), Buffer.from(data), `missing ${a},${b}`);
        assert.ok(bad.every(([, p, r]) => (p === a || p === b) && r === 'unavailable'));
      }
    }
  });

  it('fails with a typed error when fewer than k fragments are left', async () => {
    const { manifest, fragments } = await encode(seededBytes(4, 100));
    fragments.delete('0/0');
    fragments.delete('0/1');
    fragments.delete('0/2');
    await assert.rejects(decodeAll(manifest, sourceOf(fragments)), (e: unknown) => e instanceof CodecError && e.kind === 'not-enough-fragments');
  });

  it('never returns wrong bytes: corrupted, foreign or misplaced fragments are rejected and the read goes on', async () => {
    const data = seededBytes(5, 2 * G);
    const { manifest, fragments } = await encode(data);
    const other = await encode(seededBytes(6, 2 * G), basePolicy, 99);
    const lying = new Map(fragments);
    const flipped = Uint8Array.from(fragments.get('0/1') ?? []);
    flipped[100] = (flipped[100] ?? 0) ^ 0x10;
    lying.set('0/1', flipped);
    lying.set('1/2', other.fragments.get('1/2') ?? new Uint8Array(0)); // another object's valid fragment
    lying.set('1/0', fragments.get('0/0') ?? new Uint8Array(0)); // this object's fragment at the wrong generation
    const bad: [number, number, BadFragmentReason][] = [];
    assert.deepEqual(await decodeAll(manifest, sourceOf(lying), undefined, bad), Buffer.from(data));
    assert.deepEqual(bad.sort(), [[0, 1, 'hash-mismatch'], [1, 0, 'hash-mismatch'], [1, 2, 'hash-mismatch']]);
  });

  it('serves byte ranges from only the generations they touch', async () => {
    const data = seededBytes(7, 5 * G + 123);
    const { manifest, fragments } = await encode(data);
    for (const [start, end] of [[0, 0], [0, 1], [G - 1, G + 1], [2 * G, 3 * G], [G + 5, 4 * G + 7], [5 * G, 5 * G + 123], [0, 5 * G + 123], [5 * G + 123, 5 * G + 123]] as const) {
      const fetched: string[] = [];
      const got = await decodeAll(manifest, sourceOf(fragments, fetched), { start, end });
      assert.deepEqual(got, Buffer.from(data.subarray(start, end)), `range ${start}-${end}`);
      const touched = new Set(fetched.map((key) => Number(key.split('/')[0])));
      const expected = new Set<number>();
      for (let g = Math.floor(start / G); end > start && g <= Math.floor((end - 1) / G); g++) expected.add(g);
      assert.deepEqual(touched, expected, `generations fetched for ${start}-${end}`);
      assert.equal(fetched.length, expected.size * 4, 'k fragments per generation when all are healthy');
    }
    await assert.rejects(decodeAll(manifest, sourceOf(fragments), { start: 10, end: 5 }), (e: unknown) => e instanceof CodecError && e.kind === 'invalid-range');
    await assert.rejects(decodeAll(manifest, sourceOf(fragments), { start: 0, end: data.length + 1 }), (e: unknown) => e instanceof CodecError && e.kind === 'invalid-range');
  });

  it('detects a truncated object (last generation dropped from the manifest)', async () => {
    const { manifest, fragments } = await encode(seededBytes(8, 3 * G));
    const truncated: ObjectManifest = { ...manifest, size: 2 * G, generations: manifest.generations.slice(0, 2) };
    await assert.rejects(decodeAll(truncated, sourceOf(fragments)), (e: unknown) => e instanceof CodecError && e.kind === 'integrity-failure');
    // The generations before the last still decode when only they are asked for.
    assert.equal((await decodeAll(truncated, sourceOf(fragments), { start: 0, end: G })).length, G);
  });

  it('refuses the wrong bucket key', async () => {
    const { manifest, fragments } = await encode(seededBytes(9, 10));
    const parts = decodeObject(manifest, sourceOf(fragments), { kernel, bucketKek: seededBytes(1, 32) });
    await assert.rejects(parts.next(), (e: unknown) => e instanceof CryptoError && e.kind === 'unwrap-failed');
  });

  it('rejects invalid policies with a typed error', () => {
    const bad: Partial<CodecPolicy>[] = [
      { k: 0 }, { r: 70 }, { generationSize: 10 }, { generationSize: 2 ** 40 },
      { coefficients: 'elsewhere' as 'inline' },
      { compression: { scheme: 'zip' as 'none', level: 0 } },
      { compression: { scheme: 'deflate', level: 10 } },
      { compression: { scheme: 'brotli', level: 1.5 } },
    ];
    for (const change of bad) {
      assert.throws(
        () => new ObjectEncoder({ ...basePolicy, ...change }, { kernel, bucketKek, random: seededRandom(1) }),
        (e: unknown) => e instanceof CodecError && e.kind === 'invalid-policy',
        JSON.stringify(change),
      );
    }
  });

  it('recreates every lost fragment byte for byte without any key', async () => {
    for (const policy of [basePolicy, policies['k=3 r=2 systematic aside deflate'] as CodecPolicy]) {
      const { manifest, generations } = await encode(textLike(10, 2 * G + 9), policy);
      const keyless: ObjectManifest = { ...manifest, wrappedDek: '' };
      for (const g of generations) {
        for (const lost of g.fragments) {
          const others = g.fragments.filter((f) => f !== lost).map((f) => f.bytes);
          const repaired = recodeFragment(keyless, g.index, lost.packetIndex, others, kernel);
          assert.deepEqual(repaired.bytes, lost.bytes);
          assert.equal(repaired.sha256, manifest.generations[g.index]?.fragments[lost.packetIndex]?.sha256);
        }
      }
    }
  });

  it('refuses to recode from too few or unverifiable fragments', async () => {
    const { manifest, generations } = await encode(seededBytes(11, 100));
    const frags = generations[0]?.fragments.map((f) => f.bytes) ?? [];
    const corrupted = frags.map((f) => { const c = Uint8Array.from(f); c[50] = (c[50] ?? 0) ^ 1; return c; });
    assert.throws(() => recodeFragment(manifest, 0, 5, frags.slice(0, 3), kernel), (e: unknown) => e instanceof CodecError && e.kind === 'not-enough-fragments');
    assert.throws(() => recodeFragment(manifest, 0, 5, corrupted, kernel), (e: unknown) => e instanceof CodecError && e.kind === 'not-enough-fragments');
  });

  it('reuses released fragment buffers without leaking their old bytes', async () => {
    const data = seededBytes(12, 3 * G + 50);
    const reference = await encode(data, basePolicy, 5);
    const pool = new FragmentPool();
    // Fill the pool with released buffers of another object, then poison them.
    const other = new ObjectEncoder(basePolicy, { kernel, bucketKek, random: seededRandom(6), pool });
    const released: Uint8Array[] = [];
    for await (const g of other.encode([seededBytes(13, 3 * G + 50)])) {
      released.push(...g.fragments.map((f) => f.bytes));
      g.release();
    }
    for (const b of released) b.fill(0xaa);
    const encoder = new ObjectEncoder(basePolicy, { kernel, bucketKek, random: seededRandom(5), pool });
    let reused = 0;
    for await (const g of encoder.encode(chunks(data, [1000, 1, 7777]))) {
      for (const f of g.fragments) {
        if (released.includes(f.bytes)) reused++;
        assert.deepEqual(f.bytes, reference.fragments.get(`${g.index}/${f.packetIndex}`));
      }
    }
    assert.ok(reused >= 6, `reused ${reused} buffers`);
    assert.deepEqual(encoder.manifest(), reference.manifest);
  });

  it('encodes an object exactly once', async () => {
    const encoder = new ObjectEncoder(basePolicy, { kernel, bucketKek, random: seededRandom(1) });
    assert.throws(() => encoder.manifest());
    for await (const _ of encoder.encode([new Uint8Array(3)])) { /* drain */ }
    await assert.rejects(async () => { for await (const _ of encoder.encode([])) { /* drain */ } });
  });
});
