// What an operation handler receives and returns: a verified principal and the decoded body in, an S3 response out.

import type { RequestBody } from './auth/body.ts';
import type { S3Backend } from './backend.ts';

export interface S3Response {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>;
}

export interface HandlerContext<P> {
  readonly backend: S3Backend<P>;
  /** The authenticated caller: handlers only ever run for a verified request. */
  readonly principal: P;
  /** Lower-cased request headers. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: ReadonlyMap<string, string>;
  /** The request body, aws-chunked decoded and signature-checked as the payload mode requires. */
  readonly body: RequestBody;
  readonly region: string;
  /** Whether the request was signed (response-* overrides need it). */
  readonly signed: boolean;
}
