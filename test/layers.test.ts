// Layer rules: the codec core stays pure (no network, no disk, no clock), and layers import downward only.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const core = join(root, 'src', 'core');
const src = join(root, 'src');

/** Node built-ins the pure core may use: hashing, ciphers, compression. */
const CORE_BUILTINS = new Set(['node:crypto', 'node:zlib', 'node:buffer']);
/** The one file allowed to read from disk: it loads the committed WebAssembly kernels next to it. */
const CORE_DISK_EXCEPTIONS = new Map([['src/core/gf256/wasm-kernel.ts', new Set(['node:fs', 'node:v8'])]]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'assembly' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? '');
}

it('src/core imports only itself and pure Node built-ins', () => {
  const files = sources(core);
  assert.ok(files.length > 10, 'found the core sources');
  const violations: string[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    for (const spec of imports(file)) {
      if (spec.startsWith('.')) {
        if (!resolve(dirname(file), spec).startsWith(core)) violations.push(`${rel} imports ${spec} (outside src/core)`);
      } else if (!CORE_BUILTINS.has(spec) && !(CORE_DISK_EXCEPTIONS.get(rel)?.has(spec) ?? false)) {
        violations.push(`${rel} imports ${spec}`);
      }
    }
    if (/\b(Date\.now|new Date\(|Math\.random|randomBytes|process\.hrtime)/.test(readFileSync(file, 'utf8'))) {
      violations.push(`${rel} reads the clock or a random source (pass them in instead)`);
    }
  }
  assert.deepEqual(violations, []);
});

/** Which top-level source directories each layer may import from (dependencies point downward only). */
const LAYERS: Record<string, readonly string[]> = {
  stores: ['stores'],
  dispersal: ['dispersal', 'core', 'stores'],
  meta: ['meta'],
  s3: ['s3'],
  edge: ['edge', 's3', 'stores'],
  objects: ['objects', 'core', 'dispersal', 'stores', 'meta', 's3'],
  admin: ['admin', 'objects', 'core', 'dispersal', 'stores', 'meta', 's3'],
  // The command line sits on top: it starts the servers (app.ts, config.ts) and talks to the admin API.
  cli: ['cli', 'admin', 'objects', 'core', 'dispersal', 'stores', 'meta', 's3', 'edge', 'app.ts', 'config.ts'],
};

it('layers import downward only', () => {
  const violations: string[] = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    for (const file of sources(join(src, layer))) {
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(src, resolve(dirname(file), spec)).split('/')[0] ?? '';
        if (!allowed.includes(target)) violations.push(`${relative(root, file)} imports ${spec} (${layer} may use ${allowed.join(', ')})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

it('repair, scrub, evacuation and deletion cannot reach a key', () => {
  const keyless = ['repair.ts', 'scrub.ts', 'evacuate.ts', 'remove.ts'].map((f) => join(src, 'dispersal', f));
  const violations: string[] = [];
  for (const file of keyless) {
    const text = readFileSync(file, 'utf8');
    for (const spec of imports(file)) if (/crypto|reader|writer/.test(spec)) violations.push(`${relative(root, file)} imports ${spec}`);
    for (const word of ['wrappedDek', 'bucketKek', 'decodeObject', 'openGeneration', 'unwrapDek']) {
      if (text.includes(word)) violations.push(`${relative(root, file)} mentions ${word}`);
    }
  }
  assert.deepEqual(violations, []);
});
