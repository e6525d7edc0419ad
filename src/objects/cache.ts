// The optional local-disk cache of whole plaintext objects (SkyFlok's file cache, made safe): keyed by object version
// id, verified before a byte is served, LRU-evicted, optionally encrypted under a gateway-local key. Off by default.

import { createCipheriv, createDecipheriv, createHash, randomBytes, type CipherGCM } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, statfs as nodeStatfs, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CacheService, CacheSettings, CacheStats } from './cache-settings.ts';
import { ControlError } from './control-error.ts';
import type { MetadataStore } from '../meta/types.ts';

/*
 * On disk, one file per cached object version, named by its version id, in a directory only the gateway's user
 * may open (0700, files 0600). The index (version id → bucket, key, content type, size, SHA-256, last use) lives
 * only in memory: every file is deleted when the cache opens and when it closes, so nothing on disk is trusted.
 *
 *   encrypt off:  the object's plaintext, as is
 *   encrypt on:   0x01 (layout version) ‖ nonce (12 random bytes) ‖ AES-256-GCM ciphertext ‖ tag (16)
 *                 under the key in `cache.key` (64 hex digits, 0600), associated data "dispersa-cache v1"
 *
 * A file is served only when its size, its GCM tag (encrypted) and the SHA-256 of its plaintext match the index;
 * the index was filled from the bytes as they streamed by, so a file altered or swapped on disk is never served.
 */

export const CACHE_SETTING = 'cache';
const GIB = 1024 ** 3;

export const DEFAULT_CACHE_SETTINGS: CacheSettings = {
  enabled: false,
  maxSizeBytes: GIB,
  minFreeDiskBytes: GIB,
  maxFileSizeBytes: 64 * 1024 ** 2,
  mimeBlacklist: [],
  readThrough: true,
  encrypt: false,
};

/** A cached object is read whole into memory and verified before it is served: this bounds maxFileSizeBytes. */
export const MAX_CACHED_FILE_BYTES = GIB;
/** Bytes a fill may have queued for the disk; a disk slower than the request makes the fill give up, not the request wait. */
const MAX_PENDING_BYTES = 16 * 1024 ** 2;
/** Version ids recently deleted or replaced: a fill finishing late must not bring them back. */
const TOMBSTONES = 4096;
const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const ENCRYPTED_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
const AAD = Buffer.from('dispersa-cache v1');
const SERVE_CHUNK = 1024 * 1024;
/** What a cache file may be named: the hex version ids the object service makes. */
const VERSION_ID = /^[0-9a-f]{8,128}$/;
const TEMP_PREFIX = '.fill-';
/** A MIME type token (RFC 6838 restricted-name). */
const MIME_TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
/** S3 answers this content type for an object stored without one. */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

// ---- settings

type FieldKind = 'boolean' | 'bytes' | 'file-bytes' | 'mime-list';
const FIELDS: Record<keyof CacheSettings, { readonly snake: string; readonly kind: FieldKind }> = {
  enabled: { snake: 'enabled', kind: 'boolean' },
  maxSizeBytes: { snake: 'max_size_bytes', kind: 'bytes' },
  minFreeDiskBytes: { snake: 'min_free_disk_bytes', kind: 'bytes' },
  maxFileSizeBytes: { snake: 'max_file_size_bytes', kind: 'file-bytes' },
  mimeBlacklist: { snake: 'mime_blacklist', kind: 'mime-list' },
  readThrough: { snake: 'read_through', kind: 'boolean' },
  encrypt: { snake: 'encrypt', kind: 'boolean' },
};
const MAX_BLACKLIST = 256;

type FieldError = { path: string; message: string };

/** `Type/Sub; charset=x` → `type/sub`; undefined when it is no MIME type. */
function mimeOf(value: string): string | undefined {
  const [type, subtype, ...rest] = (value.split(';')[0] ?? '').trim().toLowerCase().split('/');
  if (type === undefined || subtype === undefined || rest.length > 0 || !MIME_TOKEN.test(type)) return undefined;
  return subtype === '*' || MIME_TOKEN.test(subtype) ? `${type}/${subtype}` : undefined;
}

