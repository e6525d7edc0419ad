// Access keys (the S3 API's and the admin API's credentials): created with a secret shown once, scoped per bucket, revoked.

import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { isMetaError } from '../../meta/errors.ts';
import type { AccessKey, Scope } from '../../meta/types.ts';
import { keyCreatedSchema, keyCreateSchema, keyListSchema, keySchema, keysQuerySchema, scopesUpdateSchema } from '../schemas.ts';
import { caller, defineRoute, iso, isoOrNull, json, noContent, notFound, param, type Route } from './route.ts';

export function keyView(key: AccessKey): z.output<typeof keySchema> {
  return {
    access_key_id: key.accessKeyId,
    team_id: key.teamId,
    default_scope: key.defaultScope,
    scopes: { ...key.scopes },
    created_at: iso(key.createdAt),
    revoked_at: isoOrNull(key.revokedAt),
  };
}

/** `DSP` and 16 upper-case hex digits, as the root key printed at first start. */
export function newAccessKeyId(): string {
  return `DSP${randomBytes(8).toString('hex').toUpperCase()}`;
}

const target = (params: Readonly<Record<string, string>>): string => `key/${params.id ?? '-'}`;

export const keyRoutes: readonly Route[] = [
  defineRoute<undefined, z.output<typeof keysQuerySchema>>({
    method: 'GET',
    path: '/api/v1/keys',
    operationId: 'listKeys',
    summary: "Access keys, every team's or one team's",
    tag: 'keys',
    auth: 'admin',
    query: keysQuerySchema,
    responses: [{ status: 200, description: 'Keys (no secrets)', schema: keyListSchema }],
    handle: async ({ deps, query }) => json(200, keyListSchema, { keys: (await deps.meta.listAccessKeys(query.team)).map(keyView) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/keys',
    operationId: 'createKey',
    summary: 'Creates an access key; its secret is in this response only',
    tag: 'keys',
    auth: 'admin',
    body: keyCreateSchema,
    responses: [{ status: 201, description: 'The key and its secret', schema: keyCreatedSchema }],
    audit: { operation: 'key.create', target: () => 'key/new' },
    handle: async (ctx) => {
      const { deps, body } = ctx;
      const teamId = body.team_id ?? caller(ctx).teamId;
      if ((await deps.meta.getTeam(teamId)) === undefined) {
        // Another request may create the same new team first; either way the team now exists.
        await deps.meta.createTeam({ id: teamId, name: teamId }).catch((error: unknown) => {
          if (!isMetaError(error, 'team-exists')) throw error;
        });
      }
      const accessKeyId = newAccessKeyId();
      ctx.refineAudit({ target: `key/${accessKeyId}` });
      const { secret, wrapped } = deps.custody.newSecret(accessKeyId);
      const key = await deps.meta.createAccessKey({ accessKeyId, teamId, wrappedSecret: wrapped, defaultScope: body.default_scope ?? 'full', ...(body.scopes === undefined ? {} : { scopes: body.scopes }) });
      return json(201, keyCreatedSchema, { ...keyView(key), secret_access_key: secret }, { location: `/api/v1/keys/${accessKeyId}` });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/keys/{id}',
    operationId: 'getKey',
    summary: 'One access key (no secret)',
    tag: 'keys',
    auth: 'admin',
    responses: [{ status: 200, description: 'The key', schema: keySchema }],
    handle: async (ctx) => {
      const id = param(ctx, 'id');
      const key = await ctx.deps.meta.getAccessKey(id);
      if (key === undefined) throw notFound(`no access key ${JSON.stringify(id)}`);
      return json(200, keySchema, keyView(key));
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/v1/keys/{id}/scopes',
    operationId: 'setKeyScopes',
    summary: "Sets a key's default scope and per-bucket scopes (null removes one)",
    tag: 'keys',
    auth: 'admin',
    body: scopesUpdateSchema,
    responses: [{ status: 200, description: 'The key', schema: keySchema }],
    audit: { operation: 'key.scopes', target },
    handle: async (ctx) => {
      const { deps, body } = ctx;
      const id = param(ctx, 'id');
      if ((await deps.meta.getAccessKey(id)) === undefined) throw notFound(`no access key ${JSON.stringify(id)}`);
      if (body.default_scope !== undefined) await deps.meta.setDefaultScope(id, body.default_scope);
      for (const [bucket, scope] of Object.entries(body.scopes)) await deps.meta.setScope(id, bucket, scope === null ? undefined : (scope satisfies Scope));
      const key = await deps.meta.getAccessKey(id);
      if (key === undefined) throw notFound(`no access key ${JSON.stringify(id)}`);
      return json(200, keySchema, keyView(key));
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/keys/{id}',
    operationId: 'revokeKey',
    summary: 'Revokes an access key: S3 and admin requests with it, and its tokens, fail from then on',
    tag: 'keys',
    auth: 'admin',
    responses: [{ status: 204, description: 'Revoked' }],
    audit: { operation: 'key.revoke', target },
    handle: async (ctx) => {
      const id = param(ctx, 'id');
      const key = await ctx.deps.meta.getAccessKey(id);
      if (key === undefined) throw notFound(`no access key ${JSON.stringify(id)}`);
      if (key.revokedAt === undefined) await ctx.deps.meta.revokeAccessKey(id);
      return noContent;
    },
  }),
];
