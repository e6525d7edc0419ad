// The CLI's SigV4 signer is accepted by the server's verifier (createSigV4Verifier): in memory, and over real HTTP through AdminClient.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AdminClient, apiPath } from '../../src/cli/connection.ts';
import { processIo } from '../../src/cli/io.ts';
import { signRequest } from '../../src/cli/sigv4-client.ts';
import { createSigV4Verifier, type SigV4Request } from '../../src/s3/auth/sigv4.ts';

const KEY = { accessKeyId: 'DSPTESTKEY', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const lookup = (id: string) => Promise.resolve(id === KEY.accessKeyId ? { secretKey: KEY.secretAccessKey } : null);
const verifier = createSigV4Verifier({ lookup, now: () => new Date() });

/** The request as the server sees it: the raw path and query of the URL, the headers that will be sent. */
function asReceived(method: string, url: URL, headers: Record<string, string>): SigV4Request {
  return { method, path: url.pathname, query: url.search.replace(/^\?/, ''), headers };
}

describe('signRequest against createSigV4Verifier', () => {
  const cases: [string, string, string | undefined][] = [
    ['GET', 'http://127.0.0.1:9001/api/v1/policies', undefined],
    ['GET', 'http://127.0.0.1:9001/api/v1/audit?since=2026-11-22T10%3A00%3A00.000Z&limit=1000', undefined],
    ['GET', 'http://admin.example/api/v1/audit?limit=1000&since=0', undefined],
    ['GET', 'https://admin.example:8443/api/v1/keys?team=a+b&x=%2F%3D%26', undefined],
    ['GET', 'http://127.0.0.1:9001/api/v1/policies/caf%C3%A9%20eu%2Fx?version=2', undefined],
    ['DELETE', 'http://127.0.0.1:9001/api/v1/buckets/old?shred=true', undefined],
    ['POST', 'http://127.0.0.1:9001/api/v1/policies', '{"name":"eu","backends":["a","b"]}'],
    ['PUT', 'http://[::1]:9001/api/v1/keys/K/scopes', '{"scopes":{"photos":"read"}}'],
    ['PATCH', 'http://127.0.0.1:9001/api/v1/locations/l?dry=', '{"attributes":{"city":"Åarhus"}}'],
  ];
  for (const [method, href, body] of cases) {
    it(`${method} ${href}`, async () => {
      const url = new URL(href);
      const headers = signRequest({ method, url, headers: { 'content-type': 'application/json', accept: 'application/json' }, ...(body === undefined ? {} : { body }) }, KEY);
      assert.equal(headers['x-amz-content-sha256'], createHash('sha256').update(body ?? '').digest('hex'));
      assert.equal(headers.host, url.host);
      const result = await verifier.verify(asReceived(method, url, headers));
      assert.equal(result.kind, 'verified', result.kind === 'rejected' ? result.error.message : '');
      assert.equal(result.accessKeyId, KEY.accessKeyId);
      assert.equal(result.scope.region, 'us-east-1');
      assert.equal(result.scope.service, 's3');
    });
  }

  it('a changed query, path, method, body hash or secret is rejected', async () => {
    const url = new URL('http://127.0.0.1:9001/api/v1/audit?since=5&limit=1000');
    const headers = signRequest({ method: 'GET', url }, KEY);
    const tampered: [string, SigV4Request][] = [
      ['query', asReceived('GET', new URL('http://127.0.0.1:9001/api/v1/audit?since=4&limit=1000'), headers)],
      ['path', asReceived('GET', new URL('http://127.0.0.1:9001/api/v1/audit/verify?since=5&limit=1000'), headers)],
      ['method', asReceived('DELETE', url, headers)],
      ['body hash', asReceived('GET', url, { ...headers, 'x-amz-content-sha256': createHash('sha256').update('x').digest('hex') })],
      ['host', asReceived('GET', url, { ...headers, host: '127.0.0.1:9002' })],
    ];
    for (const [what, request] of tampered) {
      const result = await verifier.verify(request);
      assert.equal(result.kind, 'rejected', what);
    }
    const wrongSecret = signRequest({ method: 'GET', url }, { ...KEY, secretAccessKey: 'not-it' });
    const result = await verifier.verify(asReceived('GET', url, wrongSecret));
    assert.equal(result.kind === 'rejected' ? result.error.code : result.kind, 'SignatureDoesNotMatch');
  });

  it('signs with the time given, and a stale signature is refused', async () => {
    const url = new URL('http://127.0.0.1:9001/api/v1/system');
    const old = signRequest({ method: 'GET', url }, KEY, { now: new Date(Date.now() - 60 * 60_000) });
    const result = await verifier.verify(asReceived('GET', url, old));
    assert.equal(result.kind === 'rejected' ? result.error.code : result.kind, 'RequestTimeTooSkewed');
  });
});

describe('AdminClient over HTTP, verified by the server verifier', () => {
  let server: ReturnType<typeof createServer>;
  let endpoint: URL;
  const seen: { method: string; url: string; verified: boolean; bodyMatches: boolean }[] = [];

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  before(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const raw = req.url ?? '/';
        const q = raw.indexOf('?');
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
        const result = await verifier.verify({ method: req.method ?? 'GET', path: q < 0 ? raw : raw.slice(0, q), query: q < 0 ? '' : raw.slice(q + 1), headers });
        const body = await readBody(req);
        const bodyMatches = createHash('sha256').update(body).digest('hex') === headers['x-amz-content-sha256'];
        seen.push({ method: req.method ?? '', url: raw, verified: result.kind === 'verified', bodyMatches });
        if (result.kind === 'verified' && bodyMatches) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        } else {
          res.writeHead(401, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Unauthenticated', status: 401, detail: result.kind === 'rejected' ? result.error.message : 'body hash' }));
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => new Promise<void>((resolve) => server.close(() => { resolve(); })));

  it('GET with a query, names needing encoding, and JSON bodies all verify', async () => {
    const client = new AdminClient({ endpoint, credentials: { kind: 'keys', ...KEY } }, processIo());
    assert.deepEqual(await client.call('GET', '/api/v1/audit', { query: { since: '2026-11-22T10:00:00.000Z', limit: 1000 } }), { ok: true });
    assert.deepEqual(await client.call('GET', apiPath('/api/v1/policies', 'café eu/x'), { query: { version: 2 } }), { ok: true });
    assert.deepEqual(await client.call('POST', '/api/v1/policies', { body: { name: 'eu', description: 'zwölf €' } }), { ok: true });
    assert.deepEqual(await client.call('DELETE', apiPath('/api/v1/buckets', 'old'), { query: { shred: 'true' } }), { ok: true });
    assert.deepEqual(await client.call('PUT', '/api/v1/keys/K/scopes', { body: { scopes: { 'a b': null } } }), { ok: true });
    assert.ok(seen.every((s) => s.verified && s.bodyMatches), JSON.stringify(seen));
    assert.ok(seen.some((s) => s.url.includes('since=2026-11-22T10%3A00%3A00.000Z')));
    assert.ok(seen.some((s) => s.url.startsWith('/api/v1/policies/caf%C3%A9%20eu%2Fx?')));
  });

  it('a wrong secret gets the 401 as an auth error (exit 3)', async () => {
    const client = new AdminClient({ endpoint, credentials: { kind: 'keys', accessKeyId: KEY.accessKeyId, secretAccessKey: 'wrong' } }, processIo());
    await assert.rejects(client.call('GET', '/api/v1/system'), (error: unknown) => (error as { exitCode?: number }).exitCode === 3);
  });
});
