// AES-256-GCM generation sealing and key wrapping: frozen vectors, independent cross-checks, and proof that tampering is detected.

import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CryptoError,
  GENERATION_AAD_LENGTH,
  KEY_LENGTH,
  NONCE_LENGTH,
  TAG_LENGTH,
  WRAPPED_KEY_LENGTH,
  generationAad,
  generationNonce,
  openGeneration,
  sealGeneration,
  sealGenerationInto,
  unwrapDek,
  unwrapKek,
  unwrapKey,
  wrapDek,
  wrapKek,
  wrapKey,
  type CryptoErrorKind,
  type GenerationContext,
} from '../../src/core/crypto.ts';
import { seededBytes } from '../../src/core/seeded.ts';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const bytes = (length: number, first: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (first + i) & 0xff);

function isCryptoError(kind: CryptoErrorKind): (error: unknown) => boolean {
  return (error) => error instanceof CryptoError && error.kind === kind;
}

function flipBit(data: Uint8Array, bit: number): Uint8Array {
  const copy = data.slice();
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

// Frozen inputs of the known-answer vector.
const KAT_KEY = bytes(32, 0x00);
const KAT_ID = bytes(16, 0xa0);
const KAT_PLAINTEXT = new TextEncoder().encode('Dispersa generation seven, sealed.');
const KAT_CTX: GenerationContext = { objectVersionId: KAT_ID, generationIndex: 7, isLast: false };
const KAT_CTX_LAST: GenerationContext = { ...KAT_CTX, isLast: true };
// The documented layouts, written out by hand (docs/spec/crypto.md), not derived from the code under test.
const KAT_NONCE_HEX = '000000000000000000000007';
const KAT_NONCE_LAST_HEX = '000000000000000100000007';
const KAT_AAD_HEX = '44535047' + '01' + 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf' + '00000007' + '00';
const KAT_AAD_LAST_HEX = '44535047' + '01' + 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf' + '00000007' + '01';
const KAT_SEALED_HEX =
  'a404606f72652d9be4388a415626d010126faea618005383abc6a592f33ed3f8a899' + '82a61ccda26057615268bf08274a2f8d';
const KAT_SEALED_LAST_HEX =
  '4fceb7c162b5fd9e19a114c5acbc4462ee295d1b7cda4a31baecf2f91fa46cac97f2' + 'bf8dc9cba6efbf87874c83fc7422089f';

function independentSeal(key: Uint8Array, nonceHex: string, aadHex: string, plaintext: Uint8Array): string {
  const cipher = createCipheriv('aes-256-gcm', key, fromHex(nonceHex), { authTagLength: 16 });
  cipher.setAAD(fromHex(aadHex));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('hex');
}

describe('generation sealing: known-answer vectors', () => {
  it('nonce and AAD match the documented byte layout', () => {
    assert.equal(hex(generationNonce(KAT_CTX)), KAT_NONCE_HEX);
    assert.equal(hex(generationNonce(KAT_CTX_LAST)), KAT_NONCE_LAST_HEX);
    assert.equal(hex(generationAad(KAT_CTX)), KAT_AAD_HEX);
    assert.equal(hex(generationAad(KAT_CTX_LAST)), KAT_AAD_LAST_HEX);
    assert.equal(generationAad(KAT_CTX).length, GENERATION_AAD_LENGTH);
    assert.equal(generationNonce(KAT_CTX).length, NONCE_LENGTH);
  });

  it('the highest generation index is encoded big-endian', () => {
    const ctx: GenerationContext = { objectVersionId: KAT_ID, generationIndex: 2 ** 32 - 1, isLast: true };
    assert.equal(hex(generationNonce(ctx)), '0000000000000001ffffffff');
    assert.equal(hex(generationAad(ctx).subarray(21)), 'ffffffff01');
  });

  it('sealGeneration reproduces the frozen vector', () => {
    assert.equal(hex(sealGeneration(KAT_KEY, KAT_CTX, KAT_PLAINTEXT)), KAT_SEALED_HEX);
    assert.equal(hex(sealGeneration(KAT_KEY, KAT_CTX_LAST, KAT_PLAINTEXT)), KAT_SEALED_LAST_HEX);
  });

  it('the frozen vector equals a direct AES-256-GCM computation with the documented nonce and AAD', () => {
    assert.equal(independentSeal(KAT_KEY, KAT_NONCE_HEX, KAT_AAD_HEX, KAT_PLAINTEXT), KAT_SEALED_HEX);
    assert.equal(independentSeal(KAT_KEY, KAT_NONCE_LAST_HEX, KAT_AAD_LAST_HEX, KAT_PLAINTEXT), KAT_SEALED_LAST_HEX);
  });

  it('openGeneration opens the frozen vector', () => {
    assert.deepEqual(openGeneration(KAT_KEY, KAT_CTX, fromHex(KAT_SEALED_HEX)), KAT_PLAINTEXT);
  });
});

describe('generation sealing: round trips', () => {
  const dek = seededBytes(1, KEY_LENGTH);
  const id = seededBytes(2, 16);
  // Sizes around the internal update slice (64 KiB) and the GCM block (16 bytes).
  for (const size of [0, 1, 15, 16, 17, 4096, 65535, 65536, 65537, 200_003]) {
    it(`${size} bytes`, () => {
      const plaintext = seededBytes(size + 3, size);
      const ctx: GenerationContext = { objectVersionId: id, generationIndex: size, isLast: size % 2 === 0 };
      const sealed = sealGeneration(dek, ctx, plaintext);
      assert.equal(sealed.length, size + TAG_LENGTH);
      assert.equal(Object.getPrototypeOf(sealed), Uint8Array.prototype);
      const opened = openGeneration(dek, ctx, sealed);
      assert.equal(Object.getPrototypeOf(opened), Uint8Array.prototype);
      assert.deepEqual(opened, plaintext);
    });
  }

  it('agrees with a direct AES-256-GCM computation on a multi-slice generation', () => {
    const plaintext = seededBytes(9, 300_000);
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 123_456, isLast: false };
    const expected = independentSeal(dek, hex(generationNonce(ctx)), hex(generationAad(ctx)), plaintext);
    assert.equal(hex(sealGeneration(dek, ctx, plaintext)), expected);
  });

  it('opens a generation held in a larger buffer at an offset', () => {
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 0, isLast: true };
    const sealed = sealGeneration(dek, ctx, KAT_PLAINTEXT);
    const holder = new Uint8Array(sealed.length + 10);
    holder.set(sealed, 5);
    assert.deepEqual(openGeneration(dek, ctx, holder.subarray(5, 5 + sealed.length)), KAT_PLAINTEXT);
  });

  it('sealGenerationInto writes the same bytes into a longer buffer and leaves the rest alone', () => {
    const plaintext = seededBytes(31, 100_000);
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 4, isLast: true };
    const output = new Uint8Array(plaintext.length + TAG_LENGTH + 7).fill(0xee);
    assert.equal(sealGenerationInto(dek, ctx, plaintext, output), plaintext.length + TAG_LENGTH);
    assert.deepEqual(output.subarray(0, plaintext.length + TAG_LENGTH), sealGeneration(dek, ctx, plaintext));
    assert.deepEqual(output.subarray(plaintext.length + TAG_LENGTH), new Uint8Array(7).fill(0xee));
  });

  it('sealGenerationInto works in place', () => {
    const plaintext = seededBytes(32, 150_000);
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 5, isLast: false };
    const buffer = new Uint8Array(plaintext.length + TAG_LENGTH);
    buffer.set(plaintext);
    sealGenerationInto(dek, ctx, buffer.subarray(0, plaintext.length), buffer);
    assert.deepEqual(buffer, sealGeneration(dek, ctx, plaintext));
    assert.deepEqual(openGeneration(dek, ctx, buffer), plaintext);
  });

  it('sealGenerationInto seals parts exactly as their concatenation', () => {
    const plaintext = seededBytes(33, 200_003);
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 6, isLast: true };
    for (const cuts of [[1], [0, 1], [70_000, 140_001], [200_003]]) {
      const parts: Uint8Array[] = [];
      let from = 0;
      for (const cut of [...cuts, plaintext.length]) {
        parts.push(plaintext.subarray(from, cut));
        from = cut;
      }
      const output = new Uint8Array(plaintext.length + TAG_LENGTH);
      assert.equal(sealGenerationInto(dek, ctx, parts, output), output.length);
      assert.deepEqual(output, sealGeneration(dek, ctx, plaintext), `cuts ${cuts.join(',')}`);
    }
    assert.throws(() => sealGenerationInto(dek, ctx, [plaintext, 'x' as unknown as Uint8Array], new Uint8Array(300_000)), isCryptoError('invalid-argument'));
  });

  it('sealGenerationInto refuses an output that is too short', () => {
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 0, isLast: true };
    assert.throws(
      () => sealGenerationInto(dek, ctx, new Uint8Array(10), new Uint8Array(10 + TAG_LENGTH - 1)),
      isCryptoError('invalid-argument'),
    );
  });

  it('the last flag changes the nonce, so no (key, nonce) pair repeats', () => {
    const ctx: GenerationContext = { objectVersionId: id, generationIndex: 3, isLast: false };
    assert.notEqual(hex(generationNonce(ctx)), hex(generationNonce({ ...ctx, isLast: true })));
  });
});

