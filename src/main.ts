// Process entry of the `dispersa` command: runs the command line against the real process and sets the exit code.

import { processIo } from './cli/io.ts';
import { runCli } from './cli/program.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
