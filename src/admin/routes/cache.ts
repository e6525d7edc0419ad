// The gateway's object cache: its settings (kept in the metadata store for every gateway) and its counters.

import type { z } from 'zod';
import type { CacheSettings } from '../deps.ts';
import { cacheSettingsSchema, cacheUpdateSchema, cacheViewSchema } from '../schemas.ts';
import { defineRoute, json, type Route } from './route.ts';

function settingsView(s: CacheSettings): z.output<typeof cacheSettingsSchema> {
  return {
    enabled: s.enabled,
    max_size_bytes: s.maxSizeBytes,
    min_free_disk_bytes: s.minFreeDiskBytes,
    max_file_size_bytes: s.maxFileSizeBytes,
    mime_blacklist: [...s.mimeBlacklist],
    read_through: s.readThrough,
    encrypt: s.encrypt,
  };
}

function settingsChange(body: z.output<typeof cacheUpdateSchema>): Partial<CacheSettings> {
  const change: { -readonly [K in keyof CacheSettings]?: CacheSettings[K] } = {};
  if (body.enabled !== undefined) change.enabled = body.enabled;
  if (body.max_size_bytes !== undefined) change.maxSizeBytes = body.max_size_bytes;
  if (body.min_free_disk_bytes !== undefined) change.minFreeDiskBytes = body.min_free_disk_bytes;
  if (body.max_file_size_bytes !== undefined) change.maxFileSizeBytes = body.max_file_size_bytes;
  if (body.mime_blacklist !== undefined) change.mimeBlacklist = body.mime_blacklist;
  if (body.read_through !== undefined) change.readThrough = body.read_through;
  if (body.encrypt !== undefined) change.encrypt = body.encrypt;
  return change;
}

export const cacheRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/cache',
    operationId: 'getCache',
    summary: 'Cache settings and counters',
    tag: 'cache',
    auth: 'admin',
    responses: [{ status: 200, description: 'Settings and counters', schema: cacheViewSchema }],
    handle: ({ deps }) => Promise.resolve(json(200, cacheViewSchema, { settings: settingsView(deps.cache.settings()), stats: { ...deps.cache.stats() } })),
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/v1/cache',
    operationId: 'updateCache',
    summary: 'Changes the settings given; they are kept in the metadata store for every gateway and the next start',
    tag: 'cache',
    auth: 'admin',
    body: cacheUpdateSchema,
    responses: [{ status: 200, description: 'The new settings', schema: cacheSettingsSchema }],
    audit: { operation: 'cache.update', target: () => 'cache' },
    handle: async ({ deps, body }) => json(200, cacheSettingsSchema, settingsView(await deps.cache.update(settingsChange(body)))),
  }),
];
