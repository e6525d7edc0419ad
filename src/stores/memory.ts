// An in-process fragment store for unit tests and benchmarks; nothing survives the process.

import { assertValidKey, assertValidPrefix, clipRange, throwIfAborted, type FragmentStore, type GetOptions, type StoredFragmentInfo } from './types.ts';



export class MemoryStore implements FragmentStore {
  // Values are private copies: a caller mutating its buffer after put, or the result of get, must not reach stored data.
  readonly #fragments = new Map<string, Uint8Array>();

  put(key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    return Promise.resolve().then(() => {
      assertValidKey(key);
      throwIfAborted(signal);
      // A copy the caller cannot change afterwards (Buffer#slice would share the caller's memory).
      this.#fragments.set(key, new Uint8Array(bytes));
    });
  }

  get(key: string, options: GetOptions = {}): Promise<Uint8Array | null> {
    return Promise.resolve().then(() => {
      assertValidKey(key);
      throwIfAborted(options.signal);
      const stored = this.#fragments.get(key);
      if (stored === undefined) return null;
      const [start, end] = clipRange(options.range, stored.length);
      return stored.slice(start, end);
    });
  }

  head(key: string, signal?: AbortSignal): Promise<{ readonly size: number } | null> {
    return Promise.resolve().then(() => {
      assertValidKey(key);
      throwIfAborted(signal);
      const stored = this.#fragments.get(key);
      return stored === undefined ? null : { size: stored.length };
    });
  }

  delete(key: string, signal?: AbortSignal): Promise<void> {
    return Promise.resolve().then(() => {
      assertValidKey(key);
      throwIfAborted(signal);
      this.#fragments.delete(key);
    });
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredFragmentInfo> {
    assertValidPrefix(prefix);
    throwIfAborted(signal);
    // A snapshot of the matching keys, so puts and deletes during iteration cannot disturb the order.
    const keys = [...this.#fragments.keys()].filter((key) => key.startsWith(prefix)).sort();
    for (const key of keys) {
      await Promise.resolve();
      throwIfAborted(signal);
      const stored = this.#fragments.get(key);
      if (stored !== undefined) yield { key, size: stored.length };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
