// The AWS CLI (Debian's awscli) against a fresh gateway: s3api calls, `aws s3 cp` with multipart both ways, presign.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AWKWARD_KEYS, REGION, ROOT_CREDENTIALS, cleanEnv, fetchPresigned, md5Hex, requireTool, run, startCompatGateway, writeSeededFile, type CompatGateway } from './support.ts';

const AWS = '/usr/bin/aws';
const BUCKET = 'cli-bucket';
const MiB = 1024 * 1024;
const LISTED_KEYS = ['list/a.txt', 'list/b/c.txt', 'list/b/d.txt', 'list/e/f.txt', 'list/g.txt', 'listing-not.txt'];

let server: CompatGateway | undefined;
let env: NodeJS.ProcessEnv = {};
let downloads = 0;

function gateway(): CompatGateway {
  if (server === undefined) throw new Error('the gateway did not start');
  return server;
}

/** Runs the CLI against the gateway and returns its stdout. */
async function aws(...args: string[]): Promise<string> {
  return (await run(AWS, ['--endpoint-url', gateway().url, '--output', 'json', ...args], env, 300_000)).stdout;
}

/** Runs an `aws s3api` call and parses its JSON answer ({} when it printed nothing). */
async function s3api(...args: string[]): Promise<Record<string, unknown>> {
  const out = await aws('s3api', ...args);
  return out.trim() === '' ? {} : (JSON.parse(out) as Record<string, unknown>);
}

/** The error the CLI printed for a failed call. */
async function s3apiError(...args: string[]): Promise<string> {
  try {
    await aws('s3api', ...args);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`aws s3api ${args.join(' ')} succeeded, expected an error`);
}

function path(name: string): string {
  return join(gateway().workDir, name);
}

function keysOf(listing: Record<string, unknown>): string[] {
  return ((listing.Contents ?? []) as { Key: string }[]).map((c) => c.Key);
}

function prefixesOf(listing: Record<string, unknown>): string[] {
  return ((listing.CommonPrefixes ?? []) as { Prefix: string }[]).map((p) => p.Prefix);
}

async function putFile(key: string, file: string, ...extra: string[]): Promise<Record<string, unknown>> {
  return s3api('put-object', '--bucket', BUCKET, '--key', key, '--body', file, ...extra);
}

async function getFile(key: string, ...extra: string[]): Promise<{ response: Record<string, unknown>; bytes: Buffer }> {
  // A file per download: several may run at once.
  const out = path(`get-${String(downloads++)}`);
  const response = await s3api('get-object', '--bucket', BUCKET, '--key', key, ...extra, out);
  return { response, bytes: readFileSync(out) };
}

