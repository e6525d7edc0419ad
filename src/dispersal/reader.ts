// Hedged reader: per generation, asks the k locations expected to be fastest and hedges slow or failed requests.

import type { GfKernel } from '../core/gf256/kernel.ts';
import { decodeObject, type BadFragmentReason, type ByteRange, type GatherStrategy } from '../core/pipeline.ts';
import { fragmentKey, locationOf, type DispersedObject } from './placement.ts';
import type { LocationRegistry, LocationRuntime } from './registry.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, getFragment, reportHashMismatch } from './requests.ts';

export interface ReadOptions {
  readonly kernel: GfKernel;
  readonly bucketKek: Uint8Array;
  readonly range?: ByteRange;
  readonly signal?: AbortSignal;
  readonly requestTimeoutMs?: number;
  /** Hedge a request after this long when its location has too few samples for a p95. */
  readonly defaultHedgeMs?: number;
  /** Never hedge sooner than this, however fast a location usually is. */
  readonly minHedgeMs?: number;
  /** Every fragment that could not be used, with the location it came from: the repair queue's and telemetry's input. */
  readonly onBadFragment?: (generation: number, packetIndex: number, locationId: string, reason: BadFragmentReason) => void;
}

const INTEGRITY_FAILURES: ReadonlySet<BadFragmentReason> = new Set(['hash-mismatch', 'malformed', 'header-mismatch']);

/**
 * The gather strategy of a read. Candidates are ordered by expected latency (locations whose breaker is open go
 * last: still asked when nothing else is left). `needed` requests run at a time; a request that fails, returns a
 * fragment that does not verify, or takes longer than its location's p95 is backed by the next candidate (the
 * slow one keeps running and may still win). As soon as k verified packets are in, the other requests are aborted.
 */
export function hedgedGather(object: DispersedObject, registry: LocationRegistry, options: Omit<ReadOptions, 'kernel' | 'bucketKek' | 'range'>): GatherStrategy {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const defaultHedgeMs = options.defaultHedgeMs ?? 250;
  const minHedgeMs = options.minHedgeMs ?? 2;
  const id = object.manifest.objectVersionId;
  return (assembler, signal) =>
    new Promise<void>((resolve, reject) => {
      const g = assembler.generation;
      const sizeOf = new Map(object.manifest.generations[g]?.fragments.map((f) => [f.packetIndex, f.size]) ?? []);
      const runtimeOf = (p: number): LocationRuntime => registry.get(locationOf(object.placement, g, p));
      const order = assembler.candidates
        .map((p, rank) => ({ p, rank, rt: runtimeOf(p) }))
        .sort(
          (a, b) =>
            Number(!a.rt.health.available) - Number(!b.rt.health.available) ||
            a.rt.health.expectedLatencyMs(sizeOf.get(a.p) ?? 0) - b.rt.health.expectedLatencyMs(sizeOf.get(b.p) ?? 0) ||
            a.rank - b.rank,
        );
      let next = 0;
      let done = false;
      const inFlight = new Map<number, { controller: AbortController; timer: NodeJS.Timeout; hedged: boolean; rt: LocationRuntime; started: number }>();

      const finish = (error?: unknown): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        for (const [p, entry] of inFlight) {
          clearTimeout(entry.timer);
          entry.controller.abort();
          if (entry.hedged) entry.rt.health.recordAbandoned(sizeOf.get(p) ?? 0, performance.now() - entry.started);
        }
        inFlight.clear();
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error('read aborted', { cause: error }));
      };
      const onAbort = (): void => { finish(signal.reason); };

      const active = (): number => [...inFlight.values()].filter((e) => !e.hedged).length;

      const topUp = (): void => {
        while (!done && active() < assembler.needed && next < order.length) {
          const candidate = order[next++];
          if (candidate !== undefined) launch(candidate.p, candidate.rt);
        }
        if (!done && inFlight.size === 0) finish(); // nothing left to ask: the decoder reports what is missing
      };

      const launch = (p: number, rt: LocationRuntime): void => {
        const controller = new AbortController();
        const size = sizeOf.get(p) ?? 0;
        const hedgeAfter = Math.max(minHedgeMs, rt.health.p95Ms(size) ?? defaultHedgeMs);
        const entry = {
          controller,
          rt,
          started: performance.now(),
          hedged: false,
          timer: setTimeout(() => {
            entry.hedged = true;
            topUp();
          }, hedgeAfter),
        };
        inFlight.set(p, entry);
        rt.health.tryAcquire(); // takes a half-open breaker's probe slot when this is the probe
        getFragment(rt, fragmentKey(id, g, p), { timeoutMs, signal: controller.signal }).then(
          (bytes) => { settle(p, rt, bytes); },
          () => { settle(p, rt, null); },
        );
      };

      const settle = (p: number, rt: LocationRuntime, bytes: Uint8Array | null): void => {
        const entry = inFlight.get(p);
        if (done || entry === undefined) return;
        clearTimeout(entry.timer);
        inFlight.delete(p);
        const reason = assembler.offer(p, bytes);
        if (reason !== null) {
          if (INTEGRITY_FAILURES.has(reason)) {
            rt.health.recordFailure('integrity');
            reportHashMismatch(rt);
          }
          options.onBadFragment?.(g, p, rt.location.id, reason);
        }
        if (assembler.complete) finish();
        else topUp();
      };

      if (signal.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      topUp();
    });
}

/** Reads an object version (or a byte range of it) from its locations, as a stream of plaintext chunks. */
export function readObject(object: DispersedObject, registry: LocationRegistry, options: ReadOptions): AsyncGenerator<Uint8Array, void, undefined> {
  return decodeObject(
    object.manifest,
    hedgedGather(object, registry, options),
    { kernel: options.kernel, bucketKek: options.bucketKek, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    options.range,
  );
}
