// The portal's initial JavaScript stays small: builds the portal afresh and gzips what index.html loads up front
// (its module script and modulepreload links) — at most 300 KB; the world map and the charts load later.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIMIT_BYTES = 300 * 1024;

/** The JavaScript index.html makes the browser fetch before anything runs. */
export function initialScripts(html: string): string[] {
  const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"/g)].map((m) => m[1] ?? '');
  const preloads = [...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+\.js)"/g)].map((m) => m[1] ?? '');
  return [...new Set([...scripts, ...preloads])];
}

describe('portal bundle', () => {
  const out = mkdtempSync(join(tmpdir(), 'dispersa-portal-'));
  after(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('builds, and its initial JavaScript is at most 300 KB gzipped', (t) => {
    const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const built = spawnSync(process.execPath, [vite, 'build', 'portal', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(built.status, 0, `vite build failed:\n${built.stdout}\n${built.stderr}`);

    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const initial = initialScripts(html);
    assert.ok(initial.length > 0, 'index.html loads no script');
    let total = 0;
    for (const src of initial) {
      assert.ok(src.startsWith('/assets/'), `scripts load from /assets/ (base '/'), got ${src}`);
      const gz = gzipSync(readFileSync(join(out, src)), { level: 9 }).length;
      t.diagnostic(`${src}: ${gz} bytes gzipped`);
      total += gz;
    }
    t.diagnostic(`initial JavaScript: ${total} bytes gzipped (${(total / 1024).toFixed(1)} KB; limit ${LIMIT_BYTES / 1024} KB)`);
    assert.ok(total <= LIMIT_BYTES, `initial JavaScript is ${total} bytes gzipped, over ${LIMIT_BYTES}`);

    // The map (TopoJSON) and uPlot are chunks of their own, fetched only on the Locations page.
    const chunks = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js'));
    for (const lazy of ['world-map', 'rtt-chart']) {
      const chunk = chunks.find((f) => f.startsWith(`${lazy}-`));
      assert.ok(chunk !== undefined, `no ${lazy} chunk in ${chunks.join(', ')}`);
      assert.ok(!initial.includes(`/assets/${chunk}`), `${chunk} is loaded up front`);
    }
  });

  it('finds module scripts and preloads in index.html', () => {
    const html = '<script type="module" crossorigin src="/assets/index-1.js"></script><link rel="modulepreload" crossorigin href="/assets/vendor-2.js"><link rel="stylesheet" href="/assets/a.css">';
    assert.deepEqual(initialScripts(html), ['/assets/index-1.js', '/assets/vendor-2.js']);
  });
});
