// `dispersa telemetry` and `dispersa bench`: round-trip times and availability of every location, as the gateway's probes measured them.

import type { Command } from 'commander';
import type { AdminClient } from './connection.ts';
import { adminCommand, arr, clientFor, examples, num, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { parseNonNegativeInteger } from './parse.ts';
import { formatMs, formatTable, formatTime } from './table.ts';

const PROBES = ['upload_1B', 'download_1B', 'upload_1MB', 'download_1MB'] as const;

export interface TelemetryAnswer {
  readonly cloud_locations: unknown[];
  readonly edge_locations: unknown[];
}

export async function fetchTelemetry(client: AdminClient, days: number | undefined, samples: boolean): Promise<TelemetryAnswer> {
  const query = { days, samples: samples ? 'true' : undefined };
  const [cloud, edge] = await Promise.all([client.call('GET', '/api/v1/cloud_locations', { query }), client.call('GET', '/api/v1/edge_locations', { query })]);
  return { cloud_locations: arr(cloud), edge_locations: arr(edge) };
}

function where(l: Record<string, unknown>): string {
  const parts = [l.country, l.city ?? l.region, l.name].filter((v) => typeof v === 'string' && v !== '');
  return parts.length === 0 ? '-' : parts.map(String).join(' ');
}

function outage(l: Record<string, unknown>): string {
  const periods = arr(l.unavailability).map(obj);
  const open = periods.find((p) => p.end === null || p.end === undefined);
  if (open !== undefined) return `DOWN since ${formatTime(open.start)}`;
  return periods.length === 0 ? '-' : `${periods.length} past`;
}

/** One row per location; `stat` picks which RTT figure (the median over the window, or the last probe). */
export function telemetryTable(answer: TelemetryAnswer, stat: 'p50_ms' | 'last_ms'): string {
  const rows = [...answer.cloud_locations, ...answer.edge_locations].map(obj);
  const label = stat === 'p50_ms' ? 'p50' : 'last';
  const rtt = (l: Record<string, unknown>, probe: (typeof PROBES)[number]): unknown => obj(obj(l.rtt)[probe])[stat];
  return formatTable<Record<string, unknown>>(
    [
      { header: 'ID', value: (l) => l.id },
      { header: 'KIND', value: (l) => l.kind },
      { header: 'STATUS', value: (l) => l.status },
      { header: 'WHERE', value: where },
      { header: 'PROVIDER', value: (l) => l.provider },
      ...PROBES.map((probe) => ({ header: `${probe.replace('_', ' ').toUpperCase()} ${label}`, value: (l: Record<string, unknown>) => formatMs(rtt(l, probe)), align: 'right' as const })),
      { header: 'PROBES', value: (l) => PROBES.reduce((n, p) => n + num(obj(obj(l.rtt)[p]).count), 0), align: 'right' },
      { header: 'FAILED', value: (l) => PROBES.reduce((n, p) => n + num(obj(obj(l.rtt)[p]).failures), 0), align: 'right' },
      { header: 'OUTAGES', value: outage },
    ],
    rows,
  );
}

export function registerTelemetry(program: Command, ctx: CliContext): void {
  examples(
    adminCommand(program, 'telemetry', 'show every location with its probe round-trip times (median) and periods of unavailability')
      .option('--days <n>', 'window, 1..30 days (default 30)', parseNonNegativeInteger)
      .option('--samples', 'include the raw samples (with --json)')
      .action(async (options: CommonOptions & { days?: number; samples?: boolean }) => {
        const answer = await fetchTelemetry(clientFor(ctx, options), options.days, options.samples === true);
        printResult(ctx, options, answer, () => telemetryTable(answer, 'p50_ms'));
      }),
    ['dispersa telemetry', 'dispersa telemetry --days 1', 'dispersa telemetry --json | jq \'.cloud_locations[] | {id, p95: .rtt.download_1MB.p95_ms}\''],
  );

  examples(
    adminCommand(program, 'bench', 'benchmark the locations now: run one probe round (upload and download of 1 B and 1 MB to every active location) and show its round-trip times')
      .addHelpText(
        'after',
        '\nThe probes run on the gateway, so they measure the paths its fragments take (not this machine\'s). The table\n' +
          'shows the last probe of each kind; the results join the telemetry (`dispersa telemetry`). Needs an administrator.',
      )
      .action(async (options: CommonOptions) => {
        const client = clientFor(ctx, options);
        if (options.json !== true && ctx.io.progressStream !== undefined) ctx.io.stderr('probing every location (1 B and 1 MB, up and down)...');
        await client.call('POST', '/api/v1/telemetry/probe');
        const answer = await fetchTelemetry(client, 1, false);
        printResult(ctx, options, answer, () => telemetryTable(answer, 'last_ms'));
      }),
    ['dispersa bench'],
  );
}
