// AES-256-GCM sealing of generations under a per-object-version data key, and key wrapping (DEK under bucket KEK, KEK under master key); byte layouts in docs/spec/crypto.md.

import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** AES-256 key length in bytes (DEK, KEK and master key alike). */
export const KEY_LENGTH = 32;
/** GCM authentication tag length in bytes; always the full 128 bits, never truncated. */
export const TAG_LENGTH = 16;
/** GCM nonce length in bytes (96 bits, the length GCM handles without an extra GHASH pass). */
export const NONCE_LENGTH = 12;
/** Object version ids are 128-bit random values. */
export const OBJECT_VERSION_ID_LENGTH = 16;
/** Generation indices are unsigned 32-bit: at most 2^32 generations per object version. */
export const MAX_GENERATIONS = 2 ** 32;
/**
 * Largest plaintext one GCM invocation may encrypt (2^39 − 256 bits, NIST SP 800-38D).
 * Generations are a few MiB, so this never binds in practice; it is checked anyway.
 */
export const MAX_GENERATION_PLAINTEXT_LENGTH = 2 ** 36 - 32;

/** Format version written into the sealed-generation AAD and the wrapped-key blob. */
export const CRYPTO_FORMAT_VERSION = 1;
/** Length of the associated data bound to every sealed generation. */
export const GENERATION_AAD_LENGTH = 26;
/** version ‖ nonce ‖ encrypted 32-byte key ‖ tag. */
export const WRAPPED_KEY_LENGTH = 1 + NONCE_LENGTH + KEY_LENGTH + TAG_LENGTH;
/** Contexts are length-prefixed with a uint16 inside the wrap AAD. */
export const MAX_WRAP_CONTEXT_LENGTH = 0xffff;

const ALGORITHM = 'aes-256-gcm';
// "DSPG": Dispersa generation. Distinct from the wrap magic so a sealed generation can never
// verify as a wrapped key (or the reverse) even if the same key were misused for both.
const GENERATION_MAGIC = Uint8Array.of(0x44, 0x53, 0x50, 0x47);
// "DSPW": Dispersa key wrap.
const WRAP_MAGIC = Uint8Array.of(0x44, 0x53, 0x50, 0x57);
const LAST_GENERATION_FLAG = 0x01;
// Cipher input is fed in slices: each slice's output is copied into the final buffer while it
// is still in cache, which measured faster than one whole-buffer update followed by one copy.
const UPDATE_SLICE = 64 * 1024;

export type CryptoErrorKind = 'invalid-argument' | 'authentication-failed' | 'unwrap-failed';

export class CryptoError extends Error {
  readonly kind: CryptoErrorKind;
  constructor(kind: CryptoErrorKind, message: string) {
    super(message);
    this.name = 'CryptoError';
    this.kind = kind;
  }
}

/** Where a generation sits: bound into the AAD so it cannot be moved, reordered or cut off unnoticed. */
export interface GenerationContext {
  /** 16 random bytes naming the object version; also the DEK-wrap context. */
  readonly objectVersionId: Uint8Array;
  /** 0 ≤ generationIndex < 2^32. */
  readonly generationIndex: number;
  /** True only for the final generation of the object version (also for a single, or empty, generation). */
  readonly isLast: boolean;
}

/** What a wrapped key is for; each purpose has its own domain string in the AAD. */
/** dek: a data key under a bucket key; kek: a bucket key under the master key; secret: an API-key secret under the master key. */
export type KeyWrapPurpose = 'dek' | 'kek' | 'secret';

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function describeLength(value: unknown): string {
  return isBytes(value) ? `${value.length} bytes` : typeof value;
}

// Inputs are re-checked at run time because callers reach these from untyped data (metadata
// rows, headers); a wrong length must surface as a typed error, not an OpenSSL message.
function assertBytesOfLength(value: unknown, length: number, what: string): void {
  if (!isBytes(value) || value.length !== length) {
    throw new CryptoError('invalid-argument', `${what} must be ${length} bytes, got ${describeLength(value)}`);
  }
}

function assertGenerationContext(ctx: GenerationContext): void {
  assertBytesOfLength(ctx.objectVersionId, OBJECT_VERSION_ID_LENGTH, 'objectVersionId');
  const index: unknown = ctx.generationIndex;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_GENERATIONS) {
    throw new CryptoError('invalid-argument', `generationIndex must be an integer in [0, 2^32), got ${String(index)}`);
  }
  const isLast: unknown = ctx.isLast;
  if (typeof isLast !== 'boolean') throw new CryptoError('invalid-argument', 'isLast must be a boolean');
}

