// Bearer tokens: issued for an access key (a caller's own, or any key by an administrator), listed, revoked.

import type { z } from 'zod';
import type { AdminToken } from '../../meta/types.ts';
import { newToken } from '../auth.ts';
import { Problem } from '../problem.ts';
import { tokenCreatedSchema, tokenCreateSchema, tokenListSchema, tokenSchema } from '../schemas.ts';
import { caller, defineRoute, forbidden, iso, isoOrNull, json, noContent, notFound, param, type Route } from './route.ts';

const DEFAULT_TTL_SECONDS = 86_400;

export function tokenView(token: AdminToken): z.output<typeof tokenSchema> {
  return {
    id: token.id,
    access_key_id: token.accessKeyId,
    description: token.description,
    created_at: iso(token.createdAt),
    expires_at: isoOrNull(token.expiresAt),
    revoked_at: isoOrNull(token.revokedAt),
  };
}

export const tokenRoutes: readonly Route[] = [
  defineRoute({
    method: 'POST',
    path: '/api/v1/tokens',
    operationId: 'createToken',
    summary: "Issues a bearer token acting as an access key (the caller's own unless administrator)",
    tag: 'tokens',
    auth: 'any',
    body: tokenCreateSchema,
    responses: [{ status: 201, description: 'The token, shown this once', schema: tokenCreatedSchema }],
    audit: { operation: 'token.create', target: () => 'token/new' },
    handle: async (ctx) => {
      const { deps, body } = ctx;
      const who = caller(ctx);
      const accessKeyId = body.access_key_id ?? (who.key === undefined ? undefined : who.accessKeyId);
      if (accessKeyId === undefined) throw Problem.invalid([{ path: 'access_key_id', message: 'is required when the root token asks: it names the key the token acts as' }]);
      if (!who.admin && accessKeyId !== who.accessKeyId) throw forbidden('only administrators may issue tokens for another access key');
      const key = await deps.lookupKey(accessKeyId);
      if (key === null || key.key.revokedAt !== undefined) throw notFound(`no active access key ${JSON.stringify(accessKeyId)}`);
      const { id, token, tokenHash } = newToken();
      ctx.refineAudit({ target: `token/${id}` });
      const expiresAt = deps.now() + (body.ttl_seconds ?? DEFAULT_TTL_SECONDS) * 1000;
      await deps.meta.createToken({ id, tokenHash, accessKeyId, description: body.description ?? '', expiresAt });
      return json(201, tokenCreatedSchema, { id, token, access_key_id: accessKeyId, expires_at: iso(expiresAt) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/tokens',
    operationId: 'listTokens',
    summary: "Tokens: the caller's own, or every token for an administrator",
    tag: 'tokens',
    auth: 'any',
    responses: [{ status: 200, description: 'Tokens (never the tokens themselves)', schema: tokenListSchema }],
    handle: async (ctx) => {
      const who = caller(ctx);
      const tokens = await ctx.deps.meta.listTokens(who.admin ? undefined : who.accessKeyId);
      return json(200, tokenListSchema, { tokens: tokens.map(tokenView) });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/tokens/{id}',
    operationId: 'revokeToken',
    summary: "Revokes a token (the caller's own unless administrator)",
    tag: 'tokens',
    auth: 'any',
    responses: [{ status: 204, description: 'Revoked' }],
    audit: { operation: 'token.revoke', target: (params) => `token/${params.id ?? '-'}` },
    handle: async (ctx) => {
      const who = caller(ctx);
      const id = param(ctx, 'id');
      // Someone else's token is as absent as an unknown one: its existence is not the caller's business.
      const visible = await ctx.deps.meta.listTokens(who.admin ? undefined : who.accessKeyId);
      if (!visible.some((t) => t.id === id)) throw notFound(`no token ${JSON.stringify(id)}`);
      await ctx.deps.meta.revokeToken(id);
      return noContent;
    },
  }),
];
