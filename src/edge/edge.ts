// `dispersa edge`: an S3 endpoint storing plain files under one directory — a storage location for fragments.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { S3Error } from '../s3/errors.ts';
import { listenS3, type RunningServer } from '../s3/http.ts';
import { createS3Listener } from '../s3/server.ts';
import { FilesBackend } from './files-backend.ts';

export interface EdgeOptions {
  readonly dir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region?: string;
  readonly onInternalError?: (error: unknown, requestId: string) => void;
}

export type RunningEdge = RunningServer;

/** Credentials from the environment, or a fresh random pair (printed once by the command). */
export function edgeCredentials(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string; generated: boolean } {
  const accessKeyId = env.DISPERSA_ROOT_ACCESS_KEY;
  const secretAccessKey = env.DISPERSA_ROOT_SECRET_KEY;
  if (accessKeyId !== undefined && secretAccessKey !== undefined && accessKeyId !== '' && secretAccessKey !== '') return { accessKeyId, secretAccessKey, generated: false };
  return { accessKeyId: `DSPE${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url'), generated: true };
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  mkdirSync(options.dir, { recursive: true });
  const principal = { secretKey: options.secretAccessKey, accessKeyId: options.accessKeyId };
  const listener = createS3Listener({
    backend: new FilesBackend<typeof principal>({ dir: options.dir, region: options.region ?? 'us-east-1' }),
    lookup: (id) => Promise.resolve(id === options.accessKeyId ? principal : null),
    authorize: (p) => {
      if (p.accessKeyId !== options.accessKeyId) throw new S3Error('AccessDenied');
    },
    region: options.region ?? 'us-east-1',
    ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
  });
  return listenS3(listener, options.host ?? '127.0.0.1', options.port ?? 0);
}
