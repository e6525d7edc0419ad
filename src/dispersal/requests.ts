// Store requests with a deadline, whose outcome (latency, failure, cancellation) is fed into the location's health
// and reported to the registry's observer (metrics).

import { StoreError } from '../stores/types.ts';
import type { FragmentObserver, LocationRuntime } from './registry.ts';

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

type RequestOp = 'put' | 'get' | 'head' | 'delete';

/** Tells the observer, if any; an observer that throws never breaks a read or a write. */
function tell(rt: LocationRuntime, report: (observer: FragmentObserver) => void): void {
  const observer = rt.observer;
  if (observer === undefined) return;
  try {
    report(observer);
  } catch {
    // Metrics are best effort.
  }
}

/** A fragment from this location failed its integrity check (hash, header or format). */
export function reportHashMismatch(rt: LocationRuntime): void {
  tell(rt, (o) => { o.onHashMismatch(rt.location.id); });
}

async function timed<T>(rt: LocationRuntime, op: RequestOp, bytes: (result: T) => number, options: RequestOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  // A referenced timer (AbortSignal.timeout's is not): an awaited request keeps the process alive until it ends.
  const deadlineController = new AbortController();
  const deadline = deadlineController.signal;
  const timer = setTimeout(() => { deadlineController.abort(new StoreError('timeout', `no answer within ${options.timeoutMs} ms`)); }, options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  const started = performance.now();
  try {
    const result = await run(signal);
    const ms = performance.now() - started;
    const size = bytes(result);
    rt.health.recordSuccess(size, ms);
    tell(rt, (o) => { o.onRequest(rt.location.id, op, 'ok', size, ms); });
    return result;
  } catch (error) {
    const ms = performance.now() - started;
    if (options.signal?.aborted === true) {
      rt.health.recordCancelled();
      tell(rt, (o) => { o.onRequest(rt.location.id, op, 'cancelled', 0, ms); });
      throw new StoreError('aborted', `request to ${rt.location.id} cancelled`, { cause: error });
    }
    const timedOut = deadline.aborted || (error instanceof StoreError && error.kind === 'timeout');
    rt.health.recordFailure(timedOut ? 'timeout' : 'error');
    tell(rt, (o) => { o.onRequest(rt.location.id, op, timedOut ? 'timeout' : 'error', 0, ms); });
    if (timedOut) throw new StoreError('timeout', `${rt.location.id} did not answer within ${options.timeoutMs} ms`, { cause: error });
    throw error instanceof StoreError ? error : new StoreError('unavailable', `${rt.location.id}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

export function putFragment(rt: LocationRuntime, key: string, bytes: Uint8Array, options: RequestOptions): Promise<void> {
  return timed(rt, 'put', () => bytes.length, options, (signal) => rt.store.put(key, bytes, signal));
}

export function getFragment(rt: LocationRuntime, key: string, options: RequestOptions): Promise<Uint8Array | null> {
  return timed(rt, 'get', (b) => b?.length ?? 0, options, (signal) => rt.store.get(key, { signal }));
}

export function headFragment(rt: LocationRuntime, key: string, options: RequestOptions): Promise<{ readonly size: number } | null> {
  return timed(rt, 'head', () => 0, options, (signal) => rt.store.head(key, signal));
}

export function deleteFragment(rt: LocationRuntime, key: string, options: RequestOptions): Promise<void> {
  return timed(rt, 'delete', () => 0, options, (signal) => rt.store.delete(key, signal));
}
