// dispersa serve under attack and abuse: bad credentials and signatures, scopes and teams, malformed and cut-short
// bodies, wrong digests, oversized headers. Each gets its precise S3 error, stores nothing, and the server keeps serving.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { KeyCustody, loadMasterKey } from '../../src/objects/custody.ts';
import { must } from '../support/must.ts';
import { s3Error } from '../support/s3.ts';

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const ROOT: Credentials = { accessKeyId: 'SECURITYROOT', secretAccessKey: 'security-root-secret' };
const BUCKET = 'vault';
const ORIGINAL = 'the original, untouched';
const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-security-'));
let gateway: RunningGateway;
let root: S3Client;
let port: number;

function client(credentials: Credentials, extra: { systemClockOffset?: number } = {}): S3Client {
  return new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1, ...extra });
}

/** Every file under the locations, temp files included: a rejected upload must leave none behind. */
function storedFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(join(dataDir, 'locations'));
  return out.sort();
}

/**
 * The stored files once no write is still unwinding: a write rejected by an earlier test may remove its temporary
 * files a moment after the client heard back, and a baseline taken meanwhile would expect them to stay.
 */
async function settledFiles(): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  let files = storedFiles();
  while (files.some((f) => f.includes('/.~tmp-')) && Date.now() < deadline) {
    await gateway.backend.idle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    files = storedFiles();
  }
  return files;
}

/**
 * After a rejected request: once GC has run (it is started by the failed write, which may still be unwinding when
 * the client hears back or hangs up), the locations hold exactly what they held before, the original object is
 * intact, the rejected key does not exist, and the server answers a fresh request.
 */
async function assertNothingStored(before: readonly string[], rejectedKey: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let now = storedFiles();
  while (now.join('\n') !== before.join('\n') && Date.now() < deadline) {
    await gateway.backend.idle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    now = storedFiles();
  }
  assert.deepEqual(now, before, 'no fragment of the rejected request stays stored');
  assert.deepEqual(await s3Error(root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: rejectedKey }))), { name: 'NotFound', status: 404 });
  const original = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
  assert.equal(await must(original.Body).transformToString(), ORIGINAL, 'the server still serves, the old object intact');
}

// ---- an independent SigV4 signer, so that raw requests can be built (and broken) byte by byte ----

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

interface Signed {
  readonly headers: Record<string, string>;
  readonly signature: string;
  readonly timestamp: string;
  readonly scope: string;
  readonly signingKey: Buffer;
}