function buildNonce(ctx: GenerationContext): Uint8Array {
  const nonce = new Uint8Array(NONCE_LENGTH);
  nonce[7] = ctx.isLast ? LAST_GENERATION_FLAG : 0;
  new DataView(nonce.buffer).setUint32(8, ctx.generationIndex, false);
  return nonce;
}

function buildAad(ctx: GenerationContext): Uint8Array {
  const aad = new Uint8Array(GENERATION_AAD_LENGTH);
  aad.set(GENERATION_MAGIC, 0);
  aad[4] = CRYPTO_FORMAT_VERSION;
  aad.set(ctx.objectVersionId, 5);
  new DataView(aad.buffer).setUint32(21, ctx.generationIndex, false);
  aad[25] = ctx.isLast ? LAST_GENERATION_FLAG : 0;
  return aad;
}

/**
 * The 96-bit nonce of a generation: 7 zero bytes ‖ flags (0x01 if last) ‖ uint32 BE index.
 * The DEK is fresh per object version, so (index, last flag) never repeats under one key. The
 * flag is in the nonce as well as the AAD so that sealing index i once as "not last" and once
 * as "last" (a writer that learns late that the stream ended) cannot reuse a nonce.
 */
export function generationNonce(ctx: GenerationContext): Uint8Array {
  assertGenerationContext(ctx);
  return buildNonce(ctx);
}

/**
 * The 26-byte AAD of a generation:
 * "DSPG" ‖ version (1) ‖ objectVersionId (16) ‖ uint32 BE generation index ‖ flags (0x01 if last).
 */
export function generationAad(ctx: GenerationContext): Uint8Array {
  assertGenerationContext(ctx);
  return buildAad(ctx);
}

/** Encrypts one generation: returns ciphertext ‖ 16-byte tag (plaintext length + 16 bytes). */
export function sealGeneration(dek: Uint8Array, ctx: GenerationContext, plaintext: Uint8Array): Uint8Array {
  if (!isBytes(plaintext)) throw new CryptoError('invalid-argument', 'plaintext must be a Uint8Array');
  const sealed = uninitializedBytes(plaintext.length + TAG_LENGTH);
  sealGenerationInto(dek, ctx, plaintext, sealed);
  return sealed;
}

/**
 * sealGeneration writing ciphertext ‖ tag into the first plaintext length + 16 bytes of `output`
 * (which may be longer, e.g. already padded for the erasure code), saving the caller a copy of
 * the whole generation. The plaintext may come in parts (e.g. a codec tag byte and a body), sealed
 * as their concatenation without building it. A single-part plaintext may be `output`'s own memory
 * at the same offset (in place) but must not otherwise overlap it. Returns the bytes written.
 */
export function sealGenerationInto(
  dek: Uint8Array,
  ctx: GenerationContext,
  plaintext: Uint8Array | readonly Uint8Array[],
  output: Uint8Array,
): number {
  assertBytesOfLength(dek, KEY_LENGTH, 'DEK');
  assertGenerationContext(ctx);
  const parts = isBytes(plaintext) ? [plaintext] : plaintext;
  if (!Array.isArray(parts) || !parts.every(isBytes)) throw new CryptoError('invalid-argument', 'plaintext must be a Uint8Array or an array of them');
  const plaintextLength = parts.reduce((sum, part) => sum + part.length, 0);
  if (plaintextLength > MAX_GENERATION_PLAINTEXT_LENGTH) {
    throw new CryptoError('invalid-argument', `generation of ${plaintextLength} bytes exceeds the GCM message limit`);
  }
  const sealedLength = plaintextLength + TAG_LENGTH;
  if (!isBytes(output) || output.length < sealedLength) {
    throw new CryptoError('invalid-argument', `output must hold at least ${sealedLength} bytes, got ${describeLength(output)}`);
  }
  const cipher = createCipheriv(ALGORITHM, dek, buildNonce(ctx), { authTagLength: TAG_LENGTH });
  cipher.setAAD(buildAad(ctx));
  let written = 0;
  for (const part of parts) {
    runSliced(part, output.subarray(written), (slice) => cipher.update(slice));
    written += part.length;
  }
  cipher.final();
  output.set(cipher.getAuthTag(), plaintextLength);
  return sealedLength;
}

