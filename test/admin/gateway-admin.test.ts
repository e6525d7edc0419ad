// The control plane of a real gateway: an edge location added over the admin API, a policy on it, telemetry,
// metrics, health, the cache, retirement with evacuation, and the audit chain — all through real servers.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { call, problem, type Auth, type ApiResponse } from '../support/admin.ts';
import { must } from '../support/must.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-admin-gw-'));
let gateway: RunningGateway;
let edge: TestS3Server;
let s3: S3Client;
let admin: { url: string; port: number };
let root: Auth;

const api = (method: string, path: string, body?: unknown): Promise<ApiResponse> => call(admin, root, method, path, body === undefined ? {} : { body });
const objectOf = (res: ApiResponse): Record<string, unknown> => res.body as Record<string, unknown>;
const fieldOf = (value: unknown, name: string): Record<string, unknown> => (value as Record<string, Record<string, unknown>>)[name] ?? {};

before(async () => {
  edge = await startS3Server('edge-fragments');
  gateway = await startGateway({ dataDir, host: '127.0.0.1', port: 0, adminPort: 0, repairIntervalMs: 0, env: {}, requestTimeoutMs: 5_000 });
  const credentials = must(gateway.generatedRoot, 'generated root key');
  root = { kind: 'sigv4', credentials };
  const adminUrl = must(gateway.adminUrl, 'admin URL');
  admin = { url: adminUrl, port: Number(new URL(adminUrl).port) };
  s3 = new S3Client({ endpoint: gateway.url, region: 'us-east-1', forcePathStyle: true, credentials });
});
after(async () => {
  s3.destroy();
  await gateway.close();
  await edge.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('control plane of a running gateway', () => {
  it('adds an edge location only once its store answers, keeping the secret wrapped', async () => {
    const body = {
      id: 'edge-1',
      store: { type: 'edge', endpoint: edge.endpoint, bucket: edge.bucket, region: edge.region, access_key_id: edge.accessKeyId },
      secret_access_key: edge.secretAccessKey,
      attributes: { name: 'Factory 3', description: 'on-premises node', cluster_id: 'plant-a', team_id: 'ops', region: 'eu-west' },
      trust_zone: 'plant-a',
      isolation_tier: 2,
    };
    const wrongSecret = await api('POST', '/api/v1/locations', { ...body, secret_access_key: 'not-the-secret' });
    assert.equal(wrongSecret.status, 503, wrongSecret.text);
    assert.equal((await api('GET', '/api/v1/locations/edge-1')).status, 404, 'nothing recorded for a store that does not answer');
    const created = await api('POST', '/api/v1/locations', body);
    assert.equal(created.status, 201, created.text);
    assert.equal(objectOf(created).kind, 'edge');
    assert.ok(!created.text.includes(edge.secretAccessKey), 'the secret is never returned');
    const record = must(await gateway.meta.getLocation('edge-1'), 'stored location');
    assert.ok(!Buffer.from(record.wrappedSecret).includes(Buffer.from(edge.secretAccessKey)), 'stored wrapped');
    assert.equal((await api('POST', '/api/v1/locations', body)).status, 409);
  });

  it('stores objects under a policy that uses the edge location, named by LocationConstraint', async () => {
    const policy = await api('POST', '/api/v1/policies', { name: 'hybrid', backends: ['local-1', 'local-2'], edge_devices: ['edge-1'], redundancy: { scheme: 'RLNC', redundant_packets: 1 } });
    assert.equal(policy.status, 201, policy.text);
    await s3.send(new CreateBucketCommand({ Bucket: 'hybrid-bucket', CreateBucketConfiguration: { LocationConstraint: 'hybrid' as BucketLocationConstraint } }));
    const bytes = seededBytes(11, 1_500_000);
    await s3.send(new PutObjectCommand({ Bucket: 'hybrid-bucket', Key: 'data.bin', Body: bytes }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'hybrid-bucket', Key: 'data.bin' }));
    assert.deepEqual(Buffer.from(await must(got.Body).transformToByteArray()), Buffer.from(bytes));
    const bucketPolicy = await api('GET', '/api/v1/buckets/hybrid-bucket/policy');
    assert.equal(objectOf(bucketPolicy).name, 'hybrid');
    const bucket = objectOf(await api('GET', '/api/v1/buckets/hybrid-bucket'));
    assert.equal(bucket.objects, 1);
    assert.equal(bucket.logical_bytes, bytes.length);
    assert.ok((bucket.stored_bytes as number) > bytes.length, 'k=2 r=1 of incompressible bytes stores about 1.5×');
    const inUse = await api('DELETE', '/api/v1/policies/hybrid');
    assert.equal(inUse.status, 409);
    assert.match(problem(inUse).detail, /hybrid/);
  });

  it('probes every location and serves the SERRANO telemetry fields', async () => {
    const probe = await api('POST', '/api/v1/telemetry/probe');
    assert.equal(probe.status, 200, probe.text);
    const edges = (await api('GET', '/api/v1/edge_locations')).body as Record<string, unknown>[];
    const e = must(edges.find((l) => l.id === 'edge-1'), 'edge-1 in edge_locations');
    assert.equal(e.name, 'Factory 3');
    assert.equal(e.cluster_id, 'plant-a');
    assert.equal(e.s3_url, edge.endpoint);
    const rtt = e.rtt as Partial<Record<string, { count: number; failures: number; p50_ms: number | null }>>;
    for (const kind of ['upload_1B', 'download_1B', 'upload_1MB', 'download_1MB']) {
      const stats = must(rtt[kind], kind);
      assert.equal(stats.count, 1, kind);
      assert.equal(stats.failures, 0, kind);
      assert.ok((stats.p50_ms ?? -1) > 0, kind);
    }
    const clouds = (await api('GET', '/api/v1/cloud_locations')).body as Record<string, unknown>[];
    assert.deepEqual(clouds.map((l) => l.id).sort(), ['local-1', 'local-2', 'local-3', 'local-4', 'local-5', 'local-6']);
    assert.equal(clouds[0]?.provider, 'local disk');
    // The SERRANO surface answers a bearer token.
    const token = await api('POST', '/api/v1/tokens', { description: 'serrano caller' });
    assert.equal(token.status, 201, token.text);
    const serrano = await call(admin, { kind: 'bearer', token: objectOf(token).token as string }, 'GET', '/edge_locations');
    assert.equal(serrano.status, 200);
    assert.equal((serrano.body as unknown[]).length, 1);
  });

  it('exports Prometheus metrics and answers health checks', async () => {
    const metrics = await fetch(`${admin.url}/metrics`);
    const text = await metrics.text();
    for (const name of ['dispersa_s3_requests_total', 'dispersa_s3_request_duration_seconds_bucket', 'dispersa_s3_bytes_in_total', 'dispersa_fragment_operations_total', 'dispersa_repair_queue_depth', 'dispersa_cache_hits_total', 'dispersa_probe_rtt_seconds', 'dispersa_location_up']) {
      assert.ok(text.includes(name), `${name} in /metrics`);
    }
    assert.match(text, /dispersa_fragment_operations_total\{location="edge-1",op="put",result="ok"\} [1-9]/);
    assert.equal((await fetch(`${admin.url}/health/live`)).status, 200);
    const ready = await fetch(`${admin.url}/health/ready`);
    assert.equal(ready.status, 200, await ready.text());
  });

  it('serves repeated reads from the cache once enabled, after refusing a bad setting', async () => {
    const bad = await api('PUT', '/api/v1/cache', { max_size_bytes: -1 });
    assert.equal(bad.status, 400);
    assert.equal(fieldOf(objectOf(await api('GET', '/api/v1/cache')), 'settings').enabled, false, 'a bad update changes nothing');
    const on = await api('PUT', '/api/v1/cache', { enabled: true });
    assert.equal(on.status, 200, on.text);
    const bytes = seededBytes(12, 200_000);
    await s3.send(new PutObjectCommand({ Bucket: 'hybrid-bucket', Key: 'cached.bin', Body: bytes }));
    await gateway.cache.idle();
    const got = await s3.send(new GetObjectCommand({ Bucket: 'hybrid-bucket', Key: 'cached.bin' }));
    assert.deepEqual(Buffer.from(await must(got.Body).transformToByteArray()), Buffer.from(bytes));
    const stats = fieldOf(objectOf(await api('GET', '/api/v1/cache')), 'stats');
    assert.equal(stats.hits, 1);
  });

  it('retires a location: evacuation moves its fragments, and objects still read', async () => {
    const inPolicy = await api('DELETE', '/api/v1/locations/edge-1');
    assert.equal(inPolicy.status, 409, 'a policy still sends new objects there');
    const edited = await api('PUT', '/api/v1/policies/hybrid', { backends: ['local-1', 'local-2', 'local-3'], edge_devices: [], redundancy: { scheme: 'RLNC', redundant_packets: 1 } });
    assert.equal(objectOf(edited).version, 2);
    const retired = await api('DELETE', '/api/v1/locations/edge-1');
    assert.equal(retired.status, 202, retired.text);
    const job = fieldOf(objectOf(retired), 'job');
    await gateway.jobs.idle();
    const done = objectOf(await api('GET', `/api/v1/jobs/${String(job.id)}`));
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.equal(objectOf(await api('GET', '/api/v1/locations/edge-1')).status, 'retired');
    const keys: string[] = [];
    for await (const f of gateway.registry.get('edge-1').store.list('')) keys.push(f.key);
    assert.deepEqual(keys.filter((k) => !k.startsWith('_probe/')), [], 'no fragment left on the retired location');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'hybrid-bucket', Key: 'data.bin' }));
    assert.equal((await must(got.Body).transformToByteArray()).length, 1_500_000);
  });

  it('records every change in a chain the server and a client can verify', async () => {
    const verify = objectOf(await api('GET', '/api/v1/audit/verify'));
    assert.equal(verify.ok, true, JSON.stringify(verify));
    const page = objectOf(await api('GET', '/api/v1/audit?since=0&limit=1000'));
    const operations = (page.entries as { operation: string; result: string }[]).map((e) => `${e.operation}:${e.result}`);
    for (const expected of ['location.create:ok', 'policy.create:ok', 'CreateBucket:ok', 'PutObject:ok', 'cache.update:ok', 'location.retire:ok']) {
      assert.ok(operations.some((o) => o.startsWith(expected.split(':')[0] ?? '') && o.endsWith(':ok')), `${expected} in ${operations.join(', ')}`);
    }
  });
});
