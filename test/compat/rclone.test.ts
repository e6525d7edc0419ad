// rclone (Debian's package) against a fresh gateway: an s3 remote of provider Other, ListObjects v1, path style.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { must } from '../support/must.ts';
import { AWKWARD_KEYS, REGION, ROOT_CREDENTIALS, cleanEnv, fetchPresigned, md5Hex, requireTool, run, runForBytes, startCompatGateway, writeSeededFile, type CompatGateway } from './support.ts';

const RCLONE = '/usr/bin/rclone';
const BUCKET = 'rclone-bucket';
const REMOTE = `D:${BUCKET}`;
const MiB = 1024 * 1024;
const LISTED_KEYS = ['list/a.txt', 'list/b/c.txt', 'list/b/d.txt', 'list/e/f.txt', 'list/g.txt', 'listing-not.txt'];

let server: CompatGateway | undefined;
let env: NodeJS.ProcessEnv = {};

function gateway(): CompatGateway {
  if (server === undefined) throw new Error('the gateway did not start');
  return server;
}

async function rclone(...args: string[]): Promise<string> {
  return (await run(RCLONE, args, env, 300_000)).stdout;
}

function path(name: string): string {
  return join(gateway().workDir, name);
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '').sort();
}

/** `rclone ls` output as name → size. */
function sizes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const m = /^\s*(\d+) (.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) throw new Error(`unexpected rclone ls line ${JSON.stringify(line)}`);
    out.set(m[2], Number(m[1]));
  }
  return out;
}

before(async () => {
  await requireTool(RCLONE, 'rclone', () => run(RCLONE, ['version'], cleanEnv({})));
  server = await startCompatGateway();
  writeFileSync(path('rclone.conf'), '');
  // cleanEnv drops every AWS_* variable: an inherited AWS_CA_BUNDLE makes rclone fail before it sends anything.
  env = cleanEnv({
    RCLONE_CONFIG: path('rclone.conf'),
    RCLONE_CONFIG_D_TYPE: 's3',
    RCLONE_CONFIG_D_PROVIDER: 'Other',
    RCLONE_CONFIG_D_ENDPOINT: server.url,
    RCLONE_CONFIG_D_REGION: REGION,
    RCLONE_CONFIG_D_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId,
    RCLONE_CONFIG_D_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey,
    RCLONE_CONFIG_D_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_D_LIST_VERSION: '1',
    RCLONE_RETRIES: '1',
    RCLONE_LOW_LEVEL_RETRIES: '1',
  });
});
after(async () => {
  await server?.stop();
});