/** Decrypts and verifies one generation; any mismatch of key, context or bytes → 'authentication-failed'. */
export function openGeneration(dek: Uint8Array, ctx: GenerationContext, sealed: Uint8Array): Uint8Array {
  assertBytesOfLength(dek, KEY_LENGTH, 'DEK');
  assertGenerationContext(ctx);
  if (!isBytes(sealed)) throw new CryptoError('invalid-argument', 'sealed generation must be a Uint8Array');
  if (sealed.length < TAG_LENGTH) {
    throw new CryptoError('authentication-failed', 'sealed generation is shorter than its tag');
  }
  const ciphertextLength = sealed.length - TAG_LENGTH;
  const decipher = createDecipheriv(ALGORITHM, dek, buildNonce(ctx), { authTagLength: TAG_LENGTH });
  decipher.setAAD(buildAad(ctx));
  decipher.setAuthTag(sealed.subarray(ciphertextLength));
  const plaintext = uninitializedBytes(ciphertextLength);
  runSliced(sealed.subarray(0, ciphertextLength), plaintext, (slice) => decipher.update(slice));
  try {
    decipher.final();
  } catch {
    // Never hand out unverified plaintext: the buffer is wiped and dropped with the error.
    plaintext.fill(0);
    throw new CryptoError(
      'authentication-failed',
      `generation ${ctx.generationIndex} failed authentication (wrong key, wrong object/index/last flag, or altered bytes)`,
    );
  }
  return plaintext;
}

