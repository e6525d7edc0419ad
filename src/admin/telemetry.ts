// The location benchmarker: probes every location on a jittered schedule and serves the telemetry it recorded.

import { randomBytes } from 'node:crypto';
import type { LocationRegistry, LocationRuntime } from '../dispersal/registry.ts';
import { PROBE_KINDS, type MetadataStore, type ProbeKind, type ProbeSample } from '../meta/types.ts';
import type { LocationTelemetry, RttStats, TelemetryService } from './deps.ts';

/** The part of the metadata store the benchmarker uses. */
export type ProbeStore = Pick<MetadataStore, 'recordProbe' | 'listProbes' | 'pruneProbes' | 'recordProbeFailure' | 'recordProbeSuccess' | 'listOutages'>;

export interface BenchmarkerOptions {
  readonly meta: ProbeStore;
  readonly registry: LocationRegistry;
  /** Between two rounds; 0 turns the schedule off (probeAll still works). Default 600 000 (10 minutes). */
  readonly intervalMs?: number;
  /** Delay before the first round after start(); default min(intervalMs, 10 000). Jittered too. */
  readonly initialDelayMs?: number;
  /** Each delay is drawn uniformly from ±this fraction around its nominal value; default 0.1. */
  readonly jitter?: number;
  /** How long samples are kept; default 30 days. Unavailability periods are kept for ever. */
  readonly retentionMs?: number;
  /** Longest wait for one probe request; default 30 000. */
  readonly timeoutMs?: number;
  /** Wall clock of the samples; default Date.now. */
  readonly now?: () => number;
  /** Uniform [0, 1), for the jitter; default Math.random. */
  readonly random?: () => number;
  /** Told about every probe (metrics): its round-trip time, or null when it failed. */
  readonly onProbe?: (locationId: string, probe: ProbeKind, rttMs: number | null) => void;
  /** Told after each location's round (metrics): up when every probe of it succeeded. */
  readonly onLocationProbed?: (locationId: string, up: boolean) => void;
  readonly log?: (message: string) => void;
}

export const DEFAULT_PROBE_INTERVAL_MS = 600_000;
export const DEFAULT_PROBE_RETENTION_MS = 30 * 24 * 3600 * 1000;
export const PROBE_PREFIX = '_probe/';
const LARGE_PROBE_BYTES = 1_000_000;

/** Thrown by a probe request that did not answer in time, or that stop() cut short. */
class ProbeAborted extends Error {}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? null;
}

/** The statistics of one probe kind over a window of samples (oldest first). */
export function rttStats(samples: readonly ProbeSample[]): RttStats {
  const rtts = samples.flatMap((s) => (s.ok && s.rttMs !== null ? [s.rttMs] : [])).sort((a, b) => a - b);
  const last = samples[samples.length - 1];
  return {
    count: samples.length,
    failures: samples.filter((s) => !s.ok).length,
    meanMs: rtts.length === 0 ? null : rtts.reduce((sum, v) => sum + v, 0) / rtts.length,
    p50Ms: percentile(rtts, 0.5),
    p95Ms: percentile(rtts, 0.95),
    minMs: rtts[0] ?? null,
    maxMs: rtts[rtts.length - 1] ?? null,
    lastMs: last?.rttMs ?? null,
    lastAt: last?.at ?? null,
  };
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && a.length === b.length && Buffer.compare(a, b) === 0;
}

export class Benchmarker implements TelemetryService {
  readonly #meta: ProbeStore;
  readonly #registry: LocationRegistry;
  readonly #intervalMs: number;
  readonly #initialDelayMs: number;
  readonly #jitter: number;
  readonly #retentionMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onProbe: BenchmarkerOptions['onProbe'];
  readonly #onLocationProbed: BenchmarkerOptions['onLocationProbed'];
  readonly #log: (message: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #round: Promise<void> | undefined;
  /** Aborted by stop(): probes in flight give up and their round records nothing more. */
  #stopping = new AbortController();