/** Signs a request; `query` is already canonical (sorted, encoded), `path` already URI-encoded. Every header is signed. */
function sign(method: string, path: string, query: string, headers: Record<string, string>, payloadHash: string, date = new Date(), credentials = ROOT): Signed {
  const timestamp = amzDate(date);
  const day = timestamp.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const all: Record<string, string> = { ...headers, host: `127.0.0.1:${port}`, 'x-amz-date': timestamp, 'x-amz-content-sha256': payloadHash };
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([n, v]) => [n.toLowerCase(), v.trim()]));
  const canonical = [method, path, query, ...names.map((n) => `${n}:${lower[n] ?? ''}`), '', names.join(';'), payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', timestamp, scope, sha256Hex(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const signature = hmac(signingKey, stringToSign).toString('hex');
  return {
    headers: { ...all, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` },
    signature,
    timestamp,
    scope,
    signingKey,
  };
}

const EMPTY_SHA256 = sha256Hex('');

/** An aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): each chunk signed, chained from the request signature. */
function awsChunks(data: Uint8Array, chunkSize: number, signed: Signed): Buffer[] {
  const out: Buffer[] = [];
  let previous = signed.signature;
  for (let offset = 0; ; offset += chunkSize) {
    const chunk = data.subarray(offset, Math.min(offset + chunkSize, data.length));
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', signed.timestamp, signed.scope, previous, EMPTY_SHA256, sha256Hex(chunk)].join('\n');
    previous = hmac(signed.signingKey, stringToSign).toString('hex');
    out.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk, Buffer.from('\r\n')]));
    if (chunk.length === 0) return out;
  }
}

function encodedLength(dataLength: number, chunkSize: number): number {
  const frame = (n: number): number => n.toString(16).length + ';chunk-signature='.length + 64 + 4 + n;
  let total = frame(0);
  for (let left = dataLength; left > 0; left -= chunkSize) total += frame(Math.min(chunkSize, left));
  return total;
}

interface RawAnswer {
  readonly status: number;
  readonly code: string | undefined;
  readonly text: string;
}

/**
 * Sends bytes over a plain TCP connection and reads the answer until the server closes it. With `hangUp`, the
 * connection is destroyed after the bytes are written (a client that dies mid-upload) and no answer is awaited.
 */
function sendRaw(parts: readonly Uint8Array[], options: { hangUp?: boolean } = {}): Promise<RawAnswer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', (error) => { if (options.hangUp !== true) reject(error); });
    socket.on('close', () => {
      if (options.hangUp === true) {
        resolve(undefined);
        return;
      }
      const text = Buffer.concat(received).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status?.[1] === undefined) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      resolve({ status: Number(status[1]), code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], text });
    });
    socket.on('connect', () => {
      const write = async (): Promise<void> => {
        for (const part of parts) {
          if (!socket.write(part)) await new Promise((r) => socket.once('drain', r));
        }
        if (options.hangUp === true) socket.destroy();
      };
      write().catch(reject);
    });
  });
}

function head(method: string, target: string, headers: Record<string, string>): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`), 'connection: close', '', ''];
  return Buffer.from(lines.join('\r\n'));
}

/** A signed request with a plain body of known length. */
function signedRequest(method: string, path: string, query: string, headers: Record<string, string>, body: Uint8Array, options: { date?: Date; payloadHash?: string } = {}): Buffer[] {
  const signed = sign(method, path, query, headers, options.payloadHash ?? sha256Hex(body), options.date);
  return [head(method, query === '' ? path : `${path}?${query}`, { ...signed.headers, 'content-length': String(body.length) }), Buffer.from(body)];
}

function md5Base64(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('base64');
}

/** A streaming PUT of `data` to `key`, as the parts to send; `mangle` breaks the encoded body. */
function streamingPut(key: string, data: Uint8Array, chunkSize: number, transport: 'content-length' | 'chunked', mangle: (chunks: Buffer[]) => Buffer[]): Buffer[] {
  const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) };
  const signed = sign('PUT', `/${BUCKET}/${key}`, '', headers, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
  const chunks = mangle(awsChunks(data, chunkSize, signed));
  if (transport === 'content-length') {
    return [head('PUT', `/${BUCKET}/${key}`, { ...signed.headers, 'content-length': String(encodedLength(data.length, chunkSize)) }), ...chunks];
  }
  // HTTP/1.1 chunked transfer: the HTTP request itself completes, whatever the aws-chunked content inside it.
  const framed = chunks.map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]));
  return [head('PUT', `/${BUCKET}/${key}`, { ...signed.headers, 'transfer-encoding': 'chunked' }), ...framed, Buffer.from('0\r\n\r\n')];
}

const custody = (): KeyCustody => new KeyCustody(loadMasterKey(join(dataDir, 'master.key'), {}));