describe('rclone against dispersa serve', () => {
  it('creates a bucket (mkdir) and lists it', async () => {
    await rclone('mkdir', REMOTE);
    assert.deepEqual(lines(await rclone('lsf', 'D:')), [`${BUCKET}/`]);
  });

  it('copies a small file up and down (copyto) and agrees on its MD5', async () => {
    const small = writeSeededFile(path('small.bin'), 1, 1000);
    await rclone('copyto', path('small.bin'), `${REMOTE}/small.bin`);
    await rclone('copyto', `${REMOTE}/small.bin`, path('small.down'));
    assert.deepEqual(readFileSync(path('small.down')), Buffer.from(small));
    assert.equal((await rclone('md5sum', `${REMOTE}/small.bin`)).split(' ')[0], md5Hex(small));
  });

  it('copies 20 MiB up and down, as one PUT and as a multipart upload', async () => {
    const big = writeSeededFile(path('20mib.bin'), 2, 20 * MiB);
    await rclone('copyto', path('20mib.bin'), `${REMOTE}/big/20mib-single.bin`);
    await rclone('copyto', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', path('20mib.bin'), `${REMOTE}/big/20mib-multipart.bin`);
    const listed = sizes(await rclone('ls', `${REMOTE}/big`));
    assert.deepEqual(listed, new Map([['20mib-multipart.bin', 20 * MiB], ['20mib-single.bin', 20 * MiB]]));
    for (const name of ['20mib-single.bin', '20mib-multipart.bin']) {
      await rclone('copyto', `${REMOTE}/big/${name}`, path(`${name}.down`));
      assert.ok(readFileSync(path(`${name}.down`)).equals(big), name);
    }
  });

  it('lists by prefix with ListObjects v1 (ls, lsf), page by page', async () => {
    const tree = path('tree');
    for (const key of LISTED_KEYS) {
      mkdirSync(dirname(join(tree, key)), { recursive: true });
      writeFileSync(join(tree, key), key);
    }
    await rclone('copy', tree, REMOTE);
    assert.deepEqual(lines(await rclone('lsf', `${REMOTE}/list`)), ['a.txt', 'b/', 'e/', 'g.txt']);
    assert.deepEqual(lines(await rclone('lsf', '-R', `${REMOTE}/list`)), ['a.txt', 'b/', 'b/c.txt', 'b/d.txt', 'e/', 'e/f.txt', 'g.txt']);
    // One key per page: rclone follows v1 markers.
    assert.deepEqual(lines(await rclone('lsf', '-R', '--s3-list-chunk', '1', `${REMOTE}/list`)), ['a.txt', 'b/', 'b/c.txt', 'b/d.txt', 'e/', 'e/f.txt', 'g.txt']);
    assert.deepEqual(sizes(await rclone('ls', `${REMOTE}/list/b`)), new Map([['c.txt', 12], ['d.txt', 12]]));
    const dumped = await run(RCLONE, ['lsf', '--dump', 'headers', `${REMOTE}/list`], env);
    const listRequests = dumped.stderr.split('\n').filter((l) => /GET \/rclone-bucket\?/.test(l));
    assert.ok(listRequests.length > 0, 'rclone listed the bucket');
    for (const request of listRequests) assert.doesNotMatch(request, /list-type=2/, 'rclone is configured for ListObjects v1');
  });

  it('reads byte ranges (cat --offset/--count, --tail)', async () => {
    const small = readFileSync(path('small.bin'));
    assert.deepEqual(await runForBytes(RCLONE, ['cat', '--offset', '100', '--count', '100', `${REMOTE}/small.bin`], env), small.subarray(100, 200));
    assert.deepEqual(await runForBytes(RCLONE, ['cat', '--tail', '10', `${REMOTE}/small.bin`], env), small.subarray(990));
    const big = readFileSync(path('20mib.bin'));
    assert.deepEqual(await runForBytes(RCLONE, ['cat', '--offset', String(5 * MiB - 10), '--count', '20', `${REMOTE}/big/20mib-single.bin`], env), big.subarray(5 * MiB - 10, 5 * MiB + 10));
  });

  it('makes a pre-signed link a plain HTTP client can fetch', async () => {
    const url = (await rclone('link', '--expire', '1h', `${REMOTE}/small.bin`)).trim();
    assert.match(url, /X-Amz-Signature=/);
    const fetched = await fetchPresigned(url);
    assert.equal(fetched.status, 200, fetched.body.toString());
    assert.deepEqual(fetched.body, readFileSync(path('small.bin')));
  });

  it('copies on the server (CopyObject, and UploadPartCopy above the copy cutoff)', async () => {
    await rclone('copyto', `${REMOTE}/small.bin`, `${REMOTE}/copies/small.bin`);
    assert.deepEqual(await runForBytes(RCLONE, ['cat', `${REMOTE}/copies/small.bin`], env), readFileSync(path('small.bin')));
    await rclone('copyto', '--s3-copy-cutoff', '5M', `${REMOTE}/big/20mib-single.bin`, `${REMOTE}/copies/20mib.bin`);
    await rclone('copyto', `${REMOTE}/copies/20mib.bin`, path('20mib.copy'));
    assert.ok(readFileSync(path('20mib.copy')).equals(readFileSync(path('20mib.bin'))));
  });

  it('stores, lists and reads awkward keys', async () => {
    const expected = new Map<string, Buffer>();
    const s3 = new S3Client({ endpoint: gateway().url, region: REGION, forcePathStyle: true, credentials: ROOT_CREDENTIALS });
    try {
      for (const [i, key] of AWKWARD_KEYS.entries()) {
        const file = path(`awkward-${i}`);
        expected.set(key, Buffer.from(writeSeededFile(file, 100 + i, 10 + i)));
        // rclone cleans '//' out of the paths it is given: such a key can only come from another client.
        if (key.includes('//')) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: readFileSync(file) }));
        else await rclone('copyto', file, `${REMOTE}/${key}`);
      }
      const listed = sizes(await rclone('ls', `${REMOTE}/awkward`));
      assert.deepEqual(listed, new Map([...expected].map(([key, bytes]) => [key.slice('awkward/'.length), bytes.length])));
      const addressable = [...expected].filter(([key]) => !key.includes('//'));
      for (const [key, bytes] of addressable) assert.deepEqual(await runForBytes(RCLONE, ['cat', `${REMOTE}/${key}`], env), bytes, key);
      const down = path('awkward-down');
      await rclone('copy', `${REMOTE}/awkward`, down);
      for (const [key, bytes] of addressable) assert.deepEqual(readFileSync(join(down, key.slice('awkward/'.length))), bytes, key);
      for (const [key, bytes] of addressable) {
        const url = (await rclone('link', '--expire', '1h', `${REMOTE}/${key}`)).trim();
        const fetched = await fetchPresigned(url);
        assert.equal(fetched.status, 200, `${key}: ${fetched.body.toString()}`);
        assert.deepEqual(fetched.body, bytes, key);
      }
    } finally {
      // rclone could not delete it either: purge below would meet a bucket that is not empty.
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: must(AWKWARD_KEYS.find((k) => k.includes('//'))) }));
      s3.destroy();
    }
  });

  it('deletes files by prefix (delete) and one by one (deletefile)', async () => {
    await rclone('delete', `${REMOTE}/list`);
    assert.deepEqual(lines(await rclone('lsf', '-R', `${REMOTE}/list`)), []);
    await rclone('deletefile', `${REMOTE}/listing-not.txt`);
    const left = lines(await rclone('lsf', '-R', '--files-only', REMOTE));
    assert.ok(!left.some((k) => k.startsWith('list')), `nothing under list* is left: ${left.join(', ')}`);
    assert.ok(left.includes('small.bin'), 'other objects stay');
  });

  it('purges the bucket: every object, then the bucket itself', async () => {
    await rclone('purge', REMOTE);
    assert.deepEqual(lines(await rclone('lsf', 'D:')), []);
  });
});
