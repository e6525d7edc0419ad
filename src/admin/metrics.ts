// Prometheus metrics of one gateway: S3 requests, fragment requests, probes, repair queue, cache, process.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FragmentObserver } from '../dispersal/registry.ts';
import type { ProbeKind } from '../meta/types.ts';
import type { S3RequestRecord } from '../s3/server.ts';

/** Cache counters since the cache started (a CacheStats has them). */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
}

export interface MetricsOptions {
  /** Queued repairs, read at every scrape; the gauge reads 0 until a source is given. */
  readonly repairQueueDepth?: () => Promise<number>;
  /** Cache hits and misses, read at every scrape; the counters stay 0 until a source is given. */
  readonly cacheStats?: () => CacheCounts | Promise<CacheCounts>;
  /** Node's process metrics (CPU, memory, event loop, GC); default true. */
  readonly processMetrics?: boolean;
}

export interface GatewayMetrics {
  /** This gateway's own registry: several gateways in one process never share a metric. */
  readonly registry: Registry;
  /** For the S3 front door's `onRequestDone`. */
  onS3Request(record: S3RequestRecord<unknown>): void;
  /** For `LocationRegistry.observer`. */
  readonly fragmentObserver: FragmentObserver;
  /** For the benchmarker: a probe's round-trip time, or null when it failed. */
  onProbe(locationId: string, probe: ProbeKind, rttMs: number | null): void;
  /** For the benchmarker: whether the last probe round of a location succeeded. */
  setLocationUp(locationId: string, up: boolean): void;
  /** Sets (or replaces) the source of `dispersa_repair_queue_depth`. */
  collectRepairQueueDepth(source: () => Promise<number>): void;
  /** Sets (or replaces) the source of the cache hit and miss counters. */
  collectCacheStats(source: () => CacheCounts | Promise<CacheCounts>): void;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/** From 1 ms to 60 s: a cached GET answers in a millisecond, a multi-gigabyte PUT takes a minute. */
export const S3_DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  let repairQueueDepth = options.repairQueueDepth;
  let cacheStats = options.cacheStats;

  const s3Requests = new Counter({
    name: 'dispersa_s3_requests_total',
    help: 'S3 requests answered, by operation and HTTP status.',
    labelNames: ['operation', 'status'] as const,
    registers,
  });
  const s3Duration = new Histogram({
    name: 'dispersa_s3_request_duration_seconds',
    help: 'Time from receiving an S3 request to the end of its response.',
    labelNames: ['operation'] as const,
    buckets: [...S3_DURATION_BUCKETS],
    registers,
  });
  const s3BytesIn = new Counter({ name: 'dispersa_s3_bytes_in_total', help: 'Request body bytes read from S3 clients.', registers });
  const s3BytesOut = new Counter({ name: 'dispersa_s3_bytes_out_total', help: 'Response body bytes sent to S3 clients.', registers });
  const fragmentOps = new Counter({
    name: 'dispersa_fragment_operations_total',
    help: 'Fragment requests to storage locations, by location, operation and outcome.',
    labelNames: ['location', 'op', 'result'] as const,
    registers,
  });
  const hashMismatches = new Counter({
    name: 'dispersa_fragment_hash_mismatches_total',
    help: 'Fragments a location returned that failed their integrity check.',
    labelNames: ['location'] as const,
    registers,
  });
  const repairQueue: Gauge = new Gauge({
    name: 'dispersa_repair_queue_depth',
    help: 'Fragments waiting to be repaired.',
    registers,
    collect: async () => {
      if (repairQueueDepth === undefined) return;
      repairQueue.set(await repairQueueDepth());
    },
  });
  // Counters whose truth lives in the cache: at each scrape they are set to its running totals.
  const cacheCounter = (name: string, help: string, pick: (stats: CacheCounts) => number): Counter => {
    const counter: Counter = new Counter({
      name,
      help,
      registers,
      collect: async () => {
        if (cacheStats === undefined) return;
        const value = pick(await cacheStats());
        counter.reset();
        counter.inc(Math.max(0, value));
      },
    });
    return counter;
  };
  cacheCounter('dispersa_cache_hits_total', 'GETs answered from the local cache.', (s) => s.hits);
  cacheCounter('dispersa_cache_misses_total', 'GETs the local cache could not answer.', (s) => s.misses);
  const probeRtt = new Gauge({
    name: 'dispersa_probe_rtt_seconds',
    help: 'Round-trip time of the last successful probe of a location.',
    labelNames: ['location', 'probe'] as const,
    registers,
  });
  const locationUp = new Gauge({
    name: 'dispersa_location_up',
    help: '1 when the last probe round of a location succeeded, else 0.',
    labelNames: ['location'] as const,
    registers,
  });

  const fragmentObserver: FragmentObserver = {
    onRequest(locationId, op, result) {
      fragmentOps.inc({ location: locationId, op, result });
    },
    onHashMismatch(locationId) {
      hashMismatches.inc({ location: locationId });
    },
  };

  return {
    registry,
    fragmentObserver,
    onS3Request(record) {
      s3Requests.inc({ operation: record.operation, status: String(record.status) });
      s3Duration.observe({ operation: record.operation }, Math.max(0, record.durationMs) / 1000);
      if (record.bytesIn > 0) s3BytesIn.inc(record.bytesIn);
      if (record.bytesOut > 0) s3BytesOut.inc(record.bytesOut);
    },
    onProbe(locationId, probe, rttMs) {
      // A failed probe leaves the last measured value: dispersa_location_up says the location is down.
      if (rttMs !== null) probeRtt.set({ location: locationId, probe }, rttMs / 1000);
    },
    setLocationUp(locationId, up) {
      locationUp.set({ location: locationId }, up ? 1 : 0);
    },
    collectRepairQueueDepth(source) {
      repairQueueDepth = source;
    },
    collectCacheStats(source) {
      cacheStats = source;
    },
    async text() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