before(async () => {
  gateway = await startGateway({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    env: { DISPERSA_ROOT_ACCESS_KEY: ROOT.accessKeyId, DISPERSA_ROOT_SECRET_KEY: ROOT.secretAccessKey },
    requestTimeoutMs: 5_000,
  });
  port = Number(new URL(gateway.url).port);
  root = client(ROOT);
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: ORIGINAL }));
  await gateway.backend.idle();
});
after(async () => {
  root.destroy();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('refuses a wrong secret (SignatureDoesNotMatch) and an unknown key (InvalidAccessKeyId)', async () => {
    const wrong = client({ ...ROOT, secretAccessKey: 'not-the-secret' });
    const unknown = client({ accessKeyId: 'NOSUCHKEY', secretAccessKey: 'whatever' });
    assert.deepEqual(await s3Error(wrong.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), { name: 'SignatureDoesNotMatch', status: 403 });
    assert.deepEqual(await s3Error(wrong.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: 'overwritten' }))), { name: 'SignatureDoesNotMatch', status: 403 });
    assert.deepEqual(await s3Error(unknown.send(new ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 });
    assert.deepEqual(await s3Error(unknown.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), { name: 'InvalidAccessKeyId', status: 403 });
    const anonymous = await fetch(`${gateway.url}/${BUCKET}/doc`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);
    wrong.destroy();
    unknown.destroy();
    const still = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    assert.equal(await must(still.Body).transformToString(), ORIGINAL);
  });

  it('refuses an expired pre-signed URL and an altered one', async () => {
    const fresh = await getSignedUrl(root, new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }), { expiresIn: 300 });
    assert.equal((await fetch(fresh)).status, 200, 'the unaltered URL works');
    const expired = await getSignedUrl(root, new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }), { expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60_000) });
    const expiredAnswer = await fetch(expired);
    assert.equal(expiredAnswer.status, 403);
    assert.match(await expiredAnswer.text(), /<Code>AccessDenied<\/Code><Message>Request has expired/);
    const alterations: [string, string][] = [
      ['another key', fresh.replace(`/${BUCKET}/doc?`, `/${BUCKET}/doc2?`)],
      ['a longer lifetime', fresh.replace('X-Amz-Expires=300', 'X-Amz-Expires=600')],
      ['an added parameter', `${fresh}&response-content-type=text%2Fhtml`],
      ['a flipped signature digit', fresh.replace(/X-Amz-Signature=([0-9a-f])/, (_m, d: string) => `X-Amz-Signature=${d === '0' ? '1' : '0'}`)],
    ];
    for (const [what, url] of alterations) {
      assert.notEqual(url, fresh, what);
      const answer = await fetch(url);
      assert.equal(answer.status, 403, what);
      assert.match(await answer.text(), /<Code>SignatureDoesNotMatch<\/Code>/, what);
    }
    // A pre-signed PUT cannot be turned into a GET, nor the reverse.
    const putUrl = await getSignedUrl(root, new PutObjectCommand({ Bucket: BUCKET, Key: 'doc' }), { expiresIn: 300 });
    const asGet = await fetch(putUrl);
    assert.equal(asGet.status, 403);
    const getAsPut = await fetch(fresh, { method: 'PUT', body: 'replaced through a GET URL' });
    assert.equal(getAsPut.status, 403);
    const still = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    assert.equal(await must(still.Body).transformToString(), ORIGINAL);
  });

  it('refuses a request replayed beyond the 15-minute skew (RequestTimeTooSkewed)', async () => {
    const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000);
    const replayedGet = await sendRaw(signedRequest('GET', `/${BUCKET}/doc`, '', {}, new Uint8Array(0), { date: twentyMinutesAgo }));
    assert.deepEqual([replayedGet?.status, replayedGet?.code], [403, 'RequestTimeTooSkewed']);
    const replayedPut = await sendRaw(signedRequest('PUT', `/${BUCKET}/replayed`, '', {}, Buffer.from('replayed write'), { date: twentyMinutesAgo }));
    assert.deepEqual([replayedPut?.status, replayedPut?.code], [403, 'RequestTimeTooSkewed']);
    const fromTheFuture = await sendRaw(signedRequest('GET', `/${BUCKET}/doc`, '', {}, new Uint8Array(0), { date: new Date(Date.now() + 20 * 60_000) }));
    assert.deepEqual([fromTheFuture?.status, fromTheFuture?.code], [403, 'RequestTimeTooSkewed']);
    // Within the skew, the same signer is accepted: the refusals above are about time only.
    const inTime = await sendRaw(signedRequest('GET', `/${BUCKET}/doc`, '', {}, new Uint8Array(0), { date: new Date(Date.now() - 10 * 60_000) }));
    assert.equal(inTime?.status, 200);
    // The SDK with a clock 20 minutes slow, not allowed to retry after correcting it.
    const slow = client(ROOT, { systemClockOffset: -20 * 60_000 });
    assert.deepEqual(await s3Error(slow.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'replayed', Body: 'late' }))), { name: 'RequestTimeTooSkewed', status: 403 });
    slow.destroy();
    assert.deepEqual(await s3Error(root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'replayed' }))), { name: 'NotFound', status: 404 });
  });
});