describe('generation sealing: tampering is detected', () => {
  const dek = seededBytes(11, KEY_LENGTH);
  const objectA = seededBytes(12, 16);
  const objectB = seededBytes(13, 16);
  const generations = [0, 1, 2].map((i) => seededBytes(100 + i, 64));
  const sealedA = generations.map((g, i) =>
    sealGeneration(dek, { objectVersionId: objectA, generationIndex: i, isLast: i === generations.length - 1 }, g),
  );
  const sealed0 = sealedA[0] ?? new Uint8Array();
  const sealed1 = sealedA[1] ?? new Uint8Array();

  it('every generation opens in its own place', () => {
    sealedA.forEach((s, i) => {
      const ctx: GenerationContext = { objectVersionId: objectA, generationIndex: i, isLast: i === sealedA.length - 1 };
      assert.deepEqual(openGeneration(dek, ctx, s), generations[i]);
    });
  });

  it('reordering: generation 1 presented as generation 0 fails, and the reverse', () => {
    assert.throws(
      () => openGeneration(dek, { objectVersionId: objectA, generationIndex: 0, isLast: false }, sealed1),
      isCryptoError('authentication-failed'),
    );
    assert.throws(
      () => openGeneration(dek, { objectVersionId: objectA, generationIndex: 1, isLast: false }, sealed0),
      isCryptoError('authentication-failed'),
    );
  });

  it('splicing: a generation moved into another object version fails (even under the same key)', () => {
    assert.throws(
      () => openGeneration(dek, { objectVersionId: objectB, generationIndex: 0, isLast: false }, sealed0),
      isCryptoError('authentication-failed'),
    );
  });

  it('truncation: dropping the real last generation and presenting generation 1 as last fails', () => {
    assert.throws(
      () => openGeneration(dek, { objectVersionId: objectA, generationIndex: 1, isLast: true }, sealed1),
      isCryptoError('authentication-failed'),
    );
  });

  it('extension: the last generation presented as not last fails', () => {
    const last = sealedA[2] ?? new Uint8Array();
    assert.throws(
      () => openGeneration(dek, { objectVersionId: objectA, generationIndex: 2, isLast: false }, last),
      isCryptoError('authentication-failed'),
    );
  });

  it('flipping any single bit of a sealed generation fails', () => {
    const ctx: GenerationContext = { objectVersionId: objectA, generationIndex: 5, isLast: false };
    const sealed = sealGeneration(dek, ctx, seededBytes(7, 24));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      assert.throws(() => openGeneration(dek, ctx, flipBit(sealed, bit)), isCryptoError('authentication-failed'), `bit ${bit}`);
    }
  });

  it('a wrong DEK fails', () => {
    const ctx: GenerationContext = { objectVersionId: objectA, generationIndex: 0, isLast: false };
    assert.throws(() => openGeneration(seededBytes(99, KEY_LENGTH), ctx, sealed0), isCryptoError('authentication-failed'));
    assert.throws(() => openGeneration(flipBit(dek, 0), ctx, sealed0), isCryptoError('authentication-failed'));
  });

  it('cut or extended sealed bytes fail', () => {
    const ctx: GenerationContext = { objectVersionId: objectA, generationIndex: 0, isLast: false };
    for (const bad of [sealed0.subarray(0, sealed0.length - 1), sealed0.subarray(1), sealed0.subarray(0, TAG_LENGTH - 1), new Uint8Array(0)]) {
      assert.throws(() => openGeneration(dek, ctx, bad), isCryptoError('authentication-failed'));
    }
    const longer = new Uint8Array(sealed0.length + 1);
    longer.set(sealed0);
    assert.throws(() => openGeneration(dek, ctx, longer), isCryptoError('authentication-failed'));
  });
});

