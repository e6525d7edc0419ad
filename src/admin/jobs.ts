// Background jobs of the control plane: scrub (find damaged fragments), repair (work the repair queue), evacuation.

import { randomBytes } from 'node:crypto';
import type { GfKernel } from '../core/gf256/kernel.ts';
import { evacuateObject, repairObject, scrub, withoutKey, type KeylessObject, type LocationRegistry, type Placement } from '../dispersal/index.ts';
import { isMetaError, type MetadataStore, type ObjectVersion, type RepairTask } from '../meta/index.ts';
import { segmentsOf, withPlacements } from '../objects/layout.ts';
import { ControlError, type JobKind, type JobService, type JobState, type JobView } from './deps.ts';

export interface JobRunnerOptions {
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  readonly kernel: GfKernel;
  readonly requestTimeoutMs: number;
  readonly now: () => number;
  /** Told why a job failed, or why one version could not be worked on; never shown to clients. */
  readonly onError: (error: unknown) => void;
  /** Told about every change of a job: started, progressed, finished. */
  readonly onChange?: (job: JobView) => void;
  /** Repair tasks claimed at a time (default 20). */
  readonly repairBatch?: number;
  /** How long claimed repair tasks stay hidden from other gateways; a task left unrepaired comes back after it (default 10 min). */
  readonly repairLeaseMs?: number;
  /** Object versions per page of the metadata scan (default 100). */
  readonly pageSize?: number;
}

type StartOptions = { readonly mode: 'head' | 'full'; readonly bucket?: string } | Record<string, never> | { readonly location: string };

interface Job {
  readonly id: string;
  readonly kind: JobKind;
  readonly target: string | undefined;
  /** Jobs sharing a slot never run at the same time. */
  readonly slot: string;
  state: JobState;
  readonly startedAt: number;
  finishedAt: number | undefined;
  done: number;
  total: number;
  readonly summary: Record<string, number>;
  error: string | undefined;
}

/** Finished jobs kept in memory for the API; running ones are always kept. */
const FINISHED_KEPT = 50;

function viewOf(job: Job): JobView {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    ...(job.target === undefined ? {} : { target: job.target }),
    startedAt: job.startedAt,
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt }),
    done: job.done,
    total: job.total,
    summary: { ...job.summary },
    ...(job.error === undefined ? {} : { error: job.error }),
  };
}

function samePlacement(a: Placement, b: Placement): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Where a version's bytes are, as the metadata store keeps them. */
interface StoredLayout {
  readonly dispersed: unknown;
  readonly size: number;
}

/**
 * Runs scrub, repair and evacuation jobs in the background, one of each kind at a time (evacuations: one per
 * location), with their progress readable while they run. Jobs only ever handle key-less objects.
 */
export class JobRunner implements JobService {
  private readonly o: JobRunnerOptions;
  /** Every job kept, oldest first. */
  private readonly jobs: Job[] = [];
  private readonly running = new Map<string, Job>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private last: Job | undefined;
  /** Repair tasks the last repair job left (failed), hidden by their lease until `until`. */
  private leftByRepair = { count: 0, until: 0 };

  constructor(options: JobRunnerOptions) {
    this.o = options;
  }

  start(kind: 'scrub', options: { readonly mode: 'head' | 'full'; readonly bucket?: string }): JobView;
  start(kind: 'repair', options: Record<string, never>): JobView;
  start(kind: 'evacuate', options: { readonly location: string }): JobView;
  start(kind: JobKind, options: StartOptions): JobView {
    if (this.abort.signal.aborted) throw new ControlError('unavailable', 'the gateway is shutting down');
    switch (kind) {
      case 'scrub': {
        const { mode, bucket } = options as { mode: unknown; bucket?: unknown };
        if (mode !== 'head' && mode !== 'full') throw new ControlError('invalid', 'mode must be "head" or "full"', [{ path: 'mode', message: 'must be "head" or "full"' }]);
        if (bucket !== undefined && (typeof bucket !== 'string' || bucket === '')) throw new ControlError('invalid', 'bucket must be a bucket name', [{ path: 'bucket', message: 'must be a bucket name' }]);
        return this.launch('scrub', bucket, 'scrub', (job, signal) => this.scrubJob(job, mode, bucket, signal));
      }
      case 'repair':
        return this.launch('repair', undefined, 'repair', (job, signal) => this.repairJob(job, signal));
      case 'evacuate': {
        const { location } = options as { location: unknown };
        if (typeof location !== 'string' || location === '') throw new ControlError('invalid', 'location must be a location id', [{ path: 'location', message: 'must be a location id' }]);
        return this.launch('evacuate', location, `evacuate:${location}`, (job, signal) => this.evacuateJob(job, location, signal));
      }
      default: {
        const unknown: never = kind;
        throw new ControlError('invalid', `unknown job kind ${JSON.stringify(unknown)}`);
      }
    }
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.find((j) => j.id === id);
    return job === undefined ? undefined : viewOf(job);
  }

