// boto3 (Debian's python3-boto3, run by /usr/bin/python3) against a fresh gateway, one scenario step per test.

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AWKWARD_KEYS, ROOT_CREDENTIALS, cleanEnv, requireTool, run, startCompatGateway, type CompatGateway } from './support.ts';

const PYTHON = '/usr/bin/python3';
const SCENARIO = fileURLToPath(new URL('boto3_scenario.py', import.meta.url));

let server: CompatGateway | undefined;

/** Runs one step of the Python scenario and returns what it printed; it fails with boto3's traceback when something differs. */
async function stepOutput(name: string): Promise<string> {
  if (server === undefined) throw new Error('the gateway did not start');
  const env = cleanEnv({
    DISPERSA_ENDPOINT: server.url,
    AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: `${server.workDir}/no-config-file`,
    AWS_SHARED_CREDENTIALS_FILE: `${server.workDir}/no-credentials-file`,
    AWS_EC2_METADATA_DISABLED: 'true',
    COMPAT_BUCKET: 'boto3-bucket',
    COMPAT_WORK_DIR: server.workDir,
    COMPAT_AWKWARD_KEYS: JSON.stringify(AWKWARD_KEYS),
    PYTHONDONTWRITEBYTECODE: '1',
  });
  return (await run(PYTHON, [SCENARIO, name], env)).stdout;
}

async function step(name: string): Promise<void> {
  await stepOutput(name);
}

before(async () => {
  await requireTool(PYTHON, 'python3-boto3', () => run(PYTHON, ['-c', 'import boto3'], cleanEnv({})));
  server = await startCompatGateway();
});
after(async () => {
  await server?.stop();
});

describe('boto3 against dispersa serve', () => {
  it('creates a bucket', () => step('create-bucket'));
  it('puts and gets a small object with headers and metadata', () => step('small'));
  it('uploads 20 MiB with upload_file (multipart, by itself) and downloads it in ranges', () => step('big'));
  it('lists with list_objects (v1) and list_objects_v2: prefix, delimiter, pages, start-after', () => step('list'));
  it('reads byte ranges', () => step('range'));
  it('pre-signs GET and PUT (SigV4) for a plain HTTP client', () => step('presign'));
  it('answers a SigV2 pre-signed URL (boto3 default) with a clear error', async () => {
    const answer = JSON.parse(await stepOutput('presign-sigv2')) as { status: number; error: string };
    assert.match(answer.error, /Signature Version 4|s3v4/, 'the error tells how to fix the client');
  });
  it('copies objects: COPY and REPLACE directives, managed multipart copy', () => step('copy'));
  it('deletes several objects in one request (delete_objects)', () => step('multi-delete'));
  it('stores, lists, reads, pre-signs and deletes awkward keys', () => step('awkward-keys'));
  it('deletes the bucket once it is empty', () => step('delete-bucket'));
});
