// The server roles of the `dispersa` command — `serve` (the gateway), `edge` (an edge storage node) — and `selftest`, `version`.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command } from 'commander';
import { ConfigError, resolveServeSettings } from '../config.ts';
import { examples, type CliContext } from './command.ts';
import { usageError } from './errors.ts';

export const SERVE_HELP = `Usage: dispersa serve [options]

Run the gateway: the S3 API (port 9000) and, beside it, the admin API, Prometheus metrics, health checks and the
developer portal (port 9001). Objects are compressed, encrypted, RLNC-coded and dispersed over six local-disk
locations under the data directory by default (policy "default": k=4, r=2); add locations and policies with the
admin verbs. The codec's known-answer self-test runs first: the gateway refuses to start on wrong output.

Options:
  --data-dir DIR                metadata, master key and the local locations (./data)
  --host HOST                   address the S3 and admin listeners bind (127.0.0.1)
  --port PORT                   S3 API port (9000; 0 picks a free port)
  --admin-port PORT             admin API, portal, /metrics and /health port (9001; 0 picks a free port)
  --domain DOMAIN               accept virtual-host style requests (<bucket>.DOMAIN)
  --postgres-url URL            keep metadata in PostgreSQL (several gateways may share it) instead of
                                <data dir>/meta.sqlite
  --key-vault-dir DIR           where bucket keys are kept (<data dir>/keys); gateways sharing PostgreSQL must
                                share it, and shredding a bucket destroys its key there
  --stale-write-seconds N       writes in flight this long at start-up count as crashed and are collected (600)
  --probe-interval-seconds N    how often every location is probed for telemetry, jittered by up to 10 % (600;
                                0 turns probing off)
  --config FILE                 a JSON file with the same settings: dataDir, host, port, adminPort, domain,
                                postgresUrl, keyVaultDir, staleWriteSeconds, probeIntervalSeconds, and cache (an object of
                                cache settings as PUT /api/v1/cache takes them: enabled, max_size_bytes, ...)
  -h, --help                    this text

Flags beat the environment, which beats the config file.

Environment:
  DISPERSA_DATA_DIR, DISPERSA_HOST, DISPERSA_PORT, DISPERSA_ADMIN_PORT, DISPERSA_DOMAIN, DISPERSA_POSTGRES_URL,
  DISPERSA_KEY_VAULT_DIR, DISPERSA_STALE_WRITE_SECONDS, DISPERSA_PROBE_INTERVAL_SECONDS, DISPERSA_CONFIG
                                the settings above
  DISPERSA_ROOT_ACCESS_KEY      root access key (generated and printed once when unset)
  DISPERSA_ROOT_SECRET_KEY      its secret
  DISPERSA_ADMIN_TOKEN          a root bearer token for the admin API (Authorization: Bearer ...); unset: none,
                                administrators sign with a root key or use tokens from \`dispersa token create\`
  DISPERSA_MASTER_KEY           the master key, 64 hex digits (default: <data dir>/master.key, created 0600)
  DISPERSA_GF_BACKEND           js | wasm | wasm-simd (default: the fastest WebAssembly kernel this runtime accepts)

Examples:
  dispersa serve
  dispersa serve --data-dir /srv/dispersa --host 0.0.0.0 --admin-port 9443
  DISPERSA_POSTGRES_URL=postgres://dispersa@db/dispersa dispersa serve --config /etc/dispersa/gateway.json
`;

export const EDGE_HELP = `Usage: dispersa edge --dir DIR [options]

Run an edge storage node: a lean S3 endpoint keeping plain files under DIR. A gateway uses it as a location
(dispersa location add ID --type edge --endpoint http://HOST:9100 --bucket B ...); it only ever sees fragments.

Options:
  --dir DIR      where the objects are kept (required)
  --host HOST    address to bind (127.0.0.1)
  --port PORT    port (9100; 0 picks a free port)
  -h, --help     this text

Environment:
  DISPERSA_ROOT_ACCESS_KEY, DISPERSA_ROOT_SECRET_KEY   its access key and secret (generated and printed when unset)

Examples:
  dispersa edge --dir /srv/fragments --host 0.0.0.0
`;