  /** Newest first. */
  list(): JobView[] {
    return this.jobs.map(viewOf).reverse();
  }

  lastScrub(): JobView | undefined {
    return this.last === undefined ? undefined : viewOf(this.last);
  }

  /** Waits until no job runs (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all(this.tasks);
  }

  /** Stops the running jobs (they end as failed) and waits for them; no job starts afterwards. */
  async close(): Promise<void> {
    this.abort.abort(new Error('the gateway is shutting down'));
    await this.idle();
  }

  /**
   * Starts a repair job when the queue holds tasks, or returns the one running. Tasks the last repair job failed
   * on are not worth another job until their lease ends. Never rejects: failures go to `onError`.
   */
  async repairIfQueued(): Promise<JobView | undefined> {
    try {
      const running = this.running.get('repair');
      if (running !== undefined) return viewOf(running);
      const depth = await this.o.meta.repairQueueDepth();
      if (depth === 0) return undefined;
      if (depth <= this.leftByRepair.count && this.o.now() < this.leftByRepair.until) return undefined;
      return this.start('repair', {});
    } catch (error) {
      this.o.onError(error);
      return undefined;
    }
  }

  private launch(kind: JobKind, target: string | undefined, slot: string, work: (job: Job, signal: AbortSignal) => Promise<void>): JobView {
    const running = this.running.get(slot);
    if (running !== undefined) return viewOf(running);
    const job: Job = {
      id: randomBytes(8).toString('hex'),
      kind,
      target,
      slot,
      state: 'running',
      startedAt: this.o.now(),
      finishedAt: undefined,
      done: 0,
      total: 0,
      summary: {},
      error: undefined,
    };
    this.running.set(slot, job);
    this.jobs.push(job);
    const task = this.run(job, work).finally(() => { this.tasks.delete(task); });
    this.tasks.add(task);
    this.changed(job);
    return viewOf(job);
  }

  private async run(job: Job, work: (job: Job, signal: AbortSignal) => Promise<void>): Promise<void> {
    try {
      // Never synchronously inside start(): the caller gets the job before any work begins.
      await Promise.resolve();
      await work(job, this.abort.signal);
      job.state = 'done';
    } catch (error) {
      job.state = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
      this.o.onError(error);
    }
    job.finishedAt = this.o.now();
    this.running.delete(job.slot);
    if (job.kind === 'scrub') this.last = job;
    this.prune();
    this.changed(job);
  }

  /** Keeps the running jobs and the last FINISHED_KEPT finished ones. */
  private prune(): void {
    let finished = this.jobs.filter((j) => j.state !== 'running').length;
    for (let i = 0; i < this.jobs.length && finished > FINISHED_KEPT; ) {
      if (this.jobs[i]?.state === 'running') {
        i++;
        continue;
      }
      this.jobs.splice(i, 1);
      finished--;
    }
  }

  private changed(job: Job): void {
    if (this.o.onChange === undefined) return;
    try {
      this.o.onChange(viewOf(job));
    } catch (error) {
      this.o.onError(error);
    }
  }

  private get pageSize(): number {
    return this.o.pageSize ?? 100;
  }

  /** How many current objects there are (in one bucket): cheap aggregate counts, for the progress bar. */
  private async countObjects(bucket: string | undefined): Promise<number> {
    if (bucket !== undefined && (await this.o.meta.getBucket(bucket)) === undefined) throw new ControlError('not-found', `no bucket ${JSON.stringify(bucket)}`);
    const names = bucket === undefined ? (await this.o.meta.listBuckets()).map((b) => b.name) : [bucket];
    let count = 0;
    for (const name of names) {
      try {
        count += (await this.o.meta.bucketStats(name)).objects;
      } catch (error) {
        if (!isMetaError(error, 'no-such-bucket')) throw error; // deleted meanwhile
      }
    }
    return count;
  }

