// `dispersa bucket ...`: buckets with their usage, deletion, and crypto-shredding behind a typed confirmation.

import type { Command } from 'commander';
import { apiPath } from './connection.ts';
import { adminCommand, arr, clientFor, examples, num, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { CliError } from './errors.ts';
import { cell, formatBytes, formatRecord, formatTable, formatTime } from './table.ts';

export function bucketTable(buckets: readonly unknown[]): string {
  return formatTable(
    [
      { header: 'NAME', value: (b) => obj(b).name },
      { header: 'TEAM', value: (b) => obj(b).team_id },
      { header: 'POLICY', value: (b) => { const p = obj(obj(b).policy); return p.name === undefined ? undefined : `${cell(p.name)} v${cell(p.version)}`; } },
      { header: 'OBJECTS', value: (b) => obj(b).objects, align: 'right' },
      { header: 'SIZE', value: (b) => formatBytes(obj(b).logical_bytes), align: 'right' },
      { header: 'STORED', value: (b) => formatBytes(obj(b).stored_bytes), align: 'right' },
      { header: 'CREATED', value: (b) => formatTime(obj(b).created_at) },
    ],
    buckets,
  );
}

export function shredWarning(name: string, bucket: Record<string, unknown>): string {
  return [
    `Shredding bucket ${name} (${num(bucket.objects)} objects, ${formatBytes(num(bucket.logical_bytes))}) destroys its encryption key first.`,
    'From that moment nobody can decrypt any object of the bucket, whatever copies of its fragments or metadata exist',
    '(backups included); then its metadata is deleted and its fragments are garbage-collected. This cannot be undone.',
  ].join('\n');
}

export function registerBuckets(program: Command, ctx: CliContext): void {
  const bucket = program.command('bucket').description('buckets: usage, deletion, crypto-shredding (buckets are created with S3 CreateBucket)');

  examples(
    adminCommand(bucket, 'list', 'list buckets with their policy and usage (administrators see every team)').action(async (options: CommonOptions) => {
      const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/buckets'));
      printResult(ctx, options, body, () => bucketTable(arr(body.buckets)));
    }),
    ['dispersa bucket list'],
  );

  examples(
    adminCommand(bucket, 'show', 'show one bucket')
      .argument('<name>', 'bucket name')
      .action(async (name: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('GET', apiPath('/api/v1/buckets', name));
        printResult(ctx, options, body, () => formatRecord(obj(body)));
      }),
    ['dispersa bucket show photos'],
  );

  examples(
    adminCommand(bucket, 'rm', 'delete an empty bucket (409 when it holds objects: delete them, or shred it)')
      .argument('<name>', 'bucket name')
      .action(async (name: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('DELETE', apiPath('/api/v1/buckets', name));
        printResult(ctx, options, body, () => `bucket ${name} deleted`);
      }),
    ['dispersa bucket rm scratch'],
  );

  examples(
    adminCommand(bucket, 'shred', 'crypto-shred a bucket: destroy its key, then its metadata and fragments; asks you to type the name unless --yes')
      .argument('<name>', 'bucket name')
      .option('--yes', 'do not ask (for scripts)')
      .addHelpText('after', '\nA declined confirmation exits with status 1 and changes nothing.')
      .action(async (name: string, options: CommonOptions & { yes?: boolean }) => {
        const client = clientFor(ctx, options);
        if (options.yes !== true) {
          const current = obj(await client.call('GET', apiPath('/api/v1/buckets', name)));
          ctx.io.stderr(shredWarning(name, current));
          const answer = await ctx.io.readLine(`Type the bucket name (${name}) to shred it: `);
          if (answer?.trim() !== name) throw new CliError('problem', `not confirmed: bucket ${name} was not shredded`);
        }
        const body = obj(await client.call('DELETE', apiPath('/api/v1/buckets', name), { query: { shred: 'true' } }));
        printResult(ctx, options, body, () => `bucket ${name} shredded: ${num(body.objects)} object(s) can no longer be decrypted by anyone; fragments are being collected`);
      }),
    ['dispersa bucket shred old-project', 'dispersa bucket shred old-project --yes --json'],
  );
}
