// `dispersa policy ...`: storage policies from a JSON file or from flags, and their versions.

import type { Command } from 'commander';
import { apiPath } from './connection.ts';
import { adminCommand, arr, clientFor, examples, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { usageError } from './errors.ts';
import { oneOf, parseBytes, parseInteger, parseList, parseNonNegativeInteger } from './parse.ts';
import { cell, formatBytes, formatRecord, formatTable, formatTime } from './table.ts';

export const COMPRESSIONS = ['deflate', 'brotli', 'none'] as const;
export const COEFFICIENTS = ['inline', 'metadata'] as const;

/** The policy flags of `create` and `edit`. */
export interface PolicyFlags {
  readonly file?: string;
  readonly backends?: string[];
  readonly edge?: string[];
  readonly data?: number;
  readonly redundant?: number;
  readonly compression?: (typeof COMPRESSIONS)[number];
  readonly level?: number;
  readonly generationSize?: number;
  readonly writeQuorum?: number;
  readonly description?: string;
  readonly systematic?: boolean;
  readonly coefficients?: (typeof COEFFICIENTS)[number];
}

/** Fields the API adds to what it returns; dropped so `policy show --json` output can be edited and sent back. */
const RESPONSE_ONLY = ['id', 'version', 'created_at'];

export function withoutResponseFields(policy: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(policy).filter(([key]) => !RESPONSE_ONLY.includes(key)));
}

export function hasPolicyFlags(flags: PolicyFlags): boolean {
  return (
    flags.backends !== undefined ||
    flags.edge !== undefined ||
    flags.data !== undefined ||
    flags.redundant !== undefined ||
    flags.compression !== undefined ||
    flags.level !== undefined ||
    flags.generationSize !== undefined ||
    flags.writeQuorum !== undefined ||
    flags.description !== undefined ||
    flags.systematic !== undefined ||
    flags.coefficients !== undefined
  );
}

/**
 * The policy document `flags` make of `base` (a file's content, the current version for `edit`, or nothing): only
 * what a flag names changes, nested objects are merged. Switching the compression scheme without `--level` drops
 * the old level, whose range belongs to the old scheme, so the API fills the new scheme's default.
 */
export function applyPolicyFlags(base: Readonly<Record<string, unknown>>, flags: PolicyFlags): Record<string, unknown> {
  const policy: Record<string, unknown> = { ...base };
  if (flags.description !== undefined) policy.description = flags.description;
  if (flags.backends !== undefined) policy.backends = flags.backends;
  if (flags.edge !== undefined) policy.edge_devices = flags.edge;
  if (flags.data !== undefined || flags.redundant !== undefined || flags.systematic !== undefined) {
    const redundancy: Record<string, unknown> = { scheme: 'RLNC', ...obj(base.redundancy) };
    if (flags.data !== undefined) redundancy.data_packets = flags.data;
    if (flags.redundant !== undefined) redundancy.redundant_packets = flags.redundant;
    if (flags.systematic !== undefined) redundancy.systematic = flags.systematic;
    policy.redundancy = redundancy;
  }
  if (flags.compression !== undefined || flags.level !== undefined) {
    const before = obj(base.compression);
    const compression: Record<string, unknown> = { scheme: 'DEFLATE', ...before };
    if (flags.compression !== undefined) {
      const scheme = flags.compression.toUpperCase();
      if (typeof before.scheme === 'string' && before.scheme.toUpperCase() !== scheme) delete compression.level;
      compression.scheme = scheme;
    }
    if (flags.level !== undefined) compression.level = flags.level;
    policy.compression = compression;
  }
  if (flags.generationSize !== undefined) policy.generation_size = flags.generationSize;
  if (flags.writeQuorum !== undefined) policy.write_quorum = flags.writeQuorum;
  if (flags.coefficients !== undefined) policy.coefficients = flags.coefficients;
  return policy;
}