  /** Every current object version (of one bucket), a page at a time. */
  private async *currentObjects(bucket: string | undefined, signal: AbortSignal): AsyncGenerator<ObjectVersion> {
    // Keys are never empty, so (bucket, '') sorts just before the bucket's first object.
    let after = bucket === undefined ? undefined : { bucket, key: '' };
    for (;;) {
      signal.throwIfAborted();
      const page = await this.o.meta.listAllObjects({ ...(after === undefined ? {} : { after }), limit: this.pageSize });
      for (const object of page) {
        if (bucket !== undefined && object.bucket !== bucket) return;
        yield object;
      }
      const last = page.at(-1);
      if (page.length < this.pageSize || last === undefined) return;
      after = { bucket: last.bucket, key: last.key };
    }
  }

  private progressed(job: Job, units = 1): void {
    job.done += units;
    if (job.total < job.done) job.total = job.done;
    this.changed(job);
  }

  /**
   * Runs `work` on each segment of a stored version, then stores the placements it changed, conditional on the
   * layout still being the one worked on. When another writer changed it first, the version is read again and
   * worked on once more; a second conflict is an error. 'gone' when the version is no longer current.
   */
  private async rework<R extends { readonly object: KeylessObject }>(
    versionId: string,
    first: StoredLayout | undefined,
    work: (object: KeylessObject, segment: number) => Promise<R | undefined>,
  ): Promise<readonly (R | undefined)[] | 'gone'> {
    let stored = first ?? (await this.o.meta.getStoredVersion(versionId));
    for (let attempt = 0; ; attempt++) {
      if (stored === undefined) return 'gone';
      const segments = segmentsOf(stored.dispersed, stored.size);
      const results: (R | undefined)[] = [];
      for (const [i, segment] of segments.entries()) results.push(await work(withoutKey(segment.object), i));
      const placements = segments.map((s, i) => results[i]?.object.placement ?? s.object.placement);
      if (placements.every((p, i) => samePlacement(p, segments[i]?.object.placement ?? p))) return results;
      try {
        return (await this.o.meta.updateDispersed(versionId, withPlacements(stored.dispersed, placements), stored.dispersed)) ? results : 'gone';
      } catch (error) {
        if (!isMetaError(error, 'conflict') || attempt > 0) throw error;
      }
      stored = await this.o.meta.getStoredVersion(versionId);
    }
  }

  // ---- scrub

  private async scrubJob(job: Job, mode: 'head' | 'full', bucket: string | undefined, signal: AbortSignal): Promise<void> {
    const summary = Object.assign(job.summary, { objects: 0, segments: 0, fragments: 0, missing: 0, corrupt: 0, queued: 0 });
    job.total = await this.countObjects(bucket);
    this.changed(job);
    for await (const object of this.currentObjects(bucket, signal)) {
      const segments = segmentsOf(object.dispersed, object.size);
      const found = await scrub(
        segments.map((s) => withoutKey(s.object)),
        this.o.registry,
        { kernel: this.o.kernel, mode, repair: false, requestTimeoutMs: this.o.requestTimeoutMs, signal },
      );
      summary.objects++;
      summary.segments += segments.length;
      summary.fragments += found.fragmentsChecked;
      summary.missing += found.missing;
      summary.corrupt += found.corrupt;
      // Queued under the object's own version id: repair then looks at that generation of every segment.
      const queued = new Set<string>();
      for (const d of found.damaged) {
        const { generation, packetIndex } = d.fragment;
        if (queued.has(`${generation}/${packetIndex}`)) continue;
        queued.add(`${generation}/${packetIndex}`);
        await this.o.meta.enqueueRepair({ versionId: object.versionId, generation, packetIndex, reason: d.problem });
      }
      summary.queued += queued.size;
      this.progressed(job);
    }
    job.total = job.done;
  }

  // ---- repair

