// `dispersa key ...`, `dispersa token ...`, `dispersa whoami`: access keys with per-bucket scopes, and bearer tokens.

import type { Command } from 'commander';
import { apiPath } from './connection.ts';
import { adminCommand, arr, clientFor, examples, obj, printResult, type CliContext, type CommonOptions } from './command.ts';
import { usageError } from './errors.ts';
import { collect, keyValues, oneOf, parseDurationSeconds } from './parse.ts';
import { cell, formatRecord, formatTable, formatTime } from './table.ts';

export const SCOPES = ['full', 'read', 'none'] as const;
export type Scope = (typeof SCOPES)[number];

/** `bucket=read|full|none` pairs → `{bucket: scope}`; with `allowDefault`, `bucket=default` → null (the key's default applies). */
export function parseScopes(pairs: readonly string[], allowDefault: boolean): Record<string, Scope | null> {
  const scopes: Record<string, Scope | null> = {};
  for (const [bucket, value] of keyValues(pairs, 'scope')) {
    const scope = value.toLowerCase();
    if (allowDefault && scope === 'default') scopes[bucket] = null;
    else if ((SCOPES as readonly string[]).includes(scope)) scopes[bucket] = scope as Scope;
    else throw usageError(`scope ${bucket}=${value}: expected ${SCOPES.join(', ')}${allowDefault ? ' or default' : ''}`);
  }
  return scopes;
}

export function keyCreateBody(options: { readonly team?: string; readonly defaultScope?: Scope; readonly scope?: string[] }): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.team !== undefined) body.team_id = options.team;
  if (options.defaultScope !== undefined) body.default_scope = options.defaultScope;
  const scopes = parseScopes(options.scope ?? [], false);
  if (Object.keys(scopes).length > 0) body.scopes = scopes;
  return body;
}

export function keyScopeBody(pairs: readonly string[], defaultScope: Scope | undefined): Record<string, unknown> {
  if (pairs.length === 0 && defaultScope === undefined) throw usageError('nothing to change: give BUCKET=full|read|none|default pairs and/or --default-scope');
  return { ...(defaultScope === undefined ? {} : { default_scope: defaultScope }), scopes: parseScopes(pairs, true) };
}

