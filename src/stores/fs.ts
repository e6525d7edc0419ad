// A fragment store on a local directory: one file per key, written atomically (temp file, fsync, rename, fsync dir).

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { StoreError, assertValidKey, assertValidPrefix, clipRange, throwIfAborted, type FragmentStore, type GetOptions, type StoredFragmentInfo } from './types.ts';

export interface FsStoreOptions {
  /** The directory that holds the fragments; created on the first put. */
  readonly dir: string;
  /** Bytes per write call: a put checks its signal between calls, so this bounds how late an abort is noticed. */
  readonly writeChunkBytes?: number;
}

/**
 * Temp files carry a '~', which no valid key segment may contain: a leftover from a crash can never be mistaken
 * for a fragment, and `list` skips every name outside the key alphabet.
 */
const TEMP_PREFIX = '.~tmp-';
const VALID_SEGMENT = /^[A-Za-z0-9._-]+$/;
const DEFAULT_WRITE_CHUNK = 1 << 20;
/** A concurrent delete may prune a directory between our mkdir and open; that many fresh tries before giving up. */
const CREATE_ATTEMPTS = 4;

/** Codes meaning "there is no fragment under this key" rather than "the disk failed". */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && MISSING.has(code);
}

function unavailable(operation: string, key: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError('unavailable', `fs store: ${operation} ${JSON.stringify(key)} failed (${errorCode(error) ?? String(error)})`, { cause: error });
}



/** Makes a directory entry durable. Some platforms refuse to fsync a directory; there is nothing more to do there. */
async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Key `a/b/c` is the file `<dir>/a/b/c`. One limit follows from that layout: a name cannot be a fragment and a
 * "folder" of other keys at once (`a/b` and `a/b/c`); such a put fails with 'unavailable'. Fragment names have a
 * fixed depth, so they never collide that way.
 */
export class FsStore implements FragmentStore {
  readonly #root: string;
  readonly #chunk: number;

