// Per-generation compression: round trips per scheme, the sampled skip of incompressible data, and the guards on unpacking.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brotliCompressSync, deflateRawSync } from 'node:zlib';
import {
  CODEC_TAG,
  CompressionError,
  SAMPLE_MIN_INPUT_LENGTH,
  packGeneration,
  packGenerationDetailed,
  sampleCompressibility,
  unpackGeneration,
  type CompressionErrorKind,
  type CompressionSettings,
} from '../../src/core/compress.ts';
import { seededBytes } from '../../src/core/seeded.ts';

function isCompressionError(kind: CompressionErrorKind): (error: unknown) => boolean {
  return (error) => error instanceof CompressionError && error.kind === kind;
}

/** JSON-like log lines built from a small seeded vocabulary: compresses roughly 3:1, like real text. */
function textLike(seed: number, length: number): Uint8Array {
  const noise = seededBytes(seed, length);
  const words = ['alpha', 'bucket', 'object', 'fragment', 'edge', 'cloud', 'policy', 'repair', 'quorum', 'gateway'];
  let text = '';
  for (let i = 0; text.length < length; i++) {
    const a = noise[i % length] ?? 0;
    const b = noise[(i * 7 + 1) % length] ?? 0;
    text += `{"id":${i},"kind":"${words[a % words.length] ?? ''}","size":${a * 257 + b},"note":"${words[b % words.length] ?? ''} ${words[(a ^ b) % words.length] ?? ''}"}\n`;
  }
  return new TextEncoder().encode(text).subarray(0, length);
}

const SCHEMES: readonly CompressionSettings[] = [
  { scheme: 'deflate' },
  { scheme: 'deflate', level: 1 },
  { scheme: 'deflate', level: 9 },
  { scheme: 'brotli' },
  { scheme: 'brotli', level: 0 },
  { scheme: 'brotli', level: 11 },
];

const label = (s: CompressionSettings): string => ('level' in s ? `${s.scheme} level ${s.level}` : s.scheme);

describe('packGeneration round trips', () => {
  const text = textLike(1, 300_000);

  for (const settings of SCHEMES) {
    it(`${label(settings)} compresses text-like data and restores it`, () => {
      const { packed, outcome } = packGenerationDetailed(text, settings);
      assert.equal(outcome, 'compressed');
      assert.equal(packed[0], settings.scheme === 'deflate' ? CODEC_TAG.deflateRaw : CODEC_TAG.brotli);
      assert.ok(packed.length < text.length / 2, `packed ${packed.length} of ${text.length}`);
      const restored = unpackGeneration(packed, text.length);
      assert.equal(Object.getPrototypeOf(restored), Uint8Array.prototype);
      assert.deepEqual(restored, text);
    });
  }

  it('scheme none stores the data with tag 0', () => {
    const { packed, outcome } = packGenerationDetailed(text, { scheme: 'none' });
    assert.equal(outcome, 'stored-scheme-none');
    assert.equal(packed[0], CODEC_TAG.stored);
    assert.equal(packed.length, text.length + 1);
    assert.deepEqual(unpackGeneration(packed, text.length), text);
  });

  for (const settings of [{ scheme: 'none' }, ...SCHEMES] as const) {
    it(`${label(settings)}: empty input packs to the lone stored tag and back`, () => {
      const packed = packGeneration(new Uint8Array(0), settings);
      assert.deepEqual(packed, Uint8Array.of(CODEC_TAG.stored));
      assert.deepEqual(unpackGeneration(packed, 0), new Uint8Array(0));
    });
  }

  it('small inputs: stored when compression cannot shrink them, compressed when it can', () => {
    const tiny = new TextEncoder().encode('a');
    const tinyPacked = packGenerationDetailed(tiny, { scheme: 'deflate' });
    assert.equal(tinyPacked.outcome, 'stored-no-gain');
    assert.deepEqual(tinyPacked.packed, Uint8Array.of(0, 0x61));
    const repetitive = new TextEncoder().encode('abc'.repeat(40));
    for (const settings of SCHEMES) {
      const { packed, outcome } = packGenerationDetailed(repetitive, settings);
      assert.equal(outcome, 'compressed', label(settings));
      assert.deepEqual(unpackGeneration(packed, repetitive.length), repetitive);
    }
  });

  it('small random input is tried in full (no sampling) and stored when it does not shrink', () => {
    const random = seededBytes(5, 2000);
    assert.equal(sampleCompressibility(random).sampleLength, 0);
    for (const settings of SCHEMES) {
      const { packed, outcome } = packGenerationDetailed(random, settings);
      assert.equal(outcome, 'stored-no-gain', label(settings));
      assert.equal(packed[0], CODEC_TAG.stored);
      assert.deepEqual(unpackGeneration(packed, random.length), random);
    }
  });
});

