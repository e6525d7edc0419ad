// The location benchmarker: probes of every kind, outages opened, extended and closed, retention, schedule, stop.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { Benchmarker, rttStats, type BenchmarkerOptions, type ProbeStore } from '../../src/admin/telemetry.ts';
import { LocationRegistry } from '../../src/dispersal/registry.ts';
import { openMetadata, PROBE_KINDS, type Outage, type ProbeKind, type ProbeSample } from '../../src/meta/index.ts';
import { FaultyStore, MemoryStore } from '../../src/stores/index.ts';
import { location } from '../support/cluster.ts';
import { must } from '../support/must.ts';

/** Just the probe methods of a metadata store, in memory. */
class FakeProbeStore implements ProbeStore {
  samples: ProbeSample[] = [];
  readonly outages: { id: number; locationId: string; start: number; lastFailure: number; end?: number }[] = [];
  prunedBefore: number[] = [];

  recordProbe(sample: ProbeSample): Promise<void> {
    this.samples.push(sample);
    return Promise.resolve();
  }

  listProbes(locationId: string, since: number): Promise<ProbeSample[]> {
    return Promise.resolve(this.samples.filter((s) => s.locationId === locationId && s.at >= since).sort((a, b) => a.at - b.at));
  }

  pruneProbes(before: number): Promise<number> {
    this.prunedBefore.push(before);
    const kept = this.samples.filter((s) => s.at >= before);
    const gone = this.samples.length - kept.length;
    this.samples = kept;
    return Promise.resolve(gone);
  }

  recordProbeFailure(locationId: string, at: number): Promise<Outage> {
    let open = this.outages.find((o) => o.locationId === locationId && o.end === undefined);
    if (open === undefined) {
      open = { id: this.outages.length + 1, locationId, start: at, lastFailure: at };
      this.outages.push(open);
    } else {
      open.lastFailure = Math.max(open.lastFailure, at);
    }
    return Promise.resolve({ ...open });
  }

  recordProbeSuccess(locationId: string, at: number): Promise<void> {
    const open = this.outages.find((o) => o.locationId === locationId && o.end === undefined);
    if (open !== undefined) open.end = at;
    return Promise.resolve();
  }

  listOutages(locationId: string): Promise<Outage[]> {
    return Promise.resolve(this.outages.filter((o) => o.locationId === locationId).map((o) => ({ ...o })));
  }
}

const DAY = 24 * 3600 * 1000;

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** Three locations behind fault injectors, the third retired. */
function setup(latenciesMs: readonly number[] = [0, 3, 0]): { registry: LocationRegistry; stores: FaultyStore[] } {
  const registry = new LocationRegistry();
  const stores = latenciesMs.map((latencyMs, i) => {
    const store = new FaultyStore(new MemoryStore(), { latencyMs });
    registry.add(location(`loc-${i}`), store);
    return store;
  });
  registry.retire('loc-2');
  return { registry, stores };
}

function benchmarker(meta: ProbeStore, registry: LocationRegistry, options: Partial<BenchmarkerOptions> = {}): Benchmarker {
  return new Benchmarker({ meta, registry, intervalMs: 0, timeoutMs: 2_000, ...options });
}

async function storedKeys(store: FaultyStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const f of store.inner.list('')) keys.push(f.key);
  return keys;
}

