// Parsers of option values (numbers, sizes, durations, lists, `key=value`): bad input is a usage error before any request is sent.

import { InvalidArgumentError } from 'commander';
import { usageError } from './errors.ts';

export function parseInteger(value: string): number {
  if (!/^-?[0-9]+$/.test(value.trim())) throw new InvalidArgumentError('expected an integer.');
  return Number(value);
}

export function parseNonNegativeInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 0) throw new InvalidArgumentError('expected an integer >= 0.');
  return n;
}

export function parseNumber(value: string): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4 };

/** Bytes: `4194304`, `4MiB`, `4M` (binary), `4MB` (decimal). */
export function parseBytes(value: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const factor = m === null ? undefined : SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  if (m === null || factor === undefined) throw new InvalidArgumentError('expected a size in bytes, e.g. 4194304, 4MiB or 512KiB.');
  const bytes = Number(m[1]) * factor;
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError('expected a whole number of bytes.');
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds: `3600`, `90s`, `15m`, `12h`, `30d`. */
export function parseDurationSeconds(value: string): number {
  const m = /^\s*([0-9]+)\s*([smhd]?)\s*$/.exec(value);
  const factor = m === null ? undefined : DURATION_UNITS[m[2] ?? ''];
  if (m === null || factor === undefined) throw new InvalidArgumentError('expected a duration: seconds, or a number with s, m, h or d (e.g. 12h).');
  return Number(m[1]) * factor;
}

/** `a,b,c` → ['a', 'b', 'c']; repeated options add up. Empty items are dropped. */
export function parseList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A parser accepting one of `choices` (case-insensitive), returned as written in `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    const found = choices.find((c) => c.toLowerCase() === value.trim().toLowerCase());
    if (found === undefined) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return found;
  };
}

/** `name=value` pairs (repeatable options and arguments) → an ordered list; the same name twice is an error. */
export function keyValues(pairs: readonly string[], what: string): [string, string][] {
  const seen = new Set<string>();
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (key === '') throw usageError(`${what} ${JSON.stringify(pair)} is not of the form NAME=VALUE`);
    if (seen.has(key)) throw usageError(`${what}: ${key} is given twice`);
    seen.add(key);
    return [key, pair.slice(eq + 1).trim()];
  });
}