  constructor(options: BenchmarkerOptions) {
    this.#meta = options.meta;
    this.#registry = options.registry;
    this.#intervalMs = options.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.#initialDelayMs = options.initialDelayMs ?? Math.min(this.#intervalMs, 10_000);
    this.#jitter = options.jitter ?? 0.1;
    this.#retentionMs = options.retentionMs ?? DEFAULT_PROBE_RETENTION_MS;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onProbe = options.onProbe;
    this.#onLocationProbed = options.onLocationProbed;
    this.#log = options.log ?? (() => undefined);
    if (!(Number.isFinite(this.#intervalMs) && this.#intervalMs >= 0)) throw new RangeError('intervalMs must be a number of milliseconds >= 0');
    if (!(this.#jitter >= 0 && this.#jitter < 1)) throw new RangeError('jitter must be within [0, 1)');
    if (!(this.#timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  }

  /** Starts the schedule (nothing when intervalMs is 0). The timers never keep the process alive. */
  start(): void {
    if (this.#running || this.#intervalMs === 0) return;
    this.#running = true;
    this.#schedule(this.#initialDelayMs);
  }

  /** Stops the schedule; a round in flight is cut short and awaited. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // The round in flight holds the old signal; later rounds (probeAll by hand) get a fresh one.
    this.#stopping.abort();
    this.#stopping = new AbortController();
    await this.#round?.catch(() => undefined);
  }

  /** Whether a next round is scheduled (for tests and the system view). */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /** The nominal delay with ±jitter applied. */
  jittered(delayMs: number): number {
    return Math.max(0, delayMs * (1 + this.#jitter * (2 * this.#random() - 1)));
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.probeAll()
        .catch((error: unknown) => { this.#log(`telemetry: probe round failed: ${(error as Error).message}`); })
        .finally(() => { this.#schedule(this.#intervalMs); });
    }, this.jittered(delayMs));
    this.#timer.unref();
  }

  /** One round over every location not retired, all locations in parallel; concurrent callers share a round. */
  probeAll(): Promise<void> {
    if (this.#round !== undefined) return this.#round;
    const round = this.#probeRound().finally(() => { this.#round = undefined; });
    this.#round = round;
    return round;
  }

  async #probeRound(): Promise<void> {
    const stop = this.#stopping.signal;
    const locations = this.#registry.all().filter((rt) => !rt.retired);
    const results = await Promise.allSettled(locations.map((rt) => this.#probeLocation(rt, stop)));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (!stop.aborted) await this.#meta.pruneProbes(this.#now() - this.#retentionMs);
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(`recording probes failed for ${failed.length} location(s): ${first instanceof Error ? first.message : String(first)}`, { cause: first });
    }
  }

  /** Uploads then downloads 1 B and 1 MB, deletes both; records each probe, then opens, extends or ends an outage. */
  async #probeLocation(rt: LocationRuntime, stop: AbortSignal): Promise<void> {
    const id = rt.location.id;
    const base = `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`;
    // Plain Uint8Array copies, not Buffers: a Buffer's slice() is a view, so a store "copying" one would share our bytes.
    const small = { key: `${base}/1B`, bytes: new Uint8Array(randomBytes(1)) };
    const large = { key: `${base}/1MB`, bytes: new Uint8Array(randomBytes(LARGE_PROBE_BYTES)) };
    const samples: ProbeSample[] = [];
    const probe = async (kind: ProbeKind, run: (signal: AbortSignal) => Promise<boolean>): Promise<boolean> => {
      const at = this.#now();
      const started = performance.now();
      let ok: boolean;
      try {
        ok = await this.#withTimeout(stop, run);
      } catch (error) {
        if (!(error instanceof ProbeAborted)) this.#log(`telemetry: ${kind} probe of ${id} failed: ${(error as Error).message}`);
        ok = false;
      }
      samples.push({ locationId: id, probe: kind, at, ok, rttMs: ok ? performance.now() - started : null });
      return ok;
    };
    const skipped = (kind: ProbeKind): void => { samples.push({ locationId: id, probe: kind, at: this.#now(), ok: false, rttMs: null }); };

    for (const { key, bytes, upload, download } of [
      { ...small, upload: 'upload-1B', download: 'download-1B' },
      { ...large, upload: 'upload-1MB', download: 'download-1MB' },
    ] as const) {
      const uploaded = await probe(upload, async (signal) => { await rt.store.put(key, bytes, signal); return true; });
      // A download of what never arrived can only fail: it counts as failed without being asked.
      if (uploaded) await probe(download, async (signal) => sameBytes(await rt.store.get(key, { signal }), bytes));
      else skipped(download);
    }
    await Promise.allSettled([small.key, large.key].map((key) => this.#withTimeout(stop, async (signal) => { await rt.store.delete(key, signal); return true; })));
    if (stop.aborted) return; // cut short by stop(): what was measured is not the location's fault

    for (const sample of samples) {
      await this.#meta.recordProbe(sample);
      this.#tell(() => this.#onProbe?.(id, sample.probe, sample.rttMs));
    }
    const firstFailure = samples.find((s) => !s.ok);
    if (firstFailure === undefined) await this.#meta.recordProbeSuccess(id, samples[0]?.at ?? this.#now());
    else await this.#meta.recordProbeFailure(id, firstFailure.at);
    this.#tell(() => this.#onLocationProbed?.(id, firstFailure === undefined));
  }

  /** Runs a store request with the probe timeout; rejects at the deadline even if the store ignores its signal. */
  #withTimeout(stop: AbortSignal, run: (signal: AbortSignal) => Promise<boolean>): Promise<boolean> {
    if (stop.aborted) return Promise.reject(new ProbeAborted('stopped'));
    const controller = new AbortController();
    return new Promise<boolean>((resolve, reject) => {
      const abort = (why: string): void => {
        controller.abort(new ProbeAborted(why));
        reject(new ProbeAborted(why));
      };
      // Referenced (unlike the schedule's timer): an awaited probe keeps the process alive until it ends.
      const timer = setTimeout(() => { abort(`no answer within ${this.#timeoutMs} ms`); }, this.#timeoutMs);
      const onStop = (): void => { abort('stopped'); };
      stop.addEventListener('abort', onStop, { once: true });
      void run(controller.signal)
        .then(resolve, reject)
        .finally(() => {
          clearTimeout(timer);
          stop.removeEventListener('abort', onStop);
        });
    });
  }

  #tell(report: () => void): void {
    try {
      report();
    } catch (error) {
      this.#log(`telemetry: a probe observer failed: ${(error as Error).message}`);
    }
  }

  async summary(locationId: string, options: { readonly sinceMs: number; readonly samples: boolean }): Promise<LocationTelemetry> {
    const [samples, unavailability] = await Promise.all([this.#meta.listProbes(locationId, options.sinceMs), this.#meta.listOutages(locationId)]);
    const rtt = Object.fromEntries(PROBE_KINDS.map((kind) => [kind, rttStats(samples.filter((s) => s.probe === kind))])) as Record<ProbeKind, RttStats>;
    return {
      locationId,
      rtt,
      unavailability,
      ...(options.samples ? { samples: samples.map((s) => ({ probe: s.probe, at: s.at, ok: s.ok, rttMs: s.rttMs })) } : {}),
    };
  }
}
