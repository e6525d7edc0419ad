// Runs the store contract against memory, a temp directory and a real S3 server, then the s3 store's failure modes.

import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FsStore, MemoryStore, S3Store, createStore, type S3StoreOptions, type StoreConfig } from '../../src/stores/index.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { collect, isStoreError, storeContract } from './contract.ts';

let scratch = '';
let s3: TestS3Server | undefined;
let counter = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'dispersa-stores-'));
  // Never skipped: without a server the s3 suites fail here, loudly.
  s3 = await startS3Server();
});

after(async () => {
  await s3?.stop();
  await rm(scratch, { recursive: true, force: true });
});

it('has a real S3 server to test against', () => {
  assert.ok(s3 !== undefined, 'the S3 test server must start; the s3 store is never tested against nothing');
});

function server(): TestS3Server {
  if (s3 === undefined) throw new Error('the S3 test server did not start');
  return s3;
}

function s3Options(overrides: Partial<S3StoreOptions> = {}): S3StoreOptions {
  const { endpoint, region, bucket, accessKeyId, secretAccessKey } = server();
  return { endpoint, region, bucket, accessKeyId, secretAccessKey, forcePathStyle: true, requestTimeoutMs: 10_000, ...overrides };
}

function rawClient(): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey } = server();
  return new S3Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey }, forcePathStyle: true });
}

storeContract('memory', () => Promise.resolve(new MemoryStore()));

storeContract('fs', () => Promise.resolve(new FsStore({ dir: join(scratch, `fs-${++counter}`) })));

// Each test gets its own key prefix inside the shared bucket, which also exercises prefix stripping.
storeContract('s3 (key prefix in a shared bucket)', () => Promise.resolve(new S3Store(s3Options({ prefix: `run-${++counter}/` }))));


/** A TCP server on 127.0.0.1 that accepts connections and never says a word. */
async function silentServer(): Promise<{ server: NetServer; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port, sockets };
}

async function closeNet(server: NetServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
}

async function httpServer(handler: Parameters<typeof createHttpServer>[1]): Promise<{ server: HttpServer; endpoint: string }> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, endpoint: `http://127.0.0.1:${address.port}` };
}

async function closeHttp(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
}

const fakeCredentials = { region: 'us-east-1', bucket: 'b', accessKeyId: 'AK', secretAccessKey: 'SK', forcePathStyle: true } as const;

describe('s3 store: failures of the endpoint', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  before(async () => {
    silent = await silentServer();
  });
  after(() => closeNet(silent.server, silent.sockets));

  it('times out against a server that never answers, within the configured time', async () => {
    const store = new S3Store({ ...fakeCredentials, endpoint: `http://127.0.0.1:${silent.port}`, requestTimeoutMs: 300, maxAttempts: 3 });
    try {
      for (const operation of [
        () => store.get('a/1'),
        () => store.put('a/1', new Uint8Array(10)),
        () => store.head('a/1'),
        () => store.delete('a/1'),
        () => collect(store.list('a/')),
      ]) {
        const started = performance.now();
        await assert.rejects(operation(), isStoreError('timeout'));
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 250 && elapsed < 2000, `gave up after ${Math.round(elapsed)} ms`);
      }
    } finally {
      await store.close();
    }
  });

  it('reports a caller abort as aborted, not as a timeout, and promptly', async () => {
    const store = new S3Store({ ...fakeCredentials, endpoint: `http://127.0.0.1:${silent.port}`, requestTimeoutMs: 10_000 });
    try {
      const started = performance.now();
      await assert.rejects(store.get('a/1', { signal: AbortSignal.timeout(100) }), isStoreError('aborted'));
      assert.ok(performance.now() - started < 2000);
    } finally {
      await store.close();
    }
  });

  it('reports an unreachable endpoint as unavailable', async () => {
    const { server: probe, port, sockets } = await silentServer();
    await closeNet(probe, sockets); // the port was free a moment ago and now nobody listens on it
    const store = new S3Store({ ...fakeCredentials, endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 10_000, maxAttempts: 2 });
    try {
      await assert.rejects(store.get('a/1'), (error) => isStoreError('unavailable')(error) && /ECONNREFUSED/.test((error as Error).message));
      await assert.rejects(store.put('a/1', new Uint8Array(1)), isStoreError('unavailable'));
      await assert.rejects(collect(store.list('')), isStoreError('unavailable'));
    } finally {
      await store.close();
    }
  });

  it('times out when the body stalls after the headers', async () => {
    const { server: stalling, endpoint } = await httpServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100', 'content-type': 'application/octet-stream' });
      response.write(Buffer.alloc(10));
    });
    const store = new S3Store({ ...fakeCredentials, endpoint, requestTimeoutMs: 300, maxAttempts: 1 });
    try {
      const started = performance.now();
      await assert.rejects(store.get('a/1'), isStoreError('timeout'));
      assert.ok(performance.now() - started < 2000);
    } finally {
      await store.close();
      await closeHttp(stalling);
    }
  });

  it('takes the asked bytes from a server that ignores Range or sends more', async () => {
    const data = Buffer.from('0123456789abcdef');
    let mode: 'ignore' | 'wider' = 'ignore';
    const { server: sloppy, endpoint } = await httpServer((_request, response) => {
      if (mode === 'ignore') {
        response.writeHead(200, { 'content-length': String(data.length) });
        response.end(data);
      } else {
        response.writeHead(206, { 'content-length': '12', 'content-range': `bytes 2-13/${data.length}` });
        response.end(data.subarray(2, 14));
      }
    });
    const store = new S3Store({ ...fakeCredentials, endpoint, maxAttempts: 1 });
    try {
      assert.equal(Buffer.from((await store.get('a/1', { range: { start: 4, end: 7 } })) ?? []).toString(), '456');
      mode = 'wider';
      assert.equal(Buffer.from((await store.get('a/1', { range: { start: 4, end: 7 } })) ?? []).toString(), '456');
      assert.equal(Buffer.from((await store.get('a/1', { range: { start: 12, end: 40 } })) ?? []).toString(), 'cd');
    } finally {
      await store.close();
      await closeHttp(sloppy);
    }
  });

  it('treats a missing bucket as unavailable, never as missing fragments (except HEAD, which cannot tell)', async () => {
    const store = new S3Store(s3Options({ bucket: 'no-such-bucket' }));
    try {
      await assert.rejects(store.get('a/1'), isStoreError('unavailable'));
      await assert.rejects(store.put('a/1', new Uint8Array(1)), isStoreError('unavailable'));
      await assert.rejects(collect(store.list('')), isStoreError('unavailable'));
      assert.equal(await store.head('a/1'), null);
    } finally {
      await store.close();
    }
  });
});

