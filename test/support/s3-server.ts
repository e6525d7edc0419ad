// A real S3 endpoint for tests: `dispersa edge` started as a child process on a free 127.0.0.1 port.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

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

const CREDENTIALS = { accessKeyId: 'TESTEDGEKEY', secretAccessKey: 'test-edge-secret' };
const START_TIMEOUT_MS = 20_000;
const BIN = fileURLToPath(new URL('../../bin/dispersa.js', import.meta.url));

/** Starts the edge node on a free port with one bucket; rejects (failing the test that asked) when it cannot. */
export async function startS3Server(bucket = 'fragments'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'dispersa-s3-'));
  const child = spawn(process.execPath, [BIN, 'edge', '--dir', directory, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISPERSA_ROOT_ACCESS_KEY: CREDENTIALS.accessKeyId, DISPERSA_ROOT_SECRET_KEY: CREDENTIALS.secretAccessKey },
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(directory, { recursive: true, force: true });
  };
  let endpoint: string;
  try {
    endpoint = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => { reject(new Error(`dispersa edge did not start within ${START_TIMEOUT_MS} ms`)); }, START_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /S3 endpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dispersa edge exited with ${String(code)} before it listened`));
      });
    });
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, region: 'us-east-1', bucket, ...CREDENTIALS, stop };
}
