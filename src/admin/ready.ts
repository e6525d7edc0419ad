// Readiness (`/health/ready`): the metadata store answers and at least k locations of the default policy are healthy.

import type { LocationRegistry } from '../dispersal/registry.ts';
import type { MetadataStore } from '../meta/types.ts';
import type { ReadyReport } from './deps.ts';

export interface ReadinessOptions {
  readonly meta: Pick<MetadataStore, 'getSetting'>;
  readonly registry: LocationRegistry;
  /** k and the locations of the default policy's latest version. */
  readonly defaultPolicy: () => Promise<{ readonly k: number; readonly locations: readonly string[] }>;
  /** How long the metadata store may take to answer; default 2 000 ms. */
  readonly timeoutMs?: number;
}

/** Rejects when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${what} did not answer within ${ms} ms`)); }, ms);
    void promise.then(resolve, reject).finally(() => { clearTimeout(timer); });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function readiness(options: ReadinessOptions): () => Promise<ReadyReport> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return async () => {
    const notes: string[] = [];
    let metadata = true;
    try {
      await within(options.meta.getSetting('__ping'), timeoutMs, 'the metadata store');
    } catch (error) {
      metadata = false;
      notes.push(`metadata store unavailable: ${messageOf(error)}`);
    }

    let policy: { readonly k: number; readonly locations: readonly string[] } | undefined;
    try {
      policy = await within(options.defaultPolicy(), timeoutMs, 'the default policy');
    } catch (error) {
      notes.push(`default policy unknown: ${messageOf(error)}`);
    }

    let healthy = 0;
    if (policy !== undefined) {
      const down: string[] = [];
      for (const id of policy.locations) {
        const rt = options.registry.has(id) ? options.registry.get(id) : undefined;
        if (rt === undefined) down.push(`${id} (not loaded)`);
        else if (rt.retired) down.push(`${id} (retired)`);
        else if (!rt.health.available) down.push(`${id} (${rt.health.breaker})`);
        else healthy++;
      }
      const summary = `${healthy} of ${policy.locations.length} locations of the default policy healthy, ${policy.k} needed`;
      notes.push(down.length === 0 ? summary : `${summary}; down: ${down.join(', ')}`);
    }
    const needed = policy?.k ?? 0;
    const ready = metadata && policy !== undefined && healthy >= needed;
    return { ready, metadata, healthyLocations: healthy, needed, detail: notes.join('; ') };
  };
}
