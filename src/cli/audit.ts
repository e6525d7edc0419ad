// `dispersa audit ...`: reading the audit log, and verifying its hash chain here rather than trusting the server's verdict.

import type { Command } from 'commander';
import { checkAuditChain, type ChainProblem } from '../meta/audit-chain.ts';
import type { AuditEntry } from '../meta/types.ts';
import type { AdminClient } from './connection.ts';
import { adminCommand, arr, clientFor, examples, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { CliError } from './errors.ts';
import { parseNonNegativeInteger } from './parse.ts';
import { cell, formatTable, formatTime } from './table.ts';

export const AUDIT_PAGE = 1000;

/** An entry as the API sends it (snake_case, RFC 3339 time) in the form the chain hashes (milliseconds). */
export function auditEntryOf(value: unknown): AuditEntry {
  const e = obj(value);
  const at = typeof e.at === 'number' ? e.at : typeof e.at === 'string' ? Date.parse(e.at) : Number.NaN;
  return {
    seq: e.seq as number,
    at,
    actor: e.actor as string,
    teamId: e.team_id as string,
    operation: e.operation as string,
    target: e.target as string,
    result: e.result as string,
    requestId: e.request_id as string,
    prevHash: e.prev_hash as string,
    hash: e.hash as string,
  };
}

export interface ChainVerdict {
  readonly ok: boolean;
  /** Entries checked (up to the first problem). */
  readonly entries: number;
  readonly first_problem: ChainProblem | null;
  readonly last_seq: number | null;
  readonly last_hash: string | null;
  /** The entry the problem was found at, as the API sent it. */
  readonly problem_entry?: unknown;
}

/** Pages through the whole log oldest first and checks every link with the same code the gateway uses to write it. */
export async function verifyAuditChain(client: AdminClient, onPage?: (checked: number) => void): Promise<ChainVerdict> {
  let since = 0;
  let previous: Pick<AuditEntry, 'seq' | 'hash'> | undefined;
  let checked = 0;
  for (;;) {
    const page = obj(await client.call('GET', '/api/v1/audit', { query: { since, limit: AUDIT_PAGE } }));
    const raw = arr(page.entries);
    const entries = raw.map(auditEntryOf);
    const problem = checkAuditChain(entries, previous);
    if (problem !== undefined) {
      const index = entries.findIndex((e) => e.seq >= problem.seq);
      checked += Math.max(0, index);
      return { ok: false, entries: checked, first_problem: problem, last_seq: previous?.seq ?? null, last_hash: previous?.hash ?? null, problem_entry: raw[index] };
    }
    checked += entries.length;
    const last = entries.at(-1);
    if (last !== undefined) previous = { seq: last.seq, hash: last.hash };
    onPage?.(checked);
    const next = page.next;
    if (next === null || next === undefined || entries.length === 0) break;
    if (typeof next !== 'number' || next <= since) throw new CliError('unavailable', `the admin API paged the audit log wrongly (next ${JSON.stringify(next)} after since=${since})`);
    since = next;
  }
  return { ok: true, entries: checked, first_problem: null, last_seq: previous?.seq ?? null, last_hash: previous?.hash ?? null };
}

export function describeVerdict(verdict: ChainVerdict): string {
  if (verdict.ok) {
    if (verdict.last_seq === null) return 'audit chain intact: 0 entries (the log is empty)';
    return `audit chain intact: ${verdict.entries} entries (last entry ${verdict.last_seq}, hash ${verdict.last_hash ?? '-'})`;
  }
  const p = verdict.first_problem;
  const lines = [`audit chain BROKEN at entry ${p?.seq ?? '?'} (${p?.kind ?? '?'}): ${p?.message ?? ''}`];
  if (verdict.problem_entry !== undefined) {
    const e = obj(verdict.problem_entry);
    lines.push(`  entry ${cell(e.seq)}: ${formatTime(e.at)} ${cell(e.actor)} ${cell(e.operation)} ${cell(e.target)} -> ${cell(e.result)}`);
  }
  lines.push(`  the ${verdict.entries} entries before it chain correctly`);
  return lines.join('\n');
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the tamper-evident audit log of every state change and authentication failure');

  examples(
    adminCommand(audit, 'verify', 'fetch the whole log and recompute its hash chain locally (the server\'s verdict is not trusted)')
      .addHelpText(
        'after',
        '\nExit status 0 when the chain is intact, 1 at the first altered or removed entry. Removing the newest entries\n' +
          'leaves a shorter, still valid chain: compare the last entry and hash printed with those of an earlier run.',
      )
      .action(async (options: CommonOptions) => {
        const client = clientFor(ctx, options);
        const progress = options.json === true || ctx.io.progressStream === undefined ? undefined : (n: number): void => { ctx.io.stderr(`checked ${n} entries...`); };
        const verdict = await verifyAuditChain(client, progress);
        printResult(ctx, options, verdict, () => describeVerdict(verdict));
        if (!verdict.ok) throw new CliError('problem', 'the audit chain is broken', { reported: true });
      }),
    ['dispersa audit verify', 'dispersa audit verify --json | jq .last_hash'],
  );

  examples(
    adminCommand(audit, 'list', 'list audit entries, oldest first')
      .option('--since <seq|time>', 'after entry SEQ, or from an RFC 3339 time (e.g. 2026-11-22T10:00:00Z)')
      .option('--limit <n>', 'at most this many (1..1000)', parseNonNegativeInteger, 100)
      .action(async (options: CommonOptions & { since?: string; limit: number }) => {
        const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/audit', { query: { since: options.since, limit: options.limit } }));
        printResult(ctx, options, body, () => {
          const table = formatTable(
            [
              { header: 'SEQ', value: (e) => obj(e).seq, align: 'right' },
              { header: 'AT', value: (e) => formatTime(obj(e).at) },
              { header: 'ACTOR', value: (e) => obj(e).actor },
              { header: 'TEAM', value: (e) => obj(e).team_id },
              { header: 'OPERATION', value: (e) => obj(e).operation },
              { header: 'TARGET', value: (e) => obj(e).target },
              { header: 'RESULT', value: (e) => obj(e).result },
            ],
            arr(body.entries),
          );
          return typeof body.next === 'number' ? `${table}\n(more: --since ${body.next})` : table;
        });
      }),
    ['dispersa audit list --limit 20', 'dispersa audit list --since 2026-11-22T00:00:00Z'],
  );
}