describe('authorisation: scopes and teams', () => {
  let reader: S3Client;
  let blocked: S3Client;
  let teamB: S3Client;

  before(async () => {
    const keys = custody();
    const readKey = keys.newSecret('READONLYKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'READONLYKEY', teamId: 'root', wrappedSecret: readKey.wrapped, defaultScope: 'read' });
    reader = client({ accessKeyId: 'READONLYKEY', secretAccessKey: readKey.secret });
    const blockedKey = keys.newSecret('BLOCKEDKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'BLOCKEDKEY', teamId: 'root', wrappedSecret: blockedKey.wrapped, defaultScope: 'full' });
    await gateway.meta.setScope('BLOCKEDKEY', BUCKET, 'none');
    blocked = client({ accessKeyId: 'BLOCKEDKEY', secretAccessKey: blockedKey.secret });
    await gateway.meta.createTeam({ id: 'team-b', name: 'B' });
    const bKey = keys.newSecret('TEAMBKEY');
    await gateway.meta.createAccessKey({ accessKeyId: 'TEAMBKEY', teamId: 'team-b', wrappedSecret: bKey.wrapped, defaultScope: 'full' });
    teamB = client({ accessKeyId: 'TEAMBKEY', secretAccessKey: bKey.secret });
  });
  after(() => {
    reader.destroy();
    blocked.destroy();
    teamB.destroy();
  });

  it('lets a read-scope key read but never write (AccessDenied)', async () => {
    const got = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    assert.equal(await must(got.Body).transformToString(), ORIGINAL);
    const before = await settledFiles();
    const denied = { name: 'AccessDenied', status: 403 };
    assert.deepEqual(await s3Error(reader.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: 'overwritten by a reader' }))), denied);
    assert.deepEqual(await s3Error(reader.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'by-reader', Body: 'new from a reader' }))), denied);
    assert.deepEqual(await s3Error(reader.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), denied);
    // As in S3, DeleteObjects answers 200 and reports the refusal per key.
    const multi = await reader.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'doc' }] } }));
    assert.deepEqual(multi.Errors?.map((e) => [e.Key, e.Code]), [['doc', 'AccessDenied']]);
    assert.deepEqual(multi.Deleted ?? [], []);
    assert.deepEqual(await s3Error(reader.send(new CreateBucketCommand({ Bucket: 'reader-bucket' }))), denied);
    const presignedPut = await getSignedUrl(reader, new PutObjectCommand({ Bucket: BUCKET, Key: 'by-reader' }), { expiresIn: 60 });
    assert.equal((await fetch(presignedPut, { method: 'PUT', body: 'through a URL' })).status, 403);
    await assertNothingStored(before, 'by-reader');
  });

  it('lets a key scoped `none` on a bucket do nothing there', async () => {
    assert.deepEqual(await s3Error(blocked.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(blocked.send(new ListObjectsV2Command({ Bucket: BUCKET }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(blocked.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'by-blocked', Body: 'x' }))), { name: 'AccessDenied', status: 403 });
    assert.ok(!((await blocked.send(new ListBucketsCommand({}))).Buckets ?? []).some((b) => b.Name === BUCKET), 'the bucket is not even listed');
  });

  it('never lets team B see or touch team A’s bucket: it does not exist for B (NoSuchBucket)', async () => {
    const before = await settledFiles();
    const missing = { name: 'NoSuchBucket', status: 404 };
    assert.deepEqual((await teamB.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    assert.deepEqual(await s3Error(teamB.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), missing);
    assert.deepEqual(await s3Error(teamB.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), { name: 'NotFound', status: 404 });
    assert.deepEqual(await s3Error(teamB.send(new ListObjectsV2Command({ Bucket: BUCKET }))), missing);
    assert.deepEqual(await s3Error(teamB.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'from-b', Body: 'intruder' }))), missing);
    assert.deepEqual(await s3Error(teamB.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'doc' }))), missing);
    assert.deepEqual(await s3Error(teamB.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'doc' }] } }))), missing);
    const presigned = await getSignedUrl(teamB, new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }), { expiresIn: 60 });
    const viaUrl = await fetch(presigned);
    assert.equal(viaUrl.status, 404);
    assert.doesNotMatch(await viaUrl.text(), new RegExp(ORIGINAL));
    await assertNothingStored(before, 'from-b');
  });
});

