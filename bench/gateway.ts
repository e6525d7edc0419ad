// `npm run bench:gateway -- --out FILE.json [--quick]`: the gateway through its S3 front door (AWS SDK client), against `dispersa edge` and `cp` on the same disk.

/*
 * Both servers run as child processes started by the `dispersa` command, so the client never shares an event loop
 * with the server it measures and the gateway's RSS is its own. The large-object rounds alternate between the edge
 * and the gateway, so a change in machine load during the run touches both sides of the comparison alike.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { DEFAULT_POLICY } from '../src/app.ts';
import { seededBytes } from '../src/core/seeded.ts';
import { readStoredPolicyDocument, type PolicyDocument } from '../src/objects/policy-document.ts';
import { openMetadata } from '../src/meta/index.ts';

const MiB = 1024 * 1024;
const BENCH_POLICY = 'bench-k4r2-uncompressed';
const BUCKET = 'bench';
const CREDENTIALS = { accessKeyId: 'DSPBENCHROOT', secretAccessKey: 'bench-secret-not-for-production-use' };
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DISPERSA_BIN = fileURLToPath(new URL('../bin/dispersa.js', import.meta.url));

const { values } = parseArgs({ options: { out: { type: 'string' }, quick: { type: 'boolean', default: false } } });

interface Scale {
  readonly largeBytes: number;
  readonly concurrencies: readonly number[];
  readonly warmupRounds: number;
  readonly rounds: number;
  readonly smallBytes: number;
  readonly smallRequests: number;
  readonly hugeBytes: number;
}

const scale: Scale = values.quick
  ? { largeBytes: 16 * MiB, concurrencies: [1, 4], warmupRounds: 1, rounds: 3, smallBytes: 4096, smallRequests: 50, hugeBytes: 256 * MiB }
  : { largeBytes: 64 * MiB, concurrencies: [1, 4], warmupRounds: 1, rounds: 5, smallBytes: 4096, smallRequests: 200, hugeBytes: 2048 * MiB };

interface Row {
  readonly name: string;
  readonly params: { readonly size: number; readonly concurrency: number };
  readonly MBps: number;
  readonly backend: string;
  readonly p50_ms?: number;
  readonly p99_ms?: number;
  readonly peak_rss_mb?: number;
}

// ---- child processes and temp dirs: everything started here is stopped in `cleanUp`, also on failure or a signal

interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** Everything the process printed on stdout before it answered (the gateway prints its GF backend there). */
  readonly banner: string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dispersa-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}

function stopChild(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forced = setTimeout(() => { child.kill('SIGKILL'); }, 10_000);
    child.once('exit', () => {
      clearTimeout(forced);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function cleanUp(): Promise<void> {
  await Promise.all([...children].map(stopChild));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

/** Runs `dispersa <args>` and resolves once it printed the URL it answers on. */
function startServer(args: readonly string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, [DISPERSA_BIN, ...args, '--host', '127.0.0.1', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DISPERSA_ROOT_ACCESS_KEY: CREDENTIALS.accessKeyId, DISPERSA_ROOT_SECRET_KEY: CREDENTIALS.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const what = `dispersa ${args[0] ?? ''}`;
  let stdout = '';
  let stderr = '';
  return new Promise<ServerProcess>((resolve, reject) => {
    const startTimer = setTimeout(() => { fail(new Error(`${what} did not start within 60 s`)); }, 60_000);
    const fail = (error: Error): void => {
      clearTimeout(startTimer);
      void stopChild(child);
      reject(error);
    };
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      fail(new Error(`${what} exited (${signal ?? `code ${String(code)}`}) before answering:\n${stderr}`));
    };
    child.once('error', fail);
    child.once('exit', onEarlyExit);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      // Background errors of the gateway are worth seeing next to the figures they may explain.
      for (const line of text.split('\n')) if (line !== '') console.error(`  [${what}] ${line}`);
    });
    child.stdout.setEncoding('utf8');
    const onStdout = (text: string): void => {
      stdout += text;
      const url = /S3 endpoint (http:\/\/[^\s,]+)/.exec(stdout)?.[1];
      if (url === undefined || child.pid === undefined) return;
      clearTimeout(startTimer);
      child.off('exit', onEarlyExit);
      child.off('error', fail);
      child.stdout.off('data', onStdout);
      child.stdout.resume(); // later output is not needed, but the pipe must not fill up
      resolve({ url, pid: child.pid, banner: stdout, stop: () => stopChild(child) });
    };
    child.stdout.on('data', onStdout);
  });
}

/** Starts a gateway on a fresh data dir with an uncompressed k=4 r=2 policy over its six locations, and a bucket using it. */
async function startBenchGateway(label: string): Promise<{ server: ServerProcess; s3: S3Client; backend: string }> {
  const dataDir = tempDir(label);
  const server = await startServer(['serve', '--data-dir', dataDir, '--admin-port', '0', '--probe-interval-seconds', '0']);
  const backend = /GF backend ([\w-]+)/.exec(server.banner)?.[1];
  if (backend === undefined) throw new Error(`dispersa serve did not report its GF backend:\n${server.banner}`);
  // The gateway's own metadata store (SQLite, shared between processes): the default policy names its locations.
  const meta = await openMetadata({ engine: 'sqlite', path: join(dataDir, 'meta.sqlite') });
  try {
    const stored = await meta.getPolicy(DEFAULT_POLICY);
    if (stored === undefined) throw new Error(`the gateway stored no "${DEFAULT_POLICY}" policy`);
    const defaults = readStoredPolicyDocument(stored.document);
    const policy: PolicyDocument = { ...defaults, redundancy: { ...defaults.redundancy, data_packets: 4, redundant_packets: 2 }, compression: { scheme: 'NONE', level: 0 } };
    if (policy.backends.length !== 6) throw new Error(`expected six locations in the default policy, found ${policy.backends.length}`);
    await meta.putPolicy(BENCH_POLICY, policy);
  } finally {
    await meta.close();
  }
  const s3 = client(server.url);
  // The gateway takes a storage policy's name where AWS takes a region: outside the SDK's list of regions.
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: BENCH_POLICY as BucketLocationConstraint } }));
  return { server, s3, backend };
}

