// A real S3 server on 127.0.0.1 for tests: s3rver in a child process and a temp directory, until Dispersa's own edge node can play this part.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`; use path-style addressing. */
  readonly endpoint: string;
  readonly region: string;
  /** A bucket that exists when the server starts. */
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stops the server process and removes its directory. */
  stop(): Promise<void>;
}

/** s3rver checks signatures against this one built-in account. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The child's program. It runs in its own process because s3rver signs ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 only offers through its legacy provider (a process-wide flag), and because a server in another
 * process is closer to the real thing. It exits when its stdin closes, so a crashed test run leaves no server behind.
 */
const CHILD = `
const [modulePath, directory, bucket] = process.argv.slice(1);
const S3rver = require(modulePath);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const stop = () => {
  server.httpServer?.closeAllConnections();
  server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
// s3rver has unguarded stream errors; one bad request must fail that request (it times out), not every later test.
process.on('uncaughtException', (error) => console.error('s3rver: uncaught exception:', error));
process.stdin.on('end', stop).resume();
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);
`;

/** Starts the server on a free port; rejects (failing the test that asked) when it cannot. */
export async function startS3Server(bucket = 'fragments'): Promise<TestS3Server> {
  const modulePath = createRequire(import.meta.url).resolve('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'dispersa-s3-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, modulePath, directory, bucket], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  // Kept for the start-up error, and passed on so that anything the server complains about shows in the test output.
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => { reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms`)); }, START_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const line = stdout.split('\n')[0];
        if (line === undefined || !stdout.includes('\n')) return;
        clearTimeout(timer);
        const parsed = JSON.parse(line) as { port?: unknown };
        if (typeof parsed.port === 'number') resolve(parsed.port);
        else reject(new Error(`s3rver said ${line}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited before listening (${code ?? signal ?? 'unknown'}): ${stderr.trim()}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    bucket,
    ...CREDENTIALS,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
