// A throwaway PostgreSQL cluster for tests: initdb into a temp directory, serve on a free loopback port, remove at the end.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** The cluster's maintenance database; use `createDatabase` for something to write into. */
  readonly connectionString: string;
  /** A new, empty database; returns its connection string. */
  createDatabase(): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const SUPERUSER = 'dispersa';
const PG_ROOT = '/usr/lib/postgresql';
const START_TIMEOUT_S = 30;

/** `DISPERSA_PG_BIN` when set, else the newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl. */
function findServerBinaries(): string | undefined {
  const candidates: string[] = [];
  const override = process.env.DISPERSA_PG_BIN;
  if (override !== undefined && override !== '') candidates.push(override);
  else if (existsSync(PG_ROOT)) {
    const versions = readdirSync(PG_ROOT).filter((v) => /^\d+(\.\d+)?$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(PG_ROOT, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function missingMessage(): string {
  const where = `no PostgreSQL server binaries (initdb, pg_ctl) under ${PG_ROOT}/*/bin or in DISPERSA_PG_BIN`;
  if (process.env.CI !== undefined) return `${where}: CI must install them (.ci/run does: apt-get install -y postgresql)`;
  return `${where}. The metadata tests run against a real PostgreSQL: install it with \`apt-get install -y postgresql\` (Debian/Ubuntu), or point DISPERSA_PG_BIN at a directory holding initdb and pg_ctl`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** PostgreSQL refuses to run as root: as root, everything runs as the `postgres` user the Debian package creates. */
function runAs(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch (error) {
    throw new Error('running as root, PostgreSQL needs the `postgres` system user (created by `apt-get install -y postgresql`)', { cause: error });
  }
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

/** `command args` as run through `prefix` (e.g. runuser). */
function commandLine(prefix: readonly string[], command: string, args: readonly string[]): [string, string[]] {
  const [first, ...rest] = prefix;
  return first === undefined ? [command, [...args]] : [first, [...rest, command, ...args]];
}

function run(prefix: readonly string[], command: string, args: readonly string[], what: string): Promise<void> {
  const [program, argv] = commandLine(prefix, command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (exit ${String(code)}):\n${output}`));
    });
  });
}

/** Starts a fresh cluster; throws (never skips) when PostgreSQL is not installed. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findServerBinaries();
  if (bin === undefined) throw new Error(missingMessage());
  const { prefix, uid, gid } = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'dispersa-pg-'));
  if (uid !== undefined && gid !== undefined) await chown(dir, uid, gid);
  const data = join(dir, 'data');
  const pgCtl = join(bin, 'pg_ctl');
  let started = false;
  const stopNow = (): void => {
    if (!started) return;
    started = false;
    const [program, argv] = commandLine(prefix, pgCtl, ['stop', '-D', data, '-m', 'immediate']);
    spawnSync(program, argv, { stdio: 'ignore' });
  };
  // A test run that dies must not leave a server behind.
  process.once('exit', stopNow);
  try {
    const initdb = join(bin, 'initdb');
    const base = ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8'];
    try {
      // A default collation that is NOT byte order (ICU English): listings must not depend on the database's locale.
      await run(prefix, initdb, [...base, '--locale=C.UTF-8', '--locale-provider=icu', '--icu-locale=en-US'], 'initdb');
    } catch {
      await rm(data, { recursive: true, force: true });
      await run(prefix, initdb, [...base, '--no-locale'], 'initdb');
    }
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // fsync off: the cluster is thrown away, and tests should not wait for the disk.
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        await run(prefix, pgCtl, ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', String(START_TIMEOUT_S), '-o', options], 'pg_ctl start');
        started = true;
        break;
      } catch (error) {
        // Another process may have taken the port between the probe and the start.
        if (attempt >= 3) {
          const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
          throw new Error(`${(error as Error).message}\nserver log:\n${log}`, { cause: error });
        }
      }
    }
    const baseUrl = `postgresql://${SUPERUSER}@127.0.0.1:${port}`;
    let databases = 0;
    return {
      connectionString: `${baseUrl}/postgres`,
      async createDatabase() {
        const name = `test_${++databases}`;
        const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `${baseUrl}/${name}`;
      },
      async stop() {
        stopNow();
        process.removeListener('exit', stopNow);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stopNow();
    process.removeListener('exit', stopNow);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
