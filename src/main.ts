// Process entry of the `dispersa` command: parses the verb and runs it.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getGfKernel } from './core/gf256/index.ts';
import { startGateway } from './app.ts';
import { ConfigError, resolveServeSettings } from './config.ts';
import { edgeCredentials, startEdge } from './edge/edge.ts';
import { runCodecSelfTest } from './core/selftest.ts';

const USAGE = `usage: dispersa <command>

commands:
  serve      run the gateway: an S3 endpoint coding and dispersing objects over six local locations
             --data-dir DIR (./data)  --host HOST (127.0.0.1)  --port PORT (9000)  --domain DOMAIN
             --postgres-url URL  --stale-write-seconds N (600)  --config FILE (JSON with the same settings:
             dataDir, host, port, domain, postgresUrl, staleWriteSeconds; flags beat the environment beats the file)
  edge       run an edge storage node: an S3 endpoint keeping plain files
             --dir DIR (required)  --host HOST (127.0.0.1)  --port PORT (9100)
  selftest   run the codec's known-answer self-test and print the GF backend in use
  version    print the version
  help       print this text

environment:
  DISPERSA_GF_BACKEND        js | wasm | wasm-simd   (default: the fastest WebAssembly kernel this runtime accepts)
  DISPERSA_ROOT_ACCESS_KEY   root access key (generated and printed once when unset)
  DISPERSA_ROOT_SECRET_KEY   its secret
  DISPERSA_MASTER_KEY        the master key, 64 hex digits (default: <data dir>/master.key, created 0600)
  DISPERSA_DATA_DIR, DISPERSA_HOST, DISPERSA_PORT, DISPERSA_DOMAIN, DISPERSA_CONFIG   serve's settings
  DISPERSA_POSTGRES_URL      keep metadata in PostgreSQL (several gateways may share it) instead of <data dir>/meta.sqlite
  DISPERSA_STALE_WRITE_SECONDS   writes in flight this long at start-up count as crashed and are collected (600)`;

function untilSignal(stop: () => Promise<void>, what: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (): void => {
      console.log(`${what}: draining in-flight requests`);
      void stop().then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

async function serve(args: readonly string[]): Promise<number> {
  const env = process.env;
  let settings;
  try {
    settings = resolveServeSettings(args, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`dispersa serve: ${error.message}`);
    return 2;
  }
  const gateway = await startGateway({
    dataDir: settings.dataDir,
    host: settings.host,
    port: settings.port,
    env,
    staleWriteMs: settings.staleWriteSeconds * 1000,
    ...(settings.domain === undefined ? {} : { domain: settings.domain }),
    ...(settings.postgresUrl === undefined ? {} : { metadata: { engine: 'postgres' as const, connectionString: settings.postgresUrl } }),
    log: (m) => { console.error(m); },
  });

  console.log(`dispersa serve: S3 endpoint ${gateway.url}  (data in ${settings.dataDir}, 6 local locations, policy k=4 r=2)`);
  if (gateway.generatedRoot !== undefined) {
    console.log(`root access key ${gateway.generatedRoot.accessKeyId}\nroot secret key ${gateway.generatedRoot.secretAccessKey}\n(shown once: store it now; or set DISPERSA_ROOT_ACCESS_KEY and DISPERSA_ROOT_SECRET_KEY)`);
  }
  await untilSignal(() => gateway.close(), 'dispersa serve');
  return 0;
}

async function edge(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { dir: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '9100' } } });
  if (values.dir === undefined) {
    console.error('dispersa edge: --dir DIR is required (where the objects are kept)');
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`dispersa edge: --port must be a port number, got ${values.port}`);
    return 2;
  }
  const credentials = edgeCredentials(process.env);
  const running = await startEdge({ dir: values.dir, host: values.host, port, ...credentials, onInternalError: (e, id) => { console.error(`internal error in request ${id}:`, e); } });
  console.log(`dispersa edge: S3 endpoint ${running.url}, objects under ${values.dir}`);
  if (credentials.generated) console.log(`access key ${credentials.accessKeyId}\nsecret key ${credentials.secretAccessKey}\n(set DISPERSA_ROOT_ACCESS_KEY and DISPERSA_ROOT_SECRET_KEY to choose them)`);
  await untilSignal(() => running.close(), 'dispersa edge');
  return 0;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function selfTest(): Promise<void> {
  const started = performance.now();
  const report = await runCodecSelfTest(getGfKernel());
  console.log(`codec self-test passed (GF backend ${report.backend}, ${(performance.now() - started).toFixed(0)} ms)`);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help'] = argv;
  switch (command) {
    case 'serve':
      await selfTest();
      return serve(argv.slice(1));
    case 'selftest':
      await selfTest();
      return 0;
    case 'edge':
      return edge(argv.slice(1));
    case 'version':
    case '--version':
      console.log(`dispersa ${version()}`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`dispersa: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    console.error(`dispersa: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
