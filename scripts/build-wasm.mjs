// Rebuilds the GF(2^8) WebAssembly kernels (plain and relaxed swizzle) from their AssemblyScript source, byte-for-byte reproducibly.
//
// Usage: node scripts/build-wasm.mjs [--out-dir DIR]   (default: src/core/gf256/wasm)
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = 'src/core/gf256/wasm/assembly/index.ts';

/**
 * 38 pages = the layout in the source (scratch ends at 0x260000). initial = maximum: the memory
 * can never grow, so views of it held by the host are never detached.
 */
const common = [source, '-O3', '--noAssert', '--runtime', 'stub', '--initialMemory', '38', '--maximumMemory', '38', '--enable', 'simd'];

export const artifacts = [
  { file: 'gf256-simd.wasm', flags: [] },
  { file: 'gf256-relaxed.wasm', flags: ['--enable', 'relaxed-simd'] },
];

function parseArgs(argv) {
  let outDir = join(root, 'src/core/gf256/wasm');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out-dir' && argv[i + 1] !== undefined) outDir = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}; usage: build-wasm.mjs [--out-dir DIR]`);
  }
  return { outDir };
}

export async function buildWasm(outDir) {
  mkdirSync(outDir, { recursive: true });
  for (const artifact of artifacts) {
    const out = join(outDir, artifact.file);
    const stderr = asc.createMemoryStream();
    // Relative paths keep absolute directories out of the output, so any checkout builds the same bytes.
    const { error } = await asc.main([...common, ...artifact.flags, '-o', out], { stderr, baseDir: root });
    if (error) throw new Error(`asc failed for ${artifact.file}: ${error.message}\n${stderr.toString()}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir } = parseArgs(process.argv.slice(2));
  await buildWasm(outDir);
  console.log(`wrote ${artifacts.map((a) => a.file).join(', ')} to ${outDir}`);
}
