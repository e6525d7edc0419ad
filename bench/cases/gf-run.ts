// Prints the GF kernel benchmark cases on their own: node --import tsx bench/cases/gf-run.ts [name-filter]

import { defaultMeasureOptions, measure } from '../harness.ts';
import { gfBenchCases } from './gf.ts';

const filter = process.argv[2];
for (const benchCase of gfBenchCases()) {
  const label = `${benchCase.name} ${Object.entries(benchCase.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')} [${benchCase.backend}]`;
  if (filter !== undefined && !label.includes(filter)) continue;
  const result = await measure(benchCase, { ...defaultMeasureOptions, runs: 15, warmupRuns: 3 });
  console.log(`${label.padEnd(90)} ${result.MBps.toFixed(0).padStart(6)} MB/s  (median ${result.medianMs} ms, min ${result.minMs} ms)`);
}
