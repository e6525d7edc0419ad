// The S3 front door on node:http: parse → operation → verify signature → authorise → handler → response.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openRequestBody } from './auth/body.ts';
import { isS3AuthError } from './auth/errors.ts';
import { createSigV4Verifier, type CredentialLookup, type SigV4Credential } from './auth/sigv4.ts';
import type { S3Backend } from './backend.ts';
import { isS3ErrorCode, S3Error } from './errors.ts';
import type { HandlerContext, S3Response } from './handler.ts';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './handlers/buckets.ts';
import { deleteObject, deleteObjects } from './handlers/delete-object.ts';
import { getBucketVersioning } from './handlers/get-bucket-versioning.ts';
import { getObject } from './handlers/get-object.ts';
import { getObjectTagging } from './handlers/get-object-tagging.ts';
import { listObjects } from './handlers/list-objects.ts';
import { putObject } from './handlers/put-object.ts';
import { abortMultipartUpload } from './handlers/abort-multipart-upload.ts';
import { completeMultipartUpload } from './handlers/complete-multipart-upload.ts';
import { copyObject } from './handlers/copy-object.ts';
import { createMultipartUpload } from './handlers/create-multipart-upload.ts';
import { listMultipartUploads } from './handlers/list-multipart-uploads.ts';
import { listParts } from './handlers/list-parts.ts';
import { uploadPart } from './handlers/upload-part.ts';
import { uploadPartCopy } from './handlers/upload-part-copy.ts';
import { accessOf, parseTarget, routeOperation, type AccessClass, type S3Operation } from './operations.ts';
import { xmlDocument } from './xml.ts';

/** What the front door tells its observer when a request ends (metrics, audit). */
export interface S3RequestRecord<P> {
  readonly requestId: string;
  /** The operation's kind (e.g. 'PutObject'); 'CorsPreflight' for an OPTIONS request; 'Unknown' when the request could not be routed. */
  readonly operation: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** Set when the signature verified. */
  readonly principal: P | undefined;
  /** The access key the request claimed (verified or not); undefined for anonymous requests. */
  readonly accessKeyId: string | undefined;
  readonly status: number;
  /** The S3 error code when the request failed. */
  readonly errorCode: string | undefined;
  /** The request was refused before any handler ran because its authentication failed. */
  readonly authFailed: boolean;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

export interface S3FrontDoorOptions<P extends SigV4Credential> {
  readonly backend: S3Backend<P>;
  /** Secret and principal of an access key, or null when there is no such key. */
  readonly lookup: CredentialLookup<P>;
  /** Decides whether a verified principal may run an operation of this access class; throws S3Error('AccessDenied'). */
  readonly authorize?: (principal: P, access: AccessClass, op: S3Operation) => void | Promise<void>;
  /** The region the server reports; any signing region is accepted. */
  readonly region?: string;
  /** Enables virtual-host style requests (`<bucket>.<baseDomain>`). */
  readonly baseDomain?: string;
  readonly now?: () => Date;
  /** Told about 5xx errors, whose details never reach the client. */
  readonly onInternalError?: (error: unknown, requestId: string) => void;
  /** Called once per request, after the response ended (or the connection closed). Must not throw. */
  readonly onRequestDone?: (record: S3RequestRecord<P>) => void;
}

/** What a request revealed about itself so far: the material of its S3RequestRecord. */
interface RequestSeen<P> {
  operation: string;
  bucket: string | undefined;
  key: string | undefined;
  principal: P | undefined;
  accessKeyId: string | undefined;
  errorCode: string | undefined;
  authFailed: boolean;
  bytesIn: number;
  bytesOut: number;
}

/*
 * CORS. The developer portal is served from the admin port and calls this front door (another origin) from the
 * browser with SigV4-signed fetch/XHR requests, so every origin is allowed. That is safe because this endpoint
 * grants nothing ambient: anonymous requests are refused, and every request must carry a SigV4 signature (in the
 * Authorization header or a pre-signed query) computed with a secret the calling page already holds. There are no
 * cookies or sessions (no Access-Control-Allow-Credentials), so a hostile page can only send requests it could send
 * from anywhere else with the same knowledge; reading a response cross-origin gives it nothing it could not get with
 * curl. A preflight carries no credentials by definition, so it is answered without authentication, as S3 does.
 */
export const CORS_ALLOWED_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
/** Response headers a browser page may read besides the CORS-safelisted ones (ETag and checksums above all). */
export const CORS_EXPOSED_HEADERS = [
  'ETag', 'x-amz-request-id', 'x-amz-version-id', 'x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1', 'x-amz-checksum-sha256', 'Content-Length', 'Content-Range', 'Last-Modified',
] as const;
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/** Headers every response to a request with an `Origin` carries (errors too, or the page could not read them). */
function setCorsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
  res.setHeader('vary', 'Origin');
}