// Zero-filling a 4 MiB buffer that the cipher overwrites entirely measured as a visible share of
// the sealing time. allocUnsafeSlow never uses the shared pool, so the returned plain Uint8Array
// owns its whole ArrayBuffer (and behaves like one: slice copies, unlike Buffer's).
function uninitializedBytes(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

// GCM is a stream mode: each update returns exactly as many bytes as it was given, which is what
// makes the output fully written (checked, since uninitialised memory must never escape).
function runSliced(input: Uint8Array, output: Uint8Array, update: (slice: Uint8Array) => Uint8Array): void {
  let written = 0;
  for (let offset = 0; offset < input.length; offset += UPDATE_SLICE) {
    const out = update(input.subarray(offset, Math.min(input.length, offset + UPDATE_SLICE)));
    output.set(out, written);
    written += out.length;
  }
  // An invariant of the cipher, not an input problem, hence a plain Error.
  if (written !== input.length) throw new Error(`AES-GCM produced ${written} bytes for ${input.length}`);
}

const WRAP_DOMAINS: Readonly<Record<KeyWrapPurpose, Uint8Array>> = {
  dek: new TextEncoder().encode('dispersa/v1/dek-under-bucket-kek'),
  kek: new TextEncoder().encode('dispersa/v1/bucket-kek-under-master-key'),
  secret: new TextEncoder().encode('dispersa/v1/access-key-secret-under-master-key'),
};

/**
 * The AAD of a wrapped key:
 * "DSPW" ‖ version (1) ‖ uint8 domain length ‖ domain ‖ uint16 BE context length ‖ context.
 * Length prefixes keep (domain, context) pairs from colliding with each other.
 */
export function wrapAad(purpose: KeyWrapPurpose, context: Uint8Array): Uint8Array {
  assertPurpose(purpose);
  assertWrapContext(context);
  const domain = WRAP_DOMAINS[purpose];
  const aad = new Uint8Array(4 + 1 + 1 + domain.length + 2 + context.length);
  aad.set(WRAP_MAGIC, 0);
  aad[4] = CRYPTO_FORMAT_VERSION;
  aad[5] = domain.length;
  aad.set(domain, 6);
  new DataView(aad.buffer).setUint16(6 + domain.length, context.length, false);
  aad.set(context, 8 + domain.length);
  return aad;
}

function assertWrapContext(context: Uint8Array): void {
  if (!isBytes(context) || context.length === 0 || context.length > MAX_WRAP_CONTEXT_LENGTH) {
    throw new CryptoError(
      'invalid-argument',
      `wrap context must be 1..${MAX_WRAP_CONTEXT_LENGTH} bytes, got ${describeLength(context)}`,
    );
  }
}

function assertPurpose(purpose: KeyWrapPurpose): void {
  if (!Object.hasOwn(WRAP_DOMAINS, purpose)) {
    throw new CryptoError('invalid-argument', `unknown key-wrap purpose ${JSON.stringify(purpose)}`);
  }
}

/**
 * Wraps a 32-byte key under a 32-byte KEK: version ‖ nonce ‖ ciphertext ‖ tag (61 bytes).
 * The nonce must be 12 fresh random bytes from the caller (the core draws no randomness);
 * with random nonces one KEK should wrap well under 2^32 keys (see docs/spec/crypto.md).
 */
export function wrapKey(
  purpose: KeyWrapPurpose,
  kek: Uint8Array,
  key: Uint8Array,
  context: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  assertPurpose(purpose);
  assertBytesOfLength(kek, KEY_LENGTH, 'wrapping key');
  assertBytesOfLength(key, KEY_LENGTH, 'key to wrap');
  assertBytesOfLength(nonce, NONCE_LENGTH, 'nonce');
  const aad = wrapAad(purpose, context);
  const cipher = createCipheriv(ALGORITHM, kek, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const wrapped = new Uint8Array(WRAPPED_KEY_LENGTH);
  wrapped[0] = CRYPTO_FORMAT_VERSION;
  wrapped.set(nonce, 1);
  let offset = 1 + NONCE_LENGTH;
  const body = cipher.update(key);
  wrapped.set(body, offset);
  offset += body.length;
  cipher.final();
  wrapped.set(cipher.getAuthTag(), offset);
  return wrapped;
}

/** Inverse of wrapKey; wrong KEK, purpose or context, or any altered byte → 'unwrap-failed'. */
export function unwrapKey(purpose: KeyWrapPurpose, kek: Uint8Array, wrapped: Uint8Array, context: Uint8Array): Uint8Array {
  assertPurpose(purpose);
  assertBytesOfLength(kek, KEY_LENGTH, 'wrapping key');
  if (!isBytes(wrapped)) throw new CryptoError('invalid-argument', 'wrapped key must be a Uint8Array');
  const aad = wrapAad(purpose, context);
  // A stored blob of the wrong shape is damaged data, not a programming error: same kind as a bad tag.
  if (wrapped.length !== WRAPPED_KEY_LENGTH) {
    throw new CryptoError('unwrap-failed', `wrapped key must be ${WRAPPED_KEY_LENGTH} bytes, got ${wrapped.length}`);
  }
  if (wrapped[0] !== CRYPTO_FORMAT_VERSION) {
    throw new CryptoError('unwrap-failed', `unsupported wrapped-key version ${String(wrapped[0])}`);
  }
  const nonce = wrapped.subarray(1, 1 + NONCE_LENGTH);
  const ciphertext = wrapped.subarray(1 + NONCE_LENGTH, 1 + NONCE_LENGTH + KEY_LENGTH);
  const tag = wrapped.subarray(1 + NONCE_LENGTH + KEY_LENGTH);
  const decipher = createDecipheriv(ALGORITHM, kek, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const key = new Uint8Array(KEY_LENGTH);
  key.set(decipher.update(ciphertext));
  try {
    decipher.final();
  } catch {
    key.fill(0);
    throw new CryptoError('unwrap-failed', `${purpose} unwrap failed (wrong wrapping key, wrong context, or altered blob)`);
  }
  return key;
}

/** Wraps an object version's DEK under its bucket's KEK, bound to the object version id. */
export function wrapDek(bucketKek: Uint8Array, dek: Uint8Array, objectVersionId: Uint8Array, nonce: Uint8Array): Uint8Array {
  assertBytesOfLength(objectVersionId, OBJECT_VERSION_ID_LENGTH, 'objectVersionId');
  return wrapKey('dek', bucketKek, dek, objectVersionId, nonce);
}

export function unwrapDek(bucketKek: Uint8Array, wrapped: Uint8Array, objectVersionId: Uint8Array): Uint8Array {
  assertBytesOfLength(objectVersionId, OBJECT_VERSION_ID_LENGTH, 'objectVersionId');
  return unwrapKey('dek', bucketKek, wrapped, objectVersionId);
}

/** Wraps a bucket's KEK under the master key, bound to the bucket id bytes. */
export function wrapKek(masterKey: Uint8Array, kek: Uint8Array, bucketId: Uint8Array, nonce: Uint8Array): Uint8Array {
  return wrapKey('kek', masterKey, kek, bucketId, nonce);
}

export function unwrapKek(masterKey: Uint8Array, wrapped: Uint8Array, bucketId: Uint8Array): Uint8Array {
  return unwrapKey('kek', masterKey, wrapped, bucketId);
}
