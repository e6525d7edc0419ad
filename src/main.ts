// Process entry of the `dispersa` command: parses the verb and runs it.

import { readFileSync } from 'node:fs';
import { getGfKernel } from './core/gf256/index.ts';
import { runCodecSelfTest } from './core/selftest.ts';

const USAGE = `usage: dispersa <command>

commands:
  serve      run the gateway (S3 API and admin API)
  selftest   run the codec's known-answer self-test and print the GF backend in use
  version    print the version
  help       print this text

environment:
  DISPERSA_GF_BACKEND   js | wasm | wasm-simd   (default: the fastest WebAssembly kernel this runtime accepts)`;

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
