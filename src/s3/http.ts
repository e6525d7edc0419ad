// The HTTP server an S3 listener runs in: header size limit, S3 XML for requests that cannot even be parsed, draining close.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { xmlDocument } from './xml.ts';

/** Larger request header sections are refused (S3 allows 8 KB of headers plus user metadata). */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  /** Stops accepting connections and resolves once in-flight requests finished. */
  close(): Promise<void>;
}

export async function listenS3(listener: (req: IncomingMessage, res: ServerResponse) => void, host: string, port: number): Promise<RunningServer> {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, listener);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = xmlDocument('Error', { Code: tooLarge ? 'RequestHeaderSectionTooLarge' : 'InvalidRequest', Message: tooLarge ? `Your request header section exceeds the maximum allowed size of ${MAX_HEADER_BYTES} bytes` : 'The request could not be parsed' }, null);
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return listenOn(server, host, port);
}

/** Starts `server` on host:port (0: a free port) and describes it; `close` drains in-flight requests. */
export async function listenOn(server: Server, host: string, port: number): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        server.closeIdleConnections();
      }),
  };
}
