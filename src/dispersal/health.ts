// Health of one location as the gateway sees it: latency (EWMA, p95) by request size, error rate, circuit breaker.

export type SizeClass = 'small' | 'large';
export type FailureKind = 'error' | 'timeout' | 'integrity';
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface HealthOptions {
  readonly now: () => number;
  /** Requests of at least this many bytes count as large. */
  readonly largeRequestBytes: number;
  /** Latency samples kept per size class for the p95. */
  readonly window: number;
  /** Weight of the newest sample in the EWMAs. */
  readonly alpha: number;
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** First cool-down of an open breaker; doubles on every failed probe up to maxOpenMs. */
  readonly openMs: number;
  readonly maxOpenMs: number;
  /** Assumed latency of a location never measured. */
  readonly defaultLatencyMs: number;
  /** Samples needed before the p95 is trusted as a hedging threshold. */
  readonly minSamplesForP95: number;
}

export const defaultHealthOptions: HealthOptions = {
  now: () => performance.now(),
  largeRequestBytes: 256 * 1024,
  window: 128,
  alpha: 0.2,
  failureThreshold: 3,
  openMs: 5_000,
  maxOpenMs: 5 * 60_000,
  defaultLatencyMs: 100,
  minSamplesForP95: 8,
};

class LatencyStats {
  private readonly samples: number[] = [];
  private next = 0;
  ewma: number | undefined;

  constructor(private readonly window: number) {}

  add(ms: number, alpha: number): void {
    if (this.samples.length < this.window) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.window;
    this.addToAverage(ms, alpha);
  }

  addToAverage(ms: number, alpha: number): void {
    this.ewma = this.ewma === undefined ? ms : this.ewma + alpha * (ms - this.ewma);
  }

  get count(): number {
    return this.samples.length;
  }

  quantile(q: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }
}

export interface HealthSnapshot {
  readonly breaker: BreakerState;
  readonly errorRate: number;
  readonly successes: number;
  readonly failures: Readonly<Record<FailureKind, number>>;
  readonly latency: Readonly<Record<SizeClass, { readonly ewmaMs: number | null; readonly p95Ms: number | null; readonly samples: number }>>;
}

export class LocationHealth {
  private readonly options: HealthOptions;
  private readonly latency: Record<SizeClass, LatencyStats>;
  private errorEwma = 0;
  private consecutiveFailures = 0;
  private state: BreakerState = 'closed';
  private openUntil = 0;
  private openFor: number;
  private probeInFlight = false;
  private successes = 0;
  private readonly failures: Record<FailureKind, number> = { error: 0, timeout: 0, integrity: 0 };

  constructor(options: Partial<HealthOptions> = {}) {
    this.options = { ...defaultHealthOptions, ...options };
    this.latency = { small: new LatencyStats(this.options.window), large: new LatencyStats(this.options.window) };
    this.openFor = this.options.openMs;
  }

  sizeClass(bytes: number): SizeClass {
    return bytes >= this.options.largeRequestBytes ? 'large' : 'small';
  }

  /** The breaker's state now (an open breaker whose cool-down is over reads as half-open). */
  get breaker(): BreakerState {
    if (this.state === 'open' && this.options.now() >= this.openUntil) return 'half-open';
    return this.state;
  }

  /**
   * Whether a request may go to this location now. Closed: yes. Open: no, until the cool-down ends; then exactly
   * one request at a time goes through as a probe, and its outcome closes or re-opens the breaker.
   */
  tryAcquire(): boolean {
    const state = this.breaker;
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** Whether requests would be let through now, without taking the probe slot. */
  get available(): boolean {
    const state = this.breaker;
    return state === 'closed' || (state === 'half-open' && !this.probeInFlight);
  }

  recordSuccess(bytes: number, ms: number): void {
    this.successes++;
    this.latency[this.sizeClass(bytes)].add(ms, this.options.alpha);
    this.errorEwma *= 1 - this.options.alpha;
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.openFor = this.options.openMs;
    }
  }

  recordFailure(kind: FailureKind): void {
    this.failures[kind]++;
    this.errorEwma += this.options.alpha * (1 - this.errorEwma);
    this.consecutiveFailures++;
    const wasProbe = this.probeInFlight;
    this.probeInFlight = false;
    if (wasProbe || (this.state === 'closed' && this.consecutiveFailures >= this.options.failureThreshold)) {
      if (wasProbe) this.openFor = Math.min(this.options.maxOpenMs, this.openFor * 2);
      this.state = 'open';
      this.openUntil = this.options.now() + this.openFor;
    }
  }

  /** A request given up by the caller (e.g. a hedged loser): frees the probe slot without judging the location. */
  recordCancelled(): void {
    this.probeInFlight = false;
  }

  /**
   * A request abandoned after it outlived its hedge deadline: its elapsed time is a lower bound of its latency,
   * counted as a sample so that a location that stalls stops being ranked among the fastest.
   */
  recordAbandoned(bytes: number, elapsedMs: number): void {
    // Only the ranking (EWMA) learns from it: the p95, which sets how long to wait before hedging, stays the
    // distribution of answers actually received, or one stall would make every later hedge wait longer.
    this.latency[this.sizeClass(bytes)].addToAverage(elapsedMs, this.options.alpha);
  }

  /** Expected latency of a request of this size: the EWMA, or the default for a location never measured. */
  expectedLatencyMs(bytes: number): number {
    return this.latency[this.sizeClass(bytes)].ewma ?? this.options.defaultLatencyMs;
  }

  /** The p95 latency once enough samples exist, else undefined. */
  p95Ms(bytes: number): number | undefined {
    const stats = this.latency[this.sizeClass(bytes)];
    return stats.count >= this.options.minSamplesForP95 ? stats.quantile(0.95) : undefined;
  }

  snapshot(): HealthSnapshot {
    const describe = (c: SizeClass) => ({
      ewmaMs: this.latency[c].ewma ?? null,
      p95Ms: this.latency[c].quantile(0.95) ?? null,
      samples: this.latency[c].count,
    });
    return {
      breaker: this.breaker,
      errorRate: this.errorEwma,
      successes: this.successes,
      failures: { ...this.failures },
      latency: { small: describe('small'), large: describe('large') },
    };
  }
}
