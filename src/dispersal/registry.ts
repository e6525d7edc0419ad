// The locations a gateway knows: each with its fragment store and its health, looked up by id.

import type { FragmentStore } from '../stores/types.ts';
import { DispersalError } from './errors.ts';
import { LocationHealth, type HealthOptions } from './health.ts';
import { validateLocation, type Location } from './location.ts';

export interface LocationRuntime {
  readonly location: Location;
  readonly store: FragmentStore;
  readonly health: LocationHealth;
  /** Being retired: no new fragments go there; evacuation moves the existing ones away. */
  readonly retired: boolean;
  /** The registry's observer as it is now (read on every request: the composition root may set it later). */
  readonly observer?: FragmentObserver | undefined;
}

/** Told about every fragment request and every fragment that failed its hash check (metrics). */
export interface FragmentObserver {
  onRequest(locationId: string, op: 'put' | 'get' | 'head' | 'delete' | 'list', result: 'ok' | 'error' | 'timeout' | 'cancelled', bytes: number, ms: number): void;
  onHashMismatch(locationId: string): void;
}

export class LocationRegistry {
  /** Set by the composition root; undefined: nobody is told. */
  observer: FragmentObserver | undefined;
  private readonly entries = new Map<string, { location: Location; store: FragmentStore; health: LocationHealth; retired: boolean; readonly observer: FragmentObserver | undefined }>();
  private readonly healthOptions: Partial<HealthOptions>;

  constructor(healthOptions: Partial<HealthOptions> = {}) {
    this.healthOptions = healthOptions;
  }

  add(location: Location, store: FragmentStore): LocationRuntime {
    validateLocation(location);
    if (this.entries.has(location.id)) throw new DispersalError('invalid-location', `location ${location.id} is already registered`);
    const currentObserver = (): FragmentObserver | undefined => this.observer;
    const entry = { location, store, health: new LocationHealth(this.healthOptions), retired: false, get observer(): FragmentObserver | undefined { return currentObserver(); } };
    this.entries.set(location.id, entry);
    return entry;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): LocationRuntime {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new DispersalError('unknown-location', `no location ${JSON.stringify(id)} is registered`);
    return entry;
  }

  all(): readonly LocationRuntime[] {
    return [...this.entries.values()];
  }

  /** Replaces a registered location's static description (attributes, trust zone, isolation tier). */
  replaceLocation(location: Location): void {
    validateLocation(location);
    const entry = this.entries.get(location.id);
    if (entry === undefined) throw new DispersalError('unknown-location', `no location ${JSON.stringify(location.id)} is registered`);
    entry.location = location;
  }

  retire(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new DispersalError('unknown-location', `no location ${JSON.stringify(id)} is registered`);
    entry.retired = true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.store.close()));
  }
}

/**
 * Picks where to put a fragment whose home location cannot take it: an available, non-retired location not
 * already holding a fragment of the generation (`excluded`), preferring a trust zone the generation does not
 * use yet, then the better isolation tier, then the lower expected latency.
 */
export function chooseReplacement(registry: LocationRegistry, excluded: ReadonlySet<string>, fragmentBytes: number): string | undefined {
  const usedZones = new Set([...excluded].filter((id) => registry.has(id)).map((id) => registry.get(id).location.trustZone));
  const candidates = registry.all().filter((rt) => !rt.retired && rt.health.available && !excluded.has(rt.location.id));
  candidates.sort(
    (a, b) =>
      Number(usedZones.has(a.location.trustZone)) - Number(usedZones.has(b.location.trustZone)) ||
      b.location.isolationTier - a.location.isolationTier ||
      a.health.expectedLatencyMs(fragmentBytes) - b.health.expectedLatencyMs(fragmentBytes) ||
      a.location.id.localeCompare(b.location.id),
  );
  return candidates[0]?.location.id;
}
