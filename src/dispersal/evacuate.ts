// Evacuation: moves every fragment off a location being retired, writing each new copy before removing the old.

import type { GfKernel } from '../core/gf256/kernel.ts';
import { checkFragment, recodeFragment } from '../core/pipeline.ts';
import { fragmentKey, generationLocations, locationOf, moveFragment, type FragmentRef, type KeylessObject } from './placement.ts';
import { chooseReplacement, type LocationRegistry } from './registry.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, deleteFragment, getFragment, putFragment } from './requests.ts';

export interface EvacuateOptions {
  readonly kernel: GfKernel;
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface EvacuationResult {
  readonly object: KeylessObject;
  readonly moved: readonly FragmentRef[];
  /** Fragments that could not be moved (no replacement location, or fewer than k healthy fragments to rebuild from). */
  readonly stuck: readonly FragmentRef[];
}

/**
 * Moves the fragments one object keeps on `locationId` (which should already be retired, so nothing new lands
 * there). Each fragment is copied when the retiring location still serves it intact, else rebuilt by recoding;
 * the copy is durable on its new location before the old one is deleted, so redundancy never drops.
 */
export async function evacuateObject(object: KeylessObject, registry: LocationRegistry, locationId: string, options: EvacuateOptions): Promise<EvacuationResult> {
  const m = object.manifest;
  const request = { timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) };
  const n = m.k + m.r;
  let placement = object.placement;
  const moved: FragmentRef[] = [];
  const stuck: FragmentRef[] = [];
  const source = registry.get(locationId);
  for (const [g, generation] of m.generations.entries()) {
    for (const f of generation.fragments) {
      if (locationOf(placement, g, f.packetIndex) !== locationId) continue;
      const ref = { generation: g, packetIndex: f.packetIndex };
      const key = fragmentKey(m.objectVersionId, g, f.packetIndex);
      let bytes = await getFragment(source, key, request).catch(() => null);
      if (bytes !== null && checkFragment(m, g, f.packetIndex, bytes) !== null) bytes = null;
      if (bytes === null) {
        const others = await Promise.all(
          generation.fragments
            .filter((o) => o.packetIndex !== f.packetIndex)
            .map((o) => getFragment(registry.get(locationOf(placement, g, o.packetIndex)), fragmentKey(m.objectVersionId, g, o.packetIndex), request).catch(() => null)),
        );
        try {
          bytes = recodeFragment(m, g, f.packetIndex, others.filter((b): b is Uint8Array => b !== null), options.kernel).bytes;
        } catch {
          stuck.push(ref);
          continue;
        }
      }
      const excluded = generationLocations(placement, g, n);
      let target = chooseReplacement(registry, excluded, bytes.length);
      let stored = false;
      while (target !== undefined && !stored) {
        try {
          await putFragment(registry.get(target), key, bytes, request);
          stored = true;
        } catch {
          excluded.add(target);
          target = chooseReplacement(registry, excluded, bytes.length);
        }
      }
      if (!stored || target === undefined) {
        stuck.push(ref);
        continue;
      }
      placement = moveFragment(placement, g, f.packetIndex, target);
      moved.push(ref);
      await deleteFragment(source, key, request).catch(() => undefined);
    }
  }
  return { object: { manifest: m, placement }, moved, stuck };
}