/** Whether a Content-Type (parameters ignored, case-insensitive) is on the list of `type/subtype` and `type/*` entries. */
export function isBlacklisted(contentType: string | undefined, blacklist: readonly string[]): boolean {
  const mime = mimeOf(contentType ?? DEFAULT_CONTENT_TYPE) ?? (contentType ?? '').trim().toLowerCase();
  const type = mime.split('/')[0];
  return blacklist.some((entry) => entry === mime || entry === `${type}/*`);
}

function checkField(name: keyof CacheSettings, path: string, value: unknown, errors: FieldError[]): unknown {
  switch (FIELDS[name].kind) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      errors.push({ path, message: `${path} must be true or false, got ${JSON.stringify(value)}` });
      return undefined;
    case 'bytes':
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
      errors.push({ path, message: `${path} must be a whole number of bytes >= 0, got ${JSON.stringify(value)}` });
      return undefined;
    case 'file-bytes':
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_CACHED_FILE_BYTES) return value;
      errors.push({ path, message: `${path} must be a whole number of bytes from 0 to ${MAX_CACHED_FILE_BYTES} (a cached object is verified in memory before it is served), got ${JSON.stringify(value)}` });
      return undefined;
    case 'mime-list': {
      if (!Array.isArray(value)) {
        errors.push({ path, message: `${path} must be a list of MIME types (type/subtype or type/*), got ${JSON.stringify(value)}` });
        return undefined;
      }
      if (value.length > MAX_BLACKLIST) {
        errors.push({ path, message: `${path} may hold at most ${MAX_BLACKLIST} MIME types, got ${value.length}` });
        return undefined;
      }
      const list: string[] = [];
      value.forEach((entry: unknown, i) => {
        const mime = typeof entry === 'string' ? mimeOf(entry) : undefined;
        if (mime === undefined) errors.push({ path: `${path}[${i}]`, message: `${path}[${i}] must be a MIME type as type/subtype or type/*, got ${JSON.stringify(entry)}` });
        else if (!list.includes(mime)) list.push(mime);
      });
      return list;
    }
  }
}

/**
 * Validates `change` (camelCase names, or the admin API's snake_case ones) over `base`. Throws ControlError
 * `invalid` listing every bad field, by the name it was given under; returns complete settings otherwise.
 */
export function parseCacheSettings(change: unknown, base: CacheSettings = DEFAULT_CACHE_SETTINGS): CacheSettings {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    throw new ControlError('invalid', 'cache settings must be an object', [{ path: '', message: `cache settings must be an object, got ${JSON.stringify(change)}` }]);
  }
  const input = change as Readonly<Record<string, unknown>>;
  const errors: FieldError[] = [];
  const next: Record<string, unknown> = { ...base };
  const given: Partial<Record<keyof CacheSettings, string>> = {};
  const bySnake = new Map(Object.entries(FIELDS).map(([camel, f]) => [f.snake, camel as keyof CacheSettings]));
  for (const [path, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const name = Object.hasOwn(FIELDS, path) ? (path as keyof CacheSettings) : bySnake.get(path);
    if (name === undefined) {
      errors.push({ path, message: `${path} is not a cache setting (known: ${Object.keys(FIELDS).join(', ')})` });
      continue;
    }
    const earlier = given[name];
    if (earlier !== undefined) {
      errors.push({ path, message: `${earlier} and ${path} name the same setting: give it once` });
      continue;
    }
    given[name] = path;
    const checked = checkField(name, path, value, errors);
    if (checked !== undefined) next[name] = checked;
  }
  const first = errors[0];
  if (first !== undefined) throw new ControlError('invalid', `invalid cache settings: ${first.message}`, errors);
  // maxFileSizeBytes above maxSizeBytes is allowed: an object larger than the whole cache is simply not cached.
  return next as unknown as CacheSettings;
}