before(async () => {
  await requireTool(AWS, 'awscli', () => run(AWS, ['--version'], cleanEnv({})));
  server = await startCompatGateway();
  const config = path('aws-config');
  // Path-style addressing: buckets are not DNS names on 127.0.0.1.
  writeFileSync(config, `[default]\nregion = ${REGION}\ns3 =\n    addressing_style = path\n`);
  env = cleanEnv({
    AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: path('no-credentials-file'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
});
after(async () => {
  await server?.stop();
});

describe('AWS CLI against dispersa serve', () => {
  it('creates a bucket and sees it', async () => {
    await s3api('create-bucket', '--bucket', BUCKET);
    await s3api('head-bucket', '--bucket', BUCKET);
    const buckets = await s3api('list-buckets');
    assert.deepEqual((buckets.Buckets as { Name: string }[]).map((b) => b.Name), [BUCKET]);
    assert.match(await s3apiError('create-bucket', '--bucket', BUCKET), /BucketAlreadyOwnedByYou/);
  });

  it('puts and gets a small object with its headers and metadata', async () => {
    const small = writeSeededFile(path('small.bin'), 1, 1000);
    const put = await putFile('small.bin', path('small.bin'), '--content-type', 'text/x-small', '--metadata', 'colour=blue,shape=round', '--cache-control', 'max-age=60');
    assert.equal(put.ETag, `"${md5Hex(small)}"`);
    const head = await s3api('head-object', '--bucket', BUCKET, '--key', 'small.bin');
    assert.equal(head.ContentLength, 1000);
    assert.equal(head.ContentType, 'text/x-small');
    assert.equal(head.CacheControl, 'max-age=60');
    assert.deepEqual(head.Metadata, { colour: 'blue', shape: 'round' });
    const { bytes } = await getFile('small.bin');
    assert.deepEqual(bytes, Buffer.from(small));
  });

  it('uploads and downloads 20 MiB with `aws s3 cp` (multipart, by itself)', async () => {
    const big = writeSeededFile(path('20mib.bin'), 2, 20 * MiB);
    await aws('s3', 'cp', path('20mib.bin'), `s3://${BUCKET}/big/20mib.bin`);
    const head = await s3api('head-object', '--bucket', BUCKET, '--key', 'big/20mib.bin');
    assert.equal(head.ContentLength, 20 * MiB);
    assert.match(String(head.ETag), /^"[0-9a-f]{32}-3"$/, 'three 8 MiB parts: a multipart ETag');
    await aws('s3', 'cp', `s3://${BUCKET}/big/20mib.bin`, path('20mib.down'));
    assert.ok(readFileSync(path('20mib.down')).equals(big), 'the downloaded bytes are the uploaded ones');
  });

  it('round-trips a 100 MiB file with `aws s3 cp`, byte for byte', async () => {
    const huge = writeSeededFile(path('100mib.bin'), 3, 100 * MiB);
    await aws('s3', 'cp', path('100mib.bin'), `s3://${BUCKET}/big/100mib.bin`);
    const head = await s3api('head-object', '--bucket', BUCKET, '--key', 'big/100mib.bin');
    assert.equal(head.ContentLength, 100 * MiB);
    await aws('s3', 'cp', `s3://${BUCKET}/big/100mib.bin`, path('100mib.down'));
    const down = readFileSync(path('100mib.down'));
    assert.equal(down.length, huge.length);
    assert.ok(down.equals(huge), 'the downloaded bytes are the uploaded ones');
  });

  it('lists with ListObjects (v1) and ListObjectsV2, by prefix and delimiter, page by page', async () => {
    const tree = path('tree');
    for (const key of LISTED_KEYS) {
      mkdirSync(dirname(join(tree, key)), { recursive: true });
      writeFileSync(join(tree, key), key);
    }
    await aws('s3', 'cp', tree, `s3://${BUCKET}/`, '--recursive');
    await Promise.all(
      ['list-objects', 'list-objects-v2'].map(async (version) => {
        const [grouped, paged, flat] = await Promise.all([
          s3api(version, '--bucket', BUCKET, '--prefix', 'list/', '--delimiter', '/'),
          // One key per page: the CLI follows markers (v1) and continuation tokens (v2) itself.
          s3api(version, '--bucket', BUCKET, '--prefix', 'list/', '--delimiter', '/', '--page-size', '1'),
          s3api(version, '--bucket', BUCKET, '--prefix', 'list/b/'),
        ]);
        for (const [name, listing] of [['grouped', grouped], ['paged', paged]] as const) {
          assert.deepEqual(keysOf(listing), ['list/a.txt', 'list/g.txt'], `${version} ${name}`);
          assert.deepEqual(prefixesOf(listing), ['list/b/', 'list/e/'], `${version} ${name}`);
        }
        assert.deepEqual(keysOf(flat), ['list/b/c.txt', 'list/b/d.txt'], version);
      }),
    );
    const v2 = await s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'list', '--start-after', 'list/e/f.txt');
    assert.deepEqual(keysOf(v2), ['list/g.txt', 'listing-not.txt']);
  });

  it('reads byte ranges', async () => {
    const small = readFileSync(path('small.bin'));
    const [{ response, bytes }, tail, unsatisfiable] = await Promise.all([
      getFile('small.bin', '--range', 'bytes=100-199'),
      getFile('small.bin', '--range', 'bytes=-10'),
      s3apiError('get-object', '--bucket', BUCKET, '--key', 'small.bin', '--range', 'bytes=5000-6000', path('out-of-range')),
    ]);
    assert.deepEqual(bytes, small.subarray(100, 200));
    assert.equal(response.ContentRange, 'bytes 100-199/1000');
    assert.deepEqual(tail.bytes, small.subarray(990));
    assert.match(unsatisfiable, /InvalidRange/);
  });

  it('presigns a GET that a plain HTTP client can fetch', async () => {
    const url = (await aws('s3', 'presign', `s3://${BUCKET}/small.bin`, '--expires-in', '300')).trim();
    assert.match(url, /X-Amz-Signature=/, 'a SigV4 pre-signed URL');
    const fetched = await fetchPresigned(url);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, readFileSync(path('small.bin')));
  });

  it('copies objects (CopyObject, COPY and REPLACE metadata directives)', async () => {
    const small = readFileSync(path('small.bin'));
    await s3api('copy-object', '--bucket', BUCKET, '--key', 'copies/same-meta', '--copy-source', `${BUCKET}/small.bin`);
    const copied = await s3api('head-object', '--bucket', BUCKET, '--key', 'copies/same-meta');
    assert.equal(copied.ContentType, 'text/x-small');
    assert.deepEqual(copied.Metadata, { colour: 'blue', shape: 'round' });
    assert.deepEqual((await getFile('copies/same-meta')).bytes, small);
    await s3api('copy-object', '--bucket', BUCKET, '--key', 'copies/new-meta', '--copy-source', `${BUCKET}/small.bin`, '--metadata-directive', 'REPLACE', '--content-type', 'application/x-new', '--metadata', 'colour=red');
    const replaced = await s3api('head-object', '--bucket', BUCKET, '--key', 'copies/new-meta');
    assert.equal(replaced.ContentType, 'application/x-new');
    assert.deepEqual(replaced.Metadata, { colour: 'red' });
    // `aws s3 cp` between two S3 URLs copies on the server: above 8 MiB as a multipart upload of UploadPartCopy
    // ranges. Its default `--copy-props default` would also copy tags (GetObjectTagging), which this server does not
    // implement; `metadata-directive` copies the headers and metadata only.
    await aws('s3', 'cp', `s3://${BUCKET}/big/20mib.bin`, `s3://${BUCKET}/copies/20mib.bin`, '--copy-props', 'metadata-directive');
    await aws('s3', 'cp', `s3://${BUCKET}/copies/20mib.bin`, path('20mib.copy'));
    assert.ok(readFileSync(path('20mib.copy')).equals(readFileSync(path('20mib.bin'))));
  });

  it('deletes several objects in one request (DeleteObjects)', async () => {
    const keys = [...LISTED_KEYS.filter((k) => k.startsWith('list/')), 'list/never-existed'];
    const answer = await s3api('delete-objects', '--bucket', BUCKET, '--delete', JSON.stringify({ Objects: keys.map((Key) => ({ Key })), Quiet: false }));
    assert.deepEqual(((answer.Deleted ?? []) as { Key: string }[]).map((d) => d.Key).sort(), [...keys].sort());
    assert.equal(answer.Errors, undefined);
    assert.deepEqual(keysOf(await s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'list/')), []);
    const quiet = await s3api('delete-objects', '--bucket', BUCKET, '--delete', JSON.stringify({ Objects: [{ Key: 'listing-not.txt' }], Quiet: true }));
    assert.equal(quiet.Deleted, undefined);
    assert.match(await s3apiError('head-object', '--bucket', BUCKET, '--key', 'listing-not.txt'), /404|Not Found/);
  });

  it('stores, lists, reads, presigns and deletes awkward keys', async () => {
    const expected = new Map<string, Buffer>();
    const local = path('awkward-up');
    mkdirSync(local);
    await Promise.all(
      AWKWARD_KEYS.map(async (key, i) => {
        const file = path(`awkward-${i}`);
        expected.set(key, Buffer.from(writeSeededFile(file, 100 + i, 10 + i)));
        if (!key.includes('//')) writeFileSync(join(local, key.slice('awkward/'.length)), readFileSync(file));
        await putFile(key, file);
      }),
    );
    // The high-level command names the keys itself, from local file names (a file name cannot hold '//').
    await aws('s3', 'cp', local, `s3://${BUCKET}/cp-awkward/`, '--recursive');
    const viaCp = AWKWARD_KEYS.filter((k) => !k.includes('//')).map((k) => `cp-${k}`);
    const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const [v1, v2, v2Cp, doubled] = await Promise.all([
      s3api('list-objects', '--bucket', BUCKET, '--prefix', 'awkward/'),
      s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'awkward/'),
      s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'cp-awkward/'),
      s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'awkward/double/', '--delimiter', '/'),
    ]);
    assert.deepEqual(keysOf(v1), [...AWKWARD_KEYS].sort(byBytes));
    assert.deepEqual(keysOf(v2), [...AWKWARD_KEYS].sort(byBytes));
    assert.deepEqual(keysOf(v2Cp), [...viaCp].sort(byBytes));
    assert.deepEqual(prefixesOf(doubled), ['awkward/double//']);
    await Promise.all(
      [...expected].map(async ([key, bytes]) => {
        assert.deepEqual((await getFile(key)).bytes, bytes, key);
        const url = (await aws('s3', 'presign', `s3://${BUCKET}/${key}`)).trim();
        const fetched = await fetchPresigned(url);
        assert.equal(fetched.status, 200, `${key}: ${fetched.body.toString()}`);
        assert.deepEqual(fetched.body, bytes, key);
      }),
    );
    const down = path('awkward-down');
    await aws('s3', 'cp', `s3://${BUCKET}/cp-awkward/`, down, '--recursive');
    for (const key of viaCp) assert.deepEqual(readFileSync(join(down, key.slice('cp-awkward/'.length))), expected.get(key.slice('cp-'.length)), key);
    await s3api('delete-objects', '--bucket', BUCKET, '--delete', JSON.stringify({ Objects: AWKWARD_KEYS.map((Key) => ({ Key })) }));
    await aws('s3', 'rm', `s3://${BUCKET}/cp-awkward/`, '--recursive');
    const [left, leftCp] = await Promise.all([
      s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'awkward/'),
      s3api('list-objects-v2', '--bucket', BUCKET, '--prefix', 'cp-awkward/'),
    ]);
    assert.deepEqual([...keysOf(left), ...keysOf(leftCp)], []);
  });

  it('deletes the bucket once it is empty', async () => {
    assert.match(await s3apiError('delete-bucket', '--bucket', BUCKET), /BucketNotEmpty/);
    await aws('s3', 'rm', `s3://${BUCKET}`, '--recursive');
    await s3api('delete-bucket', '--bucket', BUCKET);
    assert.match(await s3apiError('head-bucket', '--bucket', BUCKET), /404|Not Found/);
    assert.deepEqual((await s3api('list-buckets')).Buckets ?? [], []);
  });
});
