// Quorum writer: encodes an object and writes each generation's n fragments in parallel, one per location.

import type { GfKernel } from '../core/gf256/kernel.ts';
import { ObjectEncoder, type EncodedGeneration, type FragmentPool } from '../core/pipeline.ts';
import { DispersalError } from './errors.ts';
import { fragmentKey, validateDispersalPolicy, type DispersalPolicy, type DispersedObject, type FragmentRef } from './placement.ts';
import type { LocationRegistry } from './registry.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, deleteFragment, putFragment } from './requests.ts';

export interface WriteOptions {
  readonly kernel: GfKernel;
  readonly bucketKek: Uint8Array;
  readonly random: (length: number) => Uint8Array;
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Fragment bytes still being written past their generation's quorum (stragglers) before the writer waits for
   * them instead of encoding more: bounds memory when some location is slow. Default: three 4 MiB generations.
   */
  readonly stragglerBudgetBytes?: number;
  /** Shared buffer pool: fragment memory is handed back once every write of a generation settled. */
  readonly pool?: FragmentPool;
  /**
   * Awaited with the new object version id before any fragment is written: the place to record a write intent,
   * so that a crash mid-write leaves something garbage collection can find. A rejection fails the write.
   */
  readonly beforeWrite?: (objectVersionId: string) => Promise<void>;
}

export interface WriteResult {
  readonly object: DispersedObject;
  /** Fragments known not to be stored when the write returned: the repair queue's input. */
  readonly missing: readonly FragmentRef[];
  /** Resolves once every straggler finished, with every fragment that ended up not stored. */
  readonly settled: Promise<readonly FragmentRef[]>;
}

const byRef = (a: FragmentRef, b: FragmentRef): number => a.generation - b.generation || a.packetIndex - b.packetIndex;

/**
 * Writes an object version. Each generation counts as written once `writeQuorum` of its fragments are durable;
 * the writer then goes on while the remaining writes finish in the background (or fail, and are reported as
 * missing). A location whose circuit breaker is open is not asked at all. If a generation cannot reach its
 * quorum, every fragment of the object written so far is deleted and the write fails: nothing is left behind.
 */
export async function writeObject(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  policy: DispersalPolicy,
  registry: LocationRegistry,
  options: WriteOptions,
): Promise<WriteResult> {
  validateDispersalPolicy(policy, registry);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const budget = options.stragglerBudgetBytes ?? 3 * 1.5 * 4 * 1024 * 1024;
  const encoder = new ObjectEncoder(policy.codec, { kernel: options.kernel, bucketKek: options.bucketKek, random: options.random, ...(options.pool ? { pool: options.pool } : {}) });
  const id = Buffer.from(encoder.objectVersionId).toString('hex');
  const controller = new AbortController();
  const onAbort = (): void => { controller.abort(options.signal?.reason); };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const written: FragmentRef[] = [];
  const missing: FragmentRef[] = [];
  const pending = new Map<Promise<void>, number>();
  let pendingBytes = 0;

  const writeGeneration = (g: EncodedGeneration): Promise<void> =>
    new Promise((resolve, reject) => {
      const n = g.fragments.length;
      let stored = 0;
      let failed = 0;
      const writes: Promise<void>[] = [];
      const fail = (ref: FragmentRef): void => {
        missing.push(ref);
        failed++;
        if (failed === n - policy.writeQuorum + 1) {
          reject(new DispersalError('write-quorum-not-met', `generation ${g.index}: ${failed} of ${n} fragment writes failed, write quorum ${policy.writeQuorum} cannot be met`));
        }
      };
      for (const f of g.fragments) {
        const ref = { generation: g.index, packetIndex: f.packetIndex };
        const rt = registry.get(policy.locations[f.packetIndex] ?? '');
        if (rt.retired || !rt.health.tryAcquire()) {
          fail(ref);
          continue;
        }
        const write = putFragment(rt, fragmentKey(id, g.index, f.packetIndex), f.bytes, { timeoutMs, signal: controller.signal }).then(
          () => {
            written.push(ref);
            if (++stored === policy.writeQuorum) resolve();
          },
          () => { fail(ref); },
        );
        const tracked = write.finally(() => {
          pendingBytes -= f.bytes.length;
          pending.delete(tracked);
        });
        pending.set(tracked, f.bytes.length);
        pendingBytes += f.bytes.length;
        writes.push(tracked);
      }
      void Promise.allSettled(writes).then(() => { g.release(); });
    });

  try {
    await options.beforeWrite?.(id);
    // One generation may travel to its quorum while the next one is encoded: coding and I/O overlap.
    let previous: Promise<void> | undefined;
    for await (const generation of encoder.encode(body)) {
      options.signal?.throwIfAborted();
      const current = writeGeneration(generation);
      current.catch(() => undefined); // observed below; this only keeps an early failure from going unhandled
      if (previous !== undefined) await previous;
      previous = current;
      while (pendingBytes > budget && pending.size > 0) await Promise.race(pending.keys());
    }
    await previous;
  } catch (error) {
    controller.abort();
    await Promise.allSettled(pending.keys());
    // Best effort: a fragment whose delete fails here is an orphan for the garbage collector, never a visible object.
    await Promise.allSettled(
      written.map((ref) => deleteFragment(registry.get(policy.locations[ref.packetIndex] ?? ''), fragmentKey(id, ref.generation, ref.packetIndex), { timeoutMs })),
    );
    throw options.signal?.aborted === true ? options.signal.reason : error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const object: DispersedObject = { manifest: encoder.manifest(), placement: { locations: [...policy.locations], moved: [] } };
  const settled = Promise.allSettled(pending.keys()).then(() => [...missing].sort(byRef));
  return { object, missing: [...missing].sort(byRef), settled };
}