describe('incompressible generations are detected by sampling', () => {
  const random = seededBytes(7, 4 * 1024 * 1024);

  it('the sample of random data does not shrink, so full compression is skipped', () => {
    const verdict = sampleCompressibility(random);
    assert.equal(verdict.worthCompressing, false);
    assert.ok(verdict.sampleLength > 0 && verdict.sampleLength <= 32 * 1024);
    assert.ok(verdict.sampleCompressedLength >= verdict.sampleLength);
    for (const settings of SCHEMES) {
      const { packed, outcome } = packGenerationDetailed(random, settings);
      assert.equal(outcome, 'stored-sample-incompressible', label(settings));
      assert.equal(packed[0], CODEC_TAG.stored);
      assert.deepEqual(unpackGeneration(packed, random.length), random);
    }
  });

  it('the sample of text-like data shrinks, so it is compressed', () => {
    const text = textLike(3, 4 * 1024 * 1024);
    const verdict = sampleCompressibility(text);
    assert.equal(verdict.worthCompressing, true);
    assert.ok(verdict.sampleCompressedLength < verdict.sampleLength / 2);
  });

  it('inputs just above the sampling threshold are sampled, the last slice included', () => {
    // Random everywhere except the final 8 KiB, which the end slice must see.
    const data = seededBytes(8, SAMPLE_MIN_INPUT_LENGTH + 1);
    data.fill(0x20, data.length - 8 * 1024);
    const verdict = sampleCompressibility(data);
    assert.ok(verdict.sampleLength > 0);
    assert.ok(verdict.sampleCompressedLength < verdict.sampleLength * 0.8);
  });

  it('mixed data whose sampled slices compress is compressed', () => {
    const data = seededBytes(9, 1024 * 1024);
    data.set(textLike(10, 512 * 1024), 256 * 1024);
    data.set(textLike(11, 8 * 1024), 0);
    const { packed, outcome } = packGenerationDetailed(data, { scheme: 'brotli' });
    assert.equal(outcome, 'compressed');
    assert.deepEqual(unpackGeneration(packed, data.length), data);
  });
});

describe('unpackGeneration guards', () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);
  const deflateBomb = Uint8Array.from([CODEC_TAG.deflateRaw, ...deflateRawSync(zeros, { level: 9 })]);
  const brotliBomb = Uint8Array.from([CODEC_TAG.brotli, ...brotliCompressSync(zeros)]);

  it('a decompression bomb stops at maxOutputLength', () => {
    assert.ok(deflateBomb.length < 10_000 && brotliBomb.length < 100);
    for (const bomb of [deflateBomb, brotliBomb]) {
      assert.throws(() => unpackGeneration(bomb, 1024 * 1024), isCompressionError('too-large'));
      assert.throws(() => unpackGeneration(bomb, zeros.length - 1), isCompressionError('too-large'));
      assert.throws(() => unpackGeneration(bomb, 0), isCompressionError('too-large'));
      assert.equal(unpackGeneration(bomb, zeros.length).length, zeros.length);
    }
  });

  it('a stored body longer than maxOutputLength is too large', () => {
    const packed = packGeneration(seededBytes(1, 100), { scheme: 'none' });
    assert.throws(() => unpackGeneration(packed, 99), isCompressionError('too-large'));
    assert.equal(unpackGeneration(packed, 100).length, 100);
  });

  it('a corrupt, cut or extended compressed body is corrupt', () => {
    const text = textLike(4, 100_000);
    for (const settings of [{ scheme: 'deflate' }, { scheme: 'brotli' }] as const) {
      const packed = packGeneration(text, settings);
      const cut = packed.subarray(0, packed.length - 5);
      const extended = Uint8Array.from([...packed, 0, 1, 2]);
      const garbage = Uint8Array.from([packed[0] ?? 0, ...seededBytes(12, 5000)]);
      const bodyless = packed.subarray(0, 1);
      for (const bad of [cut, extended, garbage, bodyless]) {
        assert.throws(() => unpackGeneration(bad, text.length), isCompressionError('corrupt'), settings.scheme);
      }
    }
  });

  it('an empty packed generation (no tag) is corrupt', () => {
    assert.throws(() => unpackGeneration(new Uint8Array(0), 10), isCompressionError('corrupt'));
  });

  it('an unknown codec tag is rejected', () => {
    for (const tag of [3, 0x7f, 0xff]) {
      assert.throws(() => unpackGeneration(Uint8Array.of(tag, 1, 2, 3), 10), isCompressionError('unknown-codec'));
    }
  });

  it('invalid settings and limits are invalid arguments', () => {
    const data = textLike(2, 1000);
    for (const settings of [
      { scheme: 'deflate', level: 10 },
      { scheme: 'deflate', level: -1 },
      { scheme: 'brotli', level: 12 },
      { scheme: 'brotli', level: 1.5 },
      { scheme: 'zstd' } as unknown as CompressionSettings,
    ] as const) {
      assert.throws(() => packGeneration(data, settings), isCompressionError('invalid-argument'), JSON.stringify(settings));
    }
    for (const limit of [-1, 1.5, Number.NaN]) {
      assert.throws(() => unpackGeneration(Uint8Array.of(0), limit), isCompressionError('invalid-argument'));
    }
  });
});
