// SigV4 verification: frozen vectors, the AWS SDK signer as an independent oracle, real S3Client requests, and every rejection path.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CreateMultipartUploadCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest as SmithyRequest } from '@smithy/types';
import { canonicalPath, canonicalQuery, parseQuery, uriEncode } from '../../src/s3/auth/canonical.ts';
import { S3_AUTH_ERROR_CODES } from '../../src/s3/auth/errors.ts';
import { SigningKeyCache } from '../../src/s3/auth/signing.ts';
import {
  buildCanonicalRequest,
  createSigV4Verifier,
  formatAmzDate,
  parseAmzDate,
  type AuthResult,
  type S3AuthErrorCode,
  type SigV4Request,
  type SigV4VerifierOptions,
} from '../../src/s3/auth/sigv4.ts';
import { must } from '../support/must.ts';
import { NodeSha256 } from '../support/node-sha256.ts';

// ---------------------------------------------------------------------------------------------
// Oracle: the AWS SDK's own signer, hashing with node:crypto.

const ACCESS_KEY = 'AKIDDISPERSATEST0001';
const SECRET = 'secret/with+odd=chars/0123456789abcdefghij';
const REGION = 'us-west-2';
const T0 = new Date('2025-03-14T15:09:26Z');
const HOST = 's3.dispersa.test:9000';

interface Principal {
  readonly secretKey: string;
  readonly team: string;
}

const KEYS = new Map<string, Principal>([
  [ACCESS_KEY, { secretKey: SECRET, team: 'alpha' }],
  ['AKIDOTHER', { secretKey: 'another-secret', team: 'beta' }],
]);

function verifier(overrides: Partial<SigV4VerifierOptions<Principal>> = {}) {
  return createSigV4Verifier<Principal>({ lookup: (id) => Promise.resolve(KEYS.get(id) ?? null), now: () => T0, ...overrides });
}

function oracle(secret = SECRET, accessKeyId = ACCESS_KEY, region = REGION): SignatureV4 {
  return new SignatureV4({ service: 's3', region, credentials: { accessKeyId, secretAccessKey: secret }, sha256: NodeSha256, uriEscapePath: false });
}

type Query = Record<string, string | string[] | null>;

/** The query string as an SDK would put it on the wire: every key and value strictly encoded. */
function wireQuery(query: Query): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === null) parts.push(uriEncode(key));
    else for (const v of Array.isArray(value) ? value : [value]) parts.push(`${uriEncode(key)}=${uriEncode(v)}`);
  }
  return parts.join('&');
}

function keyPath(bucket: string, key: string): string {
  return `/${bucket}/${key.split('/').map((s) => uriEncode(s)).join('/')}`;
}

function toWire(signed: SmithyRequest): SigV4Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { method: signed.method, path: signed.path, query: wireQuery(signed.query as Query), headers };
}

interface Shape {
  readonly method?: string;
  readonly path: string;
  readonly query?: Query;
  readonly headers?: Record<string, string>;
}

function smithyRequest(shape: Shape): SmithyRequest {
  return {
    method: shape.method ?? 'GET',
    protocol: 'http:',
    hostname: 's3.dispersa.test',
    port: 9000,
    path: shape.path,
    query: shape.query ?? {},
    headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...shape.headers },
  };
}

async function signed(shape: Shape, at = T0, signer = oracle()): Promise<SigV4Request> {
  return toWire(await signer.sign(smithyRequest(shape), { signingDate: at }));
}

async function presigned(shape: Shape, expiresIn: number, at = T0, signer = oracle()): Promise<SigV4Request> {
  const request = smithyRequest({ ...shape, headers: { ...shape.headers } });
  const p = await signer.presign(request, { signingDate: at, expiresIn });
  return toWire(p);
}

function assertVerified(result: AuthResult<Principal>, what = 'request'): asserts result is Extract<AuthResult<Principal>, { kind: 'verified' }> {
  if (result.kind === 'rejected') assert.fail(`${what}: rejected ${result.error.code}: ${result.error.message}`);
  assert.equal(result.kind, 'verified', what);
}

