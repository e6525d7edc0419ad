// Where an object version's fragments live: the dispersal policy, fragment names, and per-object placement.

import type { CodingManifest, ObjectManifest } from '../core/format/manifest.ts';
import { validateCodecPolicy, type CodecPolicy } from '../core/pipeline.ts';
import { DispersalError } from './errors.ts';
import type { LocationRegistry } from './registry.ts';

export interface DispersalPolicy {
  readonly codec: CodecPolicy;
  /** n = k + r distinct location ids: packet i of every generation goes to locations[i]. */
  readonly locations: readonly string[];
  /** Fragments per generation that must be durable before a write succeeds, in [k, n]. */
  readonly writeQuorum: number;
}

export interface FragmentRef {
  readonly generation: number;
  readonly packetIndex: number;
}

export interface MovedFragment extends FragmentRef {
  readonly locationId: string;
}

export interface Placement {
  /** Home location of packet i, for every generation. */
  readonly locations: readonly string[];
  /** Fragments repair or evacuation put somewhere other than their home. */
  readonly moved: readonly MovedFragment[];
}

/** An object version as dispersal knows it; the metadata layer stores it after the write succeeded. */
export interface DispersedObject<M extends CodingManifest = ObjectManifest> {
  readonly manifest: M;
  readonly placement: Placement;
}

export function validateDispersalPolicy(policy: DispersalPolicy, registry?: LocationRegistry): void {
  try {
    validateCodecPolicy(policy.codec);
  } catch (e) {
    throw new DispersalError('invalid-policy', (e as Error).message, { cause: e });
  }
  const { k, r } = policy.codec;
  const n = k + r;
  if (policy.locations.length !== n) throw new DispersalError('invalid-policy', `the policy lists ${policy.locations.length} locations for n = k + r = ${n} packets`);
  if (new Set(policy.locations).size !== n) throw new DispersalError('invalid-policy', 'every packet of a generation must go to a different location');
  if (!Number.isInteger(policy.writeQuorum) || policy.writeQuorum < k || policy.writeQuorum > n) {
    throw new DispersalError('invalid-policy', `write quorum must be an integer in [k, n] = [${k}, ${n}], got ${String(policy.writeQuorum)}`);
  }
  if (registry !== undefined) {
    for (const id of policy.locations) if (!registry.has(id)) throw new DispersalError('invalid-policy', `the policy names unknown location ${JSON.stringify(id)}`);
  }
}

/** The opaque name a location stores a fragment under: nothing but the random object version id and two numbers. */
export function fragmentKey(objectVersionId: string, generation: number, packetIndex: number): string {
  return `${objectVersionId}/${generation}/${packetIndex}`;
}

export function locationOf(placement: Placement, generation: number, packetIndex: number): string {
  for (let i = placement.moved.length - 1; i >= 0; i--) {
    const m = placement.moved[i];
    if (m !== undefined && m.generation === generation && m.packetIndex === packetIndex) return m.locationId;
  }
  const home = placement.locations[packetIndex];
  if (home === undefined) throw new DispersalError('invalid-policy', `placement has no location for packet ${packetIndex}`);
  return home;
}

/** Locations holding some fragment of a generation. */
export function generationLocations(placement: Placement, generation: number, packets: number): Set<string> {
  const ids = new Set<string>();
  for (let p = 0; p < packets; p++) ids.add(locationOf(placement, generation, p));
  return ids;
}

/** The placement with one fragment recorded at a new location (back home drops the record). */
export function moveFragment(placement: Placement, generation: number, packetIndex: number, locationId: string): Placement {
  const moved = placement.moved.filter((m) => m.generation !== generation || m.packetIndex !== packetIndex);
  if (placement.locations[packetIndex] !== locationId) moved.push({ generation, packetIndex, locationId });
  return { locations: placement.locations, moved };
}

/** What repair, scrub, evacuation and deletion work on: an object without its wrapped data key, so they cannot decrypt. */
export type KeylessObject = DispersedObject<CodingManifest>;

/** Strips the wrapped key: the repair path is only ever handed this. */
export function withoutKey(object: DispersedObject): KeylessObject {
  const { wrappedDek: _dropped, ...manifest } = object.manifest;
  return { manifest, placement: object.placement };
}
