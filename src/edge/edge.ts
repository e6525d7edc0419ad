// `dispersa edge`: an S3 endpoint storing plain files under one directory — a storage location for fragments.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Error } from '../s3/errors.ts';
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

export interface RunningEdge {
  readonly url: string;
  readonly server: Server;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>;
}

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
  const server = createServer({ maxHeaderSize: 16 * 1024 }, listener);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'RequestHeaderSectionTooLarge' : 'InvalidRequest';
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>The request could not be parsed</Message></Error>`;
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        server.closeIdleConnections();
      }),
  };
}
