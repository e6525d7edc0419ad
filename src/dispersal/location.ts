// A storage location: where it is, who runs it, what it costs and how far it is trusted, plus its store settings.

import { DispersalError } from './errors.ts';

export type LocationKind = 'cloud' | 'edge' | 'local';

/** The static attributes the telemetry API serves (the SERRANO fields), all optional but the id. */
export interface LocationAttributes {
  readonly provider?: string;
  readonly url?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly country?: string;
  readonly city?: string;
  readonly region?: string;
  readonly jurisdiction?: string;
  readonly gdprCompliant?: boolean;
  /** US dollars per GB and month stored. */
  readonly storageCostPerGbMonth?: number;
  readonly ingressCostPerGb?: number;
  readonly egressCostPerGb?: number;
}

export interface Location {
  /** Stable identifier, [a-z0-9][a-z0-9-]{0,62}. */
  readonly id: string;
  readonly kind: LocationKind;
  readonly attributes: LocationAttributes;
  /** Locations in one trust zone are assumed to fail or collude together (e.g. one provider, one operator). */
  readonly trustZone: string;
  /** Higher is better isolated from the rest (e.g. 0 shared host, 1 own host, 2 own site, 3 other provider). */
  readonly isolationTier: number;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function validateLocation(l: Location): Location {
  if (!ID.test(l.id)) throw new DispersalError('invalid-location', `location id ${JSON.stringify(l.id)} must match ${ID.source}`);
  const kind: unknown = l.kind;
  if (kind !== 'cloud' && kind !== 'edge' && kind !== 'local') throw new DispersalError('invalid-location', `location ${l.id}: kind must be cloud, edge or local`);
  if (typeof l.trustZone !== 'string' || l.trustZone.length === 0) throw new DispersalError('invalid-location', `location ${l.id}: trust zone must be a non-empty string`);
  if (!Number.isInteger(l.isolationTier) || l.isolationTier < 0) throw new DispersalError('invalid-location', `location ${l.id}: isolation tier must be an integer >= 0`);
  const a = l.attributes;
  if (a.latitude !== undefined && !(a.latitude >= -90 && a.latitude <= 90)) throw new DispersalError('invalid-location', `location ${l.id}: latitude must be in [-90, 90]`);
  if (a.longitude !== undefined && !(a.longitude >= -180 && a.longitude <= 180)) throw new DispersalError('invalid-location', `location ${l.id}: longitude must be in [-180, 180]`);
  for (const field of ['storageCostPerGbMonth', 'ingressCostPerGb', 'egressCostPerGb'] as const) {
    const v = a[field];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new DispersalError('invalid-location', `location ${l.id}: ${field} must be a number >= 0`);
  }
  return l;
}
