// A fault-injecting wrapper around any fragment store: downtime, latency, flakiness, corruption, lost writes, stalls.

import { setTimeout as delay } from 'node:timers/promises';
import { throwIfAborted, StoreError, assertValidKey, assertValidPrefix, type FragmentStore, type GetOptions, type StoredFragmentInfo } from './types.ts';

/** Milliseconds, fixed or drawn uniformly from [min, max] on every call. */
export type Latency = number | { readonly min: number; readonly max: number };

/** What the wrapped store does wrong; it can be changed between (and during) calls through `FaultyStore.fault`. */
export type Fault =
  | { readonly kind: 'none' }
  /** Every operation rejects with StoreError('unavailable'); the inner store is never asked. */
  | { readonly kind: 'down' }
  /** Every operation waits this long (on top of the base latency) before it is passed on. */
  | { readonly kind: 'slow'; readonly latencyMs: Latency }
  /** Each operation independently rejects with StoreError('unavailable') with this probability in [0, 1]. */
  | { readonly kind: 'flaky'; readonly errorRate: number }
  /** get returns its bytes with one random bit flipped (with this probability, default 1); stored data stays intact. */
  | { readonly kind: 'corrupt'; readonly probability?: number }
  /** put reports success and stores nothing; other operations are passed on. */
  | { readonly kind: 'lost-write' }
  /** No operation ever answers; each rejects with StoreError('aborted') once its signal fires (never without one). */
  | { readonly kind: 'stall' };

export type StoreOperation = 'put' | 'get' | 'head' | 'delete' | 'list';

export interface FaultyStoreOptions {
  readonly fault?: Fault;
  /** Applied to every operation whatever the fault: a location that is this far away. Default 0. */
  readonly latencyMs?: Latency;
  /** Uniform in [0, 1). Tests pass a seeded one so that the same faults hit the same calls on every run. Default Math.random. */
  readonly random?: () => number;
  /** Waits `ms`, rejecting early when the signal fires. Tests may pass one that records instead of waiting. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

function aborted(signal: AbortSignal | undefined): StoreError {
  return new StoreError('aborted', 'the operation was aborted', { cause: signal?.reason });
}

function checkLatency(latency: Latency, what: string): void {
  const valid =
    typeof latency === 'number'
      ? Number.isFinite(latency) && latency >= 0
      : Number.isFinite(latency.min) && Number.isFinite(latency.max) && latency.min >= 0 && latency.min <= latency.max;
  if (!valid) throw new RangeError(`${what} must be a finite number of milliseconds >= 0, or { min, max } with 0 <= min <= max`);
}

function checkProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what} must be within [0, 1]`);
}

function checkFault(fault: Fault): void {
  switch (fault.kind) {
    case 'slow':
      checkLatency(fault.latencyMs, 'slow latencyMs');
      return;
    case 'flaky':
      checkProbability(fault.errorRate, 'flaky errorRate');
      return;
    case 'corrupt':
      if (fault.probability !== undefined) checkProbability(fault.probability, 'corrupt probability');
      return;
    case 'none':
    case 'down':
    case 'lost-write':
    case 'stall':
      return;
    default: {
      const unknown: never = fault;
      throw new TypeError(`unknown fault ${JSON.stringify(unknown)}`);
    }
  }
}

function sleepWithTimer(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, signal === undefined ? {} : { signal });
}

function stallUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    signal?.addEventListener('abort', () => {
      reject(aborted(signal));
    }, { once: true });
  });
}

export class FaultyStore implements FragmentStore {
  readonly inner: FragmentStore;
  /** Calls per operation since construction or the last resetCalls(), counted on entry whatever happens next. */
  readonly calls: Record<StoreOperation, number> = { put: 0, get: 0, head: 0, delete: 0, list: 0 };
  #fault: Fault = { kind: 'none' };
  #latency: Latency = 0;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;

  constructor(inner: FragmentStore, options: FaultyStoreOptions = {}) {
    this.inner = inner;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleepWithTimer;
    if (options.fault !== undefined) this.fault = options.fault;
    if (options.latencyMs !== undefined) this.latencyMs = options.latencyMs;
  }

  get fault(): Fault {
    return this.#fault;
  }

  /** Takes effect for operations that start afterwards; ones already in flight keep the fault they started with. */
  set fault(fault: Fault) {
    checkFault(fault);
    this.#fault = fault;
  }

  get latencyMs(): Latency {
    return this.#latency;
  }

  set latencyMs(latency: Latency) {
    checkLatency(latency, 'latencyMs');
    this.#latency = latency;
  }

  /** Sum of `calls` over every operation. */
  get totalCalls(): number {
    return this.calls.put + this.calls.get + this.calls.head + this.calls.delete + this.calls.list;
  }

  resetCalls(): void {
    for (const op of Object.keys(this.calls) as StoreOperation[]) this.calls[op] = 0;
  }

  #draw(latency: Latency): number {
    return typeof latency === 'number' ? latency : latency.min + this.#random() * (latency.max - latency.min);
  }

  /** The common prelude of every operation; resolves with the fault the operation runs under, after its delay. */
  async #enter(signal: AbortSignal | undefined): Promise<Fault> {
    throwIfAborted(signal);
    const fault = this.#fault;
    const wait = this.#draw(this.#latency) + (fault.kind === 'slow' ? this.#draw(fault.latencyMs) : 0);
    if (wait > 0) {
      try {
        await this.#sleep(wait, signal);
      } catch (error) {
        if (signal?.aborted === true) throw aborted(signal);
        throw error;
      }
      throwIfAborted(signal);
    }
    switch (fault.kind) {
      case 'down':
        throw new StoreError('unavailable', 'injected fault: the store is down');
      case 'flaky':
        if (this.#random() < fault.errorRate) throw new StoreError('unavailable', 'injected fault: the store failed this request');
        return fault;
      case 'stall':
        return stallUntilAborted(signal);
      case 'none':
      case 'slow':
      case 'corrupt':
      case 'lost-write':
        return fault;
      default: {
        const unknown: never = fault;
        throw new TypeError(`unknown fault ${JSON.stringify(unknown)}`);
      }
    }
  }

  async put(key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.calls.put++;
    assertValidKey(key);
    const fault = await this.#enter(signal);
    if (fault.kind === 'lost-write') return;
    await this.inner.put(key, bytes, signal);
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array | null> {
    this.calls.get++;
    assertValidKey(key);
    const fault = await this.#enter(options.signal);
    const bytes = await this.inner.get(key, options);
    if (fault.kind !== 'corrupt' || bytes === null || bytes.length === 0) return bytes;
    if (fault.probability !== undefined && !(this.#random() < fault.probability)) return bytes;
    const corrupted = bytes.slice();
    const bit = Math.min(Math.floor(this.#random() * corrupted.length * 8), corrupted.length * 8 - 1);
    corrupted[bit >> 3] = (corrupted[bit >> 3] ?? 0) ^ (1 << (bit & 7));
    return corrupted;
  }

  async head(key: string, signal?: AbortSignal): Promise<{ readonly size: number } | null> {
    this.calls.head++;
    assertValidKey(key);
    await this.#enter(signal);
    return this.inner.head(key, signal);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    this.calls.delete++;
    assertValidKey(key);
    await this.#enter(signal);
    await this.inner.delete(key, signal);
  }

  /** Counted, delayed and faulted when iteration starts (iterables are lazy), once for the whole listing. */
  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredFragmentInfo> {
    this.calls.list++;
    assertValidPrefix(prefix);
    await this.#enter(signal);
    yield* this.inner.list(prefix, signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
