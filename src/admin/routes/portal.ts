// The developer portal's static files at `/` (index.html for unknown non-API paths), or a pointer to the API description.

import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { rootSchema } from '../schemas.ts';
import { defineRoute, json, type Reply, type Route } from './route.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Paths the portal never answers: an unknown API path is a 404 problem, not the portal's index page. */
export function isApiPath(path: string): boolean {
  return ['/api/', '/storage_policy', '/cloud_locations', '/edge_locations', '/metrics', '/health/'].some((p) => path === p.replace(/\/$/, '') || path.startsWith(p));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function fileReply(file: string): Reply {
  const contentType = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  // The index names the current assets: it is revalidated every time; assets may be kept a while.
  const cacheControl = contentType.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600';
  return { kind: 'file', file, contentType, cacheControl };
}

/**
 * The portal file for a decoded request path: the file itself when it exists inside the portal directory, else
 * index.html. Paths are resolved and must stay inside the directory, so `..` and encoded separators reach nothing else.
 */
export async function portalFile(dir: string, decodedPath: string): Promise<Reply> {
  const root = resolve(dir);
  const index = join(root, 'index.html');
  if (decodedPath.includes('\0')) return fileReply(index);
  const candidate = resolve(root, `.${decodedPath.startsWith('/') ? '' : '/'}${decodedPath}`);
  const inside = candidate.startsWith(root + sep);
  if (inside && (await isFile(candidate))) return fileReply(candidate);
  return fileReply(index);
}

export const portalRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/',
    operationId: 'root',
    summary: 'The developer portal, or (without one) a pointer to this description',
    tag: 'system',
    auth: 'public',
    // The portal's own links may carry query strings (client-side routing): they are the portal's business.
    query: z.record(z.string(), z.string()),
    responses: [
      { status: 200, description: 'The portal (text/html) or a pointer to the OpenAPI document', schema: rootSchema },
    ],
    handle: async ({ deps }) => {
      if (deps.portalDir !== undefined) return portalFile(deps.portalDir, '/');
      return json(200, rootSchema, { name: 'dispersa', version: deps.version, openapi: '/api/v1/openapi.json' });
    },
  }),
];
