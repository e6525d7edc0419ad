// What a storage policy means, in words, computed from its k and r and the attributes of the locations it lists.

import { formatDollars, formatRatio, plural } from './format.ts';

/** What the explanation needs to know of a location. */
export interface PlacedLocation {
  readonly id: string;
  readonly kind: 'local' | 'cloud' | 'edge';
  readonly trustZone: string;
  readonly provider?: string | undefined;
  readonly country?: string | undefined;
  readonly jurisdiction?: string | undefined;
  readonly gdprCompliant?: boolean | undefined;
  readonly storageCostPerGbMonth?: number | undefined;
}

export interface PolicyShape {
  /** In the order the policy lists them: backends first, then edge devices. The first n hold packets. */
  readonly locations: readonly PlacedLocation[];
  /** k */
  readonly dataPackets: number;
  /** r */
  readonly redundantPackets: number;
}

export interface Explanation {
  /** False when the shape cannot be saved as it is; `problems` say why. */
  readonly valid: boolean;
  readonly problems: readonly string[];
  /** Clauses, each a fact about the policy ("survives any 2 locations failing"). */
  readonly facts: readonly string[];
  /** Warnings that do not stop saving (a provider able to rebuild the data on its own, unknown costs). */
  readonly warnings: readonly string[];
  /** Dollars per GB of object data per month over the packet-holding locations; undefined when no cost is known. */
  readonly costPerGbMonth: number | undefined;
  /** n / k */
  readonly overhead: number | undefined;
  /** Everything as one paragraph. */
  readonly text: string;
}

const MAX_PACKETS = 255;

/** Groups of the packet holders by a property; the largest group decides whether one party holds k packets. */
function largestGroup(holders: readonly PlacedLocation[], keyOf: (l: PlacedLocation) => string | undefined): { readonly key: string; readonly count: number } | undefined {
  const counts = new Map<string, number>();
  for (const l of holders) {
    const key = keyOf(l);
    if (key === undefined || key === '') continue;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let best: { key: string; count: number } | undefined;
  for (const [key, count] of counts) if (best === undefined || count > best.count) best = { key, count };
  return best;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

export function explainPolicy(shape: PolicyShape): Explanation {
  const k = shape.dataPackets;
  const r = shape.redundantPackets;
  const problems: string[] = [];
  const facts: string[] = [];
  const warnings: string[] = [];
  const listed = shape.locations.length;

  if (!Number.isInteger(k) || k < 1) problems.push('k (data packets) must be a whole number ≥ 1.');
  if (!Number.isInteger(r) || r < 0) problems.push('r (redundant packets) must be a whole number ≥ 0.');
  if (listed === 0) problems.push('Choose at least one location.');
  const n = k + r;
  if (problems.length === 0 && n > MAX_PACKETS) problems.push(`n = k + r = ${n} is more than ${MAX_PACKETS} packets.`);
  if (problems.length === 0 && n > listed) {
    problems.push(`n = k + r = ${n} fragments need ${plural(n, 'location')}, but only ${listed} ${listed === 1 ? 'is' : 'are'} chosen: choose more locations or lower k or r.`);
  }
  if (problems.length > 0) {
    return { valid: false, problems, facts, warnings, costPerGbMonth: undefined, overhead: undefined, text: problems.join(' ') };
  }

  const holders = shape.locations.slice(0, n);
  const standbys = shape.locations.slice(n);
  const overhead = n / k;

  facts.push(
    r === 0
      ? 'survives no location failing (r = 0: every packet-holding location is needed to read)'
      : `survives any ${plural(r, 'location')} failing (any ${k} of the ${n} fragments of each generation rebuild it)`,
  );
  facts.push(`stores ${formatRatio(overhead)} the data (n/k = ${n}/${k})`);

  // Each packet-holding location keeps 1/k of the data's size.
  const priced = holders.filter((l) => typeof l.storageCostPerGbMonth === 'number');
  let costPerGbMonth: number | undefined;
  if (priced.length > 0) {
    costPerGbMonth = priced.reduce((sum, l) => sum + (l.storageCostPerGbMonth ?? 0), 0) / k;
    const unpriced = holders.length - priced.length;
    facts.push(`estimated ${formatDollars(costPerGbMonth)}/GB/month` + (unpriced > 0 ? ` (${plural(unpriced, 'location')} without a storage cost counted as $0)` : ''));
  } else {
    facts.push('estimated cost unknown (no chosen location has a storage cost set)');
  }

  const zone = largestGroup(holders, (l) => l.trustZone);
  const provider = largestGroup(holders, (l) => l.provider);
  const zoneOk = zone === undefined || zone.count < k;
  const providerOk = provider === undefined || provider.count < k;
  if (providerOk) facts.push(`no single provider holds k fragments (k = ${k})${zoneOk ? ', nor does any trust zone' : ''}`);
  else warnings.push(`Provider "${provider.key}" holds ${provider.count} of the ${n} fragments of each generation: enough (k = ${k}) to rebuild the ciphertext without the others.`);
  if (!zoneOk && (providerOk || provider.key !== zone.key)) {
    warnings.push(`Trust zone "${zone.key}" holds ${zone.count} of the ${n} fragments of each generation: enough (k = ${k}) to rebuild the ciphertext without the others.`);
  }

  const countries = [...new Set(holders.map((l) => l.country).filter((c): c is string => c !== undefined && c !== ''))].sort();
  const jurisdictions = [...new Set(holders.map((l) => l.jurisdiction).filter((c): c is string => c !== undefined && c !== ''))].sort();
  if (countries.length > 0 || jurisdictions.length > 0) {
    const where: string[] = [];
    if (countries.length > 0) where.push(`${countries.length === 1 ? 'country' : 'countries'} ${list(countries)}`);
    if (jurisdictions.length > 0) where.push(`${jurisdictions.length === 1 ? 'jurisdiction' : 'jurisdictions'} ${list(jurisdictions)}`);
    facts.push(`places data in ${where.join(', ')}`);
  }
  if (holders.every((l) => l.gdprCompliant === true)) facts.push('keeps every fragment at GDPR-compliant locations');
  else if (holders.some((l) => l.gdprCompliant === false)) warnings.push(`Not GDPR compliant: ${list(holders.filter((l) => l.gdprCompliant === false).map((l) => l.id))}.`);

  if (standbys.length > 0) facts.push(`keeps ${list(standbys.map((l) => l.id))} as ${standbys.length === 1 ? 'a standby' : 'standbys'} (no fragments now; repair and evacuation prefer them)`);

  const text = [`This policy ${facts.join('; ')}.`, ...warnings].join(' ');
  return { valid: true, problems, facts, warnings, costPerGbMonth, overhead, text };
}
