// Process entry of the `dispersa` command: parses the verb and runs it.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getGfKernel } from './core/gf256/index.ts';
import { edgeCredentials, startEdge } from './edge/edge.ts';
import { runCodecSelfTest } from './core/selftest.ts';

const USAGE = `usage: dispersa <command>

commands:
  serve      run the gateway (S3 API and admin API)
  edge       run an edge storage node: an S3 endpoint keeping plain files
             --dir DIR (required)  --host HOST (127.0.0.1)  --port PORT (9100)
  selftest   run the codec's known-answer self-test and print the GF backend in use
  version    print the version
  help       print this text

environment:
  DISPERSA_GF_BACKEND        js | wasm | wasm-simd   (default: the fastest WebAssembly kernel this runtime accepts)
  DISPERSA_ROOT_ACCESS_KEY   access key of the edge node (generated and printed when unset)
  DISPERSA_ROOT_SECRET_KEY   its secret`;

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
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      console.log('dispersa edge: draining in-flight requests');
      void running.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
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
      console.error('dispersa serve: the S3 gateway is not part of this build yet; only the codec is. See README.md, "Status".');
      return 1;
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
