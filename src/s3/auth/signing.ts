// SigV4 primitives shared by request and chunk verification: hashing, signing-key derivation (cached), constant-time comparison.

import { Buffer } from 'node:buffer';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';
export const SCOPE_TERMINATOR = 'aws4_request';
/** SHA-256 of the empty string, hex. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The credential scope: `date/region/service/aws4_request`. */
export interface CredentialScope {
  /** YYYYMMDD */
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export function scopeString(scope: CredentialScope): string {
  return `${scope.date}/${scope.region}/${scope.service}/${SCOPE_TERMINATOR}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function deriveSigningKey(secret: string, scope: CredentialScope): Uint8Array {
  const kDate = hmacSha256(`AWS4${secret}`, scope.date);
  const kRegion = hmacSha256(kDate, scope.region);
  const kService = hmacSha256(kRegion, scope.service);
  return new Uint8Array(hmacSha256(kService, SCOPE_TERMINATOR));
}

/**
 * Derived signing keys, least recently used evicted. Keys are looked up by a hash of the secret,
 * never the secret itself, so a rotated secret derives a fresh key.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
  }

  get(secret: string, scope: CredentialScope): Uint8Array {
    const id = `${sha256Hex(secret)}/${scopeString(scope)}`;
    const hit = this.entries.get(id);
    if (hit !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const key = deriveSigningKey(secret, scope);
    this.entries.set(id, key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return key;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The lower-case hex HMAC-SHA256 of `stringToSign` under `signingKey`. */
export function signHex(signingKey: Uint8Array, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

const SIGNATURE_HEX = /^[0-9a-f]{64}$/;

/** Constant-time check of a provided hex signature against the expected one; false for anything malformed. */
export function signaturesMatch(expectedHex: string, providedHex: string): boolean {
  if (!SIGNATURE_HEX.test(providedHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(providedHex, 'hex'));
}

export function isSignatureHex(value: string): boolean {
  return SIGNATURE_HEX.test(value);
}

/** String to sign of one aws-chunked data chunk (the final, empty chunk included). */
export function chunkStringToSign(timestamp: string, scope: string, previousSignature: string, chunkSha256Hex: string): string {
  return `${CHUNK_ALGORITHM}\n${timestamp}\n${scope}\n${previousSignature}\n${EMPTY_SHA256}\n${chunkSha256Hex}`;
}

/** String to sign of the trailing headers; `trailerSha256Hex` hashes `name:value\n` for each trailer. */
export function trailerStringToSign(timestamp: string, scope: string, previousSignature: string, trailerSha256Hex: string): string {
  return `${TRAILER_ALGORITHM}\n${timestamp}\n${scope}\n${previousSignature}\n${trailerSha256Hex}`;
}
