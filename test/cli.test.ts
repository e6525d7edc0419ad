// The `dispersa` command as a user runs it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const bin = fileURLToPath(new URL('../bin/dispersa.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: process.env });

describe('dispersa command', () => {
  it('selftest passes and names the GF backend in use', () => {
    const r = run('selftest');
    assert.equal(r.status, 0, r.stderr);
    const expected = process.env.DISPERSA_GF_BACKEND === 'js' ? 'js' : process.env.DISPERSA_GF_BACKEND === 'wasm-simd' ? 'wasm' : undefined;
    assert.match(r.stdout, /codec self-test passed \(GF backend (js|wasm|wasm-relaxed),/);
    if (expected !== undefined) assert.match(r.stdout, new RegExp(`GF backend ${expected},`));
  });
  it('prints its version and usage', () => {
    assert.match(run('version').stdout, /^dispersa \d+\.\d+\.\d+/);
    assert.match(run('--version').stdout, /^dispersa \d+\.\d+\.\d+/);
    for (const args of [['help'], ['--help'], []]) {
      const r = run(...args);
      assert.equal(r.status, 0, args.join(' '));
      assert.match(r.stdout, /Usage: dispersa <command>/);
    }
  });
  it('refuses an unknown command with exit code 2 and a pointer to the usage', () => {
    const r = run('frobnicate');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.match(r.stderr, /--help/);
  });
  it('refuses an unknown GF backend with a clear message', () => {
    const r = spawnSync(process.execPath, [bin, 'selftest'], { encoding: 'utf8', env: { ...process.env, DISPERSA_GF_BACKEND: 'avx9000' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /DISPERSA_GF_BACKEND/);
  });
});