  private async repairJob(job: Job, signal: AbortSignal): Promise<void> {
    const summary = Object.assign(job.summary, { versions: 0, repaired: 0, failed: 0, unchanged: 0, fragments: 0 });
    const leaseMs = this.o.repairLeaseMs ?? 10 * 60_000;
    let left = 0;
    job.total = await this.o.meta.repairQueueDepth();
    this.changed(job);
    const seen = new Set<number>();
    for (;;) {
      signal.throwIfAborted();
      const claimed = await this.o.meta.claimRepairs({ limit: this.o.repairBatch ?? 20, leaseMs });
      // A task seen before came back because its lease ran out: it waits for the next job.
      const fresh = claimed.filter((t) => !seen.has(t.id));
      if (fresh.length === 0) break;
      for (const t of fresh) seen.add(t.id);
      if (job.total < job.done + fresh.length) job.total = job.done + fresh.length;
      const byVersion = new Map<string, RepairTask[]>();
      for (const t of fresh) byVersion.set(t.versionId, [...(byVersion.get(t.versionId) ?? []), t]);
      for (const [versionId, tasks] of byVersion) {
        signal.throwIfAborted();
        summary.versions++;
        let unrepaired: readonly RepairTask[];
        try {
          const outcome = await this.repairVersion(versionId, tasks, signal);
          unrepaired = outcome.unrepaired;
          summary.fragments += outcome.repaired;
          if (unrepaired.length > 0) summary.failed++;
          else if (outcome.repaired > 0) summary.repaired++;
          else summary.unchanged++;
        } catch (error) {
          signal.throwIfAborted();
          this.o.onError(error);
          unrepaired = tasks;
          summary.failed++;
        }
        const kept = new Set(unrepaired);
        for (const t of tasks) if (!kept.has(t)) await this.o.meta.completeRepair(t.id);
        left += kept.size;
        this.progressed(job, tasks.length);
      }
    }
    // Tasks other gateways hold were counted at the start but are not this job's work.
    job.total = job.done;
    this.leftByRepair = { count: left, until: this.o.now() + leaseMs };
  }

  /**
   * Recodes the damaged fragments of one version (the generations its tasks name, in every segment that has
   * them) and stores where they went. Returns the tasks whose fragment is still damaged: they stay queued.
   */
  private async repairVersion(versionId: string, tasks: readonly RepairTask[], signal: AbortSignal): Promise<{ repaired: number; unrepaired: readonly RepairTask[] }> {
    const generations = [...new Set(tasks.map((t) => t.generation))].sort((a, b) => a - b);
    const reports = await this.rework(versionId, undefined, async (object) => {
      const own = generations.filter((g) => g < object.manifest.generations.length);
      if (own.length === 0) return undefined;
      return repairObject(object, this.o.registry, { kernel: this.o.kernel, requestTimeoutMs: this.o.requestTimeoutMs, generations: own, signal });
    });
    if (reports === 'gone') return { repaired: 0, unrepaired: [] };
    const failed = new Set(reports.flatMap((r) => r?.unrepairable ?? []).map((f) => `${f.generation}/${f.packetIndex}`));
    return {
      repaired: reports.reduce((sum, r) => sum + (r?.repaired.length ?? 0), 0),
      unrepaired: tasks.filter((t) => failed.has(`${t.generation}/${t.packetIndex}`)),
    };
  }

  // ---- evacuation

  private async evacuateJob(job: Job, locationId: string, signal: AbortSignal): Promise<void> {
    const summary = Object.assign(job.summary, { objects: 0, moved: 0, stuck: 0 });
    if (!this.o.registry.has(locationId)) throw new ControlError('not-found', `no location ${JSON.stringify(locationId)}`);
    if (!this.o.registry.get(locationId).retired) throw new ControlError('conflict', `location ${locationId} is not retired: retire it first, so that nothing new lands there`);
    job.total = await this.countObjects(undefined);
    this.changed(job);
    for await (const object of this.currentObjects(undefined, signal)) {
      const holds = (o: KeylessObject): boolean => o.placement.locations.includes(locationId) || o.placement.moved.some((m) => m.locationId === locationId);
      if (segmentsOf(object.dispersed, object.size).some((s) => holds(s.object))) {
        const results = await this.rework(object.versionId, object, async (o) =>
          holds(o) ? evacuateObject(o, this.o.registry, locationId, { kernel: this.o.kernel, requestTimeoutMs: this.o.requestTimeoutMs, signal }) : undefined,
        );
        if (results !== 'gone') {
          const moved = results.reduce((sum, r) => sum + (r?.moved.length ?? 0), 0);
          const stuck = results.reduce((sum, r) => sum + (r?.stuck.length ?? 0), 0);
          if (moved + stuck > 0) summary.objects++;
          summary.moved += moved;
          summary.stuck += stuck;
        }
      }
      this.progressed(job);
    }
    job.total = job.done;
  }
}

/**
 * Runs repair passes in the background: every `intervalMs`, a repair job starts when the queue holds tasks (and
 * none runs). Returns stop(); a job already running goes on (see JobRunner.idle/close).
 */
export function startRepairWorker(runner: JobRunner, intervalMs: number): () => void {
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void runner.repairIfQueued().finally(() => { checking = false; });
  }, intervalMs);
  timer.unref();
  return () => { clearInterval(timer); };
}
