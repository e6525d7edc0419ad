// `npm run bench:codec -- --out FILE.json [--filter TEXT] [--quick]`: codec benchmarks, MB/s of source bytes, one core.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGfKernel, relaxedSimdSupported } from '../src/core/gf256/index.ts';
import type { GfKernel } from '../src/core/gf256/kernel.ts';
import { codecBenchCases } from './cases/codec.ts';
import { cryptoBenchCases } from './cases/crypto.ts';
import { gfBenchCases } from './cases/gf.ts';
import { defaultMeasureOptions, measure, type BenchCase, type BenchResult } from './harness.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    filter: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

const kernels: GfKernel[] = [createGfKernel('js'), createGfKernel('wasm-simd')];
if (relaxedSimdSupported()) kernels.push(createGfKernel('wasm-relaxed'));

const cases: BenchCase[] = [...cryptoBenchCases(), ...gfBenchCases(), ...codecBenchCases(kernels)].filter(
  (c) => values.filter === undefined || `${c.name} ${c.backend} ${JSON.stringify(c.params)}`.includes(values.filter),
);
const options = values.quick ? { runs: 5, warmupRuns: 1, minTotalMs: 0 } : defaultMeasureOptions;

const results: BenchResult[] = [];
for (const c of cases) {
  const r = await measure(c, options);
  results.push(r);
  const params = Object.entries(r.params).map(([key, value]) => `${key}=${String(value)}`).join(' ');
  console.log(`${r.name.padEnd(18)} ${r.backend.padEnd(13)} ${r.MBps.toFixed(0).padStart(7)} MB/s  ${params}`);
}

if (values.out !== undefined) {
  writeFileSync(values.out, JSON.stringify(results.map(({ name, params, MBps, backend, runs, medianMs }) => ({ name, params, MBps, backend, runs, medianMs })), null, 2) + '\n');
  console.log(`\nwrote ${results.length} results to ${values.out}`);
}

// The targets, judged against figures measured in this same run.
const find = (name: string, backend: string, params: Record<string, unknown>): BenchResult | undefined =>
  results.find((r) => r.name === name && r.backend === backend && Object.entries(params).every(([key, value]) => r.params[key] === value));
const bestWasm = kernels.some((kernel) => kernel.backend === 'wasm-relaxed') ? 'wasm-relaxed' : 'wasm';
const seal = find('aes256gcm.seal', 'node:crypto', {})?.MBps;
const targets: [string, number | undefined, number | undefined][] = [
  [`rlnc.encode k=4 n=6 coded (${bestWasm})`, find('rlnc.encode', bestWasm, { k: 4, n: 6, systematic: false })?.MBps, 2000],
  [`rlnc.encode k=4 r=2 systematic (${bestWasm})`, find('rlnc.encode', bestWasm, { k: 4, n: 6, systematic: true })?.MBps, 6000],
  [`rlnc.decode k=4 2 data + 2 redundant (${bestWasm})`, find('rlnc.decode', bestWasm, { k: 4, n: 6, systematic: true })?.MBps, 2500],
  [`rlnc.encode k=16 n=20 coded (${bestWasm})`, find('rlnc.encode', bestWasm, { k: 16, n: 20, systematic: false })?.MBps, 700],
  ['rlnc.encode k=4 n=6 coded (js)', find('rlnc.encode', 'js', { k: 4, n: 6, systematic: false })?.MBps, 250],
  [`pipeline.encode (${bestWasm}) ≥ 20% of aes256gcm.seal`, find('pipeline.encode', bestWasm, {})?.MBps, seal === undefined ? undefined : seal * 0.2],
  [`pipeline.decode (${bestWasm}) ≥ 30% of aes256gcm.seal`, find('pipeline.decode', bestWasm, {})?.MBps, seal === undefined ? undefined : seal * 0.3],
];
console.log('\ntargets:');
for (const [label, got, want] of targets) {
  if (got === undefined || want === undefined) continue;
  console.log(`  ${got >= want ? 'met ' : 'MISS'}  ${label}: ${got.toFixed(0)} MB/s (target ${want.toFixed(0)})`);
}
