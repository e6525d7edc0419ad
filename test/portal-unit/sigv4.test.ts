// The portal's browser SigV4 signer (WebCrypto): AWS's published examples, and the gateway's own verifier as the oracle.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSigV4Verifier, type AuthResult, type SigV4Request } from '../../src/s3/auth/sigv4.ts';
import { canonicalPath, canonicalQuery, EMPTY_SHA256, presignUrl, sha256Hex, signRequest, UNSIGNED_PAYLOAD, uriEncode, type Credentials } from '../../portal/src/sigv4.ts';

const AWS_EXAMPLE: Credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const AWS_EXAMPLE_TIME = new Date('2013-05-24T00:00:00Z');

const KEY: Credentials = { accessKeyId: 'DSPPORTALTEST0001', secretAccessKey: 'portal-secret/with+odd=chars' };
const NOW = new Date('2026-11-22T10:00:00Z');

function verifier(now = NOW) {
  return createSigV4Verifier<{ secretKey: string }>({
    now: () => now,
    lookup: (id) => Promise.resolve(id === KEY.accessKeyId ? { secretKey: KEY.secretAccessKey } : null),
  });
}

/** The request as the server would receive it: the browser adds `host` from the URL. */
function received(method: string, url: string, headers: Record<string, string>): SigV4Request {
  const u = new URL(url);
  return { method, path: u.pathname, query: u.search.slice(1), headers: { ...headers, host: u.host } };
}

function assertVerified(result: AuthResult<{ secretKey: string }>): void {
  if (result.kind !== 'verified') assert.fail(`expected verified, got ${result.kind}${result.kind === 'rejected' ? `: ${result.error.code} ${result.error.message}` : ''}`);
}

