// Deleting an object version's fragments from every location that holds one.

import { fragmentKey, locationOf, type FragmentRef, type KeylessObject } from './placement.ts';
import type { LocationRegistry } from './registry.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, deleteFragment } from './requests.ts';

/**
 * Deletes every fragment of the object. Returns those whose delete failed (location down, say): they are
 * unreachable orphans — ciphertext nobody can decrypt once the metadata is gone — for a later garbage collection.
 */
export async function deleteObject(
  object: KeylessObject,
  registry: LocationRegistry,
  options: { readonly requestTimeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<{ readonly failed: readonly FragmentRef[] }> {
  const m = object.manifest;
  const request = { timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) };
  const refs = m.generations.flatMap((g, generation) => g.fragments.map((f) => ({ generation, packetIndex: f.packetIndex })));
  const results = await Promise.allSettled(
    refs.map((ref) => deleteFragment(registry.get(locationOf(object.placement, ref.generation, ref.packetIndex)), fragmentKey(m.objectVersionId, ref.generation, ref.packetIndex), request)),
  );
  return { failed: refs.filter((_, i) => results[i]?.status === 'rejected') };
}