async function startBenchEdge(): Promise<{ server: ServerProcess; s3: S3Client }> {
  const server = await startServer(['edge', '--dir', tempDir('edge')]);
  const s3 = client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  return { server, s3 };
}

function client(endpoint: string): S3Client {
  // SDK defaults otherwise: streamed bodies go as aws-chunked with a CRC32 trailer, as an SDK upload of a file does.
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
}

// ---- bodies and requests

/** A streamed body of `size` bytes cycling through a few seeded 1 MiB chunks: any size without holding it in memory. */
function patternBody(seed: number, size: number): Readable {
  const pattern = Array.from({ length: 7 }, (_, i) => Buffer.from(seededBytes(seed + i, MiB)));
  function* chunks(): Generator<Buffer> {
    for (let sent = 0, i = 0; sent < size; i++) {
      const chunk = pattern[i % pattern.length] ?? Buffer.alloc(0);
      const take = Math.min(chunk.length, size - sent);
      sent += take;
      yield take === chunk.length ? chunk : chunk.subarray(0, take);
    }
  }
  return Readable.from(chunks());
}

/** A body held in memory, sent as a stream of 1 MiB slices. */
function bufferBody(bytes: Buffer): Readable {
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / MiB) }, (_, i) => bytes.subarray(i * MiB, (i + 1) * MiB)));
}

async function put(s3: S3Client, key: string, body: Buffer | Readable, size: number): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: size }));
}

/** Reads an object to the end; returns its length and, when asked, its SHA-256. */
async function get(s3: S3Client, key: string, hash = false): Promise<{ size: number; sha256?: string }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  if (!(response.Body instanceof Readable)) throw new Error(`GET ${key}: the SDK returned no Node stream`);
  const digest = hash ? createHash('sha256') : undefined;
  let size = 0;
  for await (const chunk of response.Body as AsyncIterable<Buffer>) {
    size += chunk.length;
    digest?.update(chunk);
  }
  return digest === undefined ? { size } : { size, sha256: digest.digest('hex') };
}

// ---- statistics

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const a = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? a : (a + (sorted[mid - 1] ?? a)) / 2;
}

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;
const mbps = (bytes: number, ms: number): number => round1(bytes / (ms / 1000) / 1e6);

const rows: Row[] = [];
function record(row: Row): void {
  rows.push(row);
  const extras = [
    row.p50_ms === undefined ? '' : `p50 ${row.p50_ms.toFixed(2)} ms`,
    row.p99_ms === undefined ? '' : `p99 ${row.p99_ms.toFixed(2)} ms`,
    row.peak_rss_mb === undefined ? '' : `peak RSS ${row.peak_rss_mb.toFixed(0)} MiB`,
  ].filter((text) => text !== '');
  const params = `size=${row.params.size} concurrency=${row.params.concurrency}`;
  console.log(`${row.name.padEnd(18)} ${row.backend.padEnd(13)} ${row.MBps.toFixed(1).padStart(8)} MB/s  ${params.padEnd(30)} ${extras.join('  ')}`);
}

