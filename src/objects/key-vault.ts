// The key vault: bucket keys kept wrapped in files apart from the metadata store, so destroying one shreds a bucket.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A metadata row's pointer to a vault entry: magic `DSPV`, version 01, the 16-byte entry id (see docs/spec/crypto.md). */
const REFERENCE_MAGIC = Buffer.from('DSPV', 'ascii');
const REFERENCE_VERSION = 1;
const ID_LENGTH = 16;
export const VAULT_REFERENCE_LENGTH = REFERENCE_MAGIC.length + 1 + ID_LENGTH;

export class VaultError extends Error {
  readonly kind: 'destroyed' | 'invalid';
  constructor(kind: 'destroyed' | 'invalid', message: string) {
    super(message);
    this.name = 'VaultError';
    this.kind = kind;
  }
}

export function isVaultReference(bytes: Uint8Array): boolean {
  return bytes.length === VAULT_REFERENCE_LENGTH && Buffer.from(bytes.subarray(0, 4)).equals(REFERENCE_MAGIC) && bytes[4] === REFERENCE_VERSION;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Entries are files `<id hex>.kek` holding a bucket key wrapped under the master key. Creating one is durable
 * (temp file, fsync, rename, directory fsync) before its reference is handed out; destroying one overwrites the
 * file with zeros, syncs, unlinks and syncs the directory.
 */
export class KeyVault {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private path(idHex: string): string {
    return join(this.dir, `${idHex}.kek`);
  }

  private idOf(reference: Uint8Array): string {
    if (!isVaultReference(reference)) throw new VaultError('invalid', 'not a key vault reference');
    return Buffer.from(reference.subarray(5)).toString('hex');
  }

  /** Stores `wrapped` (a wrapped key) and returns the reference to keep in metadata. */
  put(wrapped: Uint8Array): Uint8Array {
    const id = randomBytes(ID_LENGTH);
    const idHex = id.toString('hex');
    const target = this.path(idHex);
    const temp = `${target}.tmp`;
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, wrapped);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    fsyncDir(this.dir);
    this.cache.set(idHex, wrapped);
    return new Uint8Array(Buffer.concat([REFERENCE_MAGIC, Buffer.from([REFERENCE_VERSION]), id]));
  }

  /** The wrapped key a reference points to; VaultError 'destroyed' once the entry is gone. */
  get(reference: Uint8Array): Uint8Array {
    const idHex = this.idOf(reference);
    const cached = this.cache.get(idHex);
    if (cached !== undefined) return cached;
    const path = this.path(idHex);
    if (!existsSync(path)) throw new VaultError('destroyed', `bucket key ${idHex} is not in the key vault (destroyed by crypto-shredding, or the vault directory is not this gateway's)`);
    const wrapped = new Uint8Array(readFileSync(path));
    this.cache.set(idHex, wrapped);
    return wrapped;
  }

  /** Destroys an entry for good; a missing entry is not an error (destroying is idempotent). */
  destroy(reference: Uint8Array): void {
    const idHex = this.idOf(reference);
    this.cache.delete(idHex);
    const path = this.path(idHex);
    if (!existsSync(path)) return;
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, Buffer.alloc(statSync(path).size), 0, undefined, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(path);
    fsyncDir(this.dir);
  }
}
