// Scrub, repair and the jobs they start: following a job to its end with a progress display, and judging its outcome.

import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { apiPath, type AdminClient } from './connection.ts';
import { adminCommand, arr, clientFor, examples, num, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { CliError } from './errors.ts';
import { oneOf } from './parse.ts';
import { cell, formatTable, formatTime } from './table.ts';

export interface FollowOptions extends CommonOptions {
  /** false with --no-wait. */
  readonly wait?: boolean;
}

/** Between 200 and 500 ms: quick enough to feel live, slow enough not to load the gateway. */
export const POLL_INTERVAL_MS = 300;
/** Plain progress lines (no TTY) at most this often. */
const LINE_INTERVAL_MS = 2000;

const summaryCount = (job: Record<string, unknown>, ...names: string[]): number => {
  const summary = obj(job.summary);
  return names.reduce((sum, name) => sum + num(summary[name]), 0);
};

/**
 * Why a finished job means "the operation found a problem" (exit 1), or undefined when it went well. Summary
 * counters as the gateway keeps them: scrub {objects, fragments, missing, corrupt, queued}, repair {versions,
 * repaired, failed, unchanged, fragments}, evacuate {objects, moved, stuck}.
 */
export function jobProblem(job: Record<string, unknown>): string | undefined {
  const label = `${cell(job.kind)} job ${cell(job.id)}`;
  if (job.state === 'failed') return `${label} failed: ${cell(job.error)}`;
  const unrepairable = summaryCount(job, 'unrepairable');
  if (unrepairable > 0) return `${label}: ${unrepairable} damaged generation(s) cannot be repaired (fewer than k intact fragments left)`;
  const failed = summaryCount(job, 'failed', 'lost');
  if (failed > 0) return `${label}: ${failed} object version(s) could not be fully repaired (their repairs stay queued; fewer than k intact fragments, or locations unavailable)`;
  const stuck = summaryCount(job, 'stuck');
  if (stuck > 0) return `${label}: ${stuck} fragment(s) could not be moved off ${cell(job.target)} (not enough other healthy locations?)`;
  if (job.kind === 'scrub') {
    const damaged = summaryCount(job, 'missing', 'corrupt');
    const left = damaged - summaryCount(job, 'repaired');
    if (left > 0) return `${label} found ${damaged} damaged fragment(s) (${summaryCount(job, 'missing')} missing, ${summaryCount(job, 'corrupt')} corrupt), ${left} not repaired yet: run \`dispersa repair\` (or scrub with --repair)`;
  }
  return undefined;
}

function elapsed(job: Record<string, unknown>): string {
  const start = typeof job.started_at === 'string' ? Date.parse(job.started_at) : Number.NaN;
  const end = typeof job.finished_at === 'string' ? Date.parse(job.finished_at) : Number.NaN;
  return Number.isNaN(start) || Number.isNaN(end) ? '' : ` in ${((end - start) / 1000).toFixed(1)} s`;
}

/** One line about a finished (or running) job. */
export function describeJob(job: Record<string, unknown>): string {
  const summary = Object.entries(obj(job.summary)).map(([k, v]) => `${k} ${cell(v)}`).join(', ');
  const target = job.target === undefined || job.target === null ? '' : ` (${cell(job.target)})`;
  const state = job.state === 'running' ? `running, ${num(job.done)}/${num(job.total)}` : cell(job.state);
  return `${cell(job.kind)} job ${cell(job.id)}${target} ${state}${job.state === 'running' ? '' : elapsed(job)}${summary === '' ? '' : `: ${summary}`}${job.error === undefined || job.error === null ? '' : `\nerror: ${cell(job.error)}`}`;
}

/** Polls the job until it is no longer running; shows progress on stderr unless --json. */
export async function waitForJob(ctx: CliContext, client: AdminClient, started: Record<string, unknown>, options: FollowOptions): Promise<Record<string, unknown>> {
  const id = typeof started.id === 'string' || typeof started.id === 'number' ? String(started.id) : '';
  if (id === '') throw new CliError('unavailable', 'the admin API started a job but did not say its id');
  const kind = cell(started.kind);
  const stream = options.json === true ? undefined : ctx.io.progressStream;
  const bar = stream === undefined ? undefined : new SingleBar({ stream, format: `${kind} {bar} {percentage}% | {value}/{total} | {duration_formatted}`, barsize: 30 });
  let job = started;
  bar?.start(Math.max(num(job.total), 1), num(job.done));
  let lastLine = 0;
  let lastProgress = '';
  try {
    while (job.state === 'running') {
      await ctx.io.sleep(POLL_INTERVAL_MS);
      job = obj(await client.call('GET', apiPath('/api/v1/jobs', id)));
      if (bar !== undefined) {
        bar.setTotal(Math.max(num(job.total), 1));
        bar.update(num(job.done));
      } else if (options.json !== true) {
        const progress = `${num(job.done)}/${num(job.total)}`;
        const now = ctx.io.now().getTime();
        if (job.state === 'running' && progress !== lastProgress && now - lastLine >= LINE_INTERVAL_MS) {
          ctx.io.stderr(`${kind} job ${id}: ${progress}`);
          lastLine = now;
          lastProgress = progress;
        }
      }
    }
  } finally {
    bar?.stop();
  }
  return job;
}

/**
 * Follows a job the API just started (202 `{job}`) to its end and prints it; with --no-wait prints the API's answer
 * at once. Whether the outcome is a problem (exit 1) is the caller's to judge: `scrub --repair` goes on after one.
 */
export async function followJob(
  ctx: CliContext,
  client: AdminClient,
  started: Record<string, unknown>,
  options: FollowOptions,
  answer?: unknown,
  { printJson = true }: { readonly printJson?: boolean } = {},
): Promise<Record<string, unknown>> {
  if (options.wait === false) {
    printResult(ctx, options, answer ?? { job: started }, () => `${cell(started.kind)} job ${cell(started.id)} started; follow it with: dispersa job show ${cell(started.id)} --wait`);
    return started;
  }
  if (options.json !== true && ctx.io.progressStream !== undefined) ctx.io.stderr(`${cell(started.kind)} job ${cell(started.id)} started (Ctrl-C stops watching; the job keeps running)`);
  const job = await waitForJob(ctx, client, started, options);
  if (options.json !== true || printJson) printResult(ctx, options, job, () => describeJob(job));
  return job;
}

/** Exit 1 with the reason on stderr (also with --json: stdout then holds the job, stderr says why it failed). */
function judge(job: Record<string, unknown>): void {
  const problem = jobProblem(job);
  if (problem !== undefined) throw new CliError('problem', problem);
}

export function registerJobs(program: Command, ctx: CliContext): void {
  examples(
    adminCommand(program, 'scrub', 'check every fragment (read and hash it, or with --mode head only ask for it) and queue repairs for what is damaged')
      .option('--mode <mode>', "full: read every fragment and check its hash (the gateway's default) | head: only ask each location whether it has the fragment, of the right size (cheap)", oneOf(['head', 'full'] as const))
      .option('--bucket <name>', 'only this bucket')
      .option('--repair', 'when damage is found, run a repair job right after')
      .option('--no-wait', 'print the job and return at once')
      .addHelpText('after', '\nExit status 1 when damage was found and is not repaired (or the job failed), 0 when everything is intact or was repaired.')
      .action(async (options: FollowOptions & { mode?: 'head' | 'full'; bucket?: string; repair?: boolean }) => {
        const client = clientFor(ctx, options);
        const request = { ...(options.mode === undefined ? {} : { mode: options.mode }), ...(options.bucket === undefined ? {} : { bucket: options.bucket }) };
        const answer = obj(await client.call('POST', '/api/v1/scrub', { body: request }));
        // With --json --repair both jobs go out as one document, so stdout stays one parseable value.
        const chained = options.repair === true && options.json === true;
        const scrubJob = await followJob(ctx, client, obj(answer.job), options, answer, { printJson: !chained });
        if (options.wait === false) return;
        let repairJob: Record<string, unknown> | undefined;
        if (options.repair === true && scrubJob.state === 'done' && jobProblem(scrubJob) !== undefined && summaryCount(scrubJob, 'unrepairable') === 0) {
          const repair = obj(await client.call('POST', '/api/v1/repair', { body: {} }));
          repairJob = await followJob(ctx, client, obj(repair.job), options, repair, { printJson: !chained });
        }
        if (chained) ctx.io.stdout(JSON.stringify({ scrub: scrubJob, repair: repairJob ?? null }, null, 2));
        judge(repairJob ?? scrubJob);
      }),
    ['dispersa scrub', 'dispersa scrub --mode head --bucket photos --repair', 'dispersa scrub --no-wait --json | jq -r .job.id'],
  );

  examples(
    adminCommand(program, 'repair', 'work through the repair queue: recreate lost or corrupt fragments by recoding surviving ones (no key needed)')
      .option('--no-wait', 'print the job and return at once')
      .addHelpText('after', '\nExit status 1 when something could not be repaired or the job failed.')
      .action(async (options: FollowOptions) => {
        const client = clientFor(ctx, options);
        const answer = obj(await client.call('POST', '/api/v1/repair', { body: {} }));
        const job = await followJob(ctx, client, obj(answer.job), options, answer);
        if (options.wait !== false) judge(job);
      }),
    ['dispersa repair'],
  );

  const jobs = program.command('job').description('scrub, repair and evacuation jobs');
  examples(
    adminCommand(jobs, 'list', 'list jobs, newest first').action(async (options: CommonOptions) => {
      const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/jobs'));
      printResult(ctx, options, body, () =>
        formatTable(
          [
            { header: 'ID', value: (j) => obj(j).id },
            { header: 'KIND', value: (j) => obj(j).kind },
            { header: 'STATE', value: (j) => obj(j).state },
            { header: 'TARGET', value: (j) => obj(j).target },
            { header: 'STARTED', value: (j) => formatTime(obj(j).started_at) },
            { header: 'FINISHED', value: (j) => formatTime(obj(j).finished_at) },
            { header: 'PROGRESS', value: (j) => `${num(obj(j).done)}/${num(obj(j).total)}`, align: 'right' },
          ],
          arr(body.jobs),
        ),
      );
    }),
    ['dispersa job list'],
  );
  examples(
    adminCommand(jobs, 'show', 'show a job; --wait follows it to its end')
      .argument('<id>', 'job id')
      .option('--wait', 'follow the job until it ends (exit status as for scrub and repair)')
      .action(async (id: string, options: CommonOptions & { wait?: boolean }) => {
        const client = clientFor(ctx, options);
        const job = obj(await client.call('GET', apiPath('/api/v1/jobs', id)));
        if (options.wait !== true) {
          printResult(ctx, options, job, () => describeJob(job));
          return;
        }
        judge(await followJob(ctx, client, job, { ...options, wait: true }));
      }),
    ['dispersa job show 3f2c9a --wait'],
  );
}
