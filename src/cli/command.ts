// What every admin command shares: the connection and output options, the client built from them, printing results.

import { Command, Option } from 'commander';
import { AdminClient, resolveConnection, type ConnectionFlags } from './connection.ts';
import type { CliIo } from './io.ts';

export interface CliContext {
  readonly io: CliIo;
}

export interface CommonOptions extends ConnectionFlags {
  readonly json?: boolean;
}

/** Commands that talk to the admin API; they get the connection options once the tree is built. */
const adminCommands = new WeakSet<Command>();

export function adminCommand(parent: Command, spec: string, description: string): Command {
  const cmd = parent.command(spec).description(description);
  adminCommands.add(cmd);
  return cmd;
}

/**
 * Appends the connection and output options to every admin command of the tree. They come after each command's own
 * options so `--help` shows what the command does first.
 */
export function addConnectionOptions(root: Command): void {
  const group = 'Connection and output options:';
  const visit = (cmd: Command): void => {
    if (adminCommands.has(cmd)) {
      // `location add` has a store --endpoint of its own; there the admin API's is --admin-endpoint.
      const taken = cmd.options.some((o) => o.long === '--endpoint');
      cmd.addOption(new Option(taken ? '--admin-endpoint <url>' : '--endpoint <url>', 'admin API URL (env DISPERSA_ADMIN_URL; default http://127.0.0.1:9001)').helpGroup(group));
      cmd.addOption(new Option('--token <token>', 'bearer token (env DISPERSA_ADMIN_TOKEN)').helpGroup(group));
      cmd.addOption(new Option('--access-key <id>', 'sign with this access key (env DISPERSA_ACCESS_KEY, else DISPERSA_ROOT_ACCESS_KEY)').helpGroup(group));
      cmd.addOption(new Option('--secret-key <secret>', 'its secret (env DISPERSA_SECRET_KEY, else DISPERSA_ROOT_SECRET_KEY)').helpGroup(group));
      cmd.addOption(new Option('--config <file>', 'CLI config file (env DISPERSA_CLI_CONFIG; default ~/.config/dispersa/cli.json)').helpGroup(group));
      cmd.addOption(new Option('--json', "print the API's JSON instead of tables").helpGroup(group));
    }
    for (const sub of cmd.commands) visit(sub);
  };
  visit(root);
}

export function clientFor(ctx: CliContext, options: ConnectionFlags): AdminClient {
  return new AdminClient(resolveConnection(options, ctx.io), ctx.io);
}

/** Prints `data` as JSON with --json, else the human rendering (nothing when it returns undefined). */
export function printResult(ctx: CliContext, options: CommonOptions, data: unknown, human: () => string | undefined): void {
  if (options.json === true) {
    if (data !== undefined) ctx.io.stdout(JSON.stringify(data, null, 2));
    return;
  }
  const text = human();
  if (text !== undefined && text !== '') ctx.io.stdout(text);
}

export function examples(cmd: Command, lines: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

/** A JSON value as an object (empty when it is not one): API answers are read defensively. */
export function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
