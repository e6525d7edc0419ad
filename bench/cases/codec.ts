// RLNC and whole-pipeline benchmark cases, per GF backend, at 4 MiB generations.

import type { GfKernel } from '../../src/core/gf256/kernel.ts';
import { decodeObject, FragmentPool, ObjectEncoder, type CodecPolicy, type FragmentSource } from '../../src/core/pipeline.ts';
import { RlncDecoder, encodeGeneration, generatorMatrix, matrixRow } from '../../src/core/rlnc/index.ts';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import type { BenchCase } from '../harness.ts';

const MiB = 1024 * 1024;
const GENERATION = 4 * MiB;

export const RLNC_SHAPES = [
  { k: 4, n: 6 },
  { k: 8, n: 12 },
  { k: 16, n: 20 },
] as const;

function rlncCases(kernel: GfKernel, k: number, n: number, systematic: boolean): BenchCase[] {
  const symbolSize = GENERATION / k;
  const seed = seededBytes(k * 100 + n, 16);
  const params = { k, r: n - k, systematic };
  const generator = generatorMatrix(params, seed, 0);
  const source = seededBytes(k + n, GENERATION);
  // Encoding produces what is sent: for a systematic code only the r parity rows need computing.
  const encodedRows = Array.from({ length: systematic ? n - k : n }, (_, i) => (systematic ? k + i : i));
  const outputs = encodedRows.map(() => new Uint8Array(symbolSize));
  const all = Array.from({ length: n }, () => new Uint8Array(symbolSize));
  encodeGeneration(kernel, generator, source, symbolSize, all.map((_, i) => i), all);
  // Worst-case decode: every redundant packet, completed by the last data packets.
  const received = Array.from({ length: k }, (_, i) => n - k + i);
  const decoded = new Uint8Array(GENERATION);
  const shape = { k, n, generation: '4MiB', systematic };
  return [
    {
      name: 'rlnc.encode',
      params: { ...shape, rows: systematic ? `${n - k} parity` : `${n} coded` },
      backend: kernel.backend,
      bytesPerRun: GENERATION,
      run: () => { encodeGeneration(kernel, generator, source, symbolSize, encodedRows, outputs); },
    },
    {
      name: 'rlnc.decode',
      params: { ...shape, packets: systematic ? `${n - k} redundant + ${2 * k - n} data` : `${k} coded` },
      backend: kernel.backend,
      bytesPerRun: GENERATION,
      run: () => {
        const d = new RlncDecoder(k, symbolSize);
        for (const p of received) d.add(matrixRow(generator, p), all[p] ?? new Uint8Array(0));
        d.decodeInto(kernel, decoded);
      },
    },
  ];
}

function pipelineCases(kernel: GfKernel): BenchCase[] {
  const policy: CodecPolicy = { k: 4, r: 2, systematic: false, generationSize: GENERATION, compression: { scheme: 'none', level: 0 }, coefficients: 'inline' };
  const objectSize = 4 * GENERATION;
  const body = seededBytes(4242, objectSize);
  const bucketKek = seededBytes(1, 32);
  const random = seededRandom(9);
  const stored = new Map<string, Uint8Array>();
  // As a writer does: fragment buffers go back to a shared pool once stored (here: at once).
  const pool = new FragmentPool();
  const encodeOnce = async (keep: boolean) => {
    const encoder = new ObjectEncoder(policy, { kernel, bucketKek, random, pool });
    for await (const g of encoder.encode([body])) {
      if (keep) for (const f of g.fragments) stored.set(`${g.index}/${f.packetIndex}`, f.bytes);
      else g.release();
    }
    return encoder.manifest();
  };
  let manifest: Awaited<ReturnType<typeof encodeOnce>> | undefined;
  const source: FragmentSource = { fetch: (g, p) => Promise.resolve(stored.get(`${g}/${p}`) ?? null) };
  const params = { k: 4, n: 6, generation: '4MiB', compression: 'none', object: '16MiB' };
  return [
    { name: 'pipeline.encode', params, backend: kernel.backend, bytesPerRun: objectSize, run: async () => { await encodeOnce(false); } },
    {
      name: 'pipeline.decode',
      params,
      backend: kernel.backend,
      bytesPerRun: objectSize,
      run: async () => {
        manifest ??= await encodeOnce(true);
        for await (const _ of decodeObject(manifest, source, { kernel, bucketKek })) { /* consume */ }
      },
    },
  ];
}

export function codecBenchCases(kernels: readonly GfKernel[]): BenchCase[] {
  return kernels.flatMap((kernel) => [
    ...RLNC_SHAPES.flatMap(({ k, n }) => [...rlncCases(kernel, k, n, false), ...rlncCases(kernel, k, n, true)]),
    ...pipelineCases(kernel),
  ]);
}
