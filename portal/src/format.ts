// Formatting of sizes, times, money and ratios for display.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Bytes in binary units: `0 B`, `999 B`, `1.5 KiB`, `12.3 MiB`, `120 GiB` (three significant digits above 1 KiB). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  // 1023.9 KiB would print as "1024 KiB": move up a unit instead.
  let text = value.toFixed(digits);
  if (Number(text) >= 1024 && unit < UNITS.length - 1) {
    unit++;
    text = (value / 1024).toFixed(2);
  }
  return `${trimZeros(text)} ${UNITS[unit] ?? ''}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

// One formatter for every call: toLocaleString builds a new one each time, which shows in lists of 1000 rows.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: 12345 → `12,345`. */
export function formatCount(n: number): string {
  return COUNT.format(Math.round(n));
}

/** A ratio as the multiple of the data stored: 6/4 → `1.5×`, 3/2 → `1.5×`, 5/3 → `1.67×`. */
export function formatRatio(ratio: number): string {
  return `${trimZeros(ratio.toFixed(2))}×`;
}

/** Dollars with enough digits for per-GB prices: 0.0245 → `$0.0245`, 12.5 → `$12.50`. */
export function formatDollars(amount: number): string {
  if (!Number.isFinite(amount)) return '—';
  if (amount === 0) return '$0';
  if (amount >= 1) return `$${amount.toFixed(2)}`;
  // Four significant digits at most, trailing zeros dropped.
  return `$${trimZeros(amount.toPrecision(3))}`;
}

/** Milliseconds for RTTs: `0.42 ms`, `12.3 ms`, `1.25 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${trimZeros((ms / 1000).toFixed(2))} s`;
  if (ms >= 10) return `${trimZeros(ms.toFixed(1))} ms`;
  return `${trimZeros(ms.toFixed(2))} ms`;
}

/** An RFC 3339 time (or epoch ms) as `2026-11-22 10:00:00 UTC`; `—` for none. */
export function formatTime(time: string | number | null | undefined): string {
  if (time === null || time === undefined || time === '') return '—';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A duration in seconds in the largest sensible unit: 900 → `15 minutes`, 86400 → `1 day`. */
export function formatDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** `n` things with the right plural: plural(1, 'location') → `1 location`, plural(2, 'location') → `2 locations`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
