// Telemetry samples turned into chart series and availability figures (pure, unit-tested).

import type { Outage, ProbeKind, Sample } from './types.ts';

export const DAY_MS = 86_400_000;

/** uPlot's aligned data: x (seconds since the epoch) and one series per probe, null where that probe has no value. */
export function alignSamples(samples: readonly Sample[], probes: readonly ProbeKind[]): [number[], ...(number | null)[][]] {
  const times = [...new Set(samples.map((s) => Math.floor(Date.parse(s.at) / 1000)))].filter(Number.isFinite).sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const series = probes.map(() => new Array<number | null>(times.length).fill(null));
  for (const s of samples) {
    const column = probes.indexOf(s.probe);
    const row = index.get(Math.floor(Date.parse(s.at) / 1000));
    const target = series[column];
    if (column < 0 || row === undefined || target === undefined) continue;
    target[row] = s.ok && s.rtt_ms !== null && s.rtt_ms > 0 ? s.rtt_ms : null;
  }
  return [times, ...series];
}

export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** Outages clipped to [from, to] (epoch ms), an open one lasting until `to`. */
export function clipOutages(outages: readonly Outage[], from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (const o of outages) {
    const start = Math.max(from, Date.parse(o.start));
    const end = Math.min(to, o.end === null ? to : Date.parse(o.end));
    if (Number.isFinite(start) && Number.isFinite(end) && end > start) out.push({ start, end });
  }
  return out;
}

/** The share of [from, to] not covered by the outages, in [0, 1]. */
export function availability(outages: readonly Outage[], from: number, to: number): number {
  const clipped = clipOutages(outages, from, to).sort((a, b) => a.start - b.start);
  let down = 0;
  let reach = from;
  for (const c of clipped) {
    const start = Math.max(c.start, reach);
    if (c.end > start) {
      down += c.end - start;
      reach = c.end;
    }
  }
  return to > from ? 1 - down / (to - from) : 1;
}