  constructor(options: FsStoreOptions) {
    this.#root = resolve(options.dir);
    this.#chunk = options.writeChunkBytes ?? DEFAULT_WRITE_CHUNK;
    if (!Number.isSafeInteger(this.#chunk) || this.#chunk <= 0) throw new RangeError('writeChunkBytes must be a positive integer');
  }

  /** The absolute directory this store writes into. */
  get dir(): string {
    return this.#root;
  }

  #pathOf(key: string): string {
    assertValidKey(key);
    const path = resolve(this.#root, ...key.split('/'));
    // Valid keys cannot climb out, but the check is cheap and keeps it true if the key rules ever loosen.
    if (!path.startsWith(this.#root + sep)) throw new StoreError('invalid-key', `fragment key ${JSON.stringify(key)} resolves outside the store`);
    return path;
  }

  async put(key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const target = this.#pathOf(key);
    throwIfAborted(signal);
    const directory = dirname(target);
    const temp = join(directory, TEMP_PREFIX + randomBytes(8).toString('hex'));
    let handle: FileHandle | undefined;
    let committed = false;
    try {
      let created: string | undefined;
      for (let attempt = 1; handle === undefined; attempt++) {
        const made = await mkdir(directory, { recursive: true });
        if (made !== undefined && (created === undefined || made.length < created.length)) created = made;
        throwIfAborted(signal);
        try {
          handle = await open(temp, 'wx');
        } catch (error) {
          if (errorCode(error) !== 'ENOENT' || attempt >= CREATE_ATTEMPTS) throw error;
        }
      }
      for (let offset = 0; offset < bytes.length; ) {
        throwIfAborted(signal);
        const { bytesWritten } = await handle.write(bytes, offset, Math.min(this.#chunk, bytes.length - offset), offset);
        offset += bytesWritten;
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      // Past this point the new fragment replaces the old one as a whole; before it, the old one is untouched.
      throwIfAborted(signal);
      await rename(temp, target);
      committed = true;
      // A fresh directory chain needs its entries made durable too, from the first new directory's parent down.
      const toSync = [directory];
      if (created !== undefined) {
        for (let d = directory; d !== dirname(created); d = dirname(d)) toSync.push(dirname(d));
      }
      for (const d of toSync) await syncDirectory(d);
    } catch (error) {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      if (!committed) await unlink(temp).catch(() => undefined);
      throw unavailable('put', key, error);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | null> {
    const path = this.#pathOf(key);
    const { signal } = options;
    throwIfAborted(signal);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw unavailable('get', key, error);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) return null;
      const [start, end] = clipRange(options.range, info.size);
      const out = new Uint8Array(end - start);
      for (let filled = 0; filled < out.length; ) {
        throwIfAborted(signal);
        const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
        // The file shrank under us: only a foreign writer can do that, since our puts replace files whole.
        if (bytesRead === 0) throw new StoreError('unavailable', `fs store: ${JSON.stringify(key)} was truncated while being read`);
        filled += bytesRead;
      }
      throwIfAborted(signal);
      return out;
    } catch (error) {
      if (error instanceof RangeError) throw error;
      if (isMissing(error)) return null;
      throw unavailable('get', key, error);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<{ readonly size: number } | null> {
    const path = this.#pathOf(key);
    throwIfAborted(signal);
    try {
      const info = await stat(path);
      throwIfAborted(signal);
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw unavailable('head', key, error);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const path = this.#pathOf(key);
    throwIfAborted(signal);
    try {
      await unlink(path);
    } catch (error) {
      // EISDIR/EPERM: the name is a directory of other keys, so there is no fragment to remove under it.
      if (isMissing(error) || errorCode(error) === 'EPERM') return;
      throw unavailable('delete', key, error);
    }
    // Prune directories left empty, never the root itself; rmdir refuses non-empty ones, which ends the walk.
    for (let d = dirname(path); d !== this.#root && d.startsWith(this.#root + sep); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        break;
      }
    }
  }

  /**
   * Removes temporary files older than `olderThanMs` (writes a crash interrupted before their rename): they are never
   * listed or read, only disk space. Returns how many were removed. Call it when no write can still be running.
   */
  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const sweep = async (directory: string): Promise<void> => {
      const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) await sweep(path);
        else if (entry.name.startsWith(TEMP_PREFIX)) {
          const info = await stat(path).catch(() => undefined);
          if (info !== undefined && info.mtimeMs <= cutoff) {
            await unlink(path).catch(() => undefined);
            removed++;
          }
        }
      }
    };
    await sweep(this.#root);
    return removed;
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredFragmentInfo> {
    assertValidPrefix(prefix);
    throwIfAborted(signal);
    // Start at the deepest directory the prefix names in full; a trailing partial segment filters its entries.
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.#walk(base, prefix, signal);
  }

  /** Yields the keys under the directory for `keyPrefix` (which is '' or ends in '/') that start with `filter`, in order. */
  async *#walk(keyPrefix: string, filter: string, signal: AbortSignal | undefined): AsyncGenerator<StoredFragmentInfo> {
    const directory = keyPrefix === '' ? this.#root : join(this.#root, ...keyPrefix.slice(0, -1).split('/'));
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      // No directory yet means no keys; but a store directory that is a file is a broken store, not an empty one.
      if (errorCode(error) === 'ENOENT' || (keyPrefix !== '' && isMissing(error))) return;
      throw unavailable('list', keyPrefix, error);
    }
    throwIfAborted(signal);
    // Sorting a directory as "name/" makes the walk produce full keys in plain lexicographic order ('/' sorts after '-' and '.').
    const candidates = entries
      .filter((e) => VALID_SEGMENT.test(e.name) && e.name !== '.' && e.name !== '..' && (e.isFile() || e.isDirectory()))
      .map((e) => ({ name: keyPrefix + e.name + (e.isDirectory() ? '/' : ''), isDirectory: e.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of candidates) {
      if (entry.isDirectory) {
        if (entry.name.startsWith(filter) || filter.startsWith(entry.name)) yield* this.#walk(entry.name, filter, signal);
        continue;
      }
      if (!entry.name.startsWith(filter)) continue;
      let size: number;
      try {
        const info = await stat(join(this.#root, ...entry.name.split('/')));
        if (!info.isFile()) continue;
        size = info.size;
      } catch (error) {
        // Deleted since readdir: it is simply no longer listed.
        if (isMissing(error)) continue;
        throw unavailable('list', entry.name, error);
      }
      throwIfAborted(signal);
      yield { key: entry.name, size };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