function assertRejected(result: AuthResult<Principal>, code: S3AuthErrorCode, message?: RegExp): void {
  if (result.kind !== 'rejected') assert.fail(`expected ${code}, got ${result.kind}`);
  assert.equal(result.error.code, code, result.error.message);
  assert.ok(S3_AUTH_ERROR_CODES.includes(result.error.code));
  if (message !== undefined) assert.match(result.error.message, message);
}

function withHeaders(request: SigV4Request, headers: Record<string, string | undefined>): SigV4Request {
  return { ...request, headers: { ...request.headers, ...headers } };
}

function replaceInAuthorization(request: SigV4Request, from: string | RegExp, to: string | ((match: string, ...groups: string[]) => string)): SigV4Request {
  const authorization = must(request.headers.authorization, 'authorization');
  return withHeaders(request, { authorization: typeof to === 'string' ? authorization.replace(from, to) : authorization.replace(from, to) });
}

// ---------------------------------------------------------------------------------------------

interface VectorFile {
  readonly credentials: { accessKeyId: string; secretKey: string; region: string };
  readonly now: string;
  readonly vectors: readonly {
    name: string;
    request: SigV4Request;
    expected: { canonicalRequest: string; signature: string; scope: string; timestamp: string };
  }[];
}

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));
}

describe('frozen vectors', () => {
  it('verifies the AWS documentation examples (header, pre-signed, chunked seed)', async () => {
    const doc = readJson('aws-doc-examples.json') as {
      credentials: { accessKeyId: string; secretKey: string };
      now: string;
      header: SigV4Request;
      presigned: SigV4Request & { expiresSeconds: number };
      chunked: SigV4Request;
    };
    const lookup = (id: string) => Promise.resolve(id === doc.credentials.accessKeyId ? { secretKey: doc.credentials.secretKey, team: 'docs' } : null);
    const at = new Date(doc.now);
    const v = createSigV4Verifier<Principal>({ lookup, now: () => at, region: 'us-east-1' });
    assertVerified(await v.verify(doc.header), 'GET example');
    assertVerified(await v.verify(doc.chunked), 'chunked seed example');
    const p = await v.verify(doc.presigned);
    assertVerified(p, 'pre-signed example');
    assert.equal(p.expiresAt?.getTime(), at.getTime() + doc.presigned.expiresSeconds * 1000);
    const late = createSigV4Verifier<Principal>({ lookup, now: () => new Date(at.getTime() + doc.presigned.expiresSeconds * 1000) });
    assertRejected(await late.verify(doc.presigned), 'AccessDenied', /expired/);
  });

  const file = readJson('sigv4-vectors.json') as VectorFile;
  for (const vector of file.vectors) {
    it(`vector ${vector.name}: canonical request, signature, and the SDK signer agree`, async () => {
      const { accessKeyId, secretKey, region } = file.credentials;
      const at = new Date(file.now);
      const v = createSigV4Verifier<Principal>({
        lookup: (id) => Promise.resolve(id === accessKeyId ? { secretKey, team: 'vectors' } : null),
        now: () => at,
        region,
      });
      const result = await v.verify(vector.request);
      assertVerified(result, vector.name);
      assert.equal(result.seedSignature, vector.expected.signature);
      assert.equal(result.scopeString, vector.expected.scope);
      assert.equal(result.timestamp, vector.expected.timestamp);
      const params = parseQuery(vector.request.query);
      const payloadHash = result.via === 'header' ? must(vector.request.headers['x-amz-content-sha256']) : 'UNSIGNED-PAYLOAD';
      assert.equal(buildCanonicalRequest(vector.request, { via: result.via, signedHeaders: result.signedHeaders, payloadHash, params }), vector.expected.canonicalRequest);
      // The string to sign hashes the canonical request; the SDK signer must produce the same signature from it.
      const stringToSign = `AWS4-HMAC-SHA256\n${vector.expected.timestamp}\n${vector.expected.scope}\n${createHash('sha256').update(vector.expected.canonicalRequest).digest('hex')}`;
      assert.equal(await oracle(secretKey, accessKeyId, region).sign(stringToSign, { signingDate: at }), vector.expected.signature);
    });
  }
});