function untilSignal(ctx: CliContext, stop: () => Promise<void>, what: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (): void => {
      ctx.io.stdout(`${what}: draining in-flight requests`);
      void stop().then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

async function selfTest(ctx: CliContext): Promise<void> {
  // Loaded on use: the admin verbs never pay for the codec.
  const [{ getGfKernel }, { runCodecSelfTest }] = await Promise.all([import('../core/gf256/index.ts'), import('../core/selftest.ts')]);
  const started = performance.now();
  const report = await runCodecSelfTest(getGfKernel());
  ctx.io.stdout(`codec self-test passed (GF backend ${report.backend}, ${(performance.now() - started).toFixed(0)} ms)`);
}

async function serve(ctx: CliContext, args: readonly string[]): Promise<void> {
  const env = ctx.io.env;
  let settings;
  try {
    settings = resolveServeSettings(args, env);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(`serve: ${error.message}`);
    throw error;
  }
  await selfTest(ctx);
  const { startGateway } = await import('../app.ts');
  // The portal `npm ci` built (the `prepare` script); without a build the admin port serves the API alone.
  const portalDir = fileURLToPath(new URL('../../portal/dist', import.meta.url));
  const portal = existsSync(join(portalDir, 'index.html')) ? portalDir : undefined;
  const gateway = await startGateway({
    dataDir: settings.dataDir,
    host: settings.host,
    port: settings.port,
    adminPort: settings.adminPort,
    probeIntervalMs: settings.probeIntervalSeconds * 1000,
    env,
    staleWriteMs: settings.staleWriteSeconds * 1000,
    ...(settings.cache === undefined ? {} : { cache: settings.cache }),
    ...(portal === undefined ? {} : { portalDir: portal }),
    ...(settings.keyVaultDir === undefined ? {} : { keyVaultDir: settings.keyVaultDir }),
    ...(settings.domain === undefined ? {} : { domain: settings.domain }),
    ...(settings.postgresUrl === undefined ? {} : { metadata: { engine: 'postgres' as const, connectionString: settings.postgresUrl } }),
    log: (m) => { ctx.io.stderr(m); },
  });
  ctx.io.stdout(`dispersa serve: S3 endpoint ${gateway.url}  (data in ${settings.dataDir})`);
  if (gateway.adminUrl !== undefined) {
    const what = portal === undefined ? 'admin API (no portal build: npm run build:portal)' : 'portal and admin API';
    ctx.io.stdout(`dispersa serve: ${what} ${gateway.adminUrl}  (dispersa --help lists the admin commands)`);
  }
  if (gateway.generatedRoot !== undefined) {
    ctx.io.stdout(
      `root access key ${gateway.generatedRoot.accessKeyId}\nroot secret key ${gateway.generatedRoot.secretAccessKey}\n(shown once: store it now; or set DISPERSA_ROOT_ACCESS_KEY and DISPERSA_ROOT_SECRET_KEY)`,
    );
  }
  await untilSignal(ctx, () => gateway.close(), 'dispersa serve');
}

async function edge(ctx: CliContext, args: readonly string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: { dir: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '9100' } } }));
  } catch (error) {
    throw usageError(`edge: ${(error as Error).message}`);
  }
  if (values.dir === undefined) throw usageError('edge: --dir DIR is required (where the objects are kept)');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`edge: --port must be a port number, got ${values.port}`);
  const { edgeCredentials, startEdge } = await import('../edge/edge.ts');
  const credentials = edgeCredentials(ctx.io.env);
  const running = await startEdge({ dir: values.dir, host: values.host, port, ...credentials, onInternalError: (e, id) => { ctx.io.stderr(`internal error in request ${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`); } });
  ctx.io.stdout(`dispersa edge: S3 endpoint ${running.url}, objects under ${values.dir}`);
  if (credentials.generated) ctx.io.stdout(`access key ${credentials.accessKeyId}\nsecret key ${credentials.secretAccessKey}\n(set DISPERSA_ROOT_ACCESS_KEY and DISPERSA_ROOT_SECRET_KEY to choose them)`);
  await untilSignal(ctx, () => running.close(), 'dispersa edge');
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A command whose flags its own parser reads: commander hands every argument through untouched. */
function passThrough(cmd: Command, help: string): Command {
  return cmd
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[flags...]')
    .configureHelp({ formatHelp: () => help });
}

export function registerServerCommands(program: Command, ctx: CliContext): void {
  passThrough(program.command('serve').description('run the gateway: S3 API (9000), admin API and portal (9001)'), SERVE_HELP).action(async (flags: string[]) => {
    await serve(ctx, flags);
  });
  passThrough(program.command('edge').description('run an edge storage node: an S3 endpoint keeping plain files'), EDGE_HELP).action(async (flags: string[]) => {
    await edge(ctx, flags);
  });
  examples(
    program
      .command('selftest')
      .description("run the codec's known-answer self-test and print the GF backend in use")
      .action(async () => {
        await selfTest(ctx);
      }),
    ['dispersa selftest', 'DISPERSA_GF_BACKEND=js dispersa selftest'],
  );
  program
    .command('version')
    .description('print the version')
    .action(() => {
      ctx.io.stdout(`dispersa ${packageVersion()}`);
    });
}
