// Bench cases for AES-256-GCM sealing/opening and per-generation compression on 4 MiB generations.

import { openGeneration, sealGeneration, KEY_LENGTH, type GenerationContext } from '../../src/core/crypto.ts';
import { CODEC_TAG, packGeneration, unpackGeneration, type CompressionSettings } from '../../src/core/compress.ts';
import { seededBytes, type BenchCase } from '../harness.ts';

const GENERATION_SIZE = 4 * 1024 * 1024;
const SIZE_LABEL = '4MiB';

type BenchInput = 'text' | 'random';

/** JSON-like log lines over a seeded vocabulary of made-up words: compresses about 3:1, like real logs. */
export function textLikeBytes(seed: number, length: number): Uint8Array {
  const noise = seededBytes(seed, length);
  let cursor = 0;
  const next = (): number => {
    const value = ((noise[cursor % length] ?? 0) << 8) | (noise[(cursor + 1) % length] ?? 0);
    cursor += 2;
    return value;
  };
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const words = Array.from({ length: 2000 }, () => {
    let word = '';
    const wordLength = 2 + (next() % 9);
    // Skewed towards common letters so the byte distribution resembles prose.
    for (let i = 0; i < wordLength; i++) word += letters[Math.min(next() % 26, next() % 26)] ?? 'e';
    return word;
  });
  // A skewed pick (min of two) gives a few frequent words and a long tail, as in real text.
  const word = (): string => words[Math.min(next() % words.length, next() % words.length)] ?? '';
  const out = new Uint8Array(length);
  const encoder = new TextEncoder();
  let written = 0;
  for (let line = 0; written < length; line++) {
    const message = Array.from({ length: 3 + (next() % 10) }, word).join(' ');
    const text = `{"id":${line},"user":"${word()}","ts":${1_700_000_000 + next() * 16},"msg":"${message}","ok":${next() % 2 === 0}}\n`;
    written += encoder.encodeInto(text, out.subarray(written)).written;
  }
  return out;
}

function inputBytes(input: BenchInput): Uint8Array {
  return input === 'text' ? textLikeBytes(0x7e57, GENERATION_SIZE) : seededBytes(0x5eed, GENERATION_SIZE);
}

function compressionCases(): BenchCase[] {
  const schemes: readonly (CompressionSettings & { scheme: 'deflate' | 'brotli' })[] = [{ scheme: 'deflate' }, { scheme: 'brotli' }];
  const cases: BenchCase[] = [];
  for (const input of ['text', 'random'] as const) {
    const data = inputBytes(input);
    for (const settings of schemes) {
      const packed = packGeneration(data, settings);
      const params = { size: SIZE_LABEL, input, ratio: Math.round((packed.length / data.length) * 1000) / 1000 };
      cases.push({
        name: `compress.${settings.scheme}`,
        params,
        backend: 'node:zlib',
        bytesPerRun: data.length,
        run: () => {
          packGeneration(data, settings);
        },
      });
      // A stored generation decompresses as a view of its input: nothing to measure.
      if (packed[0] === CODEC_TAG.stored) continue;
      cases.push({
        name: `decompress.${settings.scheme}`,
        params,
        backend: 'node:zlib',
        bytesPerRun: data.length,
        run: () => {
          unpackGeneration(packed, data.length);
        },
      });
    }
  }
  return cases;
}

export function cryptoBenchCases(): BenchCase[] {
  const dek = seededBytes(0xd3c, KEY_LENGTH);
  const ctx: GenerationContext = { objectVersionId: seededBytes(0x1d, 16), generationIndex: 0, isLast: false };
  const plaintext = seededBytes(0x9a, GENERATION_SIZE);
  const sealed = sealGeneration(dek, ctx, plaintext);
  return [
    {
      name: 'aes256gcm.seal',
      params: { size: SIZE_LABEL },
      backend: 'node:crypto',
      bytesPerRun: plaintext.length,
      run: () => {
        sealGeneration(dek, ctx, plaintext);
      },
    },
    {
      name: 'aes256gcm.open',
      params: { size: SIZE_LABEL },
      backend: 'node:crypto',
      bytesPerRun: plaintext.length,
      run: () => {
        openGeneration(dek, ctx, sealed);
      },
    },
    ...compressionCases(),
  ];
}
