// The fragment store contract: where coded fragments live (memory, a local directory, any S3 endpoint).

/** Half-open byte range [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface StoredFragmentInfo {
  readonly key: string;
  readonly size: number;
}

export interface GetOptions {
  /** Only these bytes; a range past the end is clipped to the fragment. */
  readonly range?: ByteRange;
  readonly signal?: AbortSignal;
}

/**
 * Why a store operation failed. `invalid-key`: the key is not a valid fragment name (never sent anywhere).
 * `unavailable`: the store could not be reached or answered with an error. `timeout`: no answer in time.
 * `aborted`: the caller's signal fired.
 */
export type StoreErrorKind = 'invalid-key' | 'unavailable' | 'timeout' | 'aborted';

export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.kind = kind;
  }
}

/**
 * Keys are opaque fragment names such as `<object version id hex>/<generation>/<packet>`: 1–512 characters of
 * [A-Za-z0-9._-] in '/'-separated segments, none empty, '.' or '..'. Every store refuses anything else with
 * StoreError('invalid-key') before touching its medium, so no key can escape a directory or bucket prefix.
 */
export interface FragmentStore {
  /** Stores the bytes under the key, replacing any previous value; resolves once they are durable. */
  put(key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** The stored bytes (or the requested range of them), or null when there is no such key. */
  get(key: string, options?: GetOptions): Promise<Uint8Array | null>;
  /** The stored size, or null when there is no such key. */
  head(key: string, signal?: AbortSignal): Promise<{ readonly size: number } | null>;
  /** Removes the key; removing a missing key succeeds. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** Every key starting with `prefix` (a plain string prefix, '' for all), in lexicographic order. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredFragmentInfo>;
  /** Releases connections or handles; the store is not used afterwards. */
  close(): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
export const MAX_KEY_LENGTH = 512;

/** Throws StoreError('invalid-key') unless `key` is a valid fragment name. */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new StoreError('invalid-key', `fragment key must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
  }
  for (const segment of key.split('/')) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new StoreError('invalid-key', `invalid fragment key ${JSON.stringify(key.slice(0, 80))}: segments must be [A-Za-z0-9._-]+ and not '.' or '..'`);
    }
  }
}

/** Prefixes follow the key alphabet but may end with '/' or be empty. */
export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length > MAX_KEY_LENGTH || !/^[A-Za-z0-9._/-]*$/.test(prefix) || prefix.startsWith('/') || prefix.includes('//') || prefix.split('/').some((s) => s === '.' || s === '..')) {
    throw new StoreError('invalid-key', `invalid fragment key prefix ${JSON.stringify(String(prefix).slice(0, 80))}`);
  }
}

/** Rejects with StoreError('aborted') when the caller's signal already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new StoreError('aborted', 'the operation was aborted', { cause: signal.reason });
}

/** [start, end) of `range` clipped to a fragment of `size` bytes; a malformed range is a caller bug, not a store failure. */
export function clipRange(range: ByteRange | undefined, size: number): [number, number] {
  if (range === undefined) return [0, size];
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range [${start}, ${end})`);
  }
  return [Math.min(start, size), Math.min(end, size)];
}
