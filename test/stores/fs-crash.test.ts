// The fs store under crashes and failed writes: never a torn fragment under a key, no temp files left by failures.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { FsStore } from '../../src/stores/fs.ts';
import { collect, isStoreError } from './contract.ts';

let scratch = '';
let counter = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'dispersa-fs-crash-'));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function freshDir(): string {
  return join(scratch, `store-${++counter}`);
}

/** Every file under `dir`, as '/'-separated paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}

const isTemp = (path: string): boolean => /(^|\/)\.~tmp-/.test(path);

describe('fs store: layout and leftovers', () => {
  it('stores key a/b/c as the file <dir>/a/b/c', async () => {
    const dir = freshDir();
    const store = new FsStore({ dir });
    await store.put('a/b/c', new Uint8Array([1, 2, 3]));
    assert.deepEqual(new Uint8Array(await readFile(join(dir, 'a', 'b', 'c'))), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await filesUnder(dir), ['a/b/c']);
  });

  it('ignores temp files from crashed writes and foreign names, and never confuses them with keys', async () => {
    const dir = freshDir();
    const store = new FsStore({ dir });
    await store.put('a/1', new Uint8Array([1]));
    // What a crash mid-write leaves behind: a partial temp file next to the target.
    await writeFile(join(dir, 'a', '.~tmp-0123456789abcdef'), new Uint8Array(7));
    await writeFile(join(dir, '.~tmp-feedface'), new Uint8Array(3));
    await writeFile(join(dir, 'a', 'not a key'), new Uint8Array(2));
    await writeFile(join(dir, 'a', 'ü'), new Uint8Array(2));
    // Keys may start with '.' or look like temp names without the '~': they are ordinary keys.
    await store.put('a/.tmp-x', new Uint8Array([5, 5]));
    assert.deepEqual(await collect(store.list('')), [
      { key: 'a/.tmp-x', size: 2 },
      { key: 'a/1', size: 1 },
    ]);
    assert.deepEqual(await collect(store.list('a/.t')), [{ key: 'a/.tmp-x', size: 2 }]);
    assert.deepEqual(await store.get('a/1'), new Uint8Array([1]));
    await assert.rejects(store.get('a/.~tmp-0123456789abcdef'), isStoreError('invalid-key'));
  });

  it('prunes directories emptied by delete, never the store directory itself', async () => {
    const dir = freshDir();
    const store = new FsStore({ dir });
    await store.put('x/y/z/1', new Uint8Array(1));
    await store.put('x/2', new Uint8Array(1));
    await store.delete('x/y/z/1');
    assert.deepEqual(await readdir(join(dir, 'x')), ['2']);
    await store.delete('x/2');
    assert.deepEqual(await readdir(dir), []);
    assert.ok((await stat(dir)).isDirectory());
  });

  it('reports disk failures as unavailable', async () => {
    const dir = freshDir();
    const store = new FsStore({ dir });
    await store.put('f', new Uint8Array(1));
    // A path component that is a file cannot hold a directory.
    await assert.rejects(store.put('f/g', new Uint8Array(1)), isStoreError('unavailable'));
    await writeFile(join(scratch, `plain-file-${++counter}`), 'x');
    const onFile = new FsStore({ dir: join(scratch, `plain-file-${counter}`) });
    await assert.rejects(onFile.put('a', new Uint8Array(1)), isStoreError('unavailable'));
    await assert.rejects(collect(onFile.list('')), isStoreError('unavailable'));
  });
});

describe('fs store: failed writes', () => {
  it('a failing rename leaves the old fragments intact and no temp file', async () => {
    const dir = freshDir();
    const store = new FsStore({ dir });
    await store.put('a/b/c', new Uint8Array([1]));
    // 'a/b' names a directory of other keys, so the final rename of a put to 'a/b' fails after a full write.
    await assert.rejects(store.put('a/b', new Uint8Array(100_000)), isStoreError('unavailable'));
    assert.deepEqual(await filesUnder(dir), ['a/b/c']);
    assert.deepEqual(await store.get('a/b/c'), new Uint8Array([1]));
  });

  it('an abort in the middle of writing leaves the old fragment and no temp file', async () => {
    const dir = freshDir();
    const store = new FsStore({ dir, writeChunkBytes: 4096 });
    const before = new Uint8Array(1000).fill(1);
    await store.put('k/1', before);
    const controller = new AbortController();
    // Abort the moment the temp file appears: with 4 KiB writes of 32 MiB, the write has thousands of steps to go.
    const watcher = watch(join(dir, 'k'), (_event, name) => {
      if (typeof name === 'string' && name.startsWith('.~tmp-')) controller.abort();
    });
    try {
      await assert.rejects(store.put('k/1', new Uint8Array(32 << 20).fill(2), controller.signal), isStoreError('aborted'));
    } finally {
      watcher.close();
    }
    assert.deepEqual(await filesUnder(dir), ['k/1']);
    assert.deepEqual(await store.get('k/1'), before);
  });
});

describe('fs store: crash during overwrite', () => {
  it('after a SIGKILL mid-write the key holds the old or the new fragment whole', async () => {
    const dir = freshDir();
    const SIZE = 4 << 20;
    const moduleUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'stores', 'fs.ts')).href;
    const script = join(scratch, `writer-${counter}.mjs`);
    // Overwrites the same key forever with all-1 and all-2 fragments, saying "ready" after the first one is durable.
    await writeFile(
      script,
      `import { FsStore } from ${JSON.stringify(moduleUrl)};
const store = new FsStore({ dir: ${JSON.stringify(dir)}, writeChunkBytes: 65536 });
const one = new Uint8Array(${SIZE}).fill(1), two = new Uint8Array(${SIZE}).fill(2);
await store.put('victim/1', one);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) await store.put('victim/1', i % 2 === 0 ? two : one);
`,
    );
    await mkdir(dir, { recursive: true });
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            if (chunk.includes('ready')) resolve();
          });
          child.once('exit', (code) => { reject(new Error(`writer exited early (${code})`)); });
        });
        // Let it get well into the overwrite loop, at a different moment each round.
        await new Promise((resolve) => setTimeout(resolve, 40 + 37 * round));
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const store = new FsStore({ dir });
      const stored = await store.get('victim/1');
      assert.ok(stored !== null && stored.length === SIZE, `round ${round}: a whole fragment is stored`);
      const first = stored[0];
      assert.ok((first === 1 || first === 2) && stored.every((b) => b === first), `round ${round}: not torn`);
      assert.deepEqual(await collect(store.list('')), [{ key: 'victim/1', size: SIZE }]);
    }
    // Leftover temp files are possible after a kill, and only ever temp files.
    assert.ok((await filesUnder(dir)).every((f) => f === 'victim/1' || isTemp(f)));
  });
});