describe('canonical forms', () => {
  it('re-encodes the path once, without normalising it', () => {
    assert.equal(canonicalPath('/b/a%20b/c+d'), '/b/a%20b/c%2Bd');
    assert.equal(canonicalPath("/b/x!'()*"), '/b/x%21%27%28%29%2A');
    assert.equal(canonicalPath('/b/%7e%2f'), '/b/~/');
    assert.equal(canonicalPath('/b//./../k'), '/b//./../k');
    assert.equal(canonicalPath('/b/ü'), '/b/%C3%BC');
    assert.equal(canonicalPath('/b/100%'), '/b/100%25');
    assert.equal(canonicalPath(''), '/');
  });

  it('sorts the query by encoded key then value, decoding + as a space', () => {
    const params = parseQuery('b=2&a=z&a=y&uploads&c=%2b+x&X-Amz-Signature=zz');
    assert.equal(canonicalQuery(params, 'X-Amz-Signature'), 'a=y&a=z&b=2&c=%2B%20x&uploads=');
    assert.equal(canonicalQuery(params), 'X-Amz-Signature=zz&a=y&a=z&b=2&c=%2B%20x&uploads=');
    assert.deepEqual(
      parseQuery('prefix=a+b%2Bc&empty=').map((p) => [p.key, p.value]),
      [
        ['prefix', 'a b+c'],
        ['empty', ''],
      ],
    );
  });

  it('parses and formats ISO 8601 basic dates strictly', () => {
    assert.equal(parseAmzDate('20250314T150926Z')?.toISOString(), '2025-03-14T15:09:26.000Z');
    assert.equal(formatAmzDate(new Date('2025-03-14T15:09:26.789Z')), '20250314T150926Z');
    for (const bad of ['20250230T000000Z', '20250314T150926', '2025-03-14T15:09:26Z', '20250314T246000Z', '']) assert.equal(parseAmzDate(bad), undefined, bad);
  });
});

const AWKWARD_KEYS = [
  'plain.txt',
  'with space.txt',
  'plus+sign',
  'percent%20literal',
  '100%',
  'ünïcødé/日本語/💾',
  'double//slash//',
  '/leading-slash',
  "sub-delims!$&'()*,;=:@",
  'tilde~dash-under_score.dot',
  'question?hash#',
  'a'.repeat(300),
];

