// `dispersa location ...`: storage locations (local disks, cloud buckets, edge nodes), their attributes, and retiring one.

import type { Command } from 'commander';
import { apiPath } from './connection.ts';
import { adminCommand, arr, clientFor, examples, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { usageError } from './errors.ts';
import { followJob, type FollowOptions } from './jobs.ts';
import { collect, keyValues, oneOf, parseInteger, parseNumber } from './parse.ts';
import { cell, formatRecord, formatTable } from './table.ts';

export const STORE_TYPES = ['fs', 's3', 'edge'] as const;

export interface AttributeFlags {
  readonly provider?: string;
  readonly url?: string;
  readonly country?: string;
  readonly city?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly jurisdiction?: string;
  readonly gdpr?: boolean;
  readonly storageCost?: number;
  readonly egressCost?: number;
  readonly ingressCost?: number;
  readonly name?: string;
  readonly description?: string;
  readonly clusterId?: string;
  readonly teamId?: string;
  /** `name=value`, for attributes without a flag of their own (e.g. `region`); values that parse as JSON are sent as such. */
  readonly attribute?: string[];
  readonly trustZone?: string;
  readonly isolationTier?: number;
}

export interface LocationAddFlags extends AttributeFlags {
  readonly type?: (typeof STORE_TYPES)[number];
  readonly dir?: string;
  readonly endpoint?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly prefix?: string;
}

/** Flag → API attribute name. */
const ATTRIBUTE_FLAGS: readonly [keyof AttributeFlags, string][] = [
  ['provider', 'provider'],
  ['url', 'url'],
  ['country', 'country'],
  ['city', 'city'],
  ['latitude', 'latitude'],
  ['longitude', 'longitude'],
  ['jurisdiction', 'jurisdiction'],
  ['gdpr', 'gdpr_compliant'],
  ['storageCost', 'storage_cost_per_gb_month'],
  ['egressCost', 'egress_cost_per_gb'],
  ['ingressCost', 'ingress_cost_per_gb'],
  ['name', 'name'],
  ['description', 'description'],
  ['clusterId', 'cluster_id'],
  ['teamId', 'team_id'],
];

function attributeValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The `attributes` object the flags name (`--attribute` pairs first, so a dedicated flag wins). */
export function attributesFromFlags(flags: AttributeFlags, unset: readonly string[] = []): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of keyValues(flags.attribute ?? [], '--attribute')) attributes[key] = attributeValue(value);
  for (const [flag, name] of ATTRIBUTE_FLAGS) {
    const value = flags[flag];
    if (value !== undefined) attributes[name] = value;
  }
  for (const name of unset) {
    if (Object.hasOwn(attributes, name)) throw usageError(`attribute ${name} is both set and --unset`);
    attributes[name] = null;
  }
  return attributes;
}

/** The body of `POST /api/v1/locations`. The secret comes from the flag or DISPERSA_LOCATION_SECRET_ACCESS_KEY. */
export function locationBody(id: string, flags: LocationAddFlags, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const type = flags.type ?? (flags.dir !== undefined ? 'fs' : undefined);
  if (type === undefined) throw usageError('--type fs|s3|edge is required (fs with --dir DIR; s3 and edge with --endpoint URL --bucket B)');
  const body: Record<string, unknown> = { id };
  if (type === 'fs') {
    if (flags.dir === undefined) throw usageError('--type fs needs --dir DIR (the directory the fragments go to, on the gateway\'s host)');
    for (const [flag, value] of [['--endpoint', flags.endpoint], ['--bucket', flags.bucket], ['--access-key-id', flags.accessKeyId], ['--secret-access-key', flags.secretAccessKey], ['--prefix', flags.prefix]] as const) {
      if (value !== undefined) throw usageError(`${flag} is for s3 and edge locations, not fs`);
    }
    body.store = { type, dir: flags.dir };
  } else {
    if (flags.dir !== undefined) throw usageError(`--dir is for fs locations; a ${type} location takes --endpoint and --bucket`);
    const missing = [['--endpoint URL', flags.endpoint], ['--bucket NAME', flags.bucket], ['--access-key-id ID', flags.accessKeyId]].filter(([, v]) => v === undefined).map(([f]) => f);
    if (missing.length > 0) throw usageError(`a ${type} location needs ${missing.join(', ')}`);
    const secret = flags.secretAccessKey ?? env.DISPERSA_LOCATION_SECRET_ACCESS_KEY;
    if (secret === undefined || secret === '') throw usageError(`a ${type} location needs its secret: --secret-access-key S, or DISPERSA_LOCATION_SECRET_ACCESS_KEY in the environment (keeps it out of the shell history)`);
    body.store = { type, endpoint: flags.endpoint, bucket: flags.bucket, region: flags.region ?? 'us-east-1', access_key_id: flags.accessKeyId, ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }) };
    body.secret_access_key = secret;
  }
  body.attributes = attributesFromFlags(flags);
  if (flags.trustZone !== undefined) body.trust_zone = flags.trustZone;
  if (flags.isolationTier !== undefined) body.isolation_tier = flags.isolationTier;
  return body;
}

