// The codec pipeline, the only place the order is written: generation → compress → encrypt → RLNC → fragments, and back.

import { openGeneration, sealGenerationInto, unwrapDek, wrapDek, KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './crypto.ts';
import { MAX_BROTLI_QUALITY, MAX_DEFLATE_LEVEL, packGenerationDetailed, unpackGeneration, type CompressionSettings } from './compress.ts';
import type { GfKernel } from './gf256/kernel.ts';
import { allocateFragment, fragmentLength, parseFragment, sealFragment, type FragmentHeader } from './format/fragment.ts';
import { FormatError } from './format/errors.ts';
import {
  generationCount,
  generationSpan,
  MANIFEST_VERSION,
  type CodingManifest,
  type CoefficientPlacement,
  type CompressionScheme,
  type ManifestGeneration,
  type ObjectManifest,
} from './format/manifest.ts';
import {
  COEFFICIENT_SEED_LENGTH,
  encodeGeneration,
  generatorMatrix,
  matrixRow,
  packetCount,
  RlncDecoder,
  recodePacket,
  symbolSizeFor,
  validateRlncParams,
  type GfMatrix,
  type RlncParams,
} from './rlnc/index.ts';

export const MIN_GENERATION_SIZE = 1024;
export const MAX_GENERATION_SIZE = 64 * 1024 * 1024;
export const OBJECT_VERSION_ID_LENGTH = 16;

export type CodecErrorKind = 'invalid-policy' | 'invalid-range' | 'not-enough-fragments' | 'integrity-failure' | 'invalid-fragment';

export class CodecError extends Error {
  readonly kind: CodecErrorKind;
  constructor(kind: CodecErrorKind, message: string) {
    super(message);
    this.name = 'CodecError';
    this.kind = kind;
  }
}

/** The codec half of a storage policy. */
export interface CodecPolicy {
  readonly k: number;
  readonly r: number;
  readonly systematic: boolean;
  readonly generationSize: number;
  readonly compression: { readonly scheme: CompressionScheme; readonly level: number };
  readonly coefficients: CoefficientPlacement;
}

export interface EncodeContext {
  readonly kernel: GfKernel;
  /** The bucket key that wraps this object version's data key. */
  readonly bucketKek: Uint8Array;
  /** Source of randomness (data key, object version id, coefficient seed, wrapping nonce). */
  readonly random: (length: number) => Uint8Array;
  /** Where released fragment buffers go and come from; default: one pool per encoder. */
  readonly pool?: FragmentPool;
}

export interface EncodedFragment {
  readonly packetIndex: number;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

export interface EncodedGeneration {
  readonly index: number;
  readonly isLast: boolean;
  readonly fragments: readonly EncodedFragment[];
  /**
   * Hands the fragment buffers back to the encoder once nothing reads them any more (every store write settled),
   * so later generations reuse them instead of fresh memory. Optional: an unreleased generation is simply
   * garbage-collected. Using a fragment after releasing it reads another generation's bytes.
   */
  release(): void;
}

/**
 * Released buffers (fragments, generation and coding buffers) kept for reuse, up to `maxBytes` in all: fresh
 * multi-MiB buffers cost page faults that showed up as a large share of encoding time. One pool may serve every
 * encoder of a process.
 */
export class FragmentPool {
  private readonly free = new Map<number, Uint8Array[]>();
  private bytes = 0;
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  take(length: number): Uint8Array | undefined {
    const buffer = this.free.get(length)?.pop();
    if (buffer !== undefined) this.bytes -= buffer.length;
    return buffer;
  }

  give(buffers: readonly Uint8Array[]): void {
    for (const b of buffers) {
      const list = this.free.get(b.length) ?? [];
      if (this.bytes + b.length > this.maxBytes || list.includes(b)) continue;
      list.push(b);
      this.bytes += b.length;
      this.free.set(b.length, list);
    }
  }
}

export function validateCodecPolicy(policy: CodecPolicy): void {
  try {
    validateRlncParams(policy);
  } catch (e) {
    throw new CodecError('invalid-policy', (e as Error).message);
  }
  const g = policy.generationSize;
  if (!Number.isInteger(g) || g < MIN_GENERATION_SIZE || g > MAX_GENERATION_SIZE) {
    throw new CodecError('invalid-policy', `generation size must be an integer in [${MIN_GENERATION_SIZE}, ${MAX_GENERATION_SIZE}], got ${String(g)}`);
  }
  const { scheme, level } = policy.compression as { scheme: unknown; level: unknown };
  const maxLevel = scheme === 'deflate' ? MAX_DEFLATE_LEVEL : scheme === 'brotli' ? MAX_BROTLI_QUALITY : scheme === 'none' ? 0 : -1;
  if (maxLevel < 0) throw new CodecError('invalid-policy', `compression scheme must be none, deflate or brotli, got ${String(scheme)}`);
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > maxLevel) {
    throw new CodecError('invalid-policy', `compression level for ${String(scheme)} must be an integer in [0, ${maxLevel}], got ${String(level)}`);
  }
  const placement: unknown = policy.coefficients; // policies arrive from JSON: check what the types promise
  if (placement !== 'inline' && placement !== 'aside') {
    throw new CodecError('invalid-policy', `coefficients must be "inline" or "aside", got ${String(placement)}`);
  }
}

function compressionSettings(c: CodecPolicy['compression']): CompressionSettings {
  switch (c.scheme) {
    case 'none':
      return { scheme: 'none' };
    case 'deflate':
    case 'brotli':
      return { scheme: c.scheme, level: c.level };
    default: {
      const unknown: never = c.scheme;
      throw new CodecError('invalid-policy', `unknown compression scheme ${String(unknown)}`);
    }
  }
}

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function takeRandom(random: (length: number) => Uint8Array, length: number, what: string): Uint8Array {
  const bytes = random(length);
  if (bytes.length !== length) throw new CodecError('invalid-policy', `random source returned ${bytes.length} bytes for the ${what}, expected ${length}`);
  return bytes;
}

/**
 * Encodes one object version as a stream of generations of n fragments each. Holds one generation of plaintext
 * plus its sealed copy and n/k of it in fragments: memory does not depend on the object size.
 *
 *   const encoder = new ObjectEncoder(policy, ctx);
 *   for await (const generation of encoder.encode(body)) await store(generation);
 *   const manifest = encoder.manifest();
 */
export class ObjectEncoder {
  readonly objectVersionId: Uint8Array;
  private readonly policy: CodecPolicy;
  private readonly kernel: GfKernel;
  private readonly dek: Uint8Array;
  private readonly wrappedDek: Uint8Array;
  private readonly seed: Uint8Array;
  private readonly generations: ManifestGeneration[] = [];
  private size = 0;
  private source: Uint8Array | undefined;
  private readonly pool: FragmentPool;
  private state: 'new' | 'encoding' | 'done' = 'new';

  constructor(policy: CodecPolicy, ctx: EncodeContext) {
    validateCodecPolicy(policy);
    this.policy = policy;
    this.kernel = ctx.kernel;
    this.dek = takeRandom(ctx.random, KEY_LENGTH, 'data key');
    this.objectVersionId = takeRandom(ctx.random, OBJECT_VERSION_ID_LENGTH, 'object version id');
    this.seed = takeRandom(ctx.random, COEFFICIENT_SEED_LENGTH, 'coefficient seed');
    this.wrappedDek = wrapDek(ctx.bucketKek, this.dek, this.objectVersionId, takeRandom(ctx.random, NONCE_LENGTH, 'wrapping nonce'));
    this.pool = ctx.pool ?? new FragmentPool();
  }

  /**
   * Yields the object's generations as their fragments are ready. Input chunks must stay unchanged once handed
   * over (as Node streams' chunks do): a chunk holding a whole generation is used in place, not copied.
   */
  async *encode(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<EncodedGeneration, void, undefined> {
    if (this.state !== 'new') throw new Error('an ObjectEncoder encodes exactly one object');
    this.state = 'encoding';
    const g = this.policy.generationSize;
    let buffer: Uint8Array | undefined;
    // The generation being filled: a view of `buffer`, or of an input chunk that held a whole generation.
    let current: Uint8Array | undefined;
    let filled = 0;
    let index = 0;
    try {
      for await (const chunk of input) {
        let offset = 0;
        while (offset < chunk.length) {
          if (filled === g && current !== undefined) {
            // A full generation is only known not to be the last once more bytes arrive.
            yield this.encodeGeneration(index++, current, false);
            filled = 0;
            current = undefined;
          }
          if (filled === 0 && chunk.length - offset >= g) {
            current = chunk.subarray(offset, offset + g);
            filled = g;
            offset += g;
            this.size += g;
            continue;
          }
          buffer ??= this.pool.take(g) ?? new Uint8Array(g);
          current = buffer;
          const n = Math.min(g - filled, chunk.length - offset);
          buffer.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          this.size += n;
        }
      }
      yield this.encodeGeneration(index, current?.subarray(0, filled) ?? new Uint8Array(0), true);
      this.state = 'done';
    } finally {
      // Working buffers go back to the pool for the next object; fragments went out with their generations.
      this.pool.give([buffer, this.source].filter((b): b is Uint8Array => b !== undefined));
      this.source = undefined;
    }
  }


  /** The manifest of the encoded object; only once every generation has been taken from encode(). */
  manifest(): ObjectManifest {
    if (this.state !== 'done') throw new Error('manifest() before the whole object was encoded');
    const p = this.policy;
    return {
      version: MANIFEST_VERSION,
      objectVersionId: toHex(this.objectVersionId),
      size: this.size,
      generationSize: p.generationSize,
      k: p.k,
      r: p.r,
      systematic: p.systematic,
      coefficients: p.coefficients,
      coefficientSeed: toHex(this.seed),
      compression: { scheme: p.compression.scheme, level: p.compression.level },
      wrappedDek: toHex(this.wrappedDek),
      generations: this.generations,
    };
  }

  private encodeGeneration(index: number, plain: Uint8Array, isLast: boolean): EncodedGeneration {
    const { k } = this.policy;
    const { tag, body } = packGenerationDetailed(plain, compressionSettings(this.policy.compression));
    const sealedLength = 1 + body.length + TAG_LENGTH;
    const symbolSize = symbolSizeFor(sealedLength, k);
    // Sealed straight into the zero-padded k-symbol buffer the code reads, reused while its size fits.
    if (this.source?.length !== k * symbolSize) {
      if (this.source !== undefined) this.pool.give([this.source]);
      this.source = this.pool.take(k * symbolSize) ?? new Uint8Array(k * symbolSize);
    }
    const source = this.source;
    sealGenerationInto(this.dek, { objectVersionId: this.objectVersionId, generationIndex: index, isLast }, [Uint8Array.of(tag), body], source);
    source.fill(0, sealedLength);
    const generator = generatorMatrix(this.policy, this.seed, index);
    const n = packetCount(this.policy);
    const allocated = [];
    for (let p = 0; p < n; p++) {
      const header: FragmentHeader = {
        objectVersionId: this.objectVersionId,
        generationIndex: index,
        k,
        packetIndex: p,
        symbolSize,
        sealedLength,
        coefficients: this.policy.coefficients === 'inline' ? matrixRow(generator, p) : null,
      };
      allocated.push(allocateFragment(header, this.pool.take(fragmentLength(k, symbolSize, header.coefficients !== null))));
    }
    encodeGeneration(this.kernel, generator, source, symbolSize, allocated.map((_, p) => p), allocated.map((a) => a.payload));
    const fragments = allocated.map((a, p): EncodedFragment => ({ packetIndex: p, bytes: a.bytes, sha256: toHex(sealFragment(a.bytes)) }));
    this.generations.push({
      sealedLength,
      symbolSize,
      fragments: fragments.map((f) => ({ packetIndex: f.packetIndex, size: f.bytes.length, sha256: f.sha256 })),
    });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.pool.give(fragments.map((f) => f.bytes));
    };
    return { index, isLast, fragments, release };
  }
}

/** Where decoding gets fragments from. Null, a rejection or wrong bytes all count as "this packet is unavailable". */
export interface FragmentSource {
  fetch(generation: number, packetIndex: number, signal: AbortSignal): Promise<Uint8Array | null>;
}

export type BadFragmentReason = 'unavailable' | 'hash-mismatch' | 'malformed' | 'header-mismatch' | 'dependent';

/**
 * Collects verified packets of one generation until k independent ones are in. It decides what is acceptable
 * (hash as in the manifest, header consistent, linearly independent); a gather strategy decides what to fetch
 * from where and when, so the scheduling of reads (hedging, location health) lives outside the codec.
 */
export class GenerationAssembler {
  readonly generation: number;
  /** Packets the manifest lists, best first: for a systematic code the data packets, which decode by copying. */
  readonly candidates: readonly number[];
  private readonly manifest: CodingManifest;
  private readonly generator: GfMatrix;
  readonly decoder: RlncDecoder;

  constructor(m: CodingManifest, generation: number) {
    const g = m.generations[generation];
    if (g === undefined) throw new CodecError('integrity-failure', `manifest has no generation ${generation}`);
    this.manifest = m;
    this.generation = generation;
    this.generator = generatorMatrix(rlncParamsOf(m), fromHex(m.coefficientSeed), generation);
    this.decoder = new RlncDecoder(m.k, g.symbolSize);
    const listed = g.fragments.map((f) => f.packetIndex).sort((a, b) => a - b);
    this.candidates = m.systematic ? [...listed.filter((p) => p < m.k), ...listed.filter((p) => p >= m.k)] : listed;
  }

  /** Packets still needed. */
  get needed(): number {
    return this.manifest.k - this.decoder.rank;
  }

  get complete(): boolean {
    return this.decoder.canDecode;
  }

  /** Verifies and takes a fetched fragment: null when accepted, else why it was not. */
  offer(packetIndex: number, bytes: Uint8Array | null): BadFragmentReason | null {
    if (bytes === null) return 'unavailable';
    const verdict = verifyFragment(this.manifest, this.generation, packetIndex, this.generator, bytes);
    if ('reason' in verdict) return verdict.reason;
    if (this.complete) return null;
    const before = this.decoder.rank;
    return this.decoder.add(matrixRow(this.generator, packetIndex), verdict.payload) === before ? 'dependent' : null;
  }
}

/** Makes the assembler complete (or throws): fetches packets of its generation from wherever they live. */
export type GatherStrategy = (assembler: GenerationAssembler, signal: AbortSignal) => Promise<void>;

export interface DecodeContext {
  readonly kernel: GfKernel;
  readonly bucketKek: Uint8Array;
  /** Told about every fragment that could not be used, so callers can flag the location and queue a repair. */
  readonly onBadFragment?: (generation: number, packetIndex: number, reason: BadFragmentReason) => void;
  readonly signal?: AbortSignal;
}

/** Half-open plaintext byte range [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

function rlncParamsOf(m: CodingManifest): RlncParams {
  return { k: m.k, r: m.r, systematic: m.systematic };
}

/** Checks a fetched fragment against the manifest; returns its payload or the reason it is unusable. */
function verifyFragment(
  m: CodingManifest,
  generation: number,
  packetIndex: number,
  generator: GfMatrix,
  bytes: Uint8Array,
): { payload: Uint8Array } | { reason: BadFragmentReason } {
  const expected = m.generations[generation]?.fragments.find((f) => f.packetIndex === packetIndex);
  let parsed;
  try {
    parsed = parseFragment(bytes);
  } catch (e) {
    return { reason: e instanceof FormatError && e.kind === 'hash-mismatch' ? 'hash-mismatch' : 'malformed' };
  }
  if (expected === undefined || toHex(parsed.hash) !== expected.sha256) return { reason: 'hash-mismatch' };
  const h = parsed.header;
  const g = m.generations[generation];
  const headerMatches =
    toHex(h.objectVersionId) === m.objectVersionId &&
    h.generationIndex === generation &&
    h.k === m.k &&
    h.packetIndex === packetIndex &&
    h.symbolSize === g?.symbolSize &&
    h.sealedLength === g.sealedLength &&
    (h.coefficients === null) === (m.coefficients === 'aside') &&
    (h.coefficients === null || Buffer.compare(h.coefficients, matrixRow(generator, packetIndex)) === 0);
  return headerMatches ? { payload: parsed.payload } : { reason: 'header-mismatch' };
}

/** Whether stored bytes are exactly the fragment the manifest recorded: null if so, else why not. Needs no key. */
export function checkFragment(m: CodingManifest, generation: number, packetIndex: number, bytes: Uint8Array): BadFragmentReason | null {
  const verdict = verifyFragment(m, generation, packetIndex, generatorMatrix(rlncParamsOf(m), fromHex(m.coefficientSeed), generation), bytes);
  return 'reason' in verdict ? verdict.reason : null;
}

/**
 * The plain strategy: ask k packets at once, in the assembler's order, and replace every one that fails.
 * Reports each unusable fragment through `onBad`.
 */
export function gatherFrom(source: FragmentSource, onBad?: DecodeContext['onBadFragment']): GatherStrategy {
  return async (assembler, signal) => {
    const candidates = assembler.candidates;
    let next = 0;
    const inFlight = new Map<number, Promise<{ packet: number; bytes: Uint8Array | null }>>();
    const launch = (): void => {
      while (inFlight.size < assembler.needed && next < candidates.length) {
        const packet = candidates[next++] ?? 0;
        inFlight.set(
          packet,
          source.fetch(assembler.generation, packet, signal).then(
            (bytes) => ({ packet, bytes }),
            () => ({ packet, bytes: null }),
          ),
        );
      }
    };
    launch();
    while (!assembler.complete && inFlight.size > 0) {
      signal.throwIfAborted();
      const { packet, bytes } = await Promise.race(inFlight.values());
      inFlight.delete(packet);
      const reason = assembler.offer(packet, bytes);
      if (reason !== null) onBad?.(assembler.generation, packet, reason);
      launch();
    }
  };
}

/**
 * Decodes an object version (or the byte range of it) as a stream of plaintext chunks, one per generation touched,
 * from any k verified fragments per generation. Holds one generation's k fragments and its plaintext at a time.
 * `from` is a FragmentSource (read with the plain strategy) or a gather strategy of the caller's.
 */
export async function* decodeObject(
  m: ObjectManifest,
  from: FragmentSource | GatherStrategy,
  ctx: DecodeContext,
  range?: ByteRange,
): AsyncGenerator<Uint8Array, void, undefined> {
  const start = range?.start ?? 0;
  const end = range?.end ?? m.size;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > m.size) {
    throw new CodecError('invalid-range', `range [${start}, ${end}) is not within the object's ${m.size} bytes`);
  }
  const gather = typeof from === 'function' ? from : gatherFrom(from, ctx.onBadFragment);
  const objectVersionId = fromHex(m.objectVersionId);
  const dek = unwrapDek(ctx.bucketKek, fromHex(m.wrappedDek), objectVersionId);
  const count = generationCount(m.size, m.generationSize);
  const first = Math.floor(start / m.generationSize);
  const last = end === start ? first - 1 : Math.floor((end - 1) / m.generationSize);
  let coded: Uint8Array | undefined;
  for (let i = first; i <= last && i < count; i++) {
    const g = m.generations[i];
    if (g === undefined) throw new CodecError('integrity-failure', `manifest has no generation ${i}`);
    const assembler = new GenerationAssembler(m, i);
    const controller = new AbortController();
    const onOuterAbort = (): void => { controller.abort(ctx.signal?.reason); };
    ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      await gather(assembler, controller.signal);
    } finally {
      ctx.signal?.removeEventListener('abort', onOuterAbort);
      controller.abort(); // whatever is still in flight for this generation is no longer needed
    }
    ctx.signal?.throwIfAborted();
    if (!assembler.complete) {
      throw new CodecError('not-enough-fragments', `generation ${i}: only ${assembler.decoder.rank} of the k = ${m.k} fragments needed could be read and verified`);
    }
    // The coded buffer is private to this call: reused across generations of the same size.
    if (coded?.length !== m.k * g.symbolSize) coded = new Uint8Array(m.k * g.symbolSize);
    assembler.decoder.decodeInto(ctx.kernel, coded);
    const span = generationSpan(m, i);
    let plain: Uint8Array;
    try {
      const packed = openGeneration(dek, { objectVersionId, generationIndex: i, isLast: i === count - 1 }, coded.subarray(0, g.sealedLength));
      plain = unpackGeneration(packed, span.end - span.start);
    } catch (e) {
      throw new CodecError('integrity-failure', `generation ${i} failed authentication or decompression: ${(e as Error).message}`);
    }
    if (plain.length !== span.end - span.start) {
      throw new CodecError('integrity-failure', `generation ${i} decoded to ${plain.length} bytes, expected ${span.end - span.start}`);
    }
    const from0 = Math.max(start, span.start) - span.start;
    const to = Math.min(end, span.end) - span.start;
    yield from0 === 0 && to === plain.length ? plain : plain.subarray(from0, to);
  }
}

