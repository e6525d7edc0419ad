// Store requests with a deadline, whose outcome (latency, failure, cancellation) is fed into the location's health.

import { StoreError } from '../stores/types.ts';
import type { LocationRuntime } from './registry.ts';

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

async function timed<T>(rt: LocationRuntime, bytes: (result: T) => number, options: RequestOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  // A referenced timer (AbortSignal.timeout's is not): an awaited request keeps the process alive until it ends.
  const deadlineController = new AbortController();
  const deadline = deadlineController.signal;
  const timer = setTimeout(() => { deadlineController.abort(new StoreError('timeout', `no answer within ${options.timeoutMs} ms`)); }, options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  const started = performance.now();
  try {
    const result = await run(signal);
    rt.health.recordSuccess(bytes(result), performance.now() - started);
    return result;
  } catch (error) {
    if (options.signal?.aborted === true) {
      rt.health.recordCancelled();
      throw new StoreError('aborted', `request to ${rt.location.id} cancelled`, { cause: error });
    }
    const timedOut = deadline.aborted || (error instanceof StoreError && error.kind === 'timeout');
    rt.health.recordFailure(timedOut ? 'timeout' : 'error');
    if (timedOut) throw new StoreError('timeout', `${rt.location.id} did not answer within ${options.timeoutMs} ms`, { cause: error });
    throw error instanceof StoreError ? error : new StoreError('unavailable', `${rt.location.id}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

export function putFragment(rt: LocationRuntime, key: string, bytes: Uint8Array, options: RequestOptions): Promise<void> {
  return timed(rt, () => bytes.length, options, (signal) => rt.store.put(key, bytes, signal));
}

export function getFragment(rt: LocationRuntime, key: string, options: RequestOptions): Promise<Uint8Array | null> {
  return timed(rt, (b) => b?.length ?? 0, options, (signal) => rt.store.get(key, { signal }));
}

export function headFragment(rt: LocationRuntime, key: string, options: RequestOptions): Promise<{ readonly size: number } | null> {
  return timed(rt, () => 0, options, (signal) => rt.store.head(key, signal));
}

export function deleteFragment(rt: LocationRuntime, key: string, options: RequestOptions): Promise<void> {
  return timed(rt, () => 0, options, (signal) => rt.store.delete(key, signal));
}
