// The stored layout of an object version's bytes: which DispersedObjects it is made of, read and rewritten.

import { parseManifest } from '../core/format/manifest.ts';
import type { DispersedObject, Placement } from '../dispersal/index.ts';

export function parseDispersed(value: unknown): DispersedObject {
  const v = value as { manifest?: unknown; placement?: DispersedObject['placement'] };
  if (v.placement === undefined) throw new Error('stored object has no placement');
  return { manifest: parseManifest(v.manifest), placement: v.placement };
}

/*
 * The `dispersed` JSON of an object version has one of two shapes:
 *   a DispersedObject {manifest, placement}             an object written by one PutObject (or a copy)
 *   {version: 1, parts: [{partNumber, size, etag, dispersed: DispersedObject}]}
 *                                                       a multipart object: its parts in object order, each coded
 *                                                       and dispersed on its own (fragments named by the part's id)
 * Both stay readable forever; a new shape gets a new `version`.
 */
export const PARTS_LAYOUT_VERSION = 1;

/** One stretch of an object's bytes stored as one DispersedObject. */
export interface Segment {
  readonly offset: number;
  readonly size: number;
  readonly object: DispersedObject;
}

export interface StoredPartRef {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly dispersed: unknown;
}

/** The DispersedObjects an object version (or a GC locator) is made of, with their offsets in the object. */
export function segmentsOf(value: unknown, size: number): Segment[] {
  const v = value as { version?: unknown; parts?: unknown };
  if (v.parts === undefined) return [{ offset: 0, size, object: parseDispersed(value) }];
  if (v.version !== PARTS_LAYOUT_VERSION || !Array.isArray(v.parts)) throw new Error(`stored multipart layout has unknown version ${JSON.stringify(v.version)}`);
  let offset = 0;
  return (v.parts as StoredPartRef[]).map((part) => {
    const segment = { offset, size: part.size, object: parseDispersed(part.dispersed) };
    offset += part.size;
    return segment;
  });
}

/**
 * The stored layout `value` with the placement of each of its segments (in `segmentsOf` order) replaced, in the same
 * shape. Everything else, manifests included, is kept as it was stored: repair and evacuation only move fragments.
 */
export function withPlacements(value: unknown, placements: readonly Placement[]): unknown {
  const v = value as { version?: unknown; parts?: unknown; placement?: unknown };
  const placementAt = (i: number): Placement => {
    const placement = placements[i];
    if (placement === undefined) throw new Error(`no placement given for segment ${i}`);
    return placement;
  };
  if (v.parts === undefined) {
    if (placements.length !== 1) throw new Error(`a single-object layout has one segment, ${placements.length} placements given`);
    return { ...(value as Record<string, unknown>), placement: placementAt(0) };
  }
  if (v.version !== PARTS_LAYOUT_VERSION || !Array.isArray(v.parts)) throw new Error(`stored multipart layout has unknown version ${JSON.stringify(v.version)}`);
  const parts = v.parts as StoredPartRef[];
  if (placements.length !== parts.length) throw new Error(`the multipart layout has ${parts.length} segments, ${placements.length} placements given`);
  return {
    ...(value as Record<string, unknown>),
    parts: parts.map((part, i) => ({ ...part, dispersed: { ...(part.dispersed as Record<string, unknown>), placement: placementAt(i) } })),
  };
}

/** Bytes the fragments of a stored `dispersed` value take on locations (every segment, every generation). */
export function storedBytesOf(value: unknown, size: number): number {
  let total = 0;
  for (const segment of segmentsOf(value, size)) {
    for (const generation of segment.object.manifest.generations) for (const f of generation.fragments) total += f.size;
  }
  return total;
}