/** The cache key: 64 hex digits in `file`, created 0600 on first use (never leaves this gateway). */
export async function loadCacheKey(file: string): Promise<Buffer> {
  try {
    await writeFile(file, randomBytes(KEY_BYTES).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await chmod(file, 0o600);
  const hex = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${file} must hold a 256-bit key as 64 hexadecimal digits`);
  return Buffer.from(hex, 'hex');
}

// ---- the cache

export interface ObjectCacheStats extends CacheStats {
  /** Fills given up because writing the cache failed (the request itself went on). */
  readonly failures: number;
}

/** The object version a read or a read-through is about (an ObjectVersion fits). */
export interface CachedVersionRef {
  readonly versionId: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly headers?: { readonly contentType?: string };
}

/** A body being teed into the cache while it streams into the object service. */
export interface CacheFill {
  /** The same bytes, teed into a temporary file; the fill is complete only when `body` ended normally. */
  pass(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined>;
  /** Once the version is committed: the file goes into place in the background. Not complete → discarded. */
  commit(versionId: string): void;
  /** The write failed or was refused: the temporary file goes (nothing once committed). */
  discard(): void;
}

export type StatFs = (path: string) => Promise<{ readonly bavail: number; readonly bsize: number }>;

export interface ObjectCacheOptions {
  /** The cache's own directory; every file in it named like a cache file is deleted when the cache opens. */
  readonly dir: string;
  /** The config file's values (camelCase or snake_case) over the defaults; stored settings win over them. */
  readonly settings?: Readonly<Record<string, unknown>> | Partial<CacheSettings>;
  /** Stored settings are read from (and updates written to) the setting `cache`; `sweepStale` asks it what is current. */
  readonly meta?: Pick<MetadataStore, 'getSetting' | 'putSetting' | 'getObject'>;
  /** Persists updated settings instead of `meta`. */
  readonly persist?: (settings: CacheSettings) => Promise<void>;
  /** Default `<dir>/../cache.key`. */
  readonly localKeyFile?: string;
  /** Free space of the cache's file system (tests inject one). */
  readonly statfs?: StatFs;
  readonly now?: () => number;
  /** Told about cache failures; never shown to clients. */
  readonly onError?: (error: unknown) => void;
}

interface Entry {
  readonly versionId: string;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string | undefined;
  /** Plaintext bytes. */
  readonly size: number;
  /** Bytes of the file (what maxSizeBytes counts). */
  readonly fileBytes: number;
  readonly sha256: Buffer;
  readonly encrypted: boolean;
  lastUsed: number;
}

interface FillTarget {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string | undefined;
  /** Known for a read-through. */
  readonly versionId?: string;
  readonly size?: number;
}

type FillState = 'open' | 'complete' | 'committing' | 'done' | 'dropped';

/** What a fill needs from its cache. */
interface FillHost {
  readonly dir: string;
  /** Throws NoSpace when `reserve` more bytes would take the disk below minFreeDiskBytes. */
  ensureSpace(reserve: number, fill: Fill): Promise<void>;
  /** Whether `versionId` may be filled by this fill (no entry, no other fill, not forgotten). */
  claim(fill: Fill, versionId: string): boolean;
  /** Takes the renamed file into the index; false when it may not be kept (then the fill deletes it). */
  admit(fill: Fill, entry: Entry): boolean;
  /** The fill is over (done or dropped, its files settled). */
  release(fill: Fill, failure: unknown): void;
}

class NoSpace extends Error {}

function key2(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Plaintext teed into a temporary file behind the stream: writes are queued, never awaited by the request. */
class Fill implements CacheFill {
  versionId: string | undefined;
  state: FillState = 'open';
  private readonly hash = createHash('sha256');
  private readonly cipher: CipherGCM | undefined;
  private readonly nonce: Buffer | undefined;
  private written = 0;
  private pendingBytes = 0;
  private position = 0;
  private handle: FileHandle | undefined;
  /** The cache file once renamed into place (deleted with the fill when the index does not take it). */
  private placed: string | undefined;
  private failure: unknown;
  /** Every file operation of this fill, in order; never rejects. */
  queue: Promise<void>;

  constructor(
    private readonly host: FillHost,
    readonly target: FillTarget,
    readonly tempPath: string,
    /** Most plaintext bytes this fill may hold. */
    private readonly limit: number,
    /** Bytes it may come to take on disk, for the free-space floor. */
    readonly reserve: number,
    key: Buffer | undefined,
  ) {
    this.versionId = target.versionId;
    if (key !== undefined) {
      this.nonce = randomBytes(NONCE_BYTES);
      this.cipher = createCipheriv('aes-256-gcm', key, this.nonce);
      this.cipher.setAAD(AAD);
    }
    this.queue = Promise.resolve();
    this.step(async () => {
      await host.ensureSpace(reserve, this);
      if (this.state === 'dropped') return;
      this.handle = await open(tempPath, 'wx', 0o600);
      if (this.nonce !== undefined) await this.append(Buffer.concat([Buffer.of(FORMAT_VERSION), this.nonce]));
    });
  }

  get encrypted(): boolean {
    return this.cipher !== undefined;
  }

  private step(action: () => Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.state === 'dropped' ? undefined : action()))
      .catch((error: unknown) => { this.drop(error instanceof NoSpace ? undefined : error); });
  }

  private async append(data: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error('cache fill has no open file');
    for (let offset = 0; offset < data.length; ) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
  }

  private write(chunk: Uint8Array): void {
    if (this.state !== 'open') return;
    this.written += chunk.length;
    if (this.written > this.limit) {
      this.drop(undefined);
      return;
    }
    this.hash.update(chunk);
    // A copy (or the ciphertext): the producer may reuse its buffer once the chunk is passed on.
    const data = this.cipher === undefined ? Buffer.from(chunk) : this.cipher.update(chunk);
    this.pendingBytes += data.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) {
      this.drop(new Error(`the cache disk fell ${MAX_PENDING_BYTES} bytes behind a request; that object is not cached`));
      return;
    }
    this.step(async () => {
      await this.append(data);
      this.pendingBytes -= data.length;
    });
  }

  async *pass(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
    let whole = false;
    try {
      for await (const chunk of body) {
        this.write(chunk);
        yield chunk;
      }
      whole = true;
    } finally {
      if (!whole) this.drop(undefined);
      else if (this.state === 'open') {
        if (this.target.size !== undefined && this.written !== this.target.size) this.drop(undefined);
        else this.state = 'complete';
      }
    }
  }

  commit(versionId: string): void {
    if (this.state !== 'complete' || (this.versionId !== undefined && this.versionId !== versionId) || !this.host.claim(this, versionId)) {
      this.drop(undefined);
      return;
    }
    this.versionId = versionId;
    this.state = 'committing';
    const sha256 = this.hash.digest();
    const size = this.written;
    this.step(async () => {
      if (this.cipher !== undefined) await this.append(Buffer.concat([this.cipher.final(), this.cipher.getAuthTag()]));
      await this.handle?.close();
      this.handle = undefined;
      // The file is on disk already: the disk must still be above its floor.
      await this.host.ensureSpace(0, this);
      if (this.state !== 'committing') return;
      const path = join(this.host.dir, versionId);
      await rename(this.tempPath, path);
      const entry: Entry = { versionId, bucket: this.target.bucket, key: this.target.key, contentType: this.target.contentType, size, fileBytes: this.position, sha256, encrypted: this.encrypted, lastUsed: 0 };
      this.placed = path;
      if (this.host.admit(this, entry)) {
        this.state = 'done';
        this.host.release(this, undefined);
      } else {
        this.drop(undefined);
      }
    });
  }

  discard(): void {
    if (this.state === 'open' || this.state === 'complete') this.drop(undefined);
  }

  /** Gives up (a failure is counted and reported); the temporary file goes once queued operations settled. */
  drop(failure: unknown): void {
    if (this.state === 'dropped' || this.state === 'done') return;
    this.state = 'dropped';
    this.failure = failure;
    this.queue = this.queue.then(async () => {
      try {
        await this.handle?.close();
        this.handle = undefined;
      } catch (error) {
        this.failure ??= error;
      }
      for (const path of [this.tempPath, this.placed]) {
        if (path !== undefined) await unlink(path).catch((error: unknown) => { if (!isMissing(error)) this.failure ??= error; });
      }
      this.host.release(this, this.failure);
    });
  }
}

/** Verified bytes served a slice at a time. */
function chunksOf(bytes: Buffer): AsyncIterable<Uint8Array> {
  const slices = (function* () {
    for (let offset = 0; offset < bytes.length; offset += SERVE_CHUNK) yield bytes.subarray(offset, offset + SERVE_CHUNK);
  })();
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.resolve(slices.next()),
      return: () => Promise.resolve(slices.return(undefined)),
    }),
  };
}

/**
 * The cache behind the object service. It is asked only after the object service authorised the caller and found
 * the current version, and it answers only for that exact version id, bucket, key and size.
 */
export class ObjectCache implements CacheService {
  private current: CacheSettings;
  private key: Buffer | undefined;
  /** In LRU order: the least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private readonly byKey = new Map<string, string>();
  private readonly fills = new Set<Fill>();
  private readonly claims = new Map<string, Fill>();
  private readonly tombstones = new Set<string>();
  private readonly unlinking = new Map<string, Promise<void>>();
  private bytes = 0;
  private counters = { hits: 0, misses: 0, evictions: 0, corruptions: 0, failures: 0 };
  private updating: Promise<unknown> = Promise.resolve();
  private readonly host: FillHost;

  private constructor(
    private readonly o: ObjectCacheOptions & { readonly localKeyFile: string; readonly statfs: StatFs; readonly now: () => number; readonly onError: (error: unknown) => void },
    settings: CacheSettings,
    key: Buffer | undefined,
  ) {
    this.current = settings;
    this.key = key;
    this.host = {
      dir: o.dir,
      ensureSpace: (reserve, fill) => this.ensureSpace(reserve, fill),
      claim: (fill, versionId) => this.claim(fill, versionId),
      admit: (fill, entry) => this.admit(fill, entry),
      release: (fill, failure) => { this.release(fill, failure); },
    };
  }

  /** Opens the cache: its directory (0700) emptied of cache files, settings from the store, the config, the defaults. */
  static async open(options: ObjectCacheOptions): Promise<ObjectCache> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await chmod(options.dir, 0o700);
    await removeCacheFiles(options.dir);
    let settings = parseCacheSettings(options.settings ?? {});
    const stored = await options.meta?.getSetting(CACHE_SETTING);
    if (stored !== undefined && stored !== null) settings = parseCacheSettings(stored, settings);
    const localKeyFile = options.localKeyFile ?? join(dirname(options.dir), 'cache.key');
    const key = settings.encrypt ? await loadCacheKey(localKeyFile) : undefined;
    return new ObjectCache(
      { ...options, localKeyFile, statfs: options.statfs ?? ((path) => nodeStatfs(path)), now: options.now ?? Date.now, onError: options.onError ?? (() => undefined) },
      settings,
      key,
    );
  }

  settings(): CacheSettings {
    return this.current;
  }

  stats(): ObjectCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, ...this.counters };
  }

  /** Validates, persists, then applies; turning the cache off or switching `encrypt` empties it. */
  update(change: Partial<CacheSettings> | Readonly<Record<string, unknown>>): Promise<CacheSettings> {
    const run = this.updating.then(async () => {
      const next = parseCacheSettings(change, this.current);
      if (next.encrypt && this.key === undefined) {
        try {
          this.key = await loadCacheKey(this.o.localKeyFile);
        } catch (error) {
          throw new ControlError('unavailable', `the cache key could not be read or created: ${(error as Error).message}`, [{ path: 'encrypt', message: 'the cache key file is unusable' }]);
        }
      }
      const persist = this.o.persist ?? (this.o.meta === undefined ? undefined : (s: CacheSettings) => this.o.meta?.putSetting(CACHE_SETTING, s));
      await persist?.(next);
      this.apply(next);
      return next;
    });
    this.updating = run.catch(() => undefined);
    return run;
  }

  /** Applies the settings stored by another gateway (no persisting); false when none are stored. */
  reloadSettings(): Promise<boolean> {
    const run = this.updating.then(async () => {
      const stored = await this.o.meta?.getSetting(CACHE_SETTING);
      if (stored === undefined || stored === null) return false;
      const next = parseCacheSettings(stored, this.current);
      if (next.encrypt && this.key === undefined) this.key = await loadCacheKey(this.o.localKeyFile);
      this.apply(next);
      return true;
    });
    this.updating = run.catch(() => undefined);
    return run;
  }

  private apply(next: CacheSettings): void {
    const previous = this.current;
    this.current = next;
    if (!next.enabled || next.encrypt !== previous.encrypt) {
      this.removeWhere(() => true);
      for (const fill of [...this.fills]) fill.drop(undefined);
      return;
    }
    this.removeWhere((e) => e.size > next.maxFileSizeBytes || isBlacklisted(e.contentType, next.mimeBlacklist));
    this.evictFor(0);
  }

  /**
   * A fill for a PUT's body (its size not known yet), or undefined when the object may not be cached. Pass the
   * body through it, `commit` with the version id once committed; anything else discards it.
   */
  fill(target: { readonly bucket: string; readonly key: string; readonly contentType: string | undefined }): CacheFill | undefined {
    return this.startFill(target);
  }

  /** The cached bytes of this exact version ([start, end) of them with a range), verified; undefined on a miss. */
  async read(version: CachedVersionRef, range?: { readonly start: number; readonly end: number }): Promise<AsyncIterable<Uint8Array> | undefined> {
    if (!this.current.enabled) return undefined;
    const entry = this.entries.get(version.versionId);
    if (entry?.bucket !== version.bucket || entry.key !== version.key || entry.size !== version.size) {
      this.counters.misses++;
      return undefined;
    }
    this.entries.delete(entry.versionId);
    this.entries.set(entry.versionId, entry);
    entry.lastUsed = this.o.now();
    let raw: Buffer;
    try {
      raw = await readFile(join(this.o.dir, entry.versionId));
    } catch (error) {
      if (!isMissing(error)) this.o.onError(error);
      if (this.entries.get(entry.versionId) === entry) this.remove(entry);
      this.counters.misses++;
      return undefined;
    }
    // Forgotten (deleted, replaced, purged) while it was read.
    if (this.entries.get(entry.versionId) !== entry) {
      this.counters.misses++;
      return undefined;
    }
    const plaintext = this.verified(entry, raw);
    if (plaintext === undefined) {
      this.counters.corruptions++;
      this.counters.misses++;
      this.remove(entry);
      this.o.onError(new Error(`cache file of object version ${entry.versionId} failed verification and was deleted`));
      return undefined;
    }
    this.counters.hits++;
    return chunksOf(range === undefined ? plaintext : plaintext.subarray(Math.max(0, range.start), Math.min(plaintext.length, range.end)));
  }

  /** The whole decoded body of `version`, teed into the cache when read-through is on (kept only if read to its end). */
  readThrough(version: CachedVersionRef, body: AsyncGenerator<Uint8Array, void, undefined>): AsyncGenerator<Uint8Array, void, undefined> {
    const fill = this.current.readThrough
      ? this.startFill({ bucket: version.bucket, key: version.key, contentType: version.headers?.contentType, versionId: version.versionId, size: version.size })
      : undefined;
    if (fill === undefined) return body;
    const teed = (async function* () {
      yield* fill.pass(body);
      fill.commit(version.versionId);
    })();
    // Ended before it started (a copy refused, a client gone), a generator runs no `finally`: discard here.
    return {
      next: () => teed.next(),
      return: (value) => {
        fill.discard();
        return teed.return(value);
      },
      throw: (error: unknown) => {
        fill.discard();
        return teed.throw(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** A version was replaced or deleted: its file goes, and no fill may bring it back. */
  forgetVersion(versionId: string): void {
    this.tombstones.add(versionId);
    if (this.tombstones.size > TOMBSTONES) {
      const oldest = this.tombstones.values().next();
      if (oldest.done !== true) this.tombstones.delete(oldest.value);
    }
    const entry = this.entries.get(versionId);
    if (entry !== undefined) this.remove(entry);
    this.claims.get(versionId)?.drop(undefined);
  }

  /** Every cached version of a key goes, and fills of it in progress are dropped. */
  forgetKey(bucket: string, key: string): void {
    const id = this.byKey.get(key2(bucket, key));
    const entry = id === undefined ? undefined : this.entries.get(id);
    if (entry !== undefined) this.remove(entry);
    for (const fill of this.fills) if (fill.target.bucket === bucket && fill.target.key === key) fill.drop(undefined);
  }

  /** Removes every cached object of a bucket (call it when the bucket is crypto-shredded); resolves once the files are gone. */
  async purgeBucket(bucket: string): Promise<number> {
    const removed = this.removeWhere((e) => e.bucket === bucket);
    const dropped = [...this.fills].filter((f) => f.target.bucket === bucket);
    for (const fill of dropped) fill.drop(undefined);
    await Promise.all([...this.unlinking.values(), ...dropped.map((f) => f.queue)]);
    return removed;
  }

  /** Drops entries whose version is no longer the current one of its key (e.g. changed through another gateway). */
  async sweepStale(): Promise<number> {
    const meta = this.o.meta;
    if (meta === undefined) return 0;
    let removed = 0;
    for (const entry of [...this.entries.values()]) {
      const current = await meta.getObject(entry.bucket, entry.key);
      if (current?.versionId !== entry.versionId && this.entries.get(entry.versionId) === entry) {
        this.remove(entry);
        removed++;
      }
    }
    return removed;
  }

  /** Resolves once no fill is being committed or discarded and no file deletion is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const settling = [...this.fills].filter((f) => f.state === 'committing' || f.state === 'dropped').map((f) => f.queue);
      if (settling.length === 0 && this.unlinking.size === 0) return;
      await Promise.all([...settling, ...this.unlinking.values()]);
    }
  }

  /** Empties the cache (nothing plaintext stays on disk after a clean stop). */
  async close(): Promise<void> {
    this.removeWhere(() => true);
    for (const fill of [...this.fills]) fill.drop(undefined);
    await this.idle();
    await removeCacheFiles(this.o.dir);
  }

  // ---- internals

  private startFill(target: FillTarget): Fill | undefined {
    const s = this.current;
    if (!s.enabled || isBlacklisted(target.contentType, s.mimeBlacklist)) return undefined;
    if (target.size !== undefined && target.size > s.maxFileSizeBytes) return undefined;
    if (s.encrypt && this.key === undefined) return undefined;
    const limit = Math.min(s.maxFileSizeBytes, target.size ?? Number.POSITIVE_INFINITY);
    const reserve = limit + (s.encrypt ? ENCRYPTED_OVERHEAD : 0);
    const fill = new Fill(this.host, target, join(this.o.dir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`), limit, reserve, s.encrypt ? this.key : undefined);
    this.fills.add(fill);
    if (target.versionId !== undefined && !this.claim(fill, target.versionId)) fill.drop(undefined);
    return fill.state === 'dropped' ? undefined : fill;
  }

  private async ensureSpace(reserve: number, fill: Fill): Promise<void> {
    const fs = await this.o.statfs(this.o.dir);
    let reserved = 0;
    for (const other of this.fills) if (other !== fill && other.state !== 'dropped') reserved += other.reserve;
    if (fs.bavail * fs.bsize - reserved - reserve < this.current.minFreeDiskBytes) throw new NoSpace();
  }

  private claim(fill: Fill, versionId: string): boolean {
    const holder = this.claims.get(versionId);
    if (holder === fill) return true;
    if (!VERSION_ID.test(versionId) || holder !== undefined || this.entries.has(versionId) || this.tombstones.has(versionId) || this.unlinking.has(versionId)) return false;
    this.claims.set(versionId, fill);
    return true;
  }

  private admit(fill: Fill, entry: Entry): boolean {
    const s = this.current;
    // Dropped (forgotten, purged, settings changed) while its file was being put in place.
    if (fill.state !== 'committing') return false;
    if (!s.enabled || fill.encrypted !== s.encrypt || this.tombstones.has(entry.versionId)) return false;
    if (entry.size > s.maxFileSizeBytes || entry.fileBytes > s.maxSizeBytes || isBlacklisted(entry.contentType, s.mimeBlacklist)) return false;
    // One version per key: an older (or, after a race, a newer but unservable) one makes room.
    const other = this.byKey.get(key2(entry.bucket, entry.key));
    const previous = other === undefined ? undefined : this.entries.get(other);
    if (previous !== undefined) this.remove(previous);
    this.evictFor(entry.fileBytes);
    entry.lastUsed = this.o.now();
    this.entries.set(entry.versionId, entry);
    this.byKey.set(key2(entry.bucket, entry.key), entry.versionId);
    this.bytes += entry.fileBytes;
    return true;
  }

  private release(fill: Fill, failure: unknown): void {
    this.fills.delete(fill);
    if (fill.versionId !== undefined && this.claims.get(fill.versionId) === fill) this.claims.delete(fill.versionId);
    if (failure !== undefined) {
      this.counters.failures++;
      this.o.onError(failure);
    }
  }

  /** Evicts least recently used entries until `incoming` more bytes fit under maxSizeBytes. */
  private evictFor(incoming: number): void {
    for (const entry of this.entries.values()) {
      if (this.bytes + incoming <= this.current.maxSizeBytes) return;
      this.remove(entry);
      this.counters.evictions++;
    }
  }

  private removeWhere(test: (entry: Entry) => boolean): number {
    const doomed = [...this.entries.values()].filter(test);
    for (const entry of doomed) this.remove(entry);
    return doomed.length;
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.versionId);
    const k = key2(entry.bucket, entry.key);
    if (this.byKey.get(k) === entry.versionId) this.byKey.delete(k);
    this.bytes -= entry.fileBytes;
    const id = entry.versionId;
    const done = unlink(join(this.o.dir, id))
      .catch((error: unknown) => { if (!isMissing(error)) this.o.onError(error); })
      .finally(() => { if (this.unlinking.get(id) === done) this.unlinking.delete(id); });
    this.unlinking.set(id, done);
  }

  /** The plaintext of a cache file if it is exactly what was cached; undefined otherwise. */
  private verified(entry: Entry, raw: Buffer): Buffer | undefined {
    let plaintext = raw;
    if (entry.encrypted) {
      if (this.key === undefined || raw.length !== entry.size + ENCRYPTED_OVERHEAD || raw[0] !== FORMAT_VERSION) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(1, 1 + NONCE_BYTES));
        decipher.setAAD(AAD);
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        plaintext = Buffer.concat([decipher.update(raw.subarray(1 + NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      } catch {
        return undefined;
      }
    }
    if (plaintext.length !== entry.size) return undefined;
    return createHash('sha256').update(plaintext).digest().equals(entry.sha256) ? plaintext : undefined;
  }
}

/** Deletes what a cache left in its directory (cache files and temporary files; nothing else). */
async function removeCacheFiles(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isFile() && (VERSION_ID.test(e.name) || e.name.startsWith(TEMP_PREFIX))) await unlink(join(dir, e.name)).catch((error: unknown) => { if (!isMissing(error)) throw error; });
  }
}

/** Opens the object cache for the composition root (see ObjectCacheOptions). */
export function openObjectCache(options: ObjectCacheOptions): Promise<ObjectCache> {
  return ObjectCache.open(options);
}
