// Crash safety of `dispersa serve`: the gateway runs as a child process under concurrent PUTs and GETs and is
// killed with SIGKILL at seeded random moments, again and again. Acknowledged writes survive, no object is ever
// partially visible, and once the garbage collector has run nothing is left on disk that metadata does not account for.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { startGateway } from '../../src/app.ts';
import { seededBytes, seededRandom } from '../../src/core/seeded.ts';
import { openMetadata } from '../../src/meta/index.ts';
import { must } from '../support/must.ts';

const BIN = fileURLToPath(new URL('../../bin/dispersa.js', import.meta.url));
const ROOT = { accessKeyId: 'CRASHROOTKEY', secretAccessKey: 'crash-root-secret' };
const BUCKET = 'crashy';
const SEED = 20240611;
const KILLS = 22;
const KEYS = Array.from({ length: 12 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
const WRITERS = 4;
const READERS = 2;
const MiB = 1024 * 1024;

const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-crash-'));
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** A seeded source of decisions: kill moments, object sizes, key choices. */
const rng = seededRandom(SEED);
function uniform(): number {
  const b = rng(4);
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}
function below(n: number): number {
  return uniform() % n;
}

/** Sizes from empty to a few MiB, some crossing the 4 MiB generation boundary. */
function pickSize(): number {
  const roll = below(10);
  if (roll === 0) return 0;
  if (roll <= 3) return 1 + below(4096);
  if (roll <= 6) return 4096 + below(MiB);
  return MiB + below(3.5 * MiB);
}

interface Version {
  readonly seq: number;
  readonly size: number;
  readonly md5: string;
}

/** What the test knows about one key. Writes to a key are sequential, so "after the last acknowledged one" is well defined. */
interface KeyState {
  /** Every version ever attempted, by MD5: a GET must return exactly one of them. */
  readonly attempted: Map<string, Version>;
  /** The newest version known to be stored (acknowledged, or seen after a restart); undefined: the key must not exist. */
  durable: Version | undefined;
  /** Attempts after `durable` whose outcome is unknown (the gateway died or failed while they were in flight). */
  pending: Version[];
}

const state = new Map<string, KeyState>(KEYS.map((k) => [k, { attempted: new Map(), durable: undefined, pending: [] }]));
let nextSeq = 1;

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

function s3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: ROOT, maxAttempts: 1, requestHandler: { requestTimeout: 30_000 } });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Child {
  readonly process: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<void>;
  readonly stderr: string[];
}

function spawnGateway(port: number): Child {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--port', String(port), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISPERSA_ROOT_ACCESS_KEY: ROOT.accessKeyId, DISPERSA_ROOT_SECRET_KEY: ROOT.secretAccessKey },
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  return { process: child, exited, stderr };
}