/** The body of `PATCH /api/v1/locations/{id}`. */
export function locationPatch(flags: AttributeFlags & { readonly unset?: string[] }): Record<string, unknown> {
  const attributes = attributesFromFlags(flags, flags.unset ?? []);
  const patch: Record<string, unknown> = {};
  if (Object.keys(attributes).length > 0) patch.attributes = attributes;
  if (flags.trustZone !== undefined) patch.trust_zone = flags.trustZone;
  if (flags.isolationTier !== undefined) patch.isolation_tier = flags.isolationTier;
  if (Object.keys(patch).length === 0) throw usageError('nothing to change: give attribute flags (e.g. --country DE), --unset NAME, --trust-zone or --isolation-tier');
  return patch;
}

function addAttributeFlags(cmd: Command): Command {
  return cmd
    .option('--provider <name>', 'provider, e.g. AWS, OVH, "local disk"')
    .option('--url <url>', "the provider's web address (an attribute; not where the store is)")
    .option('--country <code>', 'country, ISO 3166 alpha-2 (e.g. DE)')
    .option('--city <name>', 'city')
    .option('--latitude <deg>', 'latitude', parseNumber)
    .option('--longitude <deg>', 'longitude', parseNumber)
    .option('--jurisdiction <name>', 'legal jurisdiction, e.g. EU')
    .option('--gdpr', 'GDPR compliant')
    .option('--no-gdpr', 'not GDPR compliant')
    .option('--storage-cost <usd>', 'storage cost, $ per GB and month', parseNumber)
    .option('--egress-cost <usd>', 'egress cost, $ per GB', parseNumber)
    .option('--ingress-cost <usd>', 'ingress cost, $ per GB', parseNumber)
    .option('--name <text>', 'display name (edge locations)')
    .option('--description <text>', 'description (edge locations)')
    .option('--cluster-id <id>', 'cluster id (edge locations)')
    .option('--team-id <id>', 'team id (edge locations)')
    .option('--attribute <name=value>', 'any other attribute, e.g. region=eu-central-1 (repeatable)', collect)
    .option('--trust-zone <zone>', 'zone of trust: placement spreads fragments over zones (default: the location id)')
    .option('--isolation-tier <n>', 'isolation tier (default 0)', parseInteger);
}

function health(location: Record<string, unknown>): string {
  const h = obj(location.health);
  const state = h.breaker ?? h.state ?? h.status;
  return state === undefined ? '-' : cell(state);
}

export function locationTable(locations: readonly unknown[]): string {
  return formatTable(
    [
      { header: 'ID', value: (l) => obj(l).id },
      { header: 'KIND', value: (l) => obj(l).kind },
      { header: 'STORE', value: (l) => { const s = obj(obj(l).store); return s.type === 'fs' ? `fs:${cell(s.dir)}` : `${cell(s.type)}:${cell(s.endpoint)}/${cell(s.bucket)}`; } },
      { header: 'STATUS', value: (l) => obj(l).status },
      { header: 'HEALTH', value: (l) => health(obj(l)) },
      { header: 'COUNTRY', value: (l) => obj(obj(l).attributes).country },
      { header: 'PROVIDER', value: (l) => obj(obj(l).attributes).provider },
      { header: 'ZONE', value: (l) => obj(l).trust_zone },
      { header: 'TIER', value: (l) => obj(l).isolation_tier, align: 'right' },
    ],
    locations,
  );
}