/**
 * Answers an `OPTIONS` request, which is never an S3 operation: with `Origin` and `Access-Control-Request-Method`
 * (an allowed method) it is a preflight → 200 and what may follow; otherwise the S3 error explaining why not.
 */
function answerPreflight(res: ServerResponse, headers: Readonly<Record<string, string | undefined>>): void {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (origin === undefined || method === undefined) {
    throw new S3Error('InvalidRequest', 'Insufficient information: a CORS preflight (OPTIONS) needs the Origin and Access-Control-Request-Method headers');
  }
  if (!(CORS_ALLOWED_METHODS as readonly string[]).includes(method.trim().toUpperCase())) {
    throw new S3Error('AccessDenied', `CORSResponse: the method ${method} is not allowed (allowed: ${CORS_ALLOWED_METHODS.join(', ')})`);
  }
  res.statusCode = 200;
  res.setHeader('access-control-allow-methods', CORS_ALLOWED_METHODS.join(', '));
  const requested = headers['access-control-request-headers'];
  if (requested !== undefined && requested.trim() !== '') res.setHeader('access-control-allow-headers', requested);
  res.setHeader('access-control-max-age', String(CORS_MAX_AGE_SECONDS));
  res.setHeader('content-length', 0);
  res.end();
}

/** The access key a request claims (Authorization header or X-Amz-Credential), before anything is verified. */
function claimedAccessKeyId(authorization: string | undefined, rawQuery: string): string | undefined {
  let credential: string | undefined;
  if (authorization !== undefined) {
    credential = /Credential=([^,\s]+)/.exec(authorization)?.[1];
  } else {
    const param = rawQuery.split('&').find((p) => p.startsWith('X-Amz-Credential='));
    if (param !== undefined) {
      try {
        credential = decodeURIComponent(param.slice('X-Amz-Credential='.length).replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    }
  }
  if (credential === undefined) return undefined;
  const parts = credential.split('/');
  // <key>/<date>/<region>/<service>/aws4_request; a key may itself contain '/'.
  const accessKeyId = parts.length >= 5 ? parts.slice(0, -4).join('/') : parts[0];
  return accessKeyId === '' ? undefined : accessKeyId;
}

/** The same chunks, each counted on its way through. */
function counted<T extends Uint8Array | string>(source: AsyncIterable<T>, count: (bytes: number) => void): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const chunk of source) {
        count(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);
        yield chunk;
      }
    },
  };
}

function headerRecord(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) out[name] = Array.isArray(value) ? value.join(',') : value;
  return out;
}

async function dispatch<P>(ctx: HandlerContext<P>, op: S3Operation): Promise<S3Response> {
  switch (op.kind) {
    case 'ListBuckets':
      return listBuckets(ctx);
    case 'CreateBucket':
      return createBucket(ctx, op.bucket);
    case 'DeleteBucket':
      return deleteBucket(ctx, op.bucket);
    case 'HeadBucket':
      return headBucket(ctx, op.bucket);
    case 'GetBucketLocation':
      return getBucketLocation(ctx, op.bucket);
    case 'GetBucketVersioning':
      return getBucketVersioning(ctx, op.bucket);
    case 'GetObjectTagging':
      return getObjectTagging(ctx, op.bucket, op.key);
    case 'ListObjectsV2':
    case 'ListObjects':
      return listObjects(ctx, op);
    case 'DeleteObjects':
      return deleteObjects(ctx, op.bucket);
    case 'PutObject':
      return putObject(ctx, op.bucket, op.key);
    case 'GetObject':
      return getObject(ctx, op.bucket, op.key, false);
    case 'HeadObject':
      return getObject(ctx, op.bucket, op.key, true);
    case 'DeleteObject':
      return deleteObject(ctx, op.bucket, op.key);
    case 'CopyObject':
      return copyObject(ctx, op);
    case 'CreateMultipartUpload':
      return createMultipartUpload(ctx, op.bucket, op.key);
    case 'UploadPart':
      return uploadPart(ctx, op);
    case 'UploadPartCopy':
      return uploadPartCopy(ctx, op);
    case 'CompleteMultipartUpload':
      return completeMultipartUpload(ctx, op.bucket, op.key, op.uploadId);
    case 'AbortMultipartUpload':
      return abortMultipartUpload(ctx, op.bucket, op.key, op.uploadId);
    case 'ListParts':
      return listParts(ctx, op);
    case 'ListMultipartUploads':
      return listMultipartUploads(ctx, op);
    case 'NotImplemented':
      throw new S3Error('NotImplemented', `This server does not implement ${op.what}`);
    default: {
      const unknown: never = op;
      throw new Error(`unhandled operation ${JSON.stringify(unknown)}`);
    }
  }
}

