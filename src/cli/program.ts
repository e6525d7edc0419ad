// The `dispersa` command tree (commander) and the run that turns its outcome into an exit code.

import { Command, CommanderError } from 'commander';
import { registerAudit } from './audit.ts';
import { registerBuckets } from './buckets.ts';
import { registerCacheAndStatus } from './cache.ts';
import { addConnectionOptions, type CliContext } from './command.ts';
import { CliError, describeError, EXIT } from './errors.ts';
import type { CliIo } from './io.ts';
import { registerJobs } from './jobs.ts';
import { registerKeys } from './keys.ts';
import { registerLocation } from './locations.ts';
import { registerPolicy } from './policy.ts';
import { packageVersion, registerServerCommands } from './serve.ts';
import { registerTelemetry } from './telemetry.ts';

export const ROOT_HELP_AFTER = `
Connection (admin commands):
  The admin API is at --endpoint URL, else DISPERSA_ADMIN_URL, else "endpoint" in the config file, else
  http://127.0.0.1:9001. Credentials: --token (DISPERSA_ADMIN_TOKEN), or --access-key and --secret-key
  (DISPERSA_ACCESS_KEY and DISPERSA_SECRET_KEY; DISPERSA_ROOT_ACCESS_KEY and DISPERSA_ROOT_SECRET_KEY as a
  fallback), requests then being signed with SigV4. The config file is --config FILE, else DISPERSA_CLI_CONFIG,
  else ~/.config/dispersa/cli.json: {"endpoint": "...", "token": "..."} or {"endpoint": "...", "access_key":
  "...", "secret_key": "..."}. Flags beat the environment, which beats the config file. --json prints the API's
  JSON instead of tables; errors always go to stderr.

Exit status:
  0  ok
  1  the operation ran and found a problem: audit chain broken, damage left unrepaired, job failed (also: a
     declined confirmation, an unexpected error)
  2  usage error: bad flags or arguments, or input the admin API rejected (400)
  3  authentication or permission refused (401, 403)
  4  not found (404)
  5  conflict (409): exists already, still in use, not empty
  6  server or network unavailable (5xx, connection refused, timeout)

Examples:
  dispersa serve
  export DISPERSA_ADMIN_TOKEN=...        # or DISPERSA_ACCESS_KEY / DISPERSA_SECRET_KEY
  dispersa status
  dispersa policy create eu-three --backends local-1,local-2,local-3 --redundant 1
  dispersa scrub --mode full --repair
  dispersa audit verify
  dispersa help policy create`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('dispersa');
  program
    .description('Dispersa: an S3 gateway that encrypts, erasure-codes (RLNC) and disperses objects over independent storage locations.')
    .usage('<command> [options]')
    .version(`dispersa ${packageVersion()}`, '-V, --version', 'print the version')
    // Root options only before the command: `serve --config` and `policy show --version` are the commands' own.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => { ctx.io.stdout(text); },
      writeErr: (text) => { ctx.io.stderr(text); },
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', ROOT_HELP_AFTER);

  program.commandsGroup('Servers:');
  registerServerCommands(program, ctx);
  program.commandsGroup('Administration (through the admin API):');
  registerPolicy(program, ctx);
  registerLocation(program, ctx);
  registerKeys(program, ctx);
  registerBuckets(program, ctx);
  registerJobs(program, ctx);
  registerAudit(program, ctx);
  registerTelemetry(program, ctx);
  registerCacheAndStatus(program, ctx);
  program.commandsGroup('Help:');
  program.helpCommand('help [command]', 'show help for a command');
  addConnectionOptions(program);
  return program;
}

/** Runs one command line; resolves to the exit code (never rejects). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram({ io });
  try {
    await program.parseAsync(argv.length === 0 ? ['help'] : [...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // Commander printed its own message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      if (!error.reported) io.stderr(describeError(error));
      return error.exitCode;
    }
    io.stderr(`dispersa: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.problem;
  }
}