/**
 * Recreates the fragment `packetIndex` of one generation from at least k other verified fragments of it. It needs
 * no key: the new payload is a linear combination of encrypted payloads, and the result is byte for byte the
 * fragment that was lost (same header, same coefficient row, same hash as in the manifest).
 */
export function recodeFragment(m: CodingManifest, generation: number, packetIndex: number, fragments: readonly Uint8Array[], kernel: GfKernel): EncodedFragment {
  const g = m.generations[generation];
  if (g === undefined) throw new CodecError('invalid-fragment', `manifest has no generation ${generation}`);
  if (!Number.isInteger(packetIndex) || packetIndex < 0 || packetIndex >= m.k + m.r) throw new CodecError('invalid-fragment', `packet index ${packetIndex} outside [0, ${m.k + m.r})`);
  const generator = generatorMatrix(rlncParamsOf(m), fromHex(m.coefficientSeed), generation);
  const packets: { coefficients: Uint8Array; payload: Uint8Array }[] = [];
  for (const bytes of fragments) {
    let header: FragmentHeader;
    try {
      header = parseFragment(bytes).header;
    } catch {
      continue;
    }
    const verdict = verifyFragment(m, generation, header.packetIndex, generator, bytes);
    if ('payload' in verdict) packets.push({ coefficients: matrixRow(generator, header.packetIndex), payload: verdict.payload });
  }
  if (packets.length < m.k) throw new CodecError('not-enough-fragments', `generation ${generation}: ${packets.length} verified fragments, need k = ${m.k} to recode`);
  const { bytes, payload } = allocateFragment({
    objectVersionId: fromHex(m.objectVersionId),
    generationIndex: generation,
    k: m.k,
    packetIndex,
    symbolSize: g.symbolSize,
    sealedLength: g.sealedLength,
    coefficients: m.coefficients === 'inline' ? matrixRow(generator, packetIndex) : null,
  });
  try {
    recodePacket(kernel, m.k, packets, matrixRow(generator, packetIndex), payload);
  } catch (e) {
    throw new CodecError('not-enough-fragments', `generation ${generation}: ${(e as Error).message}`);
  }
  return { packetIndex, bytes, sha256: toHex(sealFragment(bytes)) };
}