function scopesText(value: unknown): string {
  const entries = Object.entries(obj(value));
  return entries.length === 0 ? '-' : entries.map(([bucket, scope]) => `${bucket}=${cell(scope)}`).join(',');
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('access keys (S3 and admin API), with a default scope and per-bucket scopes');

  examples(
    adminCommand(key, 'create', 'create an access key; its secret is shown this once')
      .option('--team <id>', "team the key belongs to (created when new; default: the caller's team). Keys of team root are administrators")
      .option('--default-scope <scope>', 'full | read | none: access to buckets without a scope of their own', oneOf(SCOPES))
      .option('--scope <bucket=scope>', 'a bucket scope, e.g. photos=read (repeatable)', collect)
      .action(async (options: CommonOptions & { team?: string; defaultScope?: Scope; scope?: string[] }) => {
        const body = obj(await clientFor(ctx, options).call('POST', '/api/v1/keys', { body: keyCreateBody(options) }));
        printResult(ctx, options, body, () =>
          [
            `access key ${cell(body.access_key_id)}`,
            `secret key ${cell(body.secret_access_key)}`,
            `team ${cell(body.team_id)}, default scope ${cell(body.default_scope)}, bucket scopes ${scopesText(body.scopes)}`,
            '(the secret is shown once: store it now)',
          ].join('\n'),
        );
      }),
    ['dispersa key create --team analytics --default-scope none --scope reports=read --scope scratch=full', 'dispersa key create --team root   # another administrator key'],
  );

  examples(
    adminCommand(key, 'list', 'list access keys')
      .option('--team <id>', "only this team's")
      .action(async (options: CommonOptions & { team?: string }) => {
        const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/keys', { query: { team: options.team } }));
        printResult(ctx, options, body, () =>
          formatTable(
            [
              { header: 'ACCESS KEY', value: (k) => obj(k).access_key_id },
              { header: 'TEAM', value: (k) => obj(k).team_id },
              { header: 'DEFAULT', value: (k) => obj(k).default_scope },
              { header: 'SCOPES', value: (k) => scopesText(obj(k).scopes) },
              { header: 'CREATED', value: (k) => formatTime(obj(k).created_at) },
              { header: 'REVOKED', value: (k) => formatTime(obj(k).revoked_at) },
            ],
            arr(body.keys),
          ),
        );
      }),
    ['dispersa key list', 'dispersa key list --team analytics'],
  );

  examples(
    adminCommand(key, 'show', 'show one access key (never its secret)')
      .argument('<access-key>', 'access key id')
      .action(async (id: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('GET', apiPath('/api/v1/keys', id));
        printResult(ctx, options, body, () => formatRecord(obj(body)));
      }),
    ['dispersa key show DSP0123456789ABCDEF'],
  );

  examples(
    adminCommand(key, 'scope', "set a key's bucket scopes: BUCKET=full|read|none, or BUCKET=default to fall back to its default scope")
      .argument('<access-key>', 'access key id')
      .argument('[scopes...]', 'BUCKET=SCOPE pairs')
      .option('--default-scope <scope>', 'full | read | none: the new default scope', oneOf(SCOPES))
      .action(async (id: string, pairs: string[], options: CommonOptions & { defaultScope?: Scope }) => {
        const body = obj(await clientFor(ctx, options).call('PUT', apiPath('/api/v1/keys', id, 'scopes'), { body: keyScopeBody(pairs, options.defaultScope) }));
        printResult(ctx, options, body, () => `key ${id}: default scope ${cell(body.default_scope)}, bucket scopes ${scopesText(body.scopes)}`);
      }),
    ['dispersa key scope DSP0123456789ABCDEF photos=read scratch=none', 'dispersa key scope DSP0123456789ABCDEF photos=default --default-scope read'],
  );

  examples(
    adminCommand(key, 'rm', 'revoke an access key: S3 and admin requests with it fail from now on')
      .argument('<access-key>', 'access key id')
      .action(async (id: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('DELETE', apiPath('/api/v1/keys', id));
        printResult(ctx, options, body, () => `key ${id} revoked`);
      }),
    ['dispersa key rm DSP0123456789ABCDEF'],
  );

  const token = program.command('token').description('bearer tokens for the admin API, each acting as an access key until it expires');
  examples(
    adminCommand(token, 'create', 'issue a token; it is shown this once')
      .option('--key <access-key>', 'the key the token acts as (default: the caller\'s; only administrators may name another)')
      .option('--ttl <duration>', 'lifetime: seconds or 15m, 12h, 30d (60 s .. 30 d; default 1 d)', parseDurationSeconds)
      .option('--description <text>', 'what it is for')
      .action(async (options: CommonOptions & { key?: string; ttl?: number; description?: string }) => {
        const request: Record<string, unknown> = {};
        if (options.key !== undefined) request.access_key_id = options.key;
        if (options.ttl !== undefined) request.ttl_seconds = options.ttl;
        if (options.description !== undefined) request.description = options.description;
        const body = obj(await clientFor(ctx, options).call('POST', '/api/v1/tokens', { body: request }));
        printResult(ctx, options, body, () =>
          [`token ${cell(body.token)}`, `id ${cell(body.id)}, acts as ${cell(body.access_key_id)}, expires ${formatTime(body.expires_at)} UTC`, '(shown once: use it with --token or DISPERSA_ADMIN_TOKEN)'].join('\n'),
        );
      }),
    ['dispersa token create --ttl 12h --description "CI pipeline"', 'export DISPERSA_ADMIN_TOKEN=$(dispersa token create --json | jq -r .token)'],
  );
  examples(
    adminCommand(token, 'list', "list tokens (the caller's own unless administrator)").action(async (options: CommonOptions) => {
      const body = obj(await clientFor(ctx, options).call('GET', '/api/v1/tokens'));
      printResult(ctx, options, body, () =>
        formatTable(
          [
            { header: 'ID', value: (t) => obj(t).id },
            { header: 'ACCESS KEY', value: (t) => obj(t).access_key_id },
            { header: 'DESCRIPTION', value: (t) => obj(t).description },
            { header: 'CREATED', value: (t) => formatTime(obj(t).created_at) },
            { header: 'EXPIRES', value: (t) => formatTime(obj(t).expires_at) },
            { header: 'REVOKED', value: (t) => formatTime(obj(t).revoked_at) },
          ],
          arr(body.tokens),
        ),
      );
    }),
    ['dispersa token list'],
  );
  examples(
    adminCommand(token, 'rm', 'revoke a token')
      .argument('<id>', 'token id (not the token itself)')
      .action(async (id: string, options: CommonOptions) => {
        const body = await clientFor(ctx, options).call('DELETE', apiPath('/api/v1/tokens', id));
        printResult(ctx, options, body, () => `token ${id} revoked`);
      }),
    ['dispersa token rm 7c1e2d'],
  );

  examples(
    adminCommand(program, 'whoami', 'show who the admin API takes the caller for (checks the credentials)').action(async (options: CommonOptions) => {
      const body = await clientFor(ctx, options).call('GET', '/api/v1/whoami');
      printResult(ctx, options, body, () => formatRecord(obj(body)));
    }),
    ['dispersa whoami --token "$TOKEN"'],
  );
}
