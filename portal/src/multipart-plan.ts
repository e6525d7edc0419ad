// How a file is cut for upload: one PUT up to 8 MiB, else 8 MiB parts (bigger only past 10,000 parts) (pure, unit-tested).

export const SINGLE_PUT_LIMIT = 8 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
const MAX_PARTS = 10000;
/** Retries of one failed part before the upload stops and offers to resume. */
export const PART_RETRIES = 3;

/** Part size for a file: 8 MiB, larger (whole MiB) only when the file would need more than 10,000 parts. */
export function partSizeFor(size: number): number {
  const mib = 1024 * 1024;
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS / mib) * mib);
}

/** The parts of a file: [partNumber, start, end) ranges, at least one (an empty file is one empty part). */
export function planParts(size: number, partSize: number): { readonly partNumber: number; readonly start: number; readonly end: number }[] {
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, start: i * partSize, end: Math.min(size, (i + 1) * partSize) }));
}