describe('bad input: a precise error, nothing stored, the server still serving', () => {
  const MiB = 1024 * 1024;
  // Larger than one 4 MiB generation: the first generation's fragments are already stored when the body turns out bad.
  const big = seededBytes(7, 6 * MiB + 12345);

  it('answers DeleteObjects with broken XML with MalformedXML, deleting nothing', async () => {
    const bodies = ['<Delete><Object><Key>doc</Key></Object>', '<Delete><Object><Key>doc</Key></Objekt></Delete>', '<NotDelete><Object><Key>doc</Key></Object></NotDelete>', 'not xml at all', ''];
    for (const text of bodies) {
      const answer = await sendRaw(signedRequest('POST', `/${BUCKET}`, 'delete=', { 'content-md5': md5Base64(text), 'content-type': 'application/xml' }, Buffer.from(text)));
      assert.deepEqual([answer?.status, answer?.code], [400, 'MalformedXML'], JSON.stringify(text));
    }
    const still = await root.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc' }));
    assert.equal(await must(still.Body).transformToString(), ORIGINAL);
  });

  it('refuses an aws-chunked body cut short (IncompleteBody) and stores none of it', async () => {
    const before = await settledFiles();
    // The HTTP request completes (chunked transfer) but the aws-chunked payload stops at 5 MiB, before its final chunk.
    const parts = streamingPut('cut-short', big, 64 * 1024, 'chunked', (chunks) => chunks.slice(0, 80));
    const answer = await sendRaw(parts);
    assert.deepEqual([answer?.status, answer?.code], [400, 'IncompleteBody'], answer?.text);
    await assertNothingStored(before, 'cut-short');
  });

  it('refuses an aws-chunked body whose chunk signature was tampered with (SignatureDoesNotMatch)', async () => {
    const before = await settledFiles();
    const parts = streamingPut('tampered', big, 64 * 1024, 'content-length', (chunks) => {
      const out = [...chunks];
      const victim = Buffer.from(must(out[80]));
      const at = victim.indexOf('chunk-signature=') + 'chunk-signature='.length;
      victim[at] = victim[at] === 0x30 ? 0x31 : 0x30;
      out[80] = victim;
      return out;
    });
    const answer = await sendRaw(parts);
    assert.deepEqual([answer?.status, answer?.code], [403, 'SignatureDoesNotMatch'], answer?.text);
    // The same with the data altered and the signature kept.
    const altered = streamingPut('tampered', big, 64 * 1024, 'content-length', (chunks) => {
      const out = [...chunks];
      const victim = Buffer.from(must(out[80]));
      victim[victim.length - 3] = (victim[victim.length - 3] ?? 0) ^ 0xff;
      out[80] = victim;
      return out;
    });
    const alteredAnswer = await sendRaw(altered);
    assert.deepEqual([alteredAnswer?.status, alteredAnswer?.code], [403, 'SignatureDoesNotMatch'], alteredAnswer?.text);
    await assertNothingStored(before, 'tampered');
  });

  it('stores nothing when the client hangs up in the middle of an upload', async () => {
    const before = await settledFiles();
    const parts = streamingPut('hung-up', big, 64 * 1024, 'content-length', (chunks) => chunks.slice(0, 80));
    await sendRaw(parts, { hangUp: true });
    const plain = signedRequest('PUT', `/${BUCKET}/hung-up`, '', {}, big, { payloadHash: 'UNSIGNED-PAYLOAD' });
    await sendRaw([must(plain[0]), must(plain[1]).subarray(0, 5 * MiB)], { hangUp: true });
    await assertNothingStored(before, 'hung-up');
  });

  it('refuses a wrong Content-MD5 (BadDigest) and a malformed one (InvalidDigest), keeping the old object', async () => {
    const before = await settledFiles();
    const wrong = md5Base64('something else');
    assert.deepEqual(await s3Error(root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc', Body: big, ContentMD5: wrong }))), { name: 'BadDigest', status: 400 });
    assert.deepEqual(await s3Error(root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad-md5', Body: big, ContentMD5: wrong }))), { name: 'BadDigest', status: 400 });
    const malformed = await sendRaw(signedRequest('PUT', `/${BUCKET}/bad-md5`, '', { 'content-md5': 'not-base64-md5' }, Buffer.from('small body')));
    assert.deepEqual([malformed?.status, malformed?.code], [400, 'InvalidDigest']);
    await assertNothingStored(before, 'bad-md5');
  });

  it('refuses a wrong x-amz-checksum-crc32 (BadDigest) and a body not matching its signed SHA-256', async () => {
    const before = await settledFiles();
    const crcAnswer = await sendRaw(signedRequest('PUT', `/${BUCKET}/bad-crc`, '', { 'x-amz-checksum-crc32': 'AAAAAA==' }, big));
    assert.deepEqual([crcAnswer?.status, crcAnswer?.code], [400, 'BadDigest'], crcAnswer?.text);
    const unsignedCrc = await sendRaw(signedRequest('PUT', `/${BUCKET}/bad-crc`, '', { 'x-amz-checksum-crc32': 'AAAAAA==' }, big, { payloadHash: 'UNSIGNED-PAYLOAD' }));
    assert.deepEqual([unsignedCrc?.status, unsignedCrc?.code], [400, 'BadDigest'], unsignedCrc?.text);
    const shaAnswer = await sendRaw(signedRequest('PUT', `/${BUCKET}/bad-crc`, '', {}, big, { payloadHash: sha256Hex('another body') }));
    assert.deepEqual([shaAnswer?.status, shaAnswer?.code], [400, 'XAmzContentSHA256Mismatch'], shaAnswer?.text);
    await assertNothingStored(before, 'bad-crc');
  });

  it('refuses a header section over 16 KiB (RequestHeaderSectionTooLarge)', async () => {
    const before = await settledFiles();
    const bigHeader = await sendRaw([head('PUT', `/${BUCKET}/huge-headers`, { host: `127.0.0.1:${port}`, 'x-amz-meta-padding': 'x'.repeat(17 * 1024), 'content-length': '5' }), Buffer.from('hello')]);
    assert.deepEqual([bigHeader?.status, bigHeader?.code], [400, 'RequestHeaderSectionTooLarge']);
    const manyHeaders: Record<string, string> = { host: `127.0.0.1:${port}`, 'content-length': '5' };
    for (let i = 0; i < 200; i++) manyHeaders[`x-amz-meta-field-${i}`] = 'y'.repeat(100);
    const many = await sendRaw([head('PUT', `/${BUCKET}/huge-headers`, manyHeaders), Buffer.from('hello')]);
    assert.deepEqual([many?.status, many?.code], [400, 'RequestHeaderSectionTooLarge']);
    // A signed request with 15 KiB of headers is still served.
    const fits = await sendRaw(signedRequest('GET', `/${BUCKET}/doc`, '', { 'x-amz-meta-padding': 'z'.repeat(15 * 1024) }, new Uint8Array(0)));
    assert.equal(fits?.status, 200);
    await assertNothingStored(before, 'huge-headers');
  });
});