// ---- the cases

interface Endpoint {
  readonly name: 'gateway' | 'edge';
  readonly backend: string;
  readonly s3: S3Client;
}

/** 64 MiB PUTs then GETs at each concurrency, rounds alternating between the endpoints; MB/s of the median round. */
async function largeObjects(endpoints: readonly Endpoint[]): Promise<void> {
  const size = scale.largeBytes;
  const body = Buffer.from(seededBytes(64, size));
  const expected = createHash('sha256').update(body).digest('hex');
  const totalRounds = scale.warmupRounds + scale.rounds;
  const keyOf = (c: number, round: number, i: number): string => `large/c${c}/r${round}/${i}`;
  for (const op of ['put', 'get'] as const) {
    for (const concurrency of scale.concurrencies) {
      const samples = new Map<Endpoint, number[]>(endpoints.map((e) => [e, []]));
      for (let round = 0; round < totalRounds; round++) {
        for (const endpoint of endpoints) {
          const slots = Array.from({ length: concurrency }, (_, i) => i);
          const started = performance.now();
          if (op === 'put') {
            await Promise.all(slots.map((i) => put(endpoint.s3, keyOf(concurrency, round, i), bufferBody(body), size)));
          } else {
            // The objects of the last PUT round; the warm-up round also checks the bytes.
            const check = round < scale.warmupRounds;
            const got = await Promise.all(slots.map((i) => get(endpoint.s3, keyOf(concurrency, totalRounds - 1, i), check)));
            for (const g of got) {
              if (g.size !== size || (check && g.sha256 !== expected)) throw new Error(`${endpoint.name}: GET returned different bytes (${g.size} of ${size})`);
            }
          }
          const ms = performance.now() - started;
          if (round >= scale.warmupRounds) samples.get(endpoint)?.push(ms);
        }
      }
      for (const endpoint of endpoints) {
        const ms = median(samples.get(endpoint) ?? []);
        record({ name: `${endpoint.name}.${op}`, params: { size, concurrency }, MBps: mbps(size * concurrency, ms), backend: endpoint.backend });
      }
    }
  }
}

/** 4 KiB PUTs then GETs one at a time: per-request latency. */
async function smallObjects(endpoint: Endpoint): Promise<void> {
  const size = scale.smallBytes;
  const warmup = 10;
  const keys = Array.from({ length: scale.smallRequests }, (_, i) => `small/${i}`);
  const putSamples: number[] = [];
  for (let i = -warmup; i < keys.length; i++) {
    const body = Buffer.from(seededBytes(1000 + i, size));
    const started = performance.now();
    await put(endpoint.s3, keys[i] ?? `small/warmup-${-i}`, body, size);
    if (i >= 0) putSamples.push(performance.now() - started);
  }
  const getSamples: number[] = [];
  for (let i = -warmup; i < keys.length; i++) {
    const key = keys[i] ?? `small/warmup-${-i}`;
    const started = performance.now();
    const got = await get(endpoint.s3, key);
    if (i >= 0) getSamples.push(performance.now() - started);
    if (got.size !== size) throw new Error(`GET ${key}: ${got.size} bytes, expected ${size}`);
  }
  for (const [op, samples] of [['put', putSamples], ['get', getSamples]] as const) {
    const p50 = quantile(samples, 0.5);
    record({ name: `${endpoint.name}.${op}.small`, params: { size, concurrency: 1 }, MBps: mbps(size, p50), backend: endpoint.backend, p50_ms: round2(p50), p99_ms: round2(quantile(samples, 0.99)) });
  }
}

function rssKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** One streamed PUT of `hugeBytes` into a gateway of its own, sampling its resident memory meanwhile. */
async function hugePut(): Promise<void> {
  const size = scale.hugeBytes;
  const { server, s3, backend } = await startBenchGateway('huge');
  try {
    const before = rssKiB(server.pid);
    let sampledPeak = before.rss;
    const sampler = setInterval(() => { sampledPeak = Math.max(sampledPeak, rssKiB(server.pid).rss); }, 20);
    const started = performance.now();
    try {
      await put(s3, 'huge', patternBody(2048, size), size);
    } finally {
      clearInterval(sampler);
    }
    const ms = performance.now() - started;
    const after = rssKiB(server.pid);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'huge' }));
    if (head.ContentLength !== size) throw new Error(`huge object stored with ${String(head.ContentLength)} bytes, expected ${size}`);
    // VmHWM is the kernel's own high-water mark: no sampling gap can miss a peak.
    const peakMiB = Math.max(after.hwm, sampledPeak) / 1024;
    console.log(`  gateway RSS: ${(before.rss / 1024).toFixed(0)} MiB before the PUT, sampled max ${(sampledPeak / 1024).toFixed(0)} MiB during it, VmHWM ${(after.hwm / 1024).toFixed(0)} MiB`);
    record({ name: 'gateway.put.huge', params: { size, concurrency: 1 }, MBps: mbps(size, ms), backend, peak_rss_mb: round1(peakMiB) });
  } finally {
    s3.destroy();
    await server.stop();
  }
}

/** `cp` of a large file to another file in the same directory: the disk's own figure for these bytes. */
function copyBaseline(): void {
  const size = scale.largeBytes;
  const dir = tempDir('cp');
  const source = join(dir, 'source.bin');
  writeFileSync(source, seededBytes(64, size));
  const samples: number[] = [];
  for (let round = 0; round < scale.warmupRounds + scale.rounds; round++) {
    const target = join(dir, `copy-${round}.bin`);
    const started = performance.now();
    const result = spawnSync('cp', [source, target], { stdio: 'inherit' });
    const ms = performance.now() - started;
    if (result.status !== 0) throw new Error(`cp failed (${result.error?.message ?? `status ${String(result.status)}`})`);
    if (round >= scale.warmupRounds) samples.push(ms);
    unlinkSync(target);
  }
  record({ name: 'cp', params: { size, concurrency: 1 }, MBps: mbps(size, median(samples)), backend: 'cp' });
}

// ---- the run

function judge(): void {
  const find = (name: string, concurrency: number): Row | undefined => rows.find((r) => r.name === name && r.params.concurrency === concurrency);
  const lines: string[] = [];
  const verdict = (ok: boolean): string => (ok ? 'met ' : 'MISS');
  for (const op of ['put', 'get'] as const) {
    for (const concurrency of scale.concurrencies) {
      const gateway = find(`gateway.${op}`, concurrency);
      const edge = find(`edge.${op}`, concurrency);
      if (gateway === undefined || edge === undefined) continue;
      const ratio = gateway.MBps / edge.MBps;
      lines.push(`  ${verdict(ratio >= 0.4)}  gateway.${op} c=${concurrency} ≥ 40% of edge.${op}: ${gateway.MBps.toFixed(0)} / ${edge.MBps.toFixed(0)} MB/s = ${(ratio * 100).toFixed(0)}%`);
    }
  }
  const small = find('gateway.get.small', 1);
  if (small?.p50_ms !== undefined) lines.push(`  ${verdict(small.p50_ms <= 5)}  gateway.get.small p50 ≤ 5 ms: ${small.p50_ms.toFixed(2)} ms`);
  const huge = find('gateway.put.huge', 1);
  if (huge?.peak_rss_mb !== undefined) {
    lines.push(`  ${verdict(huge.peak_rss_mb <= 300)}  gateway peak RSS during a ${(huge.params.size / MiB).toFixed(0)} MiB PUT ≤ 300 MiB: ${huge.peak_rss_mb.toFixed(0)} MiB`);
  }
  console.log(`\ntargets:\n${lines.join('\n')}`);
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`bench:gateway${values.quick ? ' (quick)' : ''}: load average ${load()}, temp dirs under ${tmpdir()}`);
  const edge = await startBenchEdge();
  const gateway = await startBenchGateway('gateway');
  const endpoints: Endpoint[] = [
    { name: 'edge', backend: 'edge', s3: edge.s3 },
    { name: 'gateway', backend: gateway.backend, s3: gateway.s3 },
  ];
  try {
    await largeObjects(endpoints);
    // The edge's figures show what the client and the HTTP path alone cost per request on this machine.
    for (const endpoint of endpoints) await smallObjects(endpoint);
  } finally {
    for (const e of endpoints) e.s3.destroy();
    await Promise.all([edge.server.stop(), gateway.server.stop()]);
  }
  copyBaseline();
  await hugePut();
  console.log(`load average at the end: ${load()} (${availableParallelism()} cores)`);

  if (values.out !== undefined) {
    writeFileSync(values.out, JSON.stringify(rows, null, 2) + '\n');
    console.log(`\nwrote ${rows.length} results to ${values.out}`);
  }
  judge();
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  console.error(`bench:gateway failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanUp();
}
