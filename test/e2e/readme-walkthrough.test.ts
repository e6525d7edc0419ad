// The README's walkthrough, run as written (with `set -euo pipefail`): a policy, a bucket, telemetry, metrics, audit.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));

function walkthrough(): string {
  const readme = readFileSync(`${root}/README.md`, 'utf8');
  const match = /<!-- walkthrough:begin -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  assert.ok(match?.[1] !== undefined, 'README.md has a walkthrough block between its markers');
  return match[1];
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => { resolve(false); });
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true); }); });
  });
}

describe('README walkthrough', () => {
  it('runs as written against a fresh gateway', { timeout: 300_000 }, async () => {
    for (const port of [9000, 9001]) assert.ok(await portFree(port), `the walkthrough uses port ${port}: stop whatever listens there`);
    const script = `set -euo pipefail\n${walkthrough()}`;
    // Its own process group, so the gateway it starts goes too if the script fails half-way.
    const child = spawn('bash', ['-c', script], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => { process.kill(-(child.pid ?? 0), 'SIGKILL'); }, 240_000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    try {
      process.kill(-(child.pid ?? 0), 'SIGTERM');
    } catch {
      // the group is gone already
    }
    const output = `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    assert.equal(code, 0, output);
    assert.match(stdout, /policy three-sites created \(version 1\)/, output);
    assert.match(stdout, /reports\s+root\s+three-sites v1\s+1\s/, output);
    assert.match(stdout, /local-3\s+local\s+active/, output);
    assert.match(stdout, /dispersa_s3_requests_total\{operation="PutObject",status="200"\} 1/, output);
    assert.match(stdout, /dispersa_fragment_operations_total\{location="local-1",op="put",result="ok"\}/, output);
    assert.match(stdout, /policy\.create/, output);
    assert.match(stdout, /audit chain intact: \d+ entries/, output);
  });
});
