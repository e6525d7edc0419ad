// The committed .wasm kernels must be exactly what scripts/build-wasm.mjs produces from the WebAssembly-text source.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { wasmArtifactUrl, type WasmVariant } from '../../src/core/gf256/wasm-kernel.ts';

const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
const variants: Readonly<Record<WasmVariant, string>> = { simd: 'gf256-simd.wasm', relaxed: 'gf256-relaxed.wasm' };

describe('GF(2^8) WebAssembly artifacts', () => {
  it('rebuild byte-for-byte from source', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'dispersa-wasm-'));
    try {
      const result = spawnSync(process.execPath, [script, '--out-dir', outDir], { encoding: 'utf8' });
      assert.equal(result.status, 0, `build-wasm failed:\n${result.stderr}`);
      for (const [variant, file] of Object.entries(variants) as [WasmVariant, string][]) {
        const rebuilt = readFileSync(join(outDir, file));
        const committed = readFileSync(wasmArtifactUrl(variant));
        assert.ok(rebuilt.equals(committed), `${file} differs from a fresh build: run \`npm run build:wasm\` and commit the result`);
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