describe('portal sigv4: AWS published examples', () => {
  it('GET with a Range header (S3 "signature calculation" example)', async () => {
    const headers = await signRequest(
      { method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', headers: { range: 'bytes=0-9' }, payloadHash: EMPTY_SHA256 },
      AWS_EXAMPLE,
      { now: AWS_EXAMPLE_TIME },
    );
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    assert.equal(headers['x-amz-date'], '20130524T000000Z');
  });

  it('pre-signed GET valid 24 hours (S3 "query string authentication" example)', async () => {
    const url = await presignUrl({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', expiresSeconds: 86400 }, AWS_EXAMPLE, { now: AWS_EXAMPLE_TIME });
    assert.equal(new URL(url).searchParams.get('X-Amz-Signature'), 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });

  it('hashes like sha256sum', async () => {
    assert.equal(await sha256Hex(''), EMPTY_SHA256);
    assert.equal(await sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('portal sigv4: canonical forms match the server', () => {
  it('encodes keys as AWS UriEncode does', () => {
    assert.equal(uriEncode('a b/c~d_e.f-g', true), 'a%20b/c~d_e.f-g');
    assert.equal(uriEncode("!'()*+=&é", false), '%21%27%28%29%2A%2B%3D%26%C3%A9');
    assert.equal(uriEncode('a/b', false), 'a%2Fb');
  });

  it('decodes once and encodes once, never normalising', () => {
    assert.equal(canonicalPath('/b/a%20b//./x'), '/b/a%20b//./x');
    assert.equal(canonicalPath('/b/(x)'), '/b/%28x%29');
    assert.equal(canonicalPath(''), '/');
  });

  it('sorts the query by key then value, bare keys as key=', () => {
    assert.equal(canonicalQuery('uploads&prefix=a+b&delimiter=%2F'), 'delimiter=%2F&prefix=a%20b&uploads=');
    assert.equal(canonicalQuery('X-Amz-Signature=abc&a=1', 'X-Amz-Signature'), 'a=1');
  });
});

describe('portal sigv4: the gateway verifier accepts what the portal signs', () => {
  const cases: { name: string; method: string; url: string; headers?: Record<string, string>; body?: string }[] = [
    { name: 'admin GET', method: 'GET', url: 'http://127.0.0.1:9001/api/v1/whoami' },
    { name: 'admin POST with a JSON body', method: 'POST', url: 'http://127.0.0.1:9001/api/v1/policies', headers: { 'content-type': 'application/json' }, body: '{"name":"eu","backends":["local-1"]}' },
    { name: 'admin DELETE with a query', method: 'DELETE', url: 'http://127.0.0.1:9001/api/v1/buckets/reports?shred=true' },
    { name: 'admin GET with an encoded since', method: 'GET', url: `http://127.0.0.1:9001/api/v1/audit?limit=100&since=${uriEncode('2026-11-22T10:00:00.000Z')}` },
    {
      name: 'ListObjectsV2 with a prefix, delimiter and token',
      method: 'GET',
      url: `http://127.0.0.1:9000/photos?list-type=2&encoding-type=url&max-keys=1000&prefix=${uriEncode('2026 trip/été/')}&delimiter=%2F&continuation-token=${uriEncode('YWJj-_')}`,
    },
    { name: 'PutObject of an odd key', method: 'PUT', url: `http://127.0.0.1:9000/photos/${uriEncode("dir/a b+c(1)!'*é€😀.txt", true)}`, headers: { 'content-type': 'text/plain' } },
    { name: 'CreateMultipartUpload', method: 'POST', url: 'http://127.0.0.1:9000/photos/big.bin?uploads=' },
    { name: 'UploadPart', method: 'PUT', url: `http://127.0.0.1:9000/photos/big.bin?partNumber=3&uploadId=${uriEncode('abc/def+=')}` },
    { name: 'HeadObject with checksum mode', method: 'HEAD', url: 'http://127.0.0.1:9000/photos/a.txt', headers: { 'x-amz-checksum-mode': 'ENABLED' } },
    { name: 'DeleteObjects', method: 'POST', url: 'http://127.0.0.1:9000/photos?delete=', body: '<Delete><Object><Key>a</Key></Object></Delete>' },
    { name: 'an IPv6 host on a port', method: 'GET', url: 'http://[::1]:9000/photos' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const payloadHash = c.method === 'PUT' && c.body === undefined ? UNSIGNED_PAYLOAD : await sha256Hex(c.body ?? '');
      const headers = await signRequest({ method: c.method, url: c.url, headers: c.headers ?? {}, payloadHash }, KEY, { now: NOW });
      assertVerified(await verifier().verify(received(c.method, c.url, headers)));
    });
  }

  it('is refused with another secret, another method or another path', async () => {
    const url = 'http://127.0.0.1:9000/photos/a.txt';
    const headers = await signRequest({ method: 'GET', url, payloadHash: EMPTY_SHA256 }, { ...KEY, secretAccessKey: 'wrong' }, { now: NOW });
    const wrongSecret = await verifier().verify(received('GET', url, headers));
    assert.equal(wrongSecret.kind === 'rejected' && wrongSecret.error.code, 'SignatureDoesNotMatch');
    const good = await signRequest({ method: 'GET', url, payloadHash: EMPTY_SHA256 }, KEY, { now: NOW });
    const otherMethod = await verifier().verify(received('DELETE', url, good));
    assert.equal(otherMethod.kind === 'rejected' && otherMethod.error.code, 'SignatureDoesNotMatch');
    const otherPath = await verifier().verify(received('GET', 'http://127.0.0.1:9000/photos/b.txt', good));
    assert.equal(otherPath.kind === 'rejected' && otherPath.error.code, 'SignatureDoesNotMatch');
  });

  it('a pre-signed GET verifies until it expires, and not after', async () => {
    const url = await presignUrl({ method: 'GET', url: `http://127.0.0.1:9000/photos/${uriEncode('a b/ü.txt', true)}`, expiresSeconds: 900 }, KEY, { now: NOW });
    const request = received('GET', url, {});
    const valid = await verifier(new Date(NOW.getTime() + 899_000)).verify(request);
    assertVerified(valid);
    assert.equal(valid.kind === 'verified' && valid.via, 'presigned');
    const expired = await verifier(new Date(NOW.getTime() + 900_000)).verify(request);
    assert.equal(expired.kind === 'rejected' && expired.error.code, 'AccessDenied');
  });

  it('a pre-signed URL keeps a query of its own covered', async () => {
    const url = await presignUrl({ method: 'GET', url: 'http://127.0.0.1:9000/photos/a.txt?response-content-disposition=attachment', expiresSeconds: 60 }, KEY, { now: NOW });
    assertVerified(await verifier().verify(received('GET', url, {})));
    const tampered = url.replace('attachment', 'inline');
    const result = await verifier().verify(received('GET', tampered, {}));
    assert.equal(result.kind === 'rejected' && result.error.code, 'SignatureDoesNotMatch');
  });

  it('refuses expiries S3 refuses', async () => {
    await assert.rejects(presignUrl({ method: 'GET', url: 'http://127.0.0.1:9000/b/k', expiresSeconds: 604801 }, KEY), RangeError);
    await assert.rejects(presignUrl({ method: 'GET', url: 'http://127.0.0.1:9000/b/k', expiresSeconds: 0 }, KEY), RangeError);
  });
});