function whenListening(child: Child): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => { reject(new Error(`the gateway did not start within 30 s: ${child.stderr.join('')}`)); }, 30_000);
    child.process.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const m = /S3 endpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void child.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited before it listened: ${child.stderr.join('')}`));
    });
  });
}

/** Reads every key and checks it against what was acknowledged; what is seen becomes the new durable state. */
async function verifyAll(s3: S3Client, round: number): Promise<void> {
  for (const key of KEYS) {
    const ks = must(state.get(key));
    let seen: Version | undefined;
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const bytes = await must(got.Body).transformToByteArray();
      seen = ks.attempted.get(md5(bytes));
      assert.ok(seen !== undefined && seen.size === bytes.length, `round ${round}: ${key} holds ${bytes.length} bytes that are no version ever written`);
    } catch (error) {
      if (!(error instanceof S3ServiceException && error.name === 'NoSuchKey')) throw error;
    }
    const allowed = [ks.durable, ...ks.pending];
    assert.ok(
      allowed.some((v) => v?.seq === seen?.seq),
      `round ${round}: ${key} shows ${seen === undefined ? 'nothing' : `version ${seen.seq}`}, but the last acknowledged is ${ks.durable?.seq ?? 'none'} (pending: ${ks.pending.map((v) => v.seq).join(', ') || 'none'})`,
    );
    ks.durable = seen;
    ks.pending = [];
  }
}

interface RoundStats {
  acked: number;
  failed: number;
  reads: number;
}

/** Writers and readers until `stop()`; resolves once every one of them has given up or been stopped. */
function workload(s3: S3Client, round: number, stats: RoundStats): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  const writer = async (w: number): Promise<void> => {
    const mine = KEYS.filter((_, i) => i % WRITERS === w);
    while (!stopped) {
      const key = must(mine[below(mine.length)]);
      const ks = must(state.get(key));
      const seq = nextSeq++;
      const bytes = seededBytes(seq, pickSize());
      const version = { seq, size: bytes.length, md5: md5(bytes) };
      ks.attempted.set(version.md5, version);
      ks.pending.push(version);
      try {
        const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
        assert.equal(put.ETag, `"${version.md5}"`, `round ${round}: the ETag of version ${seq} of ${key}`);
        ks.durable = version;
        ks.pending = [];
        stats.acked++;
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        stats.failed++;
        return; // the gateway is gone (or going): this writer is done for the round
      }
    }
  };
  const reader = async (): Promise<void> => {
    while (!stopped) {
      const key = must(KEYS[below(KEYS.length)]);
      let bytes: Uint8Array;
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        bytes = await must(got.Body).transformToByteArray();
      } catch (error) {
        if (error instanceof S3ServiceException && error.name === 'NoSuchKey') continue;
        return;
      }
      stats.reads++;
      const version = must(state.get(key)).attempted.get(md5(bytes));
      assert.ok(version !== undefined && version.size === bytes.length, `round ${round}: a GET of ${key} returned ${bytes.length} bytes that are no complete version`);
    }
  };
  const all = [...Array.from({ length: WRITERS }, (_, w) => writer(w)), ...Array.from({ length: READERS }, () => reader())];
  return {
    stop: () => { stopped = true; },
    done: Promise.all(all).then(() => undefined),
  };
}

/** Fragment files (`<location>/<versionId>/<generation>/<packet>`) and leftover temp files of interrupted writes. */
function storedFiles(): { fragments: { path: string; versionId: string }[]; temps: string[] } {
  const fragments: { path: string; versionId: string }[] = [];
  const temps: string[] = [];
  const root = join(dataDir, 'locations');
  const walk = (dir: string, depth: number, versionId: string | undefined): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1, depth === 1 ? e.name : versionId);
      else if (e.name.includes('~')) temps.push(p);
      else fragments.push({ path: p, versionId: versionId ?? '(none)' });
    }
  };
  if (existsSync(root)) walk(root, 0, undefined);
  return { fragments, temps };
}

describe('crash safety of dispersa serve (SIGKILL under load)', { timeout: 240_000 }, () => {
  it(`keeps every acknowledged PUT, never shows a partial object, and leaves no orphan after GC (${KILLS} kills, seed ${SEED})`, async (t) => {
    const port = await freePort();
    const internalErrors: string[] = [];
    let kills = 0;
    const totals: RoundStats = { acked: 0, failed: 0, reads: 0 };
    for (let round = 1; kills < KILLS; round++) {
      const child = spawnGateway(port);
      // Every fifth round the kill may land during start-up (self-test, start-up GC) rather than under load.
      const early = round % 5 === 0;
      const delay = early ? below(2_500) : 100 + below(1_400);
      if (early) {
        // Whether or not it got to listen, nothing was written meanwhile: the next round checks the state.
        const killer = setTimeout(() => child.process.kill('SIGKILL'), delay);
        await whenListening(child).catch(() => undefined);
        await child.exited;
        clearTimeout(killer);
        kills++;
        internalErrors.push(...child.stderr.filter((l) => l.includes('internal error')));
        continue;
      }
      const endpoint = await whenListening(child);
      const s3 = s3Client(endpoint);
      if (round === 1) await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await verifyAll(s3, round);
      const stats: RoundStats = { acked: 0, failed: 0, reads: 0 };
      const load = workload(s3, round, stats);
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.process.kill('SIGKILL');
      await child.exited;
      kills++;
      load.stop();
      await load.done;
      s3.destroy();
      totals.acked += stats.acked;
      totals.failed += stats.failed;
      totals.reads += stats.reads;
      internalErrors.push(...child.stderr.filter((l) => l.includes('internal error')));
    }
    t.diagnostic(`${kills} kills; ${totals.acked} PUTs acknowledged, ${totals.failed} cut off by a kill, ${totals.reads} complete GETs checked`);
    assert.ok(totals.acked > 50, `enough acknowledged PUTs to mean something (${totals.acked})`);

    // The final start collects at once: every write intent counts as stale, and the metadata clock is moved past
    // the GC leases the killed processes held.
    const before = storedFiles();
    const gateway = await startGateway({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      env: { DISPERSA_ROOT_ACCESS_KEY: ROOT.accessKeyId, DISPERSA_ROOT_SECRET_KEY: ROOT.secretAccessKey },
      staleWriteMs: 0,
      metadata: { engine: 'sqlite', path: join(dataDir, 'meta.sqlite'), clock: () => Date.now() + 10 * 60_000 },
    });
    const s3 = s3Client(gateway.url);
    await verifyAll(s3, kills + 1);
    s3.destroy();
    await gateway.backend.idle();
    await gateway.close();

    const meta = await openMetadata({ engine: 'sqlite', path: join(dataDir, 'meta.sqlite'), clock: () => Date.now() + 20 * 60_000 });
    try {
      const committed = new Set<string>();
      for (const bucket of await meta.listBuckets()) {
        for (let startAfter: string | undefined; ; ) {
          const page = await meta.listObjects(bucket.name, { limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) });
          for (const o of page.objects) committed.add(o.versionId);
          if (!page.isTruncated) break;
          startAfter = page.nextStartAfter;
        }
      }
      assert.deepEqual(await meta.listStaleIntents(Number.MAX_SAFE_INTEGER), [], 'no write intent is left over');
      assert.deepEqual(await meta.claimGc({ limit: 1000, leaseMs: 0 }), [], 'the GC queue is empty');
      const after = storedFiles();
      const orphans = after.fragments.filter((f) => !committed.has(f.versionId));
      const collected = before.fragments.filter((f) => !committed.has(f.versionId)).length;
      t.diagnostic(`${committed.size} committed versions; the final GC removed ${collected} fragment files of dead versions; ${after.fragments.length} fragment files remain`);
      assert.deepEqual(orphans.map((o) => o.path), [], 'every fragment file belongs to a committed object version');
    } finally {
      await meta.close();
    }
    if (internalErrors.length > 0) t.diagnostic(`internal errors logged by the gateway:\n${internalErrors.join('\n')}`);
  });

  it('leaves no temp file of a fragment write a kill interrupted', () => {
    // Not a fragment (its name is outside the key alphabet, so nobody mistakes it for one), but disk space that
    // stays taken, in a version directory GC can then not remove either.
    assert.deepEqual(storedFiles().temps, [], 'temp files of interrupted fragment writes remain after GC');
  });
});
