// Who the caller is, as the admin API sees it: key, team, administrator or not, scopes.

import { whoamiSchema } from '../schemas.ts';
import { caller, defineRoute, json, type Route } from './route.ts';

export const whoamiRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/whoami',
    operationId: 'whoami',
    summary: 'The caller: access key, team, whether an administrator, how authenticated, scopes',
    tag: 'keys',
    auth: 'any',
    responses: [{ status: 200, description: 'The caller', schema: whoamiSchema }],
    handle: (ctx) => {
      const who = caller(ctx);
      return Promise.resolve(
        json(200, whoamiSchema, {
          access_key_id: who.accessKeyId,
          team_id: who.teamId,
          admin: who.admin,
          via: who.via,
          default_scope: who.key?.defaultScope ?? 'full',
          scopes: { ...(who.key?.scopes ?? {}) },
        }),
      );
    },
  }),
];