describe('s3 store: key prefixes', () => {
  it('keeps stores with different prefixes apart and stores keys under prefix + key', async () => {
    const tag = `iso-${++counter}`;
    const x = new S3Store(s3Options({ prefix: `${tag}/x/` }));
    const y = new S3Store(s3Options({ prefix: `${tag}/y/` }));
    const root = new S3Store(s3Options());
    try {
      await x.put('k/1', new Uint8Array([1]));
      await y.put('k/2', new Uint8Array([2, 2]));
      assert.deepEqual(await collect(x.list('')), [{ key: 'k/1', size: 1 }]);
      assert.deepEqual(await collect(y.list('k/')), [{ key: 'k/2', size: 2 }]);
      assert.equal(await x.get('k/2'), null);
      assert.deepEqual(await collect(root.list(`${tag}/`)), [
        { key: `${tag}/x/k/1`, size: 1 },
        { key: `${tag}/y/k/2`, size: 2 },
      ]);
    } finally {
      await Promise.all([x.close(), y.close(), root.close()]);
    }
  });

  it('skips objects under the prefix whose names are not fragment keys', async () => {
    const prefix = `foreign-${++counter}/`;
    const client = rawClient();
    const store = new S3Store(s3Options({ prefix }));
    try {
      await client.send(new PutObjectCommand({ Bucket: server().bucket, Key: `${prefix}has space`, Body: 'x' }));
      await client.send(new PutObjectCommand({ Bucket: server().bucket, Key: `${prefix}ok/ä`, Body: 'x' }));
      await store.put('ok/1', new Uint8Array(4));
      assert.deepEqual(await collect(store.list('')), [{ key: 'ok/1', size: 4 }]);
    } finally {
      client.destroy();
      await store.close();
    }
  });
});

describe('createStore', () => {
  it('builds each kind of store from its configuration', async () => {
    const configs: StoreConfig[] = [{ kind: 'memory' }, { kind: 'fs', dir: join(scratch, `factory-${++counter}`) }, { kind: 's3', ...s3Options({ prefix: `factory-${++counter}/` }) }];
    const expected = [MemoryStore, FsStore, S3Store];
    for (const [i, config] of configs.entries()) {
      const store = createStore(config);
      try {
        assert.ok(store instanceof (expected[i] ?? Object), config.kind);
        await store.put('f/1', new Uint8Array([7, 8, 9]));
        assert.deepEqual(await store.get('f/1', { range: { start: 1, end: 3 } }), new Uint8Array([8, 9]));
      } finally {
        await store.close();
      }
    }
  });

  it('refuses an unknown kind', () => {
    assert.throws(() => createStore(JSON.parse('{"kind":"tape"}') as StoreConfig), TypeError);
  });
});
