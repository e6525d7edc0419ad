// Key custody of a gateway: the master key on disk (0600) or from the environment, bucket keys and API-key secrets under it.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH, WRAPPED_KEY_LENGTH, unwrapKek, unwrapKey, wrapKek, wrapKey } from '../core/crypto.ts';
import { isVaultReference, type KeyVault } from './key-vault.ts';

const encoder = new TextEncoder();

/**
 * The master key: `DISPERSA_MASTER_KEY` (64 hex digits) if set, else the file, created with mode 0600 on first
 * start. Losing it makes every object unreadable: it is the root of the key hierarchy.
 */
export function loadMasterKey(file: string, env: NodeJS.ProcessEnv): Uint8Array {
  const fromEnv = env.DISPERSA_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return parseKey(fromEnv, 'DISPERSA_MASTER_KEY');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(KEY_LENGTH).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return parseKey(readFileSync(file, 'utf8').trim(), file);
}

function parseKey(hex: string, source: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${source} must hold a 256-bit key as 64 hexadecimal digits`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export class KeyCustody {
  /**
   * Without a vault (unit tests), bucket keys are stored wrapped in the metadata row itself; with one, the row
   * holds only a reference to the vault entry, so copies of the metadata store cannot undo a crypto-shredding.
   */
  constructor(
    private readonly masterKey: Uint8Array,
    private readonly vault?: KeyVault,
  ) {}

  /** A fresh bucket key; `wrapped` is what the metadata store keeps (a vault reference when there is a vault). */
  newBucketKey(bucket: string): { kek: Uint8Array; wrapped: Uint8Array } {
    const kek = new Uint8Array(randomBytes(KEY_LENGTH));
    const wrapped = wrapKek(this.masterKey, kek, encoder.encode(bucket), new Uint8Array(randomBytes(NONCE_LENGTH)));
    return { kek, wrapped: this.vault === undefined ? wrapped : this.vault.put(wrapped) };
  }

  /** Unwraps a bucket key; throws VaultError 'destroyed' for a shredded bucket. */
  bucketKey(bucket: string, stored: Uint8Array): Uint8Array {
    const wrapped = isVaultReference(stored) ? this.requireVault().get(stored) : stored;
    return unwrapKek(this.masterKey, wrapped, encoder.encode(bucket));
  }

  /** Destroys a bucket key kept in the vault (crypto-shredding); false when the key was stored inline (legacy row). */
  destroyBucketKey(stored: Uint8Array): boolean {
    if (!isVaultReference(stored)) return false;
    this.requireVault().destroy(stored);
    return true;
  }

  private requireVault(): KeyVault {
    if (this.vault === undefined) throw new Error('this bucket key is kept in a key vault, and none is configured');
    return this.vault;
  }

  /** A new API-key secret (256 random bits, base64url) and its wrapped form. */
  newSecret(accessKeyId: string): { secret: string; wrapped: Uint8Array } {
    const raw = new Uint8Array(randomBytes(KEY_LENGTH));
    return { secret: Buffer.from(raw).toString('base64url'), wrapped: wrapKey('secret', this.masterKey, raw, encoder.encode(accessKeyId), new Uint8Array(randomBytes(NONCE_LENGTH))) };
  }

  /**
   * Seals a secret of any length given by an operator (e.g. an S3 location's secret key), bound to `context`: a
   * fresh 32-byte key wrapped under the master key (purpose `secret`), then AES-256-GCM of the secret under it.
   * Layout: wrapped key (61 bytes) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
   */
  wrapSecret(context: string, secret: string): Uint8Array {
    const dataKey = new Uint8Array(randomBytes(KEY_LENGTH));
    const wrappedKey = wrapKey('secret', this.masterKey, dataKey, encoder.encode(context), new Uint8Array(randomBytes(NONCE_LENGTH)));
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
    cipher.setAAD(encoder.encode(context));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return new Uint8Array(Buffer.concat([wrappedKey, nonce, body]));
  }

  /** The secret `wrapSecret` sealed; throws when the blob or context is wrong. */
  unwrapSecret(context: string, sealed: Uint8Array): string {
    const wrappedKey = sealed.subarray(0, WRAPPED_KEY_LENGTH);
    const nonce = sealed.subarray(WRAPPED_KEY_LENGTH, WRAPPED_KEY_LENGTH + NONCE_LENGTH);
    const rest = sealed.subarray(WRAPPED_KEY_LENGTH + NONCE_LENGTH);
    const dataKey = unwrapKey('secret', this.masterKey, wrappedKey, encoder.encode(context));
    const decipher = createDecipheriv('aes-256-gcm', dataKey, nonce);
    decipher.setAAD(encoder.encode(context));
    decipher.setAuthTag(rest.subarray(rest.length - TAG_LENGTH));
    return Buffer.concat([decipher.update(rest.subarray(0, rest.length - TAG_LENGTH)), decipher.final()]).toString('utf8');
  }

  secret(accessKeyId: string, wrapped: Uint8Array): string {
    return Buffer.from(unwrapKey('secret', this.masterKey, wrapped, encoder.encode(accessKeyId))).toString('base64url');
  }
}
