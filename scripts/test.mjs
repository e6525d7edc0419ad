// `npm test`: type check, lint, then the whole node:test suite once per GF(2^8) backend. Fails on the first failing step.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

function run(title, command, args, env = {}) {
  console.log(`\n=== ${title}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`=== FAILED: ${title} (exit ${result.status ?? result.signal}, ${seconds} s)`);
    process.exit(1);
  }
  console.log(`=== ok: ${title} (${seconds} s)`);
}

// Which backends: all by default; DISPERSA_TEST_BACKENDS=js,wasm narrows it for a quick local run.
const backends = (process.env.DISPERSA_TEST_BACKENDS ?? 'js,wasm-simd,wasm').split(',').filter(Boolean);
const only = process.argv.slice(2);
const files = only.length > 0 ? only : testFiles(join(root, 'test')).sort();

if (only.length === 0) {
  run('typecheck (tsc --noEmit)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit']);
  run('typecheck the portal (tsc -p portal --noEmit)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'portal', '--noEmit']);
  run('lint (eslint, type-aware)', bin('eslint'), ['--max-warnings', '0', '.']);
}
// Fragment stores, metadata and the S3 protocol layer never touch GF arithmetic, and the gateway and client
// compatibility suites, the control plane, the CLI, the walkthroughs and the portal exercise the whole server (the codec underneath is covered on every backend by the rest):
// they run once, on the default backend; everything else runs once per backend.
const BACKEND_FREE = ['stores', 'meta', 's3', 'gateway', 'compat', 'admin', 'cli', 'objects', 'e2e', 'portal', 'portal-unit'].map((dir) => join('test', dir) + '/');
const backendFree = (file) => BACKEND_FREE.some((dir) => file.startsWith(dir));
const once = files.filter(backendFree);
const perBackend = files.filter((file) => !backendFree(file));
if (once.length > 0) run(`tests run once: ${BACKEND_FREE.join(', ')} (node ${process.version})`, process.execPath, ['--import', 'tsx', '--test', ...once]);
for (const backend of backends) {
  if (perBackend.length === 0) break;
  run(`tests on GF backend ${backend} (node ${process.version})`, process.execPath, ['--import', 'tsx', '--test', ...perBackend], { DISPERSA_GF_BACKEND: backend });
}
console.log(`\nall checks passed on node ${process.version}, GF backends: ${backends.join(', ')}`);
