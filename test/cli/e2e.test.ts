// `dispersa` admin verbs as an operator runs them: `node bin/dispersa.js ...` child processes against a gateway started in-process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { startGateway, type RunningGateway } from '../../src/app.ts';

const bin = fileURLToPath(new URL('../../bin/dispersa.js', import.meta.url));
const ROOT = { accessKeyId: 'DSPE2EROOTKEY', secretAccessKey: 'e2e-root-secret-0123456789abcdef' };
const ROOT_TOKEN = 'e2e-root-token-0123456789';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let gateway: RunningGateway;
let dataDir: string;
let home: string;

/** Runs the command as a separate process (never spawnSync: the gateway in this process must keep answering). */
function cli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; token?: string | null } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    DISPERSA_ADMIN_URL: gateway.adminUrl,
    ...(options.token === null ? {} : { DISPERSA_ADMIN_TOKEN: options.token ?? ROOT_TOKEN }),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => { resolve({ code, stdout, stderr }); });
    child.stdin.end(options.input ?? '');
  });
}

async function ok(args: readonly string[], options?: Parameters<typeof cli>[1]): Promise<Run> {
  const r = await cli(args, options);
  assert.equal(r.code, 0, `dispersa ${args.join(' ')} exited ${String(r.code)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

async function json<T>(args: readonly string[], options?: Parameters<typeof cli>[1]): Promise<T> {
  const r = await ok([...args, '--json'], options);
  return JSON.parse(r.stdout) as T;
}

async function fragmentFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && !e.name.startsWith('.~tmp-') && !join(e.parentPath, e.name).includes('_probe')).map((e) => join(e.parentPath, e.name));
}

describe('dispersa CLI against a running gateway', () => {
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dispersa-cli-e2e-'));
    home = join(dataDir, 'home');
    const config = {
      dataDir: join(dataDir, 'gateway'),
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      // The repair worker would race the `repair` commands under test for the queue.
      repairIntervalMs: 0,
      env: { DISPERSA_ROOT_ACCESS_KEY: ROOT.accessKeyId, DISPERSA_ROOT_SECRET_KEY: ROOT.secretAccessKey, DISPERSA_ADMIN_TOKEN: ROOT_TOKEN },
      log: () => undefined,
    };
    gateway = await startGateway(config);
    assert.ok(gateway.adminUrl !== undefined, 'startGateway gave no admin URL');
    const s3 = new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials: ROOT });
    for (const bucket of ['docs', 'photos']) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: `hello from ${bucket}\n`.repeat(1000) }));
    }
    s3.destroy();
  });

  after(async () => {
    await gateway.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('status and whoami', async () => {
    const status = await json<{ version: string; metadata_engine: string; locations: { total: number } }>(['status']);
    assert.equal(status.metadata_engine, 'sqlite');
    assert.ok(status.locations.total >= 6);
    assert.match((await ok(['status'])).stdout, /metadata_engine\s+sqlite/);
    const me = await json<{ admin: boolean; via: string }>(['whoami']);
    assert.deepEqual([me.admin, me.via], [true, 'root-token']);
    const signed = await json<{ access_key_id: string; via: string }>(['whoami'], { token: null, env: { DISPERSA_ACCESS_KEY: ROOT.accessKeyId, DISPERSA_SECRET_KEY: ROOT.secretAccessKey } });
    assert.deepEqual([signed.access_key_id, signed.via], [ROOT.accessKeyId, 'sigv4']);
  });

  it('policy create (flags, file, stdin) / list / show / versions / edit / rm', async () => {
    const created = await ok(['policy', 'create', 'eu-three', '--backends', 'local-1,local-2,local-3', '--redundant', '1', '--description', 'any one may fail']);
    assert.match(created.stdout, /policy eu-three created \(version 1\)/);
    const shown = await json<{ name: string; version: number; redundancy: { data_packets: number; redundant_packets: number }; write_quorum: number }>(['policy', 'show', 'eu-three']);
    assert.deepEqual([shown.version, shown.redundancy.data_packets, shown.redundancy.redundant_packets, shown.write_quorum], [1, 2, 1, 3]);

    const file = join(dataDir, 'policy.json');
    await writeFile(file, JSON.stringify({ name: 'from-file', backends: ['local-4', 'local-5', 'local-6'], redundancy: { scheme: 'RLNC', redundant_packets: 1 }, compression: { scheme: 'BROTLI', level: 4 } }));
    await ok(['policy', 'create', '--file', file]);
    await ok(['policy', 'create', 'from-stdin', '--file', '-'], { input: JSON.stringify({ backends: ['local-1', 'local-2'], redundancy: { redundant_packets: 0 } }) });

    const list = await json<{ policies: { name: string }[] }>(['policy', 'list']);
    assert.deepEqual(list.policies.map((p) => p.name).sort(), ['default', 'eu-three', 'from-file', 'from-stdin']);
    assert.match((await ok(['policy', 'list'])).stdout, /^NAME\s+VERSION\s+K\+R[^\n]*\n(.*\n)*eu-three\s+1\s+2\+1\s+3\s+local-1,local-2,local-3/m);

    const edited = await json<{ version: number; redundancy: { data_packets: number; redundant_packets: number }; description: string }>(['policy', 'edit', 'eu-three', '--data', '3', '--redundant', '0', '--write-quorum', '3']);
    assert.deepEqual([edited.version, edited.redundancy.data_packets, edited.redundancy.redundant_packets, edited.description], [2, 3, 0, 'any one may fail']);
    const exported = join(dataDir, 'eu-three.json');
    await writeFile(exported, (await ok(['policy', 'show', 'eu-three', '--json'])).stdout.replace('any one may fail', 'edited from a file'));
    const fromFile = await json<{ version: number; description: string }>(['policy', 'edit', 'eu-three', '--file', exported]);
    assert.deepEqual([fromFile.version, fromFile.description], [3, 'edited from a file']);
    const versions = await json<{ versions: { version: number }[] }>(['policy', 'versions', 'eu-three']);
    assert.deepEqual(versions.versions.map((v) => v.version), [1, 2, 3]);
    assert.equal((await json<{ version: number }>(['policy', 'show', 'eu-three', '--version', '1'])).version, 1);

    assert.match((await ok(['policy', 'rm', 'from-stdin'])).stdout, /policy from-stdin deleted/);
    assert.equal((await cli(['policy', 'show', 'from-stdin'])).code, 4);
  });

  it('policy errors: invalid input exits 2 with the API message, unknown 4, duplicate 5', async () => {
    // Independent failures: run side by side (each is a whole process).
    const [invalid, unknownLocation, missing, editMissing, duplicate, rmDefault] = await Promise.all([
      cli(['policy', 'create', 'bad', '--backends', 'local-1,local-2,local-3', '--redundant', '1', '--write-quorum', '7']),
      cli(['policy', 'create', 'bad', '--backends', 'nowhere', '--redundant', '0']),
      cli(['policy', 'show', 'no-such-policy']),
      cli(['policy', 'edit', 'no-such-policy', '--redundant', '1']),
      cli(['policy', 'create', 'eu-three', '--backends', 'local-1', '--redundant', '0']),
      cli(['policy', 'rm', 'default']),
    ]);
    assert.equal(invalid.code, 2, invalid.stderr);
    assert.match(invalid.stderr, /^dispersa: .*write_quorum.*\(HTTP 400\)/);
    assert.match(invalid.stderr, /\n {2}write_quorum: /);
    assert.equal(invalid.stdout, '');
    assert.equal(unknownLocation.code, 2, unknownLocation.stderr);
    assert.match(unknownLocation.stderr, /nowhere/);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no-such-policy/);
    assert.equal(editMissing.code, 4);
    assert.equal(duplicate.code, 5);
    assert.equal(rmDefault.code, 5);
    assert.equal((await json<{ policies: { name: string }[] }>(['policy', 'list'])).policies.some((p) => p.name === 'bad'), false, 'a refused policy stores nothing');
  });

  it('location add fs / list / show / update', async () => {
    const dir = join(dataDir, 'disk-7');
    await ok(['location', 'add', 'disk-7', '--type', 'fs', '--dir', dir, '--country', 'DK', '--city', 'Aalborg', '--gdpr', '--trust-zone', 'rack-2']);
    assert.match((await ok(['location', 'list'])).stdout, /disk-7\s+local\s+fs:/);
    const shown = await json<{ id: string; kind: string; status: string; attributes: Record<string, unknown>; trust_zone: string }>(['location', 'show', 'disk-7']);
    assert.deepEqual([shown.kind, shown.status, shown.attributes.country, shown.attributes.gdpr_compliant, shown.trust_zone], ['local', 'active', 'DK', true, 'rack-2']);
    await ok(['location', 'update', 'disk-7', '--country', 'SE', '--unset', 'city', '--isolation-tier', '2']);
    const updated = await json<{ attributes: Record<string, unknown>; isolation_tier: number }>(['location', 'show', 'disk-7']);
    assert.deepEqual([updated.attributes.country, updated.attributes.city, updated.isolation_tier], ['SE', undefined, 2]);
    assert.equal((await cli(['location', 'show', 'disk-99'])).code, 4);
    assert.equal((await cli(['location', 'add', 'disk-7', '--type', 'fs', '--dir', dir])).code, 5);
  });

  it('key create / list / scope / show, a scoped key signs its own requests, token create / list / rm, key rm', async () => {
    const key = await json<{ access_key_id: string; secret_access_key: string; default_scope: string }>(['key', 'create', '--team', 'analytics', '--default-scope', 'read', '--scope', 'photos=full']);
    assert.equal(key.default_scope, 'read');
    assert.match((await ok(['key', 'list'])).stdout, new RegExp(`${key.access_key_id}\\s+analytics\\s+read\\s+photos=full`));
    const human = await ok(['key', 'create', '--team', 'analytics']);
    assert.match(human.stdout, /^access key \S+\nsecret key \S+/);

    await ok(['key', 'scope', key.access_key_id, 'photos=none', 'docs=read', '--default-scope', 'none']);
    const scoped = await json<{ default_scope: string; scopes: Record<string, string> }>(['key', 'show', key.access_key_id]);
    assert.deepEqual([scoped.default_scope, scoped.scopes], ['none', { photos: 'none', docs: 'read' }]);
    await ok(['key', 'scope', key.access_key_id, 'photos=default']);
    assert.deepEqual((await json<{ scopes: Record<string, string> }>(['key', 'show', key.access_key_id])).scopes, { docs: 'read' });

    const asKey = { token: null, env: { DISPERSA_ACCESS_KEY: key.access_key_id, DISPERSA_SECRET_KEY: key.secret_access_key } } as const;
    const me = await json<{ access_key_id: string; admin: boolean; via: string }>(['whoami'], asKey);
    assert.deepEqual([me.access_key_id, me.admin, me.via], [key.access_key_id, false, 'sigv4']);
    const forbidden = await cli(['cache', 'show'], asKey);
    assert.equal(forbidden.code, 3, forbidden.stderr);

    const token = await json<{ id: string; token: string; access_key_id: string }>(['token', 'create', '--ttl', '1h', '--description', 'e2e'], asKey);
    assert.equal(token.access_key_id, key.access_key_id);
    const viaToken = await json<{ access_key_id: string; via: string }>(['whoami', '--token', token.token], { token: null });
    assert.deepEqual([viaToken.access_key_id, viaToken.via], [key.access_key_id, 'token']);
    assert.match((await ok(['token', 'list'])).stdout, new RegExp(`${token.id}\\s+${key.access_key_id}\\s+e2e`));
    await ok(['token', 'rm', token.id]);
    assert.equal((await cli(['whoami', '--token', token.token], { token: null })).code, 3);

    await ok(['key', 'rm', key.access_key_id]);
    assert.equal((await cli(['whoami'], asKey)).code, 3);
  });

  it('wrong credentials exit 3, an unreachable endpoint 6', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => { resolve(); }));
    const [badToken, badSecret, none, unreachable] = await Promise.all([
      cli(['status', '--token', 'not-a-token'], { token: null }),
      cli(['status', '--access-key', ROOT.accessKeyId, '--secret-key', 'wrong'], { token: null }),
      cli(['status'], { token: null }),
      cli(['status', '--endpoint', `http://127.0.0.1:${port}`]),
    ]);
    assert.equal(badToken.code, 3);
    assert.match(badToken.stderr, /HTTP 401/);
    assert.equal(badSecret.code, 3);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /no credentials were given/);
    assert.equal(unreachable.code, 6);
    assert.match(unreachable.stderr, new RegExp(`cannot reach the admin API at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  });

  it('scrub finds a lost fragment (exit 1), repair recreates it, scrub is clean again', async () => {
    const clean = await json<{ kind: string; state: string; summary: Record<string, number> }>(['scrub']);
    assert.deepEqual([clean.kind, clean.state, clean.summary.missing, clean.summary.corrupt], ['scrub', 'done', 0, 0]);
    assert.ok((clean.summary.objects ?? 0) >= 2);

    const files = await fragmentFiles(join(dataDir, 'gateway', 'locations', 'local-2'));
    assert.ok(files.length > 0, 'no fragment files found');
    await unlink(files[0] as string);
    const damaged = await cli(['scrub']);
    assert.equal(damaged.code, 1, damaged.stderr);
    assert.match(damaged.stdout, /scrub job \S+ done/);
    assert.match(damaged.stderr, /found 1 damaged fragment\(s\) \(1 missing, 0 corrupt\)/);

    const repaired = await ok(['repair']);
    assert.match(repaired.stdout, /repair job \S+ done.*repaired 1/);
    await ok(['scrub', '--mode', 'head']);

    await unlink((await fragmentFiles(join(dataDir, 'gateway', 'locations', 'local-3')))[0] as string);
    const both = await json<{ scrub: { summary: Record<string, number> }; repair: { state: string; summary: Record<string, number> } | null }>(['scrub', '--repair']);
    assert.equal(both.scrub.summary.missing, 1);
    assert.deepEqual([both.repair?.state, both.repair?.summary.repaired], ['done', 1]);
    await ok(['scrub']);

    const quick = await json<{ job: { id: string; state: string } }>(['repair', '--no-wait']);
    const followed = await json<{ id: string; state: string }>(['job', 'show', quick.job.id, '--wait']);
    assert.deepEqual([followed.id, followed.state], [quick.job.id, 'done']);
    assert.match((await ok(['job', 'list'])).stdout, /^ID\s+KIND\s+STATE/);
  });

  it('location rm retires the location and follows its evacuation', async () => {
    const r = await ok(['location', 'rm', 'disk-7']);
    assert.match(r.stdout, /evacuate job \S+ \(disk-7\) done/);
    const shown = await json<{ status: string }>(['location', 'show', 'disk-7']);
    assert.notEqual(shown.status, 'active');
  });

  it('bucket list / shred (declined, then --yes)', async () => {
    const list = await json<{ buckets: { name: string; objects: number }[] }>(['bucket', 'list']);
    assert.deepEqual(list.buckets.map((b) => [b.name, b.objects]).sort(), [['docs', 1], ['photos', 1]]);
    assert.match((await ok(['bucket', 'list'])).stdout, /photos\s+root\s+default v1\s+1/);

    const declined = await cli(['bucket', 'shred', 'photos'], { input: 'docs\n' });
    assert.equal(declined.code, 1);
    assert.match(declined.stderr, /destroys its encryption key first/);
    assert.match(declined.stderr, /not confirmed/);
    const confirmed = await ok(['bucket', 'shred', 'photos'], { input: 'photos\n' });
    assert.match(confirmed.stdout, /bucket photos shredded: 1 object/);
    assert.equal((await cli(['bucket', 'shred', 'photos', '--yes'])).code, 4);
    await ok(['bucket', 'shred', 'docs', '--yes']);
    assert.deepEqual((await json<{ buckets: unknown[] }>(['bucket', 'list'])).buckets, []);
  });

  it('telemetry and bench', async () => {
    const bench = await ok(['bench']);
    assert.match(bench.stdout, /^ID\s+KIND\s+STATUS/);
    assert.match(bench.stdout, /local-1\s+local\s+active/);
    const telemetry = await json<{ cloud_locations: { id: string; rtt: { upload_1B: { count: number } } }[]; edge_locations: unknown[] }>(['telemetry']);
    const local1 = telemetry.cloud_locations.find((l) => l.id === 'local-1');
    assert.ok(local1 !== undefined && local1.rtt.upload_1B.count >= 1);
    assert.deepEqual(telemetry.edge_locations, []);
    assert.match((await ok(['telemetry', '--days', '1'])).stdout, /UPLOAD 1B p50/);
    assert.equal((await cli(['telemetry', '--days', '31'])).code, 2);
  });

  it('cache show / set', async () => {
    const before = await json<{ settings: { enabled: boolean }; stats: { hits: number } }>(['cache', 'show']);
    assert.equal(typeof before.settings.enabled, 'boolean');
    await ok(['cache', 'set', '--enable', '--max-size', '1GiB', '--mime-blacklist', 'video/*']);
    const after = await json<{ settings: { enabled: boolean; max_size_bytes: number; mime_blacklist: string[] } }>(['cache', 'show']);
    assert.deepEqual([after.settings.enabled, after.settings.max_size_bytes, after.settings.mime_blacklist], [true, 1024 ** 3, ['video/*']]);
    assert.match((await ok(['cache', 'show'])).stdout, /settings\.max_size_bytes\s+1073741824 \(1\.0 GiB\)/);
    await ok(['cache', 'set', '--disable']);
  });

  it('--help of the commands exits 0 in a real process', async () => {
    const runs = await Promise.all([['--help'], ['serve', '--help'], ['policy', 'create', '--help'], ['location', 'add', '--help'], ['audit', 'verify', '--help'], ['help', 'scrub']].map((args) => cli(args)));
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: dispersa/);
    }
  });

  it('audit list and verify; an altered entry exits 1', async () => {
    assert.match((await ok(['audit', 'list', '--limit', '5'])).stdout, /^SEQ\s+AT\s+ACTOR/);
    const intact = await ok(['audit', 'verify']);
    assert.match(intact.stdout, /^audit chain intact: \d+ entries/);
    const verdict = await json<{ ok: boolean; entries: number }>(['audit', 'verify']);
    assert.ok(verdict.ok && verdict.entries > 20);

    // Someone with access to the metadata store rewrites history.
    const db = new Database(join(dataDir, 'gateway', 'meta.sqlite'));
    db.prepare('UPDATE audit_log SET result = ? WHERE seq = 3').run('ok (rewritten)');
    db.close();
    const broken = await cli(['audit', 'verify']);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /audit chain BROKEN at entry 3 \(altered\)/);
  });
});
