// Benchmark harness: runs named cases, reports the median MB/s over repeated runs (not a timed test).

export type BenchParams = Readonly<Record<string, string | number | boolean>>;

export interface BenchCase {
  /** Dotted case name, e.g. `rlnc.encode`. Parameters go in `params`, not in the name. */
  readonly name: string;
  readonly params: BenchParams;
  /** GF backend or implementation the case ran on (`js`, `wasm`, `wasm-relaxed`, `node:crypto`, ...). */
  readonly backend: string;
  /** Source bytes one call of `run` processes; MB/s = bytesPerRun / seconds / 1e6. */
  readonly bytesPerRun: number;
  run(): void | Promise<void>;
}

export interface BenchResult {
  readonly name: string;
  readonly params: BenchParams;
  readonly backend: string;
  readonly MBps: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface MeasureOptions {
  /** Timed runs after warm-up (the median is reported); at least 5. */
  readonly runs: number;
  readonly warmupRuns: number;
  /** Keep running until this much time was spent, so short cases get more samples. */
  readonly minTotalMs: number;
}

export const defaultMeasureOptions: MeasureOptions = { runs: 7, warmupRuns: 2, minTotalMs: 300 };

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  const a = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? a : (a + (sorted[mid - 1] ?? a)) / 2;
}

export async function measure(benchCase: BenchCase, options: MeasureOptions = defaultMeasureOptions): Promise<BenchResult> {
  for (let i = 0; i < options.warmupRuns; i++) await benchCase.run();
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < Math.max(5, options.runs) || performance.now() - started < options.minTotalMs) {
    const t0 = performance.now();
    await benchCase.run();
    samples.push(performance.now() - t0);
    if (samples.length >= 1000) break;
  }
  samples.sort((a, b) => a - b);
  const medianMs = median(samples);
  return {
    name: benchCase.name,
    params: benchCase.params,
    backend: benchCase.backend,
    MBps: Math.round((benchCase.bytesPerRun / (medianMs / 1000) / 1e6) * 10) / 10,
    runs: samples.length,
    medianMs: Math.round(medianMs * 1000) / 1000,
    minMs: Math.round((samples[0] ?? 0) * 1000) / 1000,
    maxMs: Math.round((samples[samples.length - 1] ?? 0) * 1000) / 1000,
  };
}

export { seededBytes } from '../src/core/seeded.ts';