/** Builds the request listener of an S3 server. */
export function createS3Listener<P extends SigV4Credential>(options: S3FrontDoorOptions<P>): (req: IncomingMessage, res: ServerResponse) => void {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? (() => new Date());
  const verifier = createSigV4Verifier({ lookup: options.lookup, now });

  async function handle(req: IncomingMessage, res: ServerResponse, seen: RequestSeen<P>): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const headers = headerRecord(req);
    const method = (req.method ?? 'GET').toUpperCase();
    // Before routing: OPTIONS names no S3 operation, and a preflight is answered whatever its path or query.
    if (method === 'OPTIONS') {
      seen.operation = 'CorsPreflight';
      answerPreflight(res, headers);
      return;
    }
    seen.accessKeyId = claimedAccessKeyId(headers.authorization, rawQuery);
    const target = parseTarget(rawPath, rawQuery, headers.host, options.baseDomain);
    // What the path names, until routing says what the operation is about (or fails).
    seen.bucket = target.bucket;
    seen.key = target.key;
    const op = routeOperation(method, target, headers);
    seen.operation = op.kind;
    seen.bucket = 'bucket' in op ? op.bucket : undefined;
    seen.key = 'key' in op ? op.key : undefined;
    const auth = await verifier.verify({ method, path: rawPath, query: rawQuery, headers });
    if (auth.kind === 'rejected') {
      seen.authFailed = true;
      throw auth.error;
    }
    if (auth.kind === 'anonymous') {
      seen.authFailed = true;
      throw new S3Error('AccessDenied', 'Anonymous access is not allowed: sign the request with an access key (SigV4).');
    }
    seen.principal = auth.principal;
    seen.accessKeyId = auth.accessKeyId;
    await options.authorize?.(auth.principal, accessOf(op), op);
    const body = openRequestBody(auth, headers, counted<Uint8Array>(req, (n) => { seen.bytesIn += n; }));
    const response = await dispatch({ backend: options.backend, principal: auth.principal, headers, query: target.query, body, region, signed: true }, op);
    res.statusCode = response.status;
    for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
    const payload = response.body;
    if (payload === undefined || method === 'HEAD') {
      res.end();
    } else if (typeof payload === 'string' || payload instanceof Uint8Array) {
      const length = Buffer.byteLength(payload);
      res.setHeader('content-length', length);
      seen.bytesOut += length;
      res.end(payload);
    } else {
      await pipeline(Readable.from(counted(payload, (n) => { seen.bytesOut += n; })), res);
    }
  }

  function sendError(req: IncomingMessage, res: ServerResponse, requestId: string, error: unknown, seen: RequestSeen<P>): void {
    let s3: S3Error;
    if (error instanceof S3Error) s3 = error;
    else if (isS3AuthError(error) && isS3ErrorCode(error.code)) {
      s3 = new S3Error(error.code, error.message, error.details ? { CanonicalRequest: error.details.canonicalRequest, StringToSign: error.details.stringToSign } : {});
    } else {
      options.onInternalError?.(error, requestId);
      s3 = new S3Error('InternalError');
    }
    seen.errorCode = s3.code;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body the client is still sending is not read any further: close the connection after this answer.
    if (!req.complete) res.setHeader('connection', 'close');
    res.statusCode = s3.status;
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = xmlDocument('Error', { Code: s3.code, Message: s3.message, ...s3.extra, Resource: (req.url ?? '/').split('?')[0], RequestId: requestId }, null);
    res.setHeader('content-type', 'application/xml');
    res.setHeader('content-length', Buffer.byteLength(body));
    seen.bytesOut += Buffer.byteLength(body);
    res.end(body);
  }

  /** Tells `onRequestDone` once, when the response finished or the connection closed before that. */
  function observe(res: ServerResponse, requestId: string, seen: RequestSeen<P>, started: number): void {
    const done = options.onRequestDone;
    if (done === undefined) return;
    let told = false;
    const tell = (): void => {
      if (told) return;
      told = true;
      try {
        done({
          requestId,
          operation: seen.operation,
          bucket: seen.bucket,
          key: seen.key,
          principal: seen.principal,
          accessKeyId: seen.accessKeyId,
          status: res.statusCode,
          errorCode: seen.errorCode,
          authFailed: seen.authFailed,
          bytesIn: seen.bytesIn,
          bytesOut: seen.bytesOut,
          durationMs: performance.now() - started,
        });
      } catch {
        // An observer must not break the request path; metrics and audit are best effort here.
      }
    };
    res.once('finish', tell);
    res.once('close', tell);
  }

  return (req, res) => {
    const started = performance.now();
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const seen: RequestSeen<P> = {
      operation: 'Unknown',
      bucket: undefined,
      key: undefined,
      principal: undefined,
      accessKeyId: undefined,
      errorCode: undefined,
      authFailed: false,
      bytesIn: 0,
      bytesOut: 0,
    };
    observe(res, requestId, seen, started);
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 'Dispersa');
    res.setHeader('date', now().toUTCString());
    const origin = req.headers.origin;
    if (origin !== undefined) setCorsHeaders(res, origin);
    handle(req, res, seen).catch((error: unknown) => {
      sendError(req, res, requestId, error, seen);
    });
  };
}