async function readPolicyFile(ctx: CliContext, path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = path === '-' ? await ctx.io.readStdin() : ctx.io.readFile(path);
  } catch (error) {
    throw usageError(`policy file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`policy file ${path === '-' ? '(stdin)' : path}: not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usageError(`policy file ${path}: expected a JSON object (a storage policy)`);
  return withoutResponseFields(parsed as Record<string, unknown>);
}

/** The body of `policy create`: the file (if any) under the flags, named by the argument or the file. */
export async function createBody(ctx: CliContext, name: string | undefined, flags: PolicyFlags): Promise<Record<string, unknown>> {
  if (flags.file === undefined && !hasPolicyFlags(flags)) throw usageError('give the policy as --file FILE (or - for stdin) or with flags such as --backends a,b,c --redundant 1 (see dispersa policy create --help)');
  const base = flags.file === undefined ? {} : await readPolicyFile(ctx, flags.file);
  const fileName = typeof base.name === 'string' ? base.name : undefined;
  if (name !== undefined && fileName !== undefined && name !== fileName) throw usageError(`the policy is named ${JSON.stringify(name)} on the command line but ${JSON.stringify(fileName)} in ${flags.file ?? 'the file'}`);
  const finalName = name ?? fileName;
  if (finalName === undefined) throw usageError('name the policy: dispersa policy create NAME ... (or a "name" field in the file)');
  return { name: finalName, ...applyPolicyFlags(base, flags) };
}

/** The body of `policy edit`: the file replaces the policy; flags alone change the current version. */
export async function editBody(ctx: CliContext, name: string, flags: PolicyFlags, current: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  if (flags.file === undefined && !hasPolicyFlags(flags)) throw usageError('nothing to change: give --file FILE (the whole policy) or flags such as --redundant 2');
  const base = flags.file === undefined ? withoutResponseFields(await current()) : await readPolicyFile(ctx, flags.file);
  if (typeof base.name === 'string' && base.name !== name) throw usageError(`the file names policy ${JSON.stringify(base.name)}, not ${JSON.stringify(name)}`);
  return applyPolicyFlags(base, flags);
}

function locationsOf(policy: Record<string, unknown>): string[] {
  return [...arr(policy.backends), ...arr(policy.edge_devices)].map(String);
}

function codeOf(policy: Record<string, unknown>): string {
  const r = obj(policy.redundancy);
  return `${r.data_packets === undefined ? '?' : cell(r.data_packets)}+${r.redundant_packets === undefined ? '?' : cell(r.redundant_packets)}`;
}

function compressionOf(policy: Record<string, unknown>): string {
  const c = obj(policy.compression);
  const scheme = typeof c.scheme === 'string' ? c.scheme.toLowerCase() : '-';
  return scheme === 'none' || c.level === undefined ? scheme : `${scheme}:${cell(c.level)}`;
}

export function policyTable(policies: readonly unknown[]): string {
  return formatTable(
    [
      { header: 'NAME', value: (p) => obj(p).name },
      { header: 'VERSION', value: (p) => obj(p).version, align: 'right' },
      { header: 'K+R', value: (p) => codeOf(obj(p)) },
      { header: 'QUORUM', value: (p) => obj(p).write_quorum, align: 'right' },
      { header: 'LOCATIONS', value: (p) => locationsOf(obj(p)) },
      { header: 'COMPRESSION', value: (p) => compressionOf(obj(p)) },
      { header: 'GENERATION', value: (p) => formatBytes(obj(p).generation_size) },
      { header: 'COEFFICIENTS', value: (p) => obj(p).coefficients },
      { header: 'DESCRIPTION', value: (p) => obj(p).description },
    ],
    policies,
  );
}

function addPolicyFlags(cmd: Command): Command {
  return cmd
    .option('--file <file>', 'the policy as JSON (- reads stdin); flags given too change what it says')
    .option('--backends <ids>', 'local or cloud location ids, comma-separated, in placement order', parseList)
    .option('--edge <ids>', 'edge location ids, comma-separated (placed after the backends)', parseList)
    .option('--data <k>', 'data packets k per generation (default: listed locations - r)', parseNonNegativeInteger)
    .option('--redundant <r>', 'redundant packets r: any r locations may fail', parseNonNegativeInteger)
    .option('--compression <scheme>', 'deflate | brotli | none (default deflate)', oneOf(COMPRESSIONS))
    .option('--level <n>', 'compression level (deflate 0-9, default 6; brotli 0-11, default 1)', parseInteger)
    .option('--generation-size <bytes>', 'generation size, 1KiB..64MiB (e.g. 4MiB; default 4194304)', parseBytes)
    .option('--write-quorum <n>', 'fragments that must be stored before a PUT succeeds, in [k, n] (default n)', parseNonNegativeInteger)
    .option('--description <text>', 'free text')
    .option('--systematic', 'systematic code: the first k packets carry the (encrypted) data as is')
    .option('--no-systematic', 'non-systematic code (the default)')
    .option('--coefficients <where>', 'inline (in each fragment, default) | metadata (kept only in the metadata store)', oneOf(COEFFICIENTS));
}

export function registerPolicy(program: Command, ctx: CliContext): void {
  const policy = program.command('policy').description('storage policies: where and how the fragments of a bucket\'s objects are stored');

  examples(
    adminCommand(policy, 'list', 'list the latest version of every policy').action(async (options: CommonOptions) => {
      const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/policies'));
      printResult(ctx, options, body, () => policyTable(arr(body.policies)));
    }),
    ['dispersa policy list', 'dispersa policy list --json | jq -r \'.policies[].name\''],
  );

  examples(
    adminCommand(policy, 'show', 'show one policy (the latest version, or --version N)')
      .argument('<name>', 'policy name')
      .option('--version <n>', 'a given version', parseNonNegativeInteger)
      .action(async (name: string, options: CommonOptions & { version?: number }) => {
        const body = await clientFor(ctx, options).call('GET', apiPath('/api/v1/policies', name), { query: { version: options.version } });
        printResult(ctx, options, body, () => formatRecord(obj(body)));
      }),
    ['dispersa policy show default', 'dispersa policy show eu-hybrid --version 1 --json > eu-hybrid.json'],
  );

  examples(
    adminCommand(policy, 'versions', 'list every version of a policy, oldest first')
      .argument('<name>', 'policy name')
      .action(async (name: string, options: CommonOptions) => {
        const body = obj(await clientFor(ctx, options).call('GET', apiPath('/api/v1/policies', name, 'versions')));
        printResult(ctx, options, body, () =>
          formatTable(
            [
              { header: 'VERSION', value: (p) => obj(p).version, align: 'right' },
              { header: 'CREATED', value: (p) => formatTime(obj(p).created_at) },
              { header: 'K+R', value: (p) => codeOf(obj(p)) },
              { header: 'LOCATIONS', value: (p) => locationsOf(obj(p)) },
              { header: 'DESCRIPTION', value: (p) => obj(p).description },
            ],
            arr(body.versions),
          ),
        );
      }),
    ['dispersa policy versions eu-hybrid'],
  );

  examples(
    addPolicyFlags(adminCommand(policy, 'create', 'create a policy (version 1)').argument('[name]', 'policy name (or "name" in --file)')).action(
      async (name: string | undefined, options: CommonOptions & PolicyFlags) => {
        const client = clientFor(ctx, options);
        const request = await createBody(ctx, name, options);
        const body = obj(await client.call('POST', '/api/v1/policies', { body: request }));
        printResult(ctx, options, body, () => `policy ${String(body.name ?? request.name)} created (version ${cell(body.version)})\n\n${formatRecord(body)}`);
      },
    ),
    [
      'dispersa policy create eu-three --backends local-1,local-2,local-3 --redundant 1 --description "any one may fail"',
      'dispersa policy create hybrid --backends aws-eu,gcp-eu --edge factory-1,factory-2 --data 2 --redundant 2 --compression brotli --level 4',
      'dispersa policy create --file policy.json',
      'cat policy.json | dispersa policy create eu-three --file -',
    ],
  );

  examples(
    addPolicyFlags(
      adminCommand(policy, 'edit', 'store a new version of a policy: --file replaces it, flags change the current version (objects keep the version they were written with)').argument(
        '<name>',
        'policy name',
      ),
    ).action(async (name: string, options: CommonOptions & PolicyFlags) => {
      const client = clientFor(ctx, options);
      const request = await editBody(ctx, name, options, async () => obj(await client.call('GET', apiPath('/api/v1/policies', name))));
      const body = obj(await client.call('PUT', apiPath('/api/v1/policies', name), { body: request }));
      printResult(ctx, options, body, () => `policy ${name} is now at version ${cell(body.version)}\n\n${formatRecord(body)}`);
    }),
    [
      'dispersa policy edit eu-three --redundant 2 --write-quorum 4',
      'dispersa policy show eu-three --json > p.json && $EDITOR p.json && dispersa policy edit eu-three --file p.json',
    ],
  );

  examples(
    adminCommand(policy, 'rm', 'delete a policy (refused while a bucket uses any version of it; "default" stays)')
      .argument('<name>', 'policy name')
      .action(async (name: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('DELETE', apiPath('/api/v1/policies', name));
        printResult(ctx, options, body, () => `policy ${name} deleted`);
      }),
    ['dispersa policy rm eu-three'],
  );
}
