// Repair: recreates the missing or corrupt fragments of an object by recoding from k healthy ones — with no key.

import type { GfKernel } from '../core/gf256/kernel.ts';
import type { CodingManifest } from '../core/format/manifest.ts';
import { checkFragment, recodeFragment } from '../core/pipeline.ts';
import { fragmentKey, generationLocations, locationOf, moveFragment, type DispersedObject, type FragmentRef, type KeylessObject } from './placement.ts';
import { chooseReplacement, type LocationRegistry } from './registry.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, deleteFragment, getFragment, putFragment } from './requests.ts';

export interface RepairOptions {
  readonly kernel: GfKernel;
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Only these generations (e.g. the ones a scrub found damaged); default all. */
  readonly generations?: readonly number[];
}

export interface RepairReport {
  /** The object with its placement updated for fragments stored somewhere new. */
  readonly object: KeylessObject;
  readonly checked: number;
  readonly missing: readonly FragmentRef[];
  readonly corrupt: readonly FragmentRef[];
  readonly repaired: readonly FragmentRef[];
  /** Damaged fragments that could not be rewritten (no healthy location to take them, or fewer than k healthy). */
  readonly unrepairable: readonly FragmentRef[];
}

/**
 * Reads every fragment of the chosen generations, verifies each against the manifest, and for a generation with
 * fewer than n healthy fragments recodes the missing ones from k healthy ones. A recoded fragment goes back to
 * its home location when that one is available and not retired, else to a replacement that holds no other
 * fragment of the generation; the returned placement records the move.
 */
export async function repairObject(object: KeylessObject, registry: LocationRegistry, options: RepairOptions): Promise<RepairReport> {
  const m = object.manifest;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const n = m.k + m.r;
  let placement = object.placement;
  const report = { checked: 0, missing: [] as FragmentRef[], corrupt: [] as FragmentRef[], repaired: [] as FragmentRef[], unrepairable: [] as FragmentRef[] };
  const generations = options.generations ?? m.generations.map((_, i) => i);
  for (const g of generations) {
    const listed = m.generations[g]?.fragments ?? [];
    const results = await Promise.all(
      listed.map(async (f) => {
        const rt = registry.get(locationOf(placement, g, f.packetIndex));
        const bytes = await getFragment(rt, fragmentKey(m.objectVersionId, g, f.packetIndex), { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) }).catch(() => null);
        const reason = bytes === null ? 'unavailable' : checkFragment(m, g, f.packetIndex, bytes);
        if (reason !== null && reason !== 'unavailable') rt.health.recordFailure('integrity');
        return { packetIndex: f.packetIndex, bytes, reason };
      }),
    );
    report.checked += results.length;
    const healthy = results.filter((r) => r.reason === null);
    const damaged = results.filter((r) => r.reason !== null);
    for (const d of damaged) (d.reason === 'unavailable' ? report.missing : report.corrupt).push({ generation: g, packetIndex: d.packetIndex });
    if (damaged.length === 0 && listed.length === n) continue;
    if (healthy.length < m.k) {
      for (const d of damaged) report.unrepairable.push({ generation: g, packetIndex: d.packetIndex });
      continue;
    }
    const sources = healthy.map((h) => h.bytes).filter((b): b is Uint8Array => b !== null);
    for (const d of damaged) {
      const ref = { generation: g, packetIndex: d.packetIndex };
      const fragment = recodeFragment(m, g, d.packetIndex, sources, options.kernel);
      const target = await storeRepaired(registry, placement, m, ref, fragment.bytes, timeoutMs, options.signal);
      if (target === undefined) {
        report.unrepairable.push(ref);
        continue;
      }
      const previous = locationOf(placement, g, d.packetIndex);
      if (target !== previous) {
        // The damaged copy left behind is useless; removing it is best effort (its location may be down).
        await deleteFragment(registry.get(previous), fragmentKey(m.objectVersionId, g, d.packetIndex), { timeoutMs }).catch(() => undefined);
      }
      placement = moveFragment(placement, g, d.packetIndex, target);
      report.repaired.push(ref);
    }
  }
  return { object: { manifest: m, placement }, ...report };
}

/** Puts a recreated fragment at its home location or, failing that, at a replacement; returns where it went. */
async function storeRepaired(
  registry: LocationRegistry,
  placement: DispersedObject<CodingManifest>['placement'],
  m: CodingManifest,
  ref: FragmentRef,
  bytes: Uint8Array,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const key = fragmentKey(m.objectVersionId, ref.generation, ref.packetIndex);
  const current = locationOf(placement, ref.generation, ref.packetIndex);
  const excluded = generationLocations(placement, ref.generation, m.k + m.r);
  const tried = new Set<string>();
  let target: string | undefined = current;
  while (target !== undefined) {
    tried.add(target);
    const rt = registry.get(target);
    if (!rt.retired && rt.health.available) {
      try {
        await putFragment(rt, key, bytes, { timeoutMs, ...(signal ? { signal } : {}) });
        return target;
      } catch {
        // try a replacement below
      }
    }
    target = chooseReplacement(registry, new Set([...excluded, ...tried]), bytes.length);
  }
  return undefined;
}
