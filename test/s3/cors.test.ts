// CORS on the S3 front door: preflights answered without credentials, CORS headers on every answer to a request with an Origin.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { startEdge, type RunningEdge } from '../../src/edge/edge.ts';

const ORIGIN = 'http://127.0.0.1:9001';
const EXPOSED = 'ETag, x-amz-request-id, x-amz-version-id, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, x-amz-checksum-sha256, Content-Length, Content-Range, Last-Modified';
const credentials = { accessKeyId: 'CORSKEYTEST0001', secretAccessKey: 'cors-secret-for-tests-only' };

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One raw HTTP request (node:http, so that Origin and the preflight headers go out exactly as given). */
function send(url: string, method: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function corsHeaderNames(answer: Answer): string[] {
  return Object.keys(answer.headers).filter((name) => name.startsWith('access-control-') || name === 'vary');
}

function assertCorsResponseHeaders(answer: Answer): void {
  assert.equal(answer.headers['access-control-allow-origin'], ORIGIN);
  assert.equal(answer.headers.vary, 'Origin');
  assert.equal(answer.headers['access-control-expose-headers'], EXPOSED);
  assert.equal(answer.headers['access-control-allow-credentials'], undefined, 'no credentials mode: there are no cookies to send');
}

/** The same checks against one front door (the edge's or the gateway's). */
function corsSuite(endpoint: () => string, s3: () => S3Client, bucket: string): void {
  it('answers a preflight on any path with 200 and what may follow, without credentials', async () => {
    const requested = 'authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-user-agent';
    for (const path of ['/', `/${bucket}`, `/${bucket}/some/key.bin?uploads`, '/no-such-bucket/x?partNumber=1&uploadId=u', `/${bucket}/${'k'.repeat(2000)}`, '/%FF/bad-utf8']) {
      const answer = await send(`${endpoint()}${path}`, 'OPTIONS', { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': requested });
      assert.equal(answer.status, 200, `preflight on ${path.slice(0, 60)}: ${answer.body}`);
      assert.equal(answer.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(answer.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, HEAD');
      assert.equal(answer.headers['access-control-allow-headers'], requested);
      assert.equal(answer.headers['access-control-max-age'], '600');
      assert.equal(answer.headers.vary, 'Origin');
      assert.equal(answer.body, '');
    }
  });

  it('echoes any origin and omits Allow-Headers when none were requested', async () => {
    const answer = await send(`${endpoint()}/${bucket}/k`, 'OPTIONS', { origin: 'https://portal.example.org', 'access-control-request-method': 'GET' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['access-control-allow-origin'], 'https://portal.example.org');
    assert.equal(answer.headers['access-control-allow-headers'], undefined);
  });

  it('refuses an OPTIONS that is not a preflight, or asks for a method that is not allowed, with S3 XML', async () => {
    const noMethod = await send(`${endpoint()}/${bucket}/k`, 'OPTIONS', { origin: ORIGIN });
    assert.equal(noMethod.status, 400);
    assert.match(noMethod.body, /<Code>InvalidRequest<\/Code>/);
    assert.match(noMethod.body, /Access-Control-Request-Method/);
    assertCorsResponseHeaders(noMethod);
    const noOrigin = await send(`${endpoint()}/${bucket}/k`, 'OPTIONS', { 'access-control-request-method': 'GET' });
    assert.equal(noOrigin.status, 400);
    assert.deepEqual(corsHeaderNames(noOrigin), []);
    const patch = await send(`${endpoint()}/${bucket}/k`, 'OPTIONS', { origin: ORIGIN, 'access-control-request-method': 'PATCH' });
    assert.equal(patch.status, 403);
    assert.match(patch.body, /<Code>AccessDenied<\/Code>/);
    assert.match(patch.body, /PATCH/);
  });

  it('adds the CORS headers to a successful signed request with an Origin', async () => {
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello, browser' }));
    const url = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
    const answer = await send(url, 'GET', { origin: ORIGIN });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'hello, browser');
    assertCorsResponseHeaders(answer);
    assert.ok(typeof answer.headers.etag === 'string' && answer.headers.etag !== '', 'the ETag the page may read');
    const ranged = await send(url, 'GET', { origin: ORIGIN, range: 'bytes=0-4' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.body, 'hello');
    assertCorsResponseHeaders(ranged);
  });

  it('adds the CORS headers to errors too: anonymous, bad signature, missing key', async () => {
    const anonymous = await send(`${endpoint()}/${bucket}/hello.txt`, 'GET', { origin: ORIGIN });
    assert.equal(anonymous.status, 403);
    assert.match(anonymous.body, /<Code>AccessDenied<\/Code>/);
    assertCorsResponseHeaders(anonymous);
    const good = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
    const tampered = await send(good.replace(/X-Amz-Signature=[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`), 'GET', { origin: ORIGIN });
    assert.equal(tampered.status, 403);
    assert.match(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);
    assertCorsResponseHeaders(tampered);
    const missing = await send(await getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: 'nope.txt' }), { expiresIn: 300 }), 'GET', { origin: ORIGIN });
    assert.equal(missing.status, 404);
    assert.match(missing.body, /<Code>NoSuchKey<\/Code>/);
    assertCorsResponseHeaders(missing);
    const headMissing = await send(`${endpoint()}/${bucket}/nope.txt`, 'HEAD', { origin: ORIGIN });
    assert.equal(headMissing.status, 403);
    assertCorsResponseHeaders(headMissing);
  });

  it('sends no CORS headers when the request has no Origin', async () => {
    const url = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
    const ok = await send(url, 'GET');
    assert.equal(ok.status, 200);
    assert.deepEqual(corsHeaderNames(ok), []);
    const error = await send(`${endpoint()}/${bucket}/hello.txt`, 'GET');
    assert.equal(error.status, 403);
    assert.deepEqual(corsHeaderNames(error), []);
  });
}

describe('CORS on dispersa edge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dispersa-cors-edge-'));
  let edge: RunningEdge;
  let s3: S3Client;
  before(async () => {
    edge = await startEdge({ dir, port: 0, ...credentials });
    s3 = new S3Client({ endpoint: edge.url, region: 'us-east-1', forcePathStyle: true, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: 'cors' }));
  });
  after(async () => {
    s3.destroy();
    await edge.close();
    rmSync(dir, { recursive: true, force: true });
  });
  corsSuite(() => edge.url, () => s3, 'cors');
});

describe('CORS on dispersa serve', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-cors-gateway-'));
  let gateway: RunningGateway;
  let s3: S3Client;
  before(async () => {
    gateway = await startGateway({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      repairIntervalMs: 0,
      env: { DISPERSA_ROOT_ACCESS_KEY: credentials.accessKeyId, DISPERSA_ROOT_SECRET_KEY: credentials.secretAccessKey },
    });
    s3 = new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: 'cors' }));
  });
  after(async () => {
    s3.destroy();
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  corsSuite(() => gateway.url, () => s3, 'cors');

  it('counts preflights as CorsPreflight in the metrics, and never as an authentication failure in the audit log', async () => {
    const adminUrl = gateway.adminUrl ?? assert.fail('no admin listener');
    await send(`${gateway.url}/cors/audit-check`, 'OPTIONS', { origin: ORIGIN, 'access-control-request-method': 'DELETE' });
    const metrics = await send(`${adminUrl}/metrics`, 'GET');
    assert.match(metrics.body, /dispersa_s3_requests_total\{operation="CorsPreflight",status="200"\} \d+/);
    // Audit entries are written after the response: an anonymous request (an authentication failure) is the marker
    // that everything before it was recorded.
    await send(`${gateway.url}/cors/audit-marker`, 'GET', { origin: ORIGIN });
    const deadline = Date.now() + 5_000;
    let entries = await gateway.meta.listAudit({ limit: 1000 });
    while (!entries.some((e) => e.target.includes('audit-marker')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      entries = await gateway.meta.listAudit({ limit: 1000 });
    }
    assert.ok(entries.some((e) => e.operation === 'auth.failure' && e.target.includes('audit-marker')), 'the marker was audited');
    assert.deepEqual(entries.filter((e) => e.target.includes('audit-check')), [], 'a preflight is no authentication failure');
  });
});
