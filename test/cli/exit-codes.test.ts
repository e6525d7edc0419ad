// Exit codes scripts rely on, the connection settings' precedence, and `--help` on every command.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { resolveConnection, type ConnectionFlags } from '../../src/cli/connection.ts';
import { ApiError, EXIT, exitCodeOfStatus } from '../../src/cli/errors.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { problem, runFake } from './support.ts';

describe('exit codes', () => {
  it('map HTTP statuses as documented', () => {
    const expected: [number, number][] = [
      [400, EXIT.usage],
      [405, EXIT.usage],
      [413, EXIT.usage],
      [401, EXIT.auth],
      [403, EXIT.auth],
      [404, EXIT.notFound],
      [409, EXIT.conflict],
      [429, EXIT.unavailable],
      [500, EXIT.unavailable],
      [502, EXIT.unavailable],
      [503, EXIT.unavailable],
    ];
    for (const [status, code] of expected) assert.equal(exitCodeOfStatus(status), code, `HTTP ${status}`);
    assert.deepEqual(Object.values(EXIT), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('every API failure reaches the process as its exit code, with the problem on stderr', async () => {
    for (const [status, title, code] of [
      [400, 'Invalid request', 2],
      [401, 'Unauthenticated', 3],
      [403, 'Forbidden', 3],
      [404, 'Not found', 4],
      [409, 'Conflict', 5],
      [500, 'Internal error', 6],
      [503, 'Unavailable', 6],
    ] as const) {
      const r = await runFake(['policy', 'show', 'p'], { env: { DISPERSA_ADMIN_TOKEN: 't' }, api: () => problem(status, title, `detail of ${status}`) });
      assert.equal(r.code, code, `HTTP ${status}`);
      assert.match(r.stderr, new RegExp(`^dispersa: ${title}: detail of ${status} \\(HTTP ${status}\\)`));
      if (status >= 500) assert.match(r.stderr, /request id REQ1/);
    }
  });

  it('a 401 without credentials says how to give them', async () => {
    const r = await runFake(['status'], { api: () => problem(401, 'Unauthenticated', 'no credentials') });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /no credentials were given: use --token/);
  });

  it('a response that is not problem+json still gives the status', async () => {
    const r = await runFake(['status'], { env: { DISPERSA_ADMIN_TOKEN: 't' }, api: () => [502, 'Bad Gateway'] });
    assert.equal(r.code, 6);
    assert.match(r.stderr, /HTTP 502/);
  });

  it('an unreachable endpoint exits 6 naming it', async () => {
    const r = await runFake(['status', '--endpoint', 'http://127.0.0.1:1'], {
      env: { DISPERSA_ADMIN_TOKEN: 't' },
      api: () => { throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) }); },
    });
    assert.equal(r.code, 6);
    assert.match(r.stderr, /cannot reach the admin API at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('usage errors exit 2: unknown commands and options, missing arguments, bad values', async () => {
    for (const argv of [['frobnicate'], ['policy'], ['policy', 'show'], ['policy', 'list', '--frob'], ['key', 'create', '--default-scope', 'all'], ['audit', 'list', '--limit', 'x'], ['status', '--endpoint', 'ftp://x']]) {
      const r = await runFake(argv, { env: { DISPERSA_ADMIN_TOKEN: 't' } });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '');
      assert.equal(r.requests.length, 0);
    }
  });

  it('ApiError keeps the problem for callers', () => {
    const e = new ApiError(409, { title: 'Conflict', detail: 'policy eu is used by bucket photos' });
    assert.equal(e.exitCode, 5);
    assert.equal(e.message, 'Conflict: policy eu is used by bucket photos (HTTP 409)');
  });
});

function io(env: NodeJS.ProcessEnv, files: Record<string, string> = {}): CliIo {
  return {
    stdout: () => undefined,
    stderr: () => undefined,
    progressStream: undefined,
    readLine: () => Promise.resolve(undefined),
    readStdin: () => Promise.resolve(''),
    readFile: (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return content;
    },
    env,
    homeDir: '/home/op',
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: () => Promise.resolve(),
  };
}

describe('connection settings', () => {
  const defaultFile = '/home/op/.config/dispersa/cli.json';
  const resolve = (flags: ConnectionFlags, env: NodeJS.ProcessEnv, files: Record<string, string> = {}) => resolveConnection(flags, io(env, files));

  it('default endpoint and no credentials', () => {
    const s = resolve({}, {});
    assert.equal(s.endpoint.href, 'http://127.0.0.1:9001/');
    assert.deepEqual(s.credentials, { kind: 'none' });
  });

  it('flags beat the environment, which beats the config file', () => {
    const files = { [defaultFile]: JSON.stringify({ endpoint: 'http://file:1', token: 'file-token' }) };
    assert.deepEqual(resolve({}, {}, files), { endpoint: new URL('http://file:1'), credentials: { kind: 'token', token: 'file-token' } });
    const env = { DISPERSA_ADMIN_URL: 'http://env:2', DISPERSA_ACCESS_KEY: 'EK', DISPERSA_SECRET_KEY: 'ES' };
    assert.deepEqual(resolve({}, env, files), { endpoint: new URL('http://env:2'), credentials: { kind: 'keys', accessKeyId: 'EK', secretAccessKey: 'ES' } });
    assert.deepEqual(resolve({ endpoint: 'http://flag:3', token: 'flag-token' }, env, files), { endpoint: new URL('http://flag:3'), credentials: { kind: 'token', token: 'flag-token' } });
  });

  it('the root keys of the environment are a fallback; a token in the environment goes first', () => {
    assert.deepEqual(resolve({}, { DISPERSA_ROOT_ACCESS_KEY: 'RK', DISPERSA_ROOT_SECRET_KEY: 'RS' }).credentials, { kind: 'keys', accessKeyId: 'RK', secretAccessKey: 'RS' });
    assert.deepEqual(resolve({}, { DISPERSA_ROOT_ACCESS_KEY: 'RK', DISPERSA_ROOT_SECRET_KEY: 'RS', DISPERSA_ADMIN_TOKEN: 'T' }).credentials, { kind: 'token', token: 'T' });
    assert.deepEqual(resolve({}, { DISPERSA_ROOT_ACCESS_KEY: 'RK', DISPERSA_ROOT_SECRET_KEY: 'RS', DISPERSA_ACCESS_KEY: 'EK', DISPERSA_SECRET_KEY: 'ES' }).credentials, { kind: 'keys', accessKeyId: 'EK', secretAccessKey: 'ES' });
  });

  it('an access key flag takes its secret from the environment', () => {
    assert.deepEqual(resolve({ accessKey: 'FK' }, { DISPERSA_SECRET_KEY: 'ES', DISPERSA_ADMIN_TOKEN: 'T' }).credentials, { kind: 'keys', accessKeyId: 'FK', secretAccessKey: 'ES' });
  });

  it('refuses half or double credentials and a bad config file', () => {
    assert.throws(() => resolve({ accessKey: 'FK' }, {}), /without its secret key/);
    assert.throws(() => resolve({ token: 'T', accessKey: 'FK' }, {}), /either --token or --access-key/);
    assert.throws(() => resolve({ config: '/etc/missing.json' }, {}), /missing\.json/);
    assert.throws(() => resolve({}, { DISPERSA_CLI_CONFIG: '/c.json' }, { '/c.json': '{"tokn":"x"}' }), /unknown setting "tokn"/);
    assert.throws(() => resolve({}, {}, { [defaultFile]: 'not json' }), /cli\.json/);
    assert.deepEqual(resolve({ config: '/c.json' }, {}, { '/c.json': '{"access_key":"FK","secret_key":"FS"}' }).credentials, { kind: 'keys', accessKeyId: 'FK', secretAccessKey: 'FS' });
  });

  it('sends the token as a bearer token and signs with keys', async () => {
    const bearer = await runFake(['status', '--token', 'abc'], { api: () => [200, {}] });
    assert.equal(bearer.requests[0]?.headers.authorization, 'Bearer abc');
    const signed = await runFake(['status'], { env: { DISPERSA_ACCESS_KEY: 'AK', DISPERSA_SECRET_KEY: 'SK' }, api: () => [200, {}] });
    const headers = signed.requests[0]?.headers ?? {};
    assert.match(headers.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=AK\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    assert.equal(headers.host, undefined, 'fetch sets Host from the URL');
  });
});

describe('--help', () => {
  function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
    return cmd.commands.flatMap((sub) => {
      const path = [...prefix, sub.name()];
      return sub.name() === 'help' ? [] : [path, ...commandPaths(sub, path)];
    });
  }

  it('every command has help with a description, exits 0 and writes to stdout', async () => {
    const paths = commandPaths(buildProgram({ io: io({}) }));
    assert.ok(paths.length >= 40, `only ${paths.length} commands`);
    for (const path of paths) {
      const r = await runFake([...path, '--help']);
      assert.equal(r.code, 0, `${path.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: dispersa ${path.join(' ')}`), path.join(' '));
      assert.equal(r.requests.length, 0);
    }
    for (const argv of [['--help'], ['help'], [], ['help', 'policy', 'create']]) {
      const r = await runFake(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.stdout, /^Usage: dispersa/);
    }
  });

  it('the leaf admin commands show examples and the connection options', async () => {
    for (const path of [['policy', 'create'], ['location', 'add'], ['key', 'scope'], ['bucket', 'shred'], ['scrub'], ['audit', 'verify'], ['bench']]) {
      const r = await runFake([...path, '--help']);
      assert.match(r.stdout, /Examples:\n {2}dispersa /, path.join(' '));
      assert.match(r.stdout, /Connection and output options:/, path.join(' '));
      assert.match(r.stdout, /--json/, path.join(' '));
    }
  });

  it('dispersa --help documents the exit codes', async () => {
    const r = await runFake(['--help']);
    for (const line of [/0 {2}ok/, /1 {2}the operation ran and found a problem/, /2 {2}usage error/, /3 {2}authentication or permission/, /4 {2}not found/, /5 {2}conflict/, /6 {2}server or network unavailable/]) assert.match(r.stdout, line);
  });

  it('serve --help lists every flag and environment variable, and serve hands its flags through untouched', async () => {
    const r = await runFake(['serve', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--data-dir', '--host', '--port', '--admin-port', '--domain', '--postgres-url', '--stale-write-seconds', '--probe-interval-seconds', '--config']) assert.ok(r.stdout.includes(flag), flag);
    for (const variable of ['DISPERSA_ADMIN_PORT', 'DISPERSA_PROBE_INTERVAL_SECONDS', 'DISPERSA_ADMIN_TOKEN', 'DISPERSA_ROOT_ACCESS_KEY', 'DISPERSA_MASTER_KEY', 'DISPERSA_GF_BACKEND', 'DISPERSA_POSTGRES_URL']) assert.ok(r.stdout.includes(variable), variable);
    assert.match(r.stdout, /\(9001; 0 picks a free port\)/);
    assert.match(r.stdout, /\(600;\s+0 turns probing off\)/);
    // A flag serve's own parser refuses proves commander passed it through rather than choking on it.
    const bad = await runFake(['serve', '--port', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /dispersa: serve: --port: port must be an integer/);
    const unknown = await runFake(['serve', '--data-dir', '/tmp/x', '--frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /frobnicate/);
  });
});
