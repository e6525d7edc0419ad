// Prometheus metrics (names, labels, private registries, scrape-time sources, hash mismatches seen by real reads) and readiness.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/admin/metrics.ts';
import { readiness } from '../../src/admin/ready.ts';
import { LocationRegistry } from '../../src/dispersal/registry.ts';
import type { S3RequestRecord } from '../../src/s3/server.ts';
import { seededBytes } from '../../src/core/seeded.ts';
import { FaultyStore, MemoryStore } from '../../src/stores/index.ts';
import { location, makeCluster } from '../support/cluster.ts';
import { must } from '../support/must.ts';

function record(change: Partial<S3RequestRecord<unknown>>): S3RequestRecord<unknown> {
  return {
    requestId: 'R',
    operation: 'PutObject',
    bucket: 'b',
    key: 'k',
    principal: undefined,
    accessKeyId: 'AK',
    status: 200,
    errorCode: undefined,
    authFailed: false,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 3,
    ...change,
  };
}

/** The value of the sample line with exactly this name and these labels, or undefined. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter((x) => x !== '').sort().join(',');
    if (have === wanted) return Number(m[3]);
  }
  return undefined;
}

describe('metrics', () => {
  it('counts S3 requests, durations and bytes, fragment operations, probes and location states with their labels', async () => {
    const metrics = createMetrics({ repairQueueDepth: () => Promise.resolve(7), cacheStats: () => ({ hits: 5, misses: 2 }) });
    metrics.onS3Request(record({ bytesIn: 1000, durationMs: 12 }));
    metrics.onS3Request(record({ bytesIn: 500, durationMs: 0.5 }));
    metrics.onS3Request(record({ operation: 'GetObject', status: 404, errorCode: 'NoSuchKey', bytesOut: 300, durationMs: 2 }));
    metrics.onS3Request(record({ operation: 'Unknown', status: 403, authFailed: true, durationMs: 90_000 }));
    metrics.fragmentObserver.onRequest('loc-0', 'put', 'ok', 100, 1);
    metrics.fragmentObserver.onRequest('loc-0', 'put', 'ok', 100, 1);
    metrics.fragmentObserver.onRequest('loc-1', 'get', 'timeout', 0, 30_000);
    metrics.fragmentObserver.onHashMismatch('loc-1');
    metrics.onProbe('loc-0', 'upload-1MB', 250);
    metrics.onProbe('loc-0', 'download-1B', 2);
    metrics.onProbe('loc-0', 'download-1B', null);
    metrics.setLocationUp('loc-0', true);
    metrics.setLocationUp('loc-1', false);

    const { contentType, body } = await metrics.text();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(body, 'dispersa_s3_requests_total', { operation: 'PutObject', status: '200' }), 2);
    assert.equal(sample(body, 'dispersa_s3_requests_total', { operation: 'GetObject', status: '404' }), 1);
    assert.equal(sample(body, 'dispersa_s3_requests_total', { operation: 'Unknown', status: '403' }), 1);
    assert.equal(sample(body, 'dispersa_s3_request_duration_seconds_count', { operation: 'PutObject' }), 2);
    assert.equal(sample(body, 'dispersa_s3_request_duration_seconds_bucket', { operation: 'PutObject', le: '0.001' }), 1, 'the 0.5 ms request');
    assert.equal(sample(body, 'dispersa_s3_request_duration_seconds_bucket', { operation: 'PutObject', le: '0.025' }), 2);
    assert.equal(sample(body, 'dispersa_s3_request_duration_seconds_bucket', { operation: 'Unknown', le: '60' }), 0, '90 s is past the last bucket');
    assert.equal(sample(body, 'dispersa_s3_request_duration_seconds_bucket', { operation: 'Unknown', le: '+Inf' }), 1);
    assert.ok(Math.abs(must(sample(body, 'dispersa_s3_request_duration_seconds_sum', { operation: 'PutObject' })) - 0.0125) < 1e-9);
    assert.equal(sample(body, 'dispersa_s3_bytes_in_total'), 1500);
    assert.equal(sample(body, 'dispersa_s3_bytes_out_total'), 300);
    assert.equal(sample(body, 'dispersa_fragment_operations_total', { location: 'loc-0', op: 'put', result: 'ok' }), 2);
    assert.equal(sample(body, 'dispersa_fragment_operations_total', { location: 'loc-1', op: 'get', result: 'timeout' }), 1);
    assert.equal(sample(body, 'dispersa_fragment_hash_mismatches_total', { location: 'loc-1' }), 1);
    assert.equal(sample(body, 'dispersa_repair_queue_depth'), 7);
    assert.equal(sample(body, 'dispersa_cache_hits_total'), 5);
    assert.equal(sample(body, 'dispersa_cache_misses_total'), 2);
    assert.equal(sample(body, 'dispersa_probe_rtt_seconds', { location: 'loc-0', probe: 'upload-1MB' }), 0.25);
    assert.equal(sample(body, 'dispersa_probe_rtt_seconds', { location: 'loc-0', probe: 'download-1B' }), 0.002, 'a failed probe keeps the last value');
    assert.equal(sample(body, 'dispersa_location_up', { location: 'loc-0' }), 1);
    assert.equal(sample(body, 'dispersa_location_up', { location: 'loc-1' }), 0);
    for (const type of ['dispersa_s3_requests_total counter', 'dispersa_s3_request_duration_seconds histogram', 'dispersa_repair_queue_depth gauge', 'dispersa_cache_hits_total counter']) {
      assert.ok(body.includes(`# TYPE ${type}`), type);
    }
    assert.ok(sample(body, 'process_resident_memory_bytes') !== undefined || body.includes('nodejs_heap_size_total_bytes'), "Node's process metrics");
  });

  it('reads the scrape-time sources at every scrape, and takes sources given later', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let body = (await metrics.text()).body;
    assert.equal(sample(body, 'dispersa_repair_queue_depth'), 0);
    assert.equal(sample(body, 'dispersa_cache_hits_total'), 0);
    assert.ok(!body.includes('process_'), 'process metrics off');
    let depth = 3;
    const cache = { hits: 1, misses: 0 };
    metrics.collectRepairQueueDepth(() => Promise.resolve(depth));
    metrics.collectCacheStats(() => cache);
    body = (await metrics.text()).body;
    assert.equal(sample(body, 'dispersa_repair_queue_depth'), 3);
    assert.equal(sample(body, 'dispersa_cache_hits_total'), 1);
    depth = 0;
    cache.hits = 10;
    cache.misses = 4;
    body = (await metrics.text()).body;
    assert.equal(sample(body, 'dispersa_repair_queue_depth'), 0);
    assert.equal(sample(body, 'dispersa_cache_hits_total'), 10, 'the running total, not added up scrape after scrape');
    assert.equal(sample(body, 'dispersa_cache_misses_total'), 4);
  });

  it('gives every gateway its own registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    assert.notEqual(a.registry, b.registry);
    a.onS3Request(record({}));
    assert.equal(sample((await a.text()).body, 'dispersa_s3_requests_total', { operation: 'PutObject', status: '200' }), 1);
    assert.equal(sample((await b.text()).body, 'dispersa_s3_requests_total', { operation: 'PutObject', status: '200' }), undefined);
  });

  it('counts fragment requests and hash mismatches of real writes and reads through the registry observer', async () => {
    const liar = 2;
    const c = makeCluster({ latenciesMs: [0, 1, 2, 3, 4, 5].map((i) => (i === liar ? 0 : 3)) });
    const metrics = createMetrics({ processMetrics: false });
    c.registry.observer = metrics.fragmentObserver;
    const data = seededBytes(11, 3 * 4096);
    const { object } = await c.write(data);
    must(c.stores[liar]).fault = { kind: 'corrupt' };
    const bad: string[] = [];
    assert.deepEqual(await c.read(object, { onBadFragment: (_g, _p, loc, reason) => bad.push(`${loc}:${reason}`) }), Buffer.from(data));
    assert.ok(bad.length > 0, 'the liar was asked');
    const body = (await metrics.text()).body;
    assert.equal(sample(body, 'dispersa_fragment_hash_mismatches_total', { location: `loc-${liar}` }), bad.length);
    for (const id of c.ids) {
      assert.ok(must(sample(body, 'dispersa_fragment_operations_total', { location: id, op: 'put', result: 'ok' })) >= 1, `${id} put`);
    }
    assert.ok(must(sample(body, 'dispersa_fragment_operations_total', { location: `loc-${liar}`, op: 'get', result: 'ok' })) >= bad.length);
    assert.equal(sample(body, 'dispersa_fragment_hash_mismatches_total', { location: 'loc-0' }), undefined, 'honest locations are not counted');
  });

  it('never lets an observer that throws break a read', async () => {
    const c = makeCluster();
    const data = seededBytes(12, 5000);
    c.registry.observer = {
      onRequest: () => { throw new Error('observer bug'); },
      onHashMismatch: () => { throw new Error('observer bug'); },
    };
    const { object } = await c.write(data);
    must(c.stores[0]).fault = { kind: 'corrupt' };
    assert.deepEqual(await c.read(object), Buffer.from(data));
  });
});

describe('readiness', () => {
  function registryOf(n: number): { registry: LocationRegistry; stores: FaultyStore[] } {
    const registry = new LocationRegistry({ failureThreshold: 1, openMs: 60_000 });
    const stores: FaultyStore[] = [];
    for (let i = 0; i < n; i++) {
      const store = new FaultyStore(new MemoryStore());
      registry.add(location(`loc-${i}`), store);
      stores.push(store);
    }
    return { registry, stores };
  }
  const policy = { k: 4, locations: ['loc-0', 'loc-1', 'loc-2', 'loc-3', 'loc-4', 'loc-5'] };
  const meta = { getSetting: () => Promise.resolve(undefined) };

  it('is ready when the metadata store answers and k locations of the default policy are healthy', async () => {
    const { registry } = registryOf(6);
    const report = await readiness({ meta, registry, defaultPolicy: () => Promise.resolve(policy) })();
    assert.deepEqual({ ...report, detail: undefined }, { ready: true, metadata: true, healthyLocations: 6, needed: 4, detail: undefined });
    assert.match(report.detail, /6 of 6 .* 4 needed/);
  });

  it('is ready with k healthy and names the ones down; not ready below k', async () => {
    const { registry } = registryOf(6);
    registry.get('loc-1').health.recordFailure('error');
    registry.get('loc-4').health.recordFailure('timeout');
    const check = readiness({ meta, registry, defaultPolicy: () => Promise.resolve(policy) });
    let report = await check();
    assert.equal(report.ready, true);
    assert.equal(report.healthyLocations, 4);
    assert.match(report.detail, /down: loc-1 \(open\), loc-4 \(open\)/);

    registry.retire('loc-0');
    report = await check();
    assert.equal(report.ready, false);
    assert.equal(report.metadata, true);
    assert.equal(report.healthyLocations, 3);
    assert.equal(report.needed, 4);
    assert.match(report.detail, /3 of 6 .*down: loc-0 \(retired\), loc-1 \(open\), loc-4 \(open\)/);
  });

  it('counts a location of the policy this gateway does not know as down', async () => {
    const { registry } = registryOf(4);
    const report = await readiness({ meta, registry, defaultPolicy: () => Promise.resolve(policy) })();
    assert.equal(report.ready, true);
    assert.match(report.detail, /loc-4 \(not loaded\), loc-5 \(not loaded\)/);
    const strict = await readiness({ meta, registry, defaultPolicy: () => Promise.resolve({ k: 5, locations: policy.locations }) })();
    assert.equal(strict.ready, false);
  });

  it('is not ready when the metadata store fails or does not answer in time', async () => {
    const { registry } = registryOf(6);
    const failing = await readiness({ meta: { getSetting: () => Promise.reject(new Error('connection refused')) }, registry, defaultPolicy: () => Promise.resolve(policy) })();
    assert.equal(failing.ready, false);
    assert.equal(failing.metadata, false);
    assert.equal(failing.healthyLocations, 6);
    assert.match(failing.detail, /metadata store unavailable: connection refused/);

    const hanging = await readiness({ meta: { getSetting: () => new Promise<never>(() => undefined) }, registry, defaultPolicy: () => Promise.resolve(policy), timeoutMs: 30 })();
    assert.equal(hanging.ready, false);
    assert.equal(hanging.metadata, false);
    assert.match(hanging.detail, /did not answer within 30 ms/);
  });

  it('is not ready when the default policy cannot be read', async () => {
    const { registry } = registryOf(6);
    const report = await readiness({ meta, registry, defaultPolicy: () => Promise.reject(new Error('no default policy')) })();
    assert.equal(report.ready, false);
    assert.equal(report.metadata, true);
    assert.match(report.detail, /default policy unknown: no default policy/);
  });
});
