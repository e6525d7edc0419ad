// Object manifest v1: what metadata keeps about an encoded object version (layout in docs/spec/manifest.md).

import type { CompressionScheme } from '../compress.ts';
import { FormatError } from './errors.ts';

export type { CompressionScheme };

export const MANIFEST_VERSION = 1;

export type CoefficientPlacement = 'inline' | 'aside';

export interface ManifestFragment {
  /** Row of the generator matrix this fragment's payload was coded with; also the location slot. */
  readonly packetIndex: number;
  /** Bytes of the whole fragment as stored. */
  readonly size: number;
  /** Hex SHA-256 of the fragment (header + payload), as in its trailer. */
  readonly sha256: string;
}

export interface ManifestGeneration {
  /** Sealed (compressed + encrypted) bytes carried by the k symbols of this generation. */
  readonly sealedLength: number;
  readonly symbolSize: number;
  readonly fragments: readonly ManifestFragment[];
}

export interface ObjectManifest {
  readonly version: typeof MANIFEST_VERSION;
  /** Hex, 16 random bytes: the only name locations see (fragment names derive from it). */
  readonly objectVersionId: string;
  /** Plaintext bytes of the object. */
  readonly size: number;
  /** Plaintext bytes per generation (the last one may be shorter). */
  readonly generationSize: number;
  readonly k: number;
  readonly r: number;
  readonly systematic: boolean;
  readonly coefficients: CoefficientPlacement;
  /** Hex, 16 bytes: generator matrices derive from it; secret when coefficients are kept aside. */
  readonly coefficientSeed: string;
  readonly compression: { readonly scheme: CompressionScheme; readonly level: number };
  /** Hex: the object version's data key wrapped by the bucket key (see docs/spec/crypto.md). */
  readonly wrappedDek: string;
  readonly generations: readonly ManifestGeneration[];
}

/** Everything about an object version except its wrapped key: what repair, scrub and evacuation get, so they cannot decrypt. */
export type CodingManifest = Omit<ObjectManifest, 'wrappedDek'>;

/** Number of generations an object of `size` plaintext bytes has: at least one, so empty objects still carry a sealed last generation. */
export function generationCount(size: number, generationSize: number): number {
  return Math.max(1, Math.ceil(size / generationSize));
}

/** Plaintext byte range [start, end) of generation `index`. */
export function generationSpan(m: Pick<ObjectManifest, 'size' | 'generationSize'>, index: number): { start: number; end: number } {
  const start = index * m.generationSize;
  return { start, end: Math.min(m.size, start + m.generationSize) };
}

const HEX = /^(?:[0-9a-f]{2})*$/;

function fail(path: string, what: string): never {
  throw new FormatError('malformed', `manifest ${path}: ${what}`);
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, `expected an integer in [${min}, ${max}]`);
  return v;
}

function hex(v: unknown, path: string, bytes?: number): string {
  if (typeof v !== 'string' || !HEX.test(v) || (bytes !== undefined && v.length !== bytes * 2)) {
    fail(path, bytes === undefined ? 'expected lowercase hex' : `expected ${bytes} bytes of lowercase hex`);
  }
  return v;
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, unknown>;
}

/** Validates a manifest read back from metadata; throws FormatError naming the first bad field. */
export function parseManifest(input: unknown): ObjectManifest {
  const m = record(input, '');
  if (m.version !== MANIFEST_VERSION) {
    throw new FormatError('unsupported-version', `manifest version ${JSON.stringify(m.version)} is not supported`);
  }
  const k = int(m.k, 'k', 1, 64);
  const r = int(m.r, 'r', 0, 64 - k);
  const n = k + r;
  if (typeof m.systematic !== 'boolean') fail('systematic', 'expected a boolean');
  if (m.coefficients !== 'inline' && m.coefficients !== 'aside') fail('coefficients', 'expected "inline" or "aside"');
  const size = int(m.size, 'size', 0, Number.MAX_SAFE_INTEGER);
  const generationSize = int(m.generationSize, 'generationSize', 1, 2 ** 32);
  const comp = record(m.compression, 'compression');
  if (comp.scheme !== 'none' && comp.scheme !== 'deflate' && comp.scheme !== 'brotli') fail('compression.scheme', 'expected none, deflate or brotli');
  const level = int(comp.level, 'compression.level', 0, 11);
  if (!Array.isArray(m.generations)) fail('generations', 'expected an array');
  const count = generationCount(size, generationSize);
  if (m.generations.length !== count) fail('generations', `expected ${count} generations for ${size} bytes, got ${m.generations.length}`);
  const generations = m.generations.map((g: unknown, i): ManifestGeneration => {
    const gr = record(g, `generations[${i}]`);
    const symbolSize = int(gr.symbolSize, `generations[${i}].symbolSize`, 0, 0xffffffff);
    const sealedLength = int(gr.sealedLength, `generations[${i}].sealedLength`, 0, k * symbolSize);
    if (!Array.isArray(gr.fragments)) fail(`generations[${i}].fragments`, 'expected an array');
    const seen = new Set<number>();
    const fragments = gr.fragments.map((f: unknown, j): ManifestFragment => {
      const path = `generations[${i}].fragments[${j}]`;
      const fr = record(f, path);
      const packetIndex = int(fr.packetIndex, `${path}.packetIndex`, 0, n - 1);
      if (seen.has(packetIndex)) fail(`${path}.packetIndex`, `packet ${packetIndex} listed twice`);
      seen.add(packetIndex);
      return { packetIndex, size: int(fr.size, `${path}.size`, 0, Number.MAX_SAFE_INTEGER), sha256: hex(fr.sha256, `${path}.sha256`, 32) };
    });
    return { sealedLength, symbolSize, fragments };
  });
  return {
    version: MANIFEST_VERSION,
    objectVersionId: hex(m.objectVersionId, 'objectVersionId', 16),
    size,
    generationSize,
    k,
    r,
    systematic: m.systematic,
    coefficients: m.coefficients,
    coefficientSeed: hex(m.coefficientSeed, 'coefficientSeed', 16),
    compression: { scheme: comp.scheme, level },
    wrappedDek: hex(m.wrappedDek, 'wrappedDek'),
    generations,
  };
}
