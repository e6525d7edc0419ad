// Location health: latency statistics by size class, error rate, and the circuit breaker's states (injected clock).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocationHealth } from '../../src/dispersal/health.ts';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('location health', () => {
  it('keeps latency EWMA and p95 per size class', () => {
    const h = new LocationHealth({ alpha: 0.5, largeRequestBytes: 1000, minSamplesForP95: 4, defaultLatencyMs: 77, window: 100 });
    assert.equal(h.expectedLatencyMs(10), 77, 'default before any sample');
    assert.equal(h.p95Ms(10), undefined);
    for (const ms of [10, 20, 10, 20]) h.recordSuccess(10, ms);
    h.recordSuccess(5000, 300);
    assert.equal(h.expectedLatencyMs(10), 16.25);
    assert.equal(h.expectedLatencyMs(5000), 300, 'large requests are tracked apart');
    assert.equal(h.p95Ms(10), 20);
    assert.equal(h.p95Ms(5000), undefined, 'too few samples');
    for (let i = 0; i < 100; i++) h.recordSuccess(10, i < 95 ? 5 : 500);
    assert.equal(h.p95Ms(10), 5, 'the window holds the last 100 samples: 95 fast, 5 slow');
  });

  it('opens the breaker after consecutive failures, probes once after the cool-down, closes on success', () => {
    const c = clock();
    const h = new LocationHealth({ now: c.now, failureThreshold: 3, openMs: 1000, maxOpenMs: 3000 });
    h.recordFailure('error');
    h.recordFailure('timeout');
    assert.equal(h.breaker, 'closed');
    h.recordFailure('error');
    assert.equal(h.breaker, 'open');
    assert.equal(h.tryAcquire(), false);
    c.advance(1000);
    assert.equal(h.breaker, 'half-open');
    assert.equal(h.tryAcquire(), true, 'one probe');
    assert.equal(h.tryAcquire(), false, 'only one probe at a time');
    h.recordFailure('error');
    assert.equal(h.breaker, 'open');
    c.advance(1999);
    assert.equal(h.breaker, 'open', 'the cool-down doubled after a failed probe');
    c.advance(1);
    assert.equal(h.tryAcquire(), true);
    h.recordFailure('error');
    c.advance(3000);
    assert.equal(h.breaker, 'half-open', 'capped at maxOpenMs');
    assert.equal(h.tryAcquire(), true);
    h.recordSuccess(10, 5);
    assert.equal(h.breaker, 'closed');
    assert.equal(h.tryAcquire(), true);
    const s = h.snapshot();
    assert.deepEqual(s.failures, { error: 4, timeout: 1, integrity: 0 });
    assert.ok(s.errorRate > 0 && s.errorRate < 1);
  });

  it('frees the probe slot when the probe is cancelled', () => {
    const c = clock();
    const h = new LocationHealth({ now: c.now, failureThreshold: 1, openMs: 10 });
    h.recordFailure('integrity');
    c.advance(10);
    assert.equal(h.tryAcquire(), true);
    h.recordCancelled();
    assert.equal(h.tryAcquire(), true);
  });
});