describe('generation sealing: invalid arguments', () => {
  const ctx: GenerationContext = { objectVersionId: KAT_ID, generationIndex: 0, isLast: true };
  it('rejects keys that are not 32 bytes', () => {
    for (const length of [0, 16, 31, 33]) {
      assert.throws(() => sealGeneration(new Uint8Array(length), ctx, KAT_PLAINTEXT), isCryptoError('invalid-argument'));
      assert.throws(() => openGeneration(new Uint8Array(length), ctx, new Uint8Array(32)), isCryptoError('invalid-argument'));
    }
  });

  it('rejects object version ids that are not 16 bytes', () => {
    for (const length of [0, 15, 17, 32]) {
      const bad: GenerationContext = { ...ctx, objectVersionId: new Uint8Array(length) };
      assert.throws(() => sealGeneration(KAT_KEY, bad, KAT_PLAINTEXT), isCryptoError('invalid-argument'));
      assert.throws(() => openGeneration(KAT_KEY, bad, new Uint8Array(32)), isCryptoError('invalid-argument'));
    }
  });

  it('rejects generation indices outside [0, 2^32)', () => {
    for (const generationIndex of [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const bad: GenerationContext = { ...ctx, generationIndex };
      assert.throws(() => sealGeneration(KAT_KEY, bad, KAT_PLAINTEXT), isCryptoError('invalid-argument'));
      assert.throws(() => generationNonce(bad), isCryptoError('invalid-argument'));
    }
  });

  it('rejects inputs of the wrong type from untyped callers', () => {
    const untyped = JSON.parse('{"objectVersionId":"x","generationIndex":"1","isLast":1}') as GenerationContext;
    assert.throws(() => sealGeneration(KAT_KEY, untyped, KAT_PLAINTEXT), isCryptoError('invalid-argument'));
    assert.throws(() => sealGeneration(KAT_KEY, ctx, 'text' as unknown as Uint8Array), isCryptoError('invalid-argument'));
  });
});

describe('key wrapping', () => {
  const master = seededBytes(21, KEY_LENGTH);
  const kek = seededBytes(22, KEY_LENGTH);
  const dek = seededBytes(23, KEY_LENGTH);
  const objectVersionId = seededBytes(24, 16);
  const bucketId = new TextEncoder().encode('bkt_01HZX3Q7');
  const nonce = seededBytes(25, NONCE_LENGTH);

  it('frozen DEK-wrap vector: version ‖ nonce ‖ ciphertext ‖ tag, AAD as documented', () => {
    const key = bytes(32, 0x00);
    const wrappingKey = bytes(32, 0x40);
    const id = bytes(16, 0xa0);
    const n = bytes(12, 0xc0);
    const expected =
      '01' + 'c0c1c2c3c4c5c6c7c8c9cacb' + '5f4532cd7e9f3bec7cb02e3da7aeacc28fe44c42ca3b381fe4aa297734676459' + 'c67e2bd3e40e645597b1340f7e0ebd32';
    const wrapped = wrapDek(wrappingKey, key, id, n);
    assert.equal(wrapped.length, WRAPPED_KEY_LENGTH);
    assert.equal(hex(wrapped), expected);
    const domain = hex(new TextEncoder().encode('dispersa/v1/dek-under-bucket-kek'));
    const aad = '44535057' + '01' + '20' + domain + '0010' + hex(id);
    assert.equal(independentSeal(wrappingKey, hex(n), aad, key), expected.slice(2 + 24));
    assert.deepEqual(unwrapDek(wrappingKey, fromHex(expected), id), key);
  });

  it('DEK round trip under the bucket KEK', () => {
    const wrapped = wrapDek(kek, dek, objectVersionId, nonce);
    assert.equal(wrapped[0], 1);
    assert.deepEqual(wrapped.subarray(1, 1 + NONCE_LENGTH), nonce);
    assert.deepEqual(unwrapDek(kek, wrapped, objectVersionId), dek);
  });

  it('KEK round trip under the master key', () => {
    const wrapped = wrapKek(master, kek, bucketId, nonce);
    assert.equal(wrapped.length, WRAPPED_KEY_LENGTH);
    assert.deepEqual(unwrapKek(master, wrapped, bucketId), kek);
  });

  it('a wrong KEK, wrong master key or wrong context fails', () => {
    const wrappedDek = wrapDek(kek, dek, objectVersionId, nonce);
    const wrappedKek = wrapKek(master, kek, bucketId, nonce);
    assert.throws(() => unwrapDek(master, wrappedDek, objectVersionId), isCryptoError('unwrap-failed'));
    assert.throws(() => unwrapDek(kek, wrappedDek, seededBytes(26, 16)), isCryptoError('unwrap-failed'));
    assert.throws(() => unwrapKek(kek, wrappedKek, bucketId), isCryptoError('unwrap-failed'));
    assert.throws(() => unwrapKek(master, wrappedKek, new TextEncoder().encode('bkt_01HZX3Q8')), isCryptoError('unwrap-failed'));
  });

  it('a blob wrapped for one purpose does not unwrap as the other, even with the same key and context', () => {
    const wrapped = wrapKey('dek', kek, dek, objectVersionId, nonce);
    assert.throws(() => unwrapKey('kek', kek, wrapped, objectVersionId), isCryptoError('unwrap-failed'));
  });

  it('flipping any single bit of a wrapped key fails', () => {
    const wrapped = wrapDek(kek, dek, objectVersionId, nonce);
    for (let bit = 0; bit < wrapped.length * 8; bit++) {
      assert.throws(() => unwrapDek(kek, flipBit(wrapped, bit), objectVersionId), isCryptoError('unwrap-failed'), `bit ${bit}`);
    }
  });

  it('a cut or extended blob fails', () => {
    const wrapped = wrapKek(master, kek, bucketId, nonce);
    for (const bad of [wrapped.subarray(0, wrapped.length - 1), new Uint8Array(0), new Uint8Array(WRAPPED_KEY_LENGTH + 1)]) {
      assert.throws(() => unwrapKek(master, bad, bucketId), isCryptoError('unwrap-failed'));
    }
  });

  it('invalid lengths are invalid arguments', () => {
    const wrapped = wrapDek(kek, dek, objectVersionId, nonce);
    assert.throws(() => wrapDek(new Uint8Array(16), dek, objectVersionId, nonce), isCryptoError('invalid-argument'));
    assert.throws(() => wrapDek(kek, new Uint8Array(31), objectVersionId, nonce), isCryptoError('invalid-argument'));
    assert.throws(() => wrapDek(kek, dek, new Uint8Array(15), nonce), isCryptoError('invalid-argument'));
    assert.throws(() => wrapDek(kek, dek, objectVersionId, new Uint8Array(11)), isCryptoError('invalid-argument'));
    assert.throws(() => wrapKek(master, kek, new Uint8Array(0), nonce), isCryptoError('invalid-argument'));
    assert.throws(() => wrapKek(master, kek, new Uint8Array(0x10000), nonce), isCryptoError('invalid-argument'));
    assert.throws(() => unwrapDek(new Uint8Array(33), wrapped, objectVersionId), isCryptoError('invalid-argument'));
    assert.throws(() => unwrapDek(kek, wrapped, new Uint8Array(17)), isCryptoError('invalid-argument'));
    assert.throws(() => unwrapKek(master, wrapped, new Uint8Array(0)), isCryptoError('invalid-argument'));
  });
});