describe('the benchmarker', () => {
  it('probes every location not retired with the four probes, records plausible RTTs and leaves nothing behind', async () => {
    const { registry, stores } = setup();
    const meta = new FakeProbeStore();
    const c = clock();
    const told: string[] = [];
    const up: [string, boolean][] = [];
    const b = benchmarker(meta, registry, {
      now: c.now,
      onProbe: (id, probe, rtt) => told.push(`${id}:${probe}:${rtt === null ? 'null' : 'ms'}`),
      onLocationProbed: (id, ok) => up.push([id, ok]),
    });
    await b.probeAll();

    for (const id of ['loc-0', 'loc-1']) {
      const mine = meta.samples.filter((s) => s.locationId === id);
      assert.deepEqual(mine.map((s) => s.probe), ['upload-1B', 'download-1B', 'upload-1MB', 'download-1MB']);
      for (const s of mine) {
        assert.equal(s.ok, true);
        const rtt = must(s.rttMs, 'rtt');
        assert.ok(Number.isFinite(rtt) && rtt >= 0 && rtt < 2_000, `${id} ${s.probe} ${rtt}`);
        assert.equal(s.at, c.now());
      }
    }
    // loc-1 is 3 ms away: every probe of it takes at least that long.
    for (const s of meta.samples.filter((x) => x.locationId === 'loc-1')) assert.ok(must(s.rttMs) >= 2.5, `${s.probe} ${String(s.rttMs)}`);
    assert.equal(meta.samples.filter((s) => s.locationId === 'loc-2').length, 0, 'the retired location is not probed');
    assert.equal(must(stores[2]).totalCalls, 0);
    assert.deepEqual(must(stores[0]).calls, { put: 2, get: 2, head: 0, delete: 2, list: 0 });
    assert.deepEqual(await storedKeys(must(stores[0])), [], 'the probe objects are deleted');
    assert.equal(told.length, 8);
    assert.ok(told.every((t) => t.endsWith(':ms')));
    assert.deepEqual(up.sort(), [['loc-0', true], ['loc-1', true]]);
    assert.deepEqual(meta.outages, []);
    assert.deepEqual(meta.prunedBefore, [c.now() - 30 * DAY]);

    const summary = await b.summary('loc-1', { sinceMs: c.now() - DAY, samples: true });
    assert.equal(summary.locationId, 'loc-1');
    for (const kind of PROBE_KINDS) {
      const s = summary.rtt[kind];
      assert.equal(s.count, 1);
      assert.equal(s.failures, 0);
      assert.equal(s.lastAt, c.now());
      assert.equal(s.minMs, s.maxMs);
      assert.equal(s.p50Ms, s.lastMs);
    }
    assert.equal(summary.samples?.length, 4);
    assert.deepEqual(summary.unavailability, []);
    const without = await b.summary('loc-1', { sinceMs: c.now() - DAY, samples: false });
    assert.equal(without.samples, undefined);
  });

  it('uses probe keys under _probe/ that no fragment key can collide with', async () => {
    const { registry, stores } = setup();
    const keys: string[] = [];
    const inner = must(stores[0]).inner;
    const put = inner.put.bind(inner);
    inner.put = (key, bytes, signal) => {
      keys.push(`${key}:${bytes.length}`);
      return put(key, bytes, signal);
    };
    await benchmarker(new FakeProbeStore(), registry).probeAll();
    assert.equal(keys.length, 2);
    assert.match(must(keys[0]), /^_probe\/[0-9a-f]{16}\/1B:1$/);
    assert.match(must(keys[1]), /^_probe\/[0-9a-f]{16}\/1MB:1000000$/);
  });

  it('opens an outage when a location is down, extends it while it stays down, and ends it on recovery', async () => {
    const { registry, stores } = setup();
    const meta = new FakeProbeStore();
    const c = clock();
    const up: [string, boolean][] = [];
    const rtts: (number | null)[] = [];
    const b = benchmarker(meta, registry, { now: c.now, onLocationProbed: (id, ok) => up.push([id, ok]), onProbe: (id, _p, rtt) => { if (id === 'loc-1') rtts.push(rtt); } });
    const store = must(stores[1]);
    store.fault = { kind: 'down' };
    const t0 = c.now();
    await b.probeAll();
    let outages = await meta.listOutages('loc-1');
    assert.equal(outages.length, 1);
    const first = must(outages[0]);
    assert.equal(first.start, t0);
    assert.equal(first.end, undefined);
    assert.deepEqual(await meta.listOutages('loc-0'), [], 'the others are fine');
    assert.deepEqual(rtts, [null, null, null, null]);
    const failed = meta.samples.filter((s) => s.locationId === 'loc-1');
    assert.deepEqual(failed.map((s) => [s.probe, s.ok, s.rttMs]), PROBE_KINDS.map((k) => [k, false, null]));
    assert.equal(store.calls.get, 0, 'a download of what was never uploaded is not asked');

    c.advance(600_000);
    await b.probeAll();
    outages = await meta.listOutages('loc-1');
    assert.equal(outages.length, 1, 'still the same period');
    assert.equal(must(outages[0]).id, first.id);
    assert.equal(must(outages[0]).start, t0);
    assert.equal(must(outages[0]).lastFailure, t0 + 600_000, 'its last failure moved');

    // Half down: uploads work, downloads return flipped bits. Still unavailable.
    store.fault = { kind: 'corrupt' };
    c.advance(600_000);
    await b.probeAll();
    outages = await meta.listOutages('loc-1');
    assert.equal(outages.length, 1);
    assert.equal(must(outages[0]).lastFailure, t0 + 1_200_000);
    const round3 = meta.samples.filter((s) => s.locationId === 'loc-1' && s.at === c.now());
    assert.deepEqual(round3.map((s) => s.ok), [true, false, true, false], 'uploads succeed, corrupted downloads fail');

    store.fault = { kind: 'none' };
    c.advance(600_000);
    await b.probeAll();
    outages = await meta.listOutages('loc-1');
    assert.equal(outages.length, 1);
    assert.equal(must(outages[0]).end, t0 + 1_800_000, 'recovery ends the period');
    assert.deepEqual(up.filter(([id]) => id === 'loc-1').map(([, ok]) => ok), [false, false, false, true]);

    const summary = await b.summary('loc-1', { sinceMs: t0, samples: false });
    assert.equal(summary.rtt['upload-1B'].count, 4);
    assert.equal(summary.rtt['upload-1B'].failures, 2);
    assert.equal(summary.rtt['download-1B'].failures, 3);
    assert.equal(summary.rtt['download-1B'].lastAt, t0 + 1_800_000);
    assert.notEqual(summary.rtt['download-1B'].lastMs, null);
    assert.equal(summary.unavailability.length, 1);
  });

  it('gives up on a location that does not answer within the timeout', async () => {
    const { registry, stores } = setup();
    must(stores[0]).fault = { kind: 'stall' };
    const meta = new FakeProbeStore();
    const started = performance.now();
    await benchmarker(meta, registry, { timeoutMs: 50 }).probeAll();
    assert.ok(performance.now() - started < 1_500, 'bounded by the timeouts');
    assert.ok(meta.samples.filter((s) => s.locationId === 'loc-0').every((s) => !s.ok));
    assert.equal((await meta.listOutages('loc-0')).length, 1);
    assert.equal((await meta.listOutages('loc-1')).length, 0);
  });

  it('prunes samples older than the retention, never outages', async () => {
    const { registry, stores } = setup();
    const meta = new FakeProbeStore();
    const c = clock();
    const b = benchmarker(meta, registry, { now: c.now });
    must(stores[0]).fault = { kind: 'down' };
    await b.probeAll();
    must(stores[0]).fault = { kind: 'none' };
    c.advance(31 * DAY);
    await b.probeAll();
    assert.ok(meta.samples.every((s) => s.at === c.now()), 'the month-old round is gone');
    assert.equal(meta.samples.length, 8);
    const outages = await meta.listOutages('loc-0');
    assert.equal(outages.length, 1, 'the outage is kept');
    assert.equal(must(outages[0]).end, c.now());
  });

  it('runs on a jittered schedule, and stop() ends it', async () => {
    const { registry } = setup();
    const meta = new FakeProbeStore();
    const rounds: number[] = [];
    const b = benchmarker(meta, registry, { intervalMs: 40, initialDelayMs: 5, random: () => 0.75, onLocationProbed: (id) => { if (id === 'loc-0') rounds.push(performance.now()); } });
    assert.equal(b.jittered(1000), 1050);
    b.start();
    assert.equal(b.scheduled, true);
    for (let i = 0; i < 200 && rounds.length < 3; i++) await delay(10);
    await b.stop();
    assert.ok(rounds.length >= 3, `ran ${rounds.length} rounds`);
    const gap = must(rounds[2]) - must(rounds[1]);
    assert.ok(gap >= 40, `rounds are at least an interval apart: ${gap}`);
    assert.equal(b.scheduled, false);
    const count = rounds.length;
    await delay(120);
    assert.equal(rounds.length, count, 'no round after stop()');
  });

  it('keeps the jitter within ±10 % by default', () => {
    const { registry } = setup();
    for (const [r, expected] of [[0, 900], [0.5, 1000], [0.999999, 1099.9998]] as const) {
      const b = benchmarker(new FakeProbeStore(), registry, { random: () => r });
      assert.ok(Math.abs(b.jittered(1000) - expected) < 1e-6, `${r} → ${b.jittered(1000)}`);
    }
  });

  it('does not schedule anything when the interval is 0', () => {
    const { registry } = setup();
    const b = benchmarker(new FakeProbeStore(), registry, { intervalMs: 0 });
    b.start();
    assert.equal(b.scheduled, false);
  });

  it('stop() cuts a round short and records nothing of it', async () => {
    const { registry, stores } = setup();
    for (const s of stores) s.fault = { kind: 'stall' };
    const meta = new FakeProbeStore();
    const b = benchmarker(meta, registry, { intervalMs: 60_000, initialDelayMs: 0, timeoutMs: 60_000 });
    b.start();
    for (let i = 0; i < 100 && must(stores[0]).calls.put === 0; i++) await delay(5);
    assert.equal(must(stores[0]).calls.put, 1, 'a round is in flight');
    const started = performance.now();
    await b.stop();
    assert.ok(performance.now() - started < 1_000);
    assert.deepEqual(meta.samples, []);
    assert.deepEqual(meta.outages, []);
    assert.equal(b.scheduled, false);
  });

  it('shares one round between concurrent callers, and reports a metadata failure', async () => {
    const { registry, stores } = setup();
    const meta = new FakeProbeStore();
    const b = benchmarker(meta, registry);
    await Promise.all([b.probeAll(), b.probeAll()]);
    assert.equal(must(stores[0]).calls.put, 2, 'one round');
    meta.recordProbe = () => Promise.reject(new Error('database is gone'));
    await assert.rejects(b.probeAll(), /database is gone/);
  });
});