describe('requests signed by the AWS SDK signer verify', () => {
  for (const key of AWKWARD_KEYS) {
    it(`key ${JSON.stringify(key.slice(0, 40))}`, async () => {
      const request = await signed({ method: 'PUT', path: keyPath('bucket', key), headers: { 'x-amz-meta-k': 'v', 'content-type': 'text/plain' } });
      const result = await verifier().verify(request);
      assertVerified(result, key);
      assert.equal(result.accessKeyId, ACCESS_KEY);
      assert.equal(result.principal.team, 'alpha');
      assert.deepEqual(result.scope, { date: '20250314', region: REGION, service: 's3' });
      assert.deepEqual(result.payload, { kind: 'unsigned' });
    });
  }

  it('keys sent with unescaped sub-delimiters still verify (signed as UriEncode, sent raw)', async () => {
    const request = await signed({ path: keyPath('bucket', "a!b'(c)*") });
    assertVerified(await verifier().verify({ ...request, path: "/bucket/a!b'(c)*" }));
  });

  const QUERIES: Record<string, Query> = {
    'list v2 with awkward prefix': { 'list-type': '2', prefix: 'a b+c/%/ü', delimiter: '/', 'max-keys': '7', 'start-after': 'x=y&z' },
    'bare sub-resource': { uploads: '' },
    'repeated keys': { tag: ['b', 'a', 'c'] },
    'empty values': { prefix: '', marker: '' },
    'response overrides': { 'response-content-disposition': 'attachment; filename="r é.txt"', 'response-cache-control': 'no-cache, max-age=0' },
    'reserved characters': { 'k!*()': "v'~ +=&?#[]" },
  };
  for (const [name, query] of Object.entries(QUERIES)) {
    it(`query: ${name}`, async () => {
      assertVerified(await verifier().verify(await signed({ path: '/bucket', query })), name);
    });
  }

  it('multiple and whitespace-laden headers, and a signed payload hash', async () => {
    const body = 'hello dispersa';
    const sha = createHash('sha256').update(body).digest('hex');
    const request = await signed({
      method: 'PUT',
      path: keyPath('bucket', 'k'),
      headers: {
        'x-amz-content-sha256': sha,
        'x-amz-meta-spaced': '  several   inner\t\tspaces  ',
        'x-amz-meta-list': 'a, b,c',
        'content-md5': createHash('md5').update(body).digest('base64'),
        'cache-control': 'no-cache',
        'x-amz-storage-class': 'STANDARD',
      },
    });
    const result = await verifier().verify(request);
    assertVerified(result);
    assert.deepEqual(result.payload, { kind: 'sha256', sha256: sha });
  });

  it('payload modes follow x-amz-content-sha256', async () => {
    const cases: [string, Record<string, string>, unknown][] = [
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { 'x-amz-decoded-content-length': '42' }, { kind: 'streaming-signed', trailer: false, decodedLength: 42 }],
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { 'x-amz-trailer': 'x-amz-checksum-crc32' }, { kind: 'streaming-signed', trailer: true, decodedLength: undefined }],
      ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', { 'x-amz-decoded-content-length': '0' }, { kind: 'streaming-unsigned-trailer', decodedLength: 0 }],
      ['UNSIGNED-PAYLOAD', {}, { kind: 'unsigned' }],
    ];
    for (const [mode, extra, expected] of cases) {
      const result = await verifier().verify(await signed({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': mode, ...extra } }));
      assertVerified(result, mode);
      assert.deepEqual(result.payload, expected, mode);
    }
  });

  it('the Date header stands in for x-amz-date', async () => {
    // Hand-built signature (independent of the SDK, which always sends x-amz-date).
    const date = 'Fri, 14 Mar 2025 15:09:26 GMT';
    const headers = { host: HOST, date, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const canonical = ['GET', '/b/k', '', `date:${date}`, `host:${HOST}`, 'x-amz-content-sha256:UNSIGNED-PAYLOAD', '', 'date;host;x-amz-content-sha256', 'UNSIGNED-PAYLOAD'].join('\n');
    const scope = `20250314/${REGION}/s3/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n20250314T150926Z\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    let key: Buffer = createHmac('sha256', `AWS4${SECRET}`).update('20250314').digest();
    for (const part of [REGION, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    const authorization = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${scope}, SignedHeaders=date;host;x-amz-content-sha256, Signature=${signature}`;
    assertVerified(await verifier().verify({ method: 'GET', path: '/b/k', query: '', headers: { ...headers, authorization } }));
  });
});

describe('requests from a real S3Client verify', () => {
  interface Captured {
    readonly request: SigV4Request;
    readonly body: Buffer;
  }

  async function capture(run: (client: S3Client) => Promise<unknown>): Promise<Captured[]> {
    const seen: Captured[] = [];
    const client = new S3Client({
      region: REGION,
      endpoint: `http://${HOST}`,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET },
      requestHandler: {
        async handle(request: SmithyRequest) {
          const parts: Buffer[] = [];
          const body: unknown = request.body;
          if (typeof body === 'string' || body instanceof Uint8Array) parts.push(Buffer.from(body));
          else if (body !== undefined && body !== null) for await (const part of body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(request.headers) as [string, string | undefined][]) if (value !== undefined) headers[name.toLowerCase()] = value;
          seen.push({ request: { method: request.method, path: request.path, query: wireQuery(request.query as Query), headers }, body: Buffer.concat(parts) });
          return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
        },
      },
    });
    try {
      await run(client).catch(() => undefined); // empty responses may not parse; only the requests matter
    } finally {
      client.destroy();
    }
    return seen;
  }

  it('PutObject, GetObject, ListObjectsV2, DeleteObjects and multipart requests', async () => {
    const now = new Date();
    const v = verifier({ now: () => now });
    const key = 'dir one/a+b%c/ü//x';
    const requests = await capture(async (client) => {
      await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: 'small body', Metadata: { note: 'hello  world' } }));
      await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: Readable.from([Buffer.from('streamed '), Buffer.from('body')]) }));
      await client.send(new GetObjectCommand({ Bucket: 'bkt', Key: key, Range: 'bytes=0-9', ResponseContentDisposition: 'attachment; filename="a b"' }));
      await client.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'dir one/a+', Delimiter: '/', StartAfter: 'x y' }));
      await client.send(new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'a' }, { Key: 'b c' }] } }));
      await client.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: key }));
      await client.send(new UploadPartCommand({ Bucket: 'bkt', Key: key, UploadId: 'up/id+=', PartNumber: 3, Body: Buffer.alloc(1000, 7) }));
    });
    assert.ok(requests.length >= 7, `captured ${requests.length} requests`);
    for (const { request } of requests) {
      const result = await v.verify(request);
      assertVerified(result, `${request.method} ${request.path}?${request.query}`);
      const tampered = await v.verify({ ...request, method: request.method === 'GET' ? 'HEAD' : 'GET' });
      assertRejected(tampered, 'SignatureDoesNotMatch');
    }
    const streamed = requests.find((r) => r.request.headers['x-amz-content-sha256'] === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.ok(streamed !== undefined, 'the SDK streamed a body as aws-chunked with a trailer');
  });
});

