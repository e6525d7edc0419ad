// `dispersa cache ...` and `dispersa status`: the gateway's local cache settings and statistics, and the system overview.

import type { Command } from 'commander';
import { adminCommand, clientFor, examples, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { usageError } from './errors.ts';
import { parseBytes, parseList } from './parse.ts';
import { formatRecord } from './table.ts';

export interface CacheFlags {
  readonly enable?: boolean;
  readonly disable?: boolean;
  readonly maxSize?: number;
  readonly minFreeDisk?: number;
  readonly maxFileSize?: number;
  readonly mimeBlacklist?: string[];
  readonly readThrough?: boolean;
  readonly encrypt?: boolean;
}

export function cacheBody(flags: CacheFlags): Record<string, unknown> {
  if (flags.enable === true && flags.disable === true) throw usageError('give --enable or --disable, not both');
  const body: Record<string, unknown> = {};
  if (flags.enable === true) body.enabled = true;
  if (flags.disable === true) body.enabled = false;
  if (flags.maxSize !== undefined) body.max_size_bytes = flags.maxSize;
  if (flags.minFreeDisk !== undefined) body.min_free_disk_bytes = flags.minFreeDisk;
  if (flags.maxFileSize !== undefined) body.max_file_size_bytes = flags.maxFileSize;
  if (flags.mimeBlacklist !== undefined) body.mime_blacklist = flags.mimeBlacklist;
  if (flags.readThrough !== undefined) body.read_through = flags.readThrough;
  if (flags.encrypt !== undefined) body.encrypt = flags.encrypt;
  if (Object.keys(body).length === 0) throw usageError('nothing to change: give --enable, --disable, --max-size, ... (see dispersa cache set --help)');
  return body;
}

export function registerCacheAndStatus(program: Command, ctx: CliContext): void {
  const cache = program.command('cache').description("the gateway's local object cache (off by default; kept in the metadata store, so every gateway uses the same settings)");

  examples(
    adminCommand(cache, 'show', 'show the cache settings and statistics').action(async (options: CommonOptions) => {
      const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/cache'));
      printResult(ctx, options, body, () => formatRecord(body));
    }),
    ['dispersa cache show'],
  );

  examples(
    adminCommand(cache, 'set', 'change cache settings (the others keep their values)')
      .option('--enable', 'turn the cache on')
      .option('--disable', 'turn it off')
      .option('--max-size <bytes>', 'largest total size, e.g. 20GiB', parseBytes)
      .option('--min-free-disk <bytes>', 'stop caching when the disk has less free space than this, e.g. 5GiB', parseBytes)
      .option('--max-file-size <bytes>', 'objects larger than this are not cached, e.g. 256MiB', parseBytes)
      .option('--mime-blacklist <types>', 'content types never cached, comma-separated (exact or type/*; "" clears)', parseList)
      .option('--read-through', 'cache objects as they are read')
      .option('--no-read-through', 'cache only what is written')
      .option('--encrypt', 'encrypt cached files with a gateway-local key')
      .option('--no-encrypt', 'keep cached files unencrypted')
      .action(async (options: CommonOptions & CacheFlags) => {
        const body = await clientFor(ctx, options).call('PUT', '/api/v1/cache', { body: cacheBody(options) });
        printResult(ctx, options, body, () => `cache settings updated\n\n${formatRecord(obj(body))}`);
      }),
    ['dispersa cache set --enable --max-size 20GiB --max-file-size 256MiB --mime-blacklist "video/*"', 'dispersa cache set --disable'],
  );

  examples(
    adminCommand(program, 'status', 'show the gateway: version, GF backend, metadata engine, repair queue, last scrub, jobs, location health').action(async (options: CommonOptions) => {
      const body = await clientFor(ctx, options).call('GET', '/api/v1/system');
      printResult(ctx, options, body, () => formatRecord(obj(body)));
    }),
    ['dispersa status', 'dispersa status --json | jq .repair_queue_depth'],
  );
}
