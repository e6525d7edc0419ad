// What the CLI touches of its process — output, input, environment, network, clock — passed in so tests can replace it.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createInterface } from 'node:readline';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The terminal a progress bar is drawn on; undefined when stderr is not a TTY. */
  readonly progressStream: NodeJS.WritableStream | undefined;
  /** One line typed (or piped) on stdin after `prompt` was shown; undefined at end of input. */
  readonly readLine: (prompt: string) => Promise<string | undefined>;
  /** All of stdin, for `--file -`. */
  readonly readStdin: () => Promise<string>;
  readonly readFile: (path: string) => string;
  readonly env: NodeJS.ProcessEnv;
  readonly homeDir: string;
  readonly fetch: typeof fetch;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`); },
    stderr: (text) => { process.stderr.write(text.endsWith('\n') ? text : `${text}\n`); },
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
    readLine: (prompt) =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
        let answered = false;
        rl.question(prompt, (answer) => {
          answered = true;
          rl.close();
          resolve(answer);
        });
        rl.once('close', () => { if (!answered) resolve(undefined); });
      }),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    readFile: (path) => readFileSync(path, 'utf8'),
    env: process.env,
    homeDir: homedir(),
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