describe('pre-signed URLs', () => {
  const shape: Shape = { path: keyPath('bucket', 'shared file+1.txt'), query: { 'response-content-type': 'text/plain; charset=utf-8' } };

  it('verify within their lifetime and expire after it', async () => {
    const request = await presigned(shape, 600);
    assert.match(request.query, /X-Amz-Signature=/);
    const at = (seconds: number) => verifier({ now: () => new Date(T0.getTime() + seconds * 1000) });
    const ok = await at(0).verify(request);
    assertVerified(ok);
    assert.equal(ok.via, 'presigned');
    assert.deepEqual(ok.payload, { kind: 'unsigned' });
    assertVerified(await at(599).verify(request));
    assertRejected(await at(600).verify(request), 'AccessDenied', /Request has expired/);
    assertRejected(await at(-16 * 60).verify(request), 'AccessDenied', /not valid yet/);
  });

  it('a seven-day URL verifies; a longer one is refused', async () => {
    const week = await presigned(shape, 604800);
    assertVerified(await verifier({ now: () => new Date(T0.getTime() + 604799_000) }).verify(week));
    const longer = { ...week, query: week.query.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801') };
    assertRejected(await verifier().verify(longer), 'AuthorizationQueryParametersError', /604800/);
    const notNumber = { ...week, query: week.query.replace('X-Amz-Expires=604800', 'X-Amz-Expires=-5') };
    assertRejected(await verifier().verify(notNumber), 'AuthorizationQueryParametersError');
  });

  it('any alteration breaks the signature', async () => {
    const request = await presigned(shape, 3600);
    const v = verifier();
    const alterations: [string, SigV4Request][] = [
      ['path', { ...request, path: keyPath('bucket', 'shared file+2.txt') }],
      ['query value', { ...request, query: request.query.replace('charset%3Dutf-8', 'charset%3Dlatin1') }],
      ['added parameter', { ...request, query: `${request.query}&versionId=1` }],
      ['expiry', { ...request, query: request.query.replace('X-Amz-Expires=3600', 'X-Amz-Expires=3601') }],
      ['method', { ...request, method: 'DELETE' }],
      ['host', withHeaders(request, { host: 'evil.test' })],
      ['signature', { ...request, query: request.query.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`) }],
    ];
    for (const [what, altered] of alterations) {
      const result = await v.verify(altered);
      assert.ok(result.kind === 'rejected' && result.error.code === 'SignatureDoesNotMatch', `altered ${what}: ${result.kind}`);
    }
  });

  it('missing or malformed parameters', async () => {
    const request = await presigned(shape, 3600);
    const v = verifier();
    const drop = (name: string) => ({ ...request, query: request.query.split('&').filter((p) => !p.startsWith(`${name}=`)).join('&') });
    for (const name of ['X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Credential', 'X-Amz-Algorithm', 'X-Amz-Signature']) {
      assertRejected(await v.verify(drop(name)), 'AuthorizationQueryParametersError');
    }
    assertRejected(await v.verify({ ...request, query: request.query.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1') }), 'AuthorizationQueryParametersError');
    assertRejected(await v.verify({ ...request, query: `${request.query}&X-Amz-Date=20250314T150926Z` }), 'AuthorizationQueryParametersError');
    assertRejected(await v.verify({ ...request, query: request.query.replace(/X-Amz-Date=[0-9TZ]+/, 'X-Amz-Date=20250314T150960Z') }), 'AuthorizationQueryParametersError');
    assertRejected(await v.verify(withHeaders(request, { authorization: 'AWS4-HMAC-SHA256 Credential=x' })), 'InvalidArgument', /one auth mechanism/);
  });
});

describe('header-signed requests are rejected when', () => {
  const base = () =>
    signed({ method: 'PUT', path: keyPath('bucket', 'k y'), query: { partNumber: '1', uploadId: 'abc' }, headers: { 'x-amz-meta-a': '1', 'content-type': 'text/plain' } });

  it('any signed part was changed', async () => {
    const request = await base();
    const v = verifier();
    const alterations: SigV4Request[] = [
      { ...request, method: 'POST' },
      { ...request, path: keyPath('bucket', 'k z') },
      { ...request, path: `${request.path}/` },
      { ...request, query: request.query.replace('partNumber=1', 'partNumber=2') },
      { ...request, query: `${request.query}&x=1` },
      withHeaders(request, { 'x-amz-meta-a': '2' }),
      withHeaders(request, { 'content-type': 'text/html' }),
      withHeaders(request, { host: 'other.test' }),
      withHeaders(request, { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }),
      withHeaders(request, { 'x-amz-date': '20250314T150927Z' }),
      replaceInAuthorization(request, /Signature=([0-9a-f]{63})([0-9a-f])/, (_m, head: string, last: string) => `Signature=${head}${last === '0' ? '1' : '0'}`),
      replaceInAuthorization(request, /Signature=[0-9a-f]+/, 'Signature=' + 'A'.repeat(64)),
      replaceInAuthorization(request, /Signature=[0-9a-f]+/, 'Signature=abc'),
    ];
    for (const altered of alterations) assertRejected(await v.verify(altered), 'SignatureDoesNotMatch');
  });

  it('the mismatch carries the canonical request and string to sign the server computed', async () => {
    const request = await base();
    const result = await verifier().verify(withHeaders(request, { 'x-amz-meta-a': 'changed' }));
    assert.equal(result.kind, 'rejected');
    assert.match(result.error.details?.canonicalRequest ?? '', /x-amz-meta-a:changed/);
    assert.match(result.error.details?.stringToSign ?? '', /^AWS4-HMAC-SHA256\n20250314T150926Z\n/);
    assert.doesNotMatch(result.error.message, new RegExp(SECRET.replace(/[+/]/g, '.')));
  });

  it('the clock is skewed by more than 15 minutes', async () => {
    const request = await base();
    for (const minutes of [16, -16, 60 * 24]) {
      assertRejected(await verifier({ now: () => new Date(T0.getTime() + minutes * 60_000) }).verify(request), 'RequestTimeTooSkewed');
    }
    for (const minutes of [14, -14]) assertVerified(await verifier({ now: () => new Date(T0.getTime() + minutes * 60_000) }).verify(request));
    assertVerified(await verifier({ now: () => new Date(T0.getTime() + 29 * 60_000), maxSkewSeconds: 30 * 60 }).verify(request));
  });

  it('the access key is unknown, or the secret is wrong', async () => {
    assertRejected(await verifier().verify(await signed({ path: '/b/k' }, T0, oracle(SECRET, 'AKIDNOBODY'))), 'InvalidAccessKeyId');
    assertRejected(await verifier().verify(await signed({ path: '/b/k' }, T0, oracle('wrong-secret'))), 'SignatureDoesNotMatch');
    const other = await verifier().verify(await signed({ path: '/b/k' }, T0, oracle('another-secret', 'AKIDOTHER')));
    assertVerified(other);
    assert.equal(other.principal.team, 'beta');
  });

  it('the region is not the configured one', async () => {
    const request = await base();
    assertRejected(await verifier({ region: 'eu-west-1' }).verify(request), 'AuthorizationHeaderMalformed', /region 'us-west-2' is wrong; expecting 'eu-west-1'/);
    assertVerified(await verifier({ region: REGION }).verify(request));
    assertVerified(await verifier().verify(await signed({ path: '/b/k' }, T0, oracle(SECRET, ACCESS_KEY, 'any-region-1'))));
  });

  it('the Authorization header is malformed', async () => {
    const request = await base();
    const v = verifier();
    const cases: [string | RegExp, string, S3AuthErrorCode][] = [
      [/, Signature=[0-9a-f]+/, '', 'AuthorizationHeaderMalformed'],
      [/SignedHeaders=[^,]+/, 'SignedHeaders=content-type;x-amz-date', 'AuthorizationHeaderMalformed'],
      [/SignedHeaders=/, 'SignedHeaders=Host;', 'AuthorizationHeaderMalformed'],
      ['/s3/aws4_request', '/ec2/aws4_request', 'AuthorizationHeaderMalformed'],
      ['/aws4_request', '/aws5_request', 'AuthorizationHeaderMalformed'],
      ['20250314/', '20250315/', 'AuthorizationHeaderMalformed'],
      ['20250314/', '2025031/', 'AuthorizationHeaderMalformed'],
      [`Credential=${ACCESS_KEY}/`, 'Credential=', 'AuthorizationHeaderMalformed'],
      ['Credential=', 'Credential=x, Credential=', 'AuthorizationHeaderMalformed'],
      ['AWS4-HMAC-SHA256 ', 'AWS4-ECDSA-P256-SHA256 ', 'InvalidRequest'],
      ['AWS4-HMAC-SHA256 ', 'Bearer ', 'InvalidRequest'],
    ];
    for (const [from, to, code] of cases) assertRejected(await v.verify(replaceInAuthorization(request, from, to)), code);
  });

  it('required headers are missing or unsigned', async () => {
    const request = await base();
    const v = verifier();
    assertRejected(await v.verify(withHeaders(request, { 'x-amz-content-sha256': undefined })), 'InvalidRequest', /x-amz-content-sha256/);
    assertRejected(await v.verify(withHeaders(request, { 'x-amz-date': undefined })), 'AccessDenied', /Date/);
    assertRejected(await v.verify(withHeaders(request, { 'x-amz-date': '2025-03-14T15:09:26Z' })), 'AccessDenied', /Date/);
    assertRejected(await v.verify(withHeaders(request, { 'content-type': undefined })), 'SignatureDoesNotMatch', /content-type/);
    assertRejected(await v.verify(withHeaders(request, { 'x-amz-meta-injected': 'x' })), 'AccessDenied', /not signed: x-amz-meta-injected/);
    const unsignedAmz = await verifier({ requireSignedAmzHeaders: false }).verify(withHeaders(request, { 'x-amz-acl': 'public-read' }));
    assertVerified(unsignedAmz); // an unsigned extra header does not change the canonical request
  });

  it('x-amz-content-sha256 is not a known payload mode', async () => {
    for (const value of ['not-a-hash', 'a'.repeat(63), 'STREAMING-AWS4-HMAC-SHA256-PAYLOADX']) {
      assertRejected(await verifier().verify(await signed({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': value } })), 'InvalidArgument');
    }
    const sigv4a = await verifier().verify(await signed({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' } }));
    assertRejected(sigv4a, 'InvalidRequest', /4A/);
    const badLength = await verifier().verify(
      await signed({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '-1' } }),
    );
    assertRejected(badLength, 'InvalidArgument');
  });
});

describe('other mechanisms', () => {
  it('no authentication at all is anonymous', async () => {
    const v = verifier();
    assert.deepEqual(await v.verify({ method: 'GET', path: '/b/k', query: 'prefix=x', headers: { host: HOST } }), { kind: 'anonymous', payload: { kind: 'unsigned' } });
    const sha = createHash('sha256').update('x').digest('hex');
    assert.deepEqual(await v.verify({ method: 'PUT', path: '/b/k', query: '', headers: { host: HOST, 'x-amz-content-sha256': sha } }), {
      kind: 'anonymous',
      payload: { kind: 'sha256', sha256: sha },
    });
    assertRejected(
      await v.verify({ method: 'PUT', path: '/b/k', query: '', headers: { host: HOST, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } }),
      'AccessDenied',
    );
  });

  it('SigV2 (header or pre-signed URL) gets a clear error pointing to SigV4', async () => {
    const v = verifier();
    const header = await v.verify({ method: 'GET', path: '/b/k', query: '', headers: { host: HOST, authorization: 'AWS AKID:c2lnbmF0dXJl', date: T0.toUTCString() } });
    assertRejected(header, 'InvalidRequest', /Signature Version 2 is not supported.*signature_version='s3v4'/);
    const query = await v.verify({ method: 'GET', path: '/b/k', query: 'AWSAccessKeyId=AKID&Expires=1741965000&Signature=abc%3D', headers: { host: HOST } });
    assertRejected(query, 'InvalidRequest', /AWS4-HMAC-SHA256/);
  });
});

describe('signing keys', () => {
  it('are derived once per secret, date, region and service', async () => {
    const cache = new SigningKeyCache(2);
    const v = verifier({ keyCache: cache });
    const request = await signed({ path: '/b/k' });
    assertVerified(await v.verify(request));
    assertVerified(await v.verify(request));
    assert.equal(cache.size, 1);
    assertVerified(await v.verify(await signed({ path: '/b/k' }, T0, oracle(SECRET, ACCESS_KEY, 'eu-north-1'))));
    assert.equal(cache.size, 2);
    assertVerified(await v.verify(await signed({ path: '/b/k' }, T0, oracle('another-secret', 'AKIDOTHER'))));
    assert.equal(cache.size, 2, 'least recently used key evicted');
  });

  it('follow a rotated secret', async () => {
    const keys = new Map([[ACCESS_KEY, { secretKey: SECRET, team: 'alpha' }]]);
    const cache = new SigningKeyCache();
    const v = createSigV4Verifier<Principal>({ lookup: (id) => Promise.resolve(keys.get(id) ?? null), now: () => T0, keyCache: cache });
    assertVerified(await v.verify(await signed({ path: '/b/k' })));
    keys.set(ACCESS_KEY, { secretKey: 'rotated', team: 'alpha' });
    assertRejected(await v.verify(await signed({ path: '/b/k' })), 'SignatureDoesNotMatch');
    assertVerified(await v.verify(await signed({ path: '/b/k' }, T0, oracle('rotated'))));
  });
});