export function registerLocation(program: Command, ctx: CliContext): void {
  const location = program.command('location').description('storage locations: local disks, S3 buckets, edge nodes');

  examples(
    adminCommand(location, 'list', 'list locations with their status and health').action(async (options: CommonOptions) => {
      const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/locations'));
      printResult(ctx, options, body, () => locationTable(arr(body.locations)));
    }),
    ['dispersa location list'],
  );

  examples(
    adminCommand(location, 'show', 'show one location')
      .argument('<id>', 'location id')
      .action(async (id: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('GET', apiPath('/api/v1/locations', id));
        printResult(ctx, options, body, () => formatRecord(obj(body)));
      }),
    ['dispersa location show local-1'],
  );

  examples(
    addAttributeFlags(
      adminCommand(location, 'add', 'add a location; the gateway first checks that its store answers (writes, reads and deletes a probe object)')
        .argument('<id>', 'location id (letters, digits, - and _)')
        .option('--type <type>', 'fs (a directory on the gateway host) | s3 (a cloud bucket) | edge (a dispersa edge node or on-premises S3)', oneOf(STORE_TYPES))
        .option('--dir <dir>', 'fs: the directory')
        .option('--endpoint <url>', 's3/edge: the S3 endpoint URL')
        .option('--bucket <name>', 's3/edge: the bucket the fragments go to')
        .option('--region <region>', 's3/edge: the signing region (default us-east-1)')
        .option('--access-key-id <id>', "s3/edge: the store's access key")
        .option('--secret-access-key <secret>', 's3/edge: its secret (or env DISPERSA_LOCATION_SECRET_ACCESS_KEY); stored wrapped, never shown again')
        .option('--prefix <prefix>', 's3/edge: key prefix inside the bucket'),
    ).action(async (id: string, options: CommonOptions & LocationAddFlags & { adminEndpoint?: string }) => {
      // --endpoint names the store here; the admin API's URL is --admin-endpoint.
      const { endpoint: _store, ...connection } = options;
      const client = clientFor(ctx, { ...connection, ...(options.adminEndpoint === undefined ? {} : { endpoint: options.adminEndpoint }) });
      const body = obj(await client.call('POST', '/api/v1/locations', { body: locationBody(id, options, ctx.io.env) }));
      printResult(ctx, options, body, () => `location ${id} added\n\n${formatRecord(body)}`);
    }),
    [
      'dispersa location add disk-7 --type fs --dir /srv/dispersa/disk-7 --country DK',
      'DISPERSA_LOCATION_SECRET_ACCESS_KEY=... dispersa location add aws-eu --type s3 --endpoint https://s3.eu-central-1.amazonaws.com \\\n      --bucket dsp-frag --region eu-central-1 --access-key-id AKIA... --provider AWS --country DE --city Frankfurt \\\n      --jurisdiction EU --gdpr --storage-cost 0.0245 --egress-cost 0.09 --trust-zone aws',
      'dispersa location add factory-3 --type edge --endpoint http://10.0.3.7:9100 --bucket fragments --access-key-id EDGE3 \\\n      --secret-access-key ... --name "Factory 3" --cluster-id plant-a --attribute region=eu-north',
    ],
  );

  examples(
    addAttributeFlags(adminCommand(location, 'update', "change a location's attributes, zone of trust or isolation tier").argument('<id>', 'location id'))
      .option('--unset <name>', 'remove an attribute, e.g. --unset city (repeatable)', collect)
      .action(async (id: string, options: CommonOptions & AttributeFlags & { unset?: string[] }) => {
        const body = obj(await clientFor(ctx, options).call('PATCH', apiPath('/api/v1/locations', id), { body: locationPatch(options) }));
        printResult(ctx, options, body, () => `location ${id} updated\n\n${formatRecord(body)}`);
      }),
    ['dispersa location update aws-eu --storage-cost 0.021 --no-gdpr', 'dispersa location update disk-7 --unset city --trust-zone rack-2'],
  );

  examples(
    adminCommand(location, 'rm', 'retire a location: nothing new goes there, and an evacuation job moves its fragments to other locations')
      .argument('<id>', 'location id')
      .option('--no-wait', 'print the evacuation job and return at once')
      .action(async (id: string, options: CommonOptions & FollowOptions) => {
        const client = clientFor(ctx, options);
        const body = obj(await client.call('DELETE', apiPath('/api/v1/locations', id)));
        await followJob(ctx, client, obj(body.job), options);
      }),
    ['dispersa location rm disk-7', 'dispersa location rm disk-7 --no-wait --json'],
  );
}
