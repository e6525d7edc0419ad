// Human output: aligned text tables, key/value listings of one record, and the cell formats they share.

export interface Column<R> {
  readonly header: string;
  readonly value: (row: R) => unknown;
  /** Numbers read better right-aligned. */
  readonly align?: 'left' | 'right';
}

/** One cell's text: '-' for nothing, lists joined by commas, nested values as compact JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : cell(v))).join(',');
  return JSON.stringify(value);
}

/** Display width: wide enough for the Latin, Greek and Cyrillic names locations carry; no dependency for East Asian widths. */
function width(text: string): number {
  return Array.from(text).length;
}

function pad(text: string, to: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** A table with a header line; columns two spaces apart; no trailing spaces. */
export function formatTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row)).replace(/\s*\n\s*/g, ' ')));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i] ?? ''))));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => {
        const last = i === values.length - 1;
        const align = columns[i]?.align ?? 'left';
        return last && align === 'left' ? v : pad(v, widths[i] ?? 0, align);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/**
 * The fields of one record, one `key  value` line each, nested objects flattened to dotted keys. Numbers named
 * `*bytes*` get a human size beside them.
 */
export function formatRecord(record: Readonly<Record<string, unknown>>): string {
  const lines: [string, string][] = [];
  const walk = (value: unknown, key: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, key === '' ? k : `${key}.${k}`);
      return;
    }
    let text = cell(value);
    if (typeof value === 'number' && /bytes/.test(key) && value >= 1024) text = `${text} (${formatBytes(value)})`;
    lines.push([key, text]);
  };
  walk(record, '');
  const keyWidth = Math.max(0, ...lines.map(([k]) => width(k)));
  return lines.map(([k, v]) => `${pad(k, keyWidth, 'left')}  ${v}`).join('\n');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: unknown): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '-';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit] ?? ''}`;
}

/** An RFC 3339 time as `YYYY-MM-DD HH:MM:SS` (UTC): tables stay narrow. */
export function formatTime(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '-';
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(ms)) return String(value);
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

export function formatMs(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms` : '-';
}
