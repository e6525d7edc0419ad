// Client compatibility tests: a fresh gateway on a free loopback port, the real client tools, and files to move around.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../../src/app.ts';
import { seededBytes } from '../../src/core/seeded.ts';

export const ROOT_CREDENTIALS = { accessKeyId: 'COMPATROOTKEY', secretAccessKey: 'compat-root-secret-0123456789' } as const;
export const REGION = 'us-east-1';

/** Keys clients tend to get wrong: spaces, '+', '%', non-ASCII and empty path segments. */
export const AWKWARD_KEYS = ['awkward/with space.txt', 'awkward/plus+sign.txt', 'awkward/percent%41%zz.txt', 'awkward/ünïcødé-日本語.txt', 'awkward/double//slash.txt'] as const;

export interface CompatGateway {
  readonly url: string;
  readonly gateway: RunningGateway;
  /** A scratch directory for the client's files and configuration, removed on stop. */
  readonly workDir: string;
  stop(): Promise<void>;
}

/** Starts `dispersa serve` in-process on 127.0.0.1 with the known root credentials, in a temporary data directory. */
export async function startCompatGateway(): Promise<CompatGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dispersa-compat-data-'));
  const workDir = mkdtempSync(join(tmpdir(), 'dispersa-compat-work-'));
  const gateway = await startGateway({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    env: { DISPERSA_ROOT_ACCESS_KEY: ROOT_CREDENTIALS.accessKeyId, DISPERSA_ROOT_SECRET_KEY: ROOT_CREDENTIALS.secretAccessKey },
  });
  return {
    url: gateway.url,
    gateway,
    workDir,
    async stop() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * The client tool at `path`, or an error naming the Debian package to install. Never a skip: a compatibility test
 * that cannot run must not pass, in CI or anywhere else.
 */
export function requireTool(path: string, aptPackage: string, check?: () => Promise<unknown>): Promise<void> {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return Promise.reject(new Error(`${path} is missing: install it with \`apt-get install -y ${aptPackage}\` (.ci/run does)`));
  }
  if (check === undefined) return Promise.resolve();
  return check().then(
    () => undefined,
    (error: unknown) => {
      throw new Error(`${path} does not work (${error instanceof Error ? error.message : String(error)}): install it with \`apt-get install -y ${aptPackage}\``);
    },
  );
}

/** The inherited environment without anything that points an S3 client at other credentials, profiles or CA bundles. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_') || name.startsWith('RCLONE_') || name.startsWith('BOTO')) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client command; rejects with its exit status and output when it fails. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`${command} ${args.join(' ')} failed (${error.code ?? error.signal ?? 'error'}):\n${stderr}${stdout}`));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

/** Runs a client command that writes bytes to stdout (`rclone cat`); rejects like {@link run}. */
export function runForBytes(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`${command} ${args.join(' ')} failed (${error.code ?? error.signal ?? 'error'}):\n${stderr.toString()}`));
        return;
      }
      resolve(stdout);
    });
  });
}

/** Writes `length` reproducible bytes to `path` and returns them. */
export function writeSeededFile(path: string, seed: number, length: number): Uint8Array {
  const bytes = seededBytes(seed, length);
  writeFileSync(path, bytes);
  return bytes;
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** A pre-signed URL fetched the way curl would: a plain GET with no credentials. */
export async function fetchPresigned(url: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}