describe('RTT statistics', () => {
  it('computes count, failures, mean, nearest-rank percentiles, min, max and the last sample', () => {
    const probe: ProbeKind = 'upload-1B';
    const sample = (at: number, rttMs: number | null): ProbeSample => ({ locationId: 'l', probe, at, ok: rttMs !== null, rttMs });
    const rtts = [5, 1, 4, 2, 3, 10, 7, 6, 9, 8];
    const stats = rttStats([...rtts.map((r, i) => sample(i, r)), sample(10, null)]);
    assert.deepEqual(stats, { count: 11, failures: 1, meanMs: 5.5, p50Ms: 5, p95Ms: 10, minMs: 1, maxMs: 10, lastMs: null, lastAt: 10 });
    assert.deepEqual(rttStats([]), { count: 0, failures: 0, meanMs: null, p50Ms: null, p95Ms: null, minMs: null, maxMs: null, lastMs: null, lastAt: null });
    const twenty = rttStats(Array.from({ length: 20 }, (_, i) => sample(i, i + 1)));
    assert.equal(twenty.p95Ms, 19, 'rank ceil(0.95 × 20) = 19');
    assert.equal(twenty.p50Ms, 10);
  });
});

describe('the benchmarker on the SQLite engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dispersa-telemetry-'));
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('records probes and outages, and prunes samples but not outages', async () => {
    const meta = await openMetadata({ engine: 'sqlite', path: join(dir, 'meta.db') });
    try {
      const { registry, stores } = setup();
      const c = clock();
      const b = benchmarker(meta, registry, { now: c.now });
      const t0 = c.now();
      must(stores[1]).fault = { kind: 'down' };
      await b.probeAll();
      c.advance(600_000);
      await b.probeAll();
      let outages = await meta.listOutages('loc-1');
      assert.equal(outages.length, 1);
      assert.equal(must(outages[0]).start, t0);
      assert.equal(must(outages[0]).lastFailure, t0 + 600_000);
      assert.equal(must(outages[0]).end ?? null, null);

      must(stores[1]).fault = { kind: 'none' };
      c.advance(600_000);
      await b.probeAll();
      outages = await meta.listOutages('loc-1');
      assert.equal(outages.length, 1);
      assert.equal(must(outages[0]).end, t0 + 1_200_000);

      const summary = await b.summary('loc-1', { sinceMs: t0, samples: true });
      assert.equal(summary.rtt['download-1MB'].count, 3);
      assert.equal(summary.rtt['download-1MB'].failures, 2);
      assert.equal(summary.samples?.length, 12);
      assert.deepEqual(must(summary.samples).slice(0, 4).map((s) => s.probe), ['upload-1B', 'download-1B', 'upload-1MB', 'download-1MB']);
      const healthy = await b.summary('loc-0', { sinceMs: t0, samples: false });
      assert.equal(healthy.rtt['upload-1MB'].count, 3);
      assert.equal(healthy.rtt['upload-1MB'].failures, 0);
      assert.ok(must(healthy.rtt['upload-1MB'].meanMs) >= 0);

      c.advance(31 * DAY);
      await b.probeAll();
      const after31 = await b.summary('loc-1', { sinceMs: 0, samples: true });
      assert.equal(after31.samples?.length, 4, 'only the last round is left');
      assert.equal(after31.unavailability.length, 1, 'the outage is kept');
    } finally {
      await meta.close();
    }
  });
});
