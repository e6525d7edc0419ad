// Scrub: walks objects, checks every fragment's presence and hash (HEAD or full read), and repairs what is damaged.

import type { GfKernel } from '../core/gf256/kernel.ts';
import { checkFragment } from '../core/pipeline.ts';
import { fragmentKey, locationOf, type FragmentRef, type KeylessObject } from './placement.ts';
import type { LocationRegistry } from './registry.ts';
import { repairObject } from './repair.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, getFragment, headFragment } from './requests.ts';

export interface ScrubOptions {
  readonly kernel: GfKernel;
  /** `head`: presence and size only (cheap); `full`: read every fragment and verify its hash. */
  readonly mode: 'head' | 'full';
  /** Repair damaged generations as they are found. */
  readonly repair: boolean;
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called with every object whose placement changed, so its metadata can be updated. */
  readonly onObjectChanged?: (object: KeylessObject) => void | Promise<void>;
}

export interface ScrubSummary {
  objects: number;
  fragmentsChecked: number;
  missing: number;
  corrupt: number;
  repaired: number;
  unrepairable: number;
  /** Damaged fragments, for a repair queue when `repair` is off. */
  readonly damaged: { readonly objectVersionId: string; readonly fragment: FragmentRef; readonly problem: 'missing' | 'corrupt' }[];
}

export async function scrub(objects: Iterable<KeylessObject> | AsyncIterable<KeylessObject>, registry: LocationRegistry, options: ScrubOptions): Promise<ScrubSummary> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const request = { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const summary: ScrubSummary = { objects: 0, fragmentsChecked: 0, missing: 0, corrupt: 0, repaired: 0, unrepairable: 0, damaged: [] };
  for await (const object of objects) {
    options.signal?.throwIfAborted();
    summary.objects++;
    const m = object.manifest;
    const damagedGenerations = new Set<number>();
    for (const [g, generation] of m.generations.entries()) {
      const checks = await Promise.all(
        generation.fragments.map(async (f): Promise<'missing' | 'corrupt' | null> => {
          const rt = registry.get(locationOf(object.placement, g, f.packetIndex));
          const key = fragmentKey(m.objectVersionId, g, f.packetIndex);
          if (options.mode === 'head') {
            const head = await headFragment(rt, key, request).catch(() => null);
            return head === null ? 'missing' : head.size === f.size ? null : 'corrupt';
          }
          const bytes = await getFragment(rt, key, request).catch(() => null);
          if (bytes === null) return 'missing';
          if (checkFragment(m, g, f.packetIndex, bytes) === null) return null;
          rt.health.recordFailure('integrity');
          return 'corrupt';
        }),
      );
      summary.fragmentsChecked += checks.length;
      checks.forEach((problem, i) => {
        if (problem === null) return;
        summary[problem]++;
        summary.damaged.push({ objectVersionId: m.objectVersionId, fragment: { generation: g, packetIndex: generation.fragments[i]?.packetIndex ?? i }, problem });
        damagedGenerations.add(g);
      });
      if (generation.fragments.length < m.k + m.r) damagedGenerations.add(g);
    }
    if (options.repair && damagedGenerations.size > 0) {
      const report = await repairObject(object, registry, { kernel: options.kernel, requestTimeoutMs: timeoutMs, generations: [...damagedGenerations], ...(options.signal ? { signal: options.signal } : {}) });
      summary.repaired += report.repaired.length;
      summary.unrepairable += report.unrepairable.length;
      if (report.object.placement !== object.placement) await options.onObjectChanged?.(report.object);
    }
  }
  return summary;
}
