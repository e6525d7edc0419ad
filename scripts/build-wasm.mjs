// Rebuilds the GF(2^8) WebAssembly kernels (plain and relaxed swizzle) from their WebAssembly-text source, byte-for-byte reproducibly.
//
// Usage: node scripts/build-wasm.mjs [--out-dir DIR] [--wat]   (default: src/core/gf256/wasm; --wat also writes the text)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { kernelWat } from '../src/core/gf256/wasm/assembly/kernel-wat.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const artifacts = [
  { file: 'gf256-simd.wasm', relaxed: false },
  { file: 'gf256-relaxed.wasm', relaxed: true },
];

function parseArgs(argv) {
  let outDir = join(root, 'src/core/gf256/wasm');
  let wat = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out-dir' && argv[i + 1] !== undefined) outDir = resolve(argv[++i]);
    else if (argv[i] === '--wat') wat = true;
    else throw new Error(`unknown argument ${argv[i]}; usage: build-wasm.mjs [--out-dir DIR] [--wat]`);
  }
  return { outDir, wat };
}

/**
 * Text → binary with binaryen's parser and writer only. No optimisation pass runs: the functions
 * stay as written (the optimiser would inline the pass functions into `dot`).
 */
function assemble(text, relaxed) {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | (relaxed ? binaryen.Features.RelaxedSIMD : 0));
    if (!module.validate()) throw new Error('binaryen rejected the generated module');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

export function buildWasm(outDir, { wat = false } = {}) {
  mkdirSync(outDir, { recursive: true });
  for (const artifact of artifacts) {
    const text = kernelWat({ relaxed: artifact.relaxed });
    writeFileSync(join(outDir, artifact.file), assemble(text, artifact.relaxed));
    if (wat) writeFileSync(join(outDir, artifact.file.replace(/\.wasm$/, '.wat')), text);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, wat } = parseArgs(process.argv.slice(2));
  buildWasm(outDir, { wat });
  console.log(`wrote ${artifacts.map((a) => a.file).join(', ')} to ${outDir}`);
}
