// The S3 operation union: every request is parsed into exactly one value before any handler runs.

import { parseQuery, percentDecode } from './auth/canonical.ts';
import { S3Error } from './errors.ts';

export interface ListParams {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  readonly maxKeys: number;
  readonly encodingType: 'url' | undefined;
}

export type S3Operation =
  | { readonly kind: 'ListBuckets' }
  | { readonly kind: 'CreateBucket'; readonly bucket: string }
  | { readonly kind: 'DeleteBucket'; readonly bucket: string }
  | { readonly kind: 'HeadBucket'; readonly bucket: string }
  | { readonly kind: 'GetBucketLocation'; readonly bucket: string }
  | ({ readonly kind: 'ListObjectsV2'; readonly bucket: string; readonly continuationToken: string | undefined; readonly startAfter: string | undefined; readonly fetchOwner: boolean } & ListParams)
  | ({ readonly kind: 'ListObjects'; readonly bucket: string; readonly marker: string | undefined } & ListParams)
  | { readonly kind: 'DeleteObjects'; readonly bucket: string }
  | { readonly kind: 'PutObject'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'GetObject'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'HeadObject'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'DeleteObject'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'NotImplemented'; readonly what: string };

export type S3OperationKind = S3Operation['kind'];

/** What a key's scope must allow: `read` (list, get, head), `write` (put, delete), `owner` (bucket life cycle). */
export type AccessClass = 'service' | 'read' | 'write' | 'owner';

export function accessOf(op: S3Operation): AccessClass {
  switch (op.kind) {
    case 'ListBuckets':
    case 'NotImplemented':
      return 'service';
    case 'HeadBucket':
    case 'GetBucketLocation':
    case 'ListObjectsV2':
    case 'ListObjects':
    case 'GetObject':
    case 'HeadObject':
      return 'read';
    case 'PutObject':
    case 'DeleteObject':
    case 'DeleteObjects':
      return 'write';
    case 'CreateBucket':
    case 'DeleteBucket':
      return 'owner';
    default: {
      const unknown: never = op;
      throw new Error(`unknown operation ${JSON.stringify(unknown)}`);
    }
  }
}

/** Where a request points: bucket and key decoded from the path (or the Host for virtual-host style), plus the query. */
export interface RequestTarget {
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly query: ReadonlyMap<string, string>;
}

export const MAX_KEY_BYTES = 1024;
const decoder = new TextDecoder('utf-8', { fatal: true });

function decodePathPart(raw: string): string {
  try {
    return decoder.decode(percentDecode(raw, false));
  } catch {
    throw new S3Error('InvalidRequest', 'The request path is not valid UTF-8');
  }
}

/**
 * Splits the raw path (as received, still percent-encoded) into bucket and key. Path style: `/bucket/key`.
 * Virtual-host style when the Host is `<bucket>.<baseDomain>`: the whole path is the key.
 */
export function parseTarget(rawPath: string, rawQuery: string, host: string | undefined, baseDomain: string | undefined): RequestTarget {
  const query = new Map<string, string>();
  for (const p of parseQuery(rawQuery)) if (!query.has(p.key)) query.set(p.key, p.value);
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  let bucket: string | undefined;
  let keyPart: string;
  if (baseDomain !== undefined && hostname.endsWith(`.${baseDomain}`)) {
    bucket = hostname.slice(0, -baseDomain.length - 1);
    keyPart = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  } else {
    const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    const slash = path.indexOf('/');
    bucket = slash < 0 ? path : path.slice(0, slash);
    keyPart = slash < 0 ? '' : path.slice(slash + 1);
    bucket = bucket === '' ? undefined : decodePathPart(bucket);
  }
  const key = keyPart === '' ? undefined : decodePathPart(keyPart);
  if (key !== undefined && Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  return { bucket, key, query };
}

/** Sub-resources this front door does not serve: answered NotImplemented, never mistaken for a plain GET or PUT. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'analytics', 'cors', 'encryption', 'intelligent-tiering', 'inventory', 'lifecycle', 'logging', 'metrics',
  'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'legal-hold', 'select', 'tagging', 'torrent', 'versioning', 'versions',
  'website', 'accelerate', 'attributes', 'uploads', 'uploadId', 'partNumber',
];

function listParams(query: ReadonlyMap<string, string>): ListParams {
  const rawMax = query.get('max-keys');
  let maxKeys = 1000;
  if (rawMax !== undefined) {
    if (!/^\d+$/.test(rawMax)) throw new S3Error('InvalidArgument', 'max-keys must be a non-negative integer', { ArgumentName: 'max-keys', ArgumentValue: rawMax });
    maxKeys = Math.min(1000, Number(rawMax));
  }
  const encoding = query.get('encoding-type');
  if (encoding !== undefined && encoding !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type' });
  const delimiter = query.get('delimiter');
  return { prefix: query.get('prefix') ?? '', delimiter: delimiter === '' ? undefined : delimiter, maxKeys, encodingType: encoding };
}

/** Pure routing: method + target → one operation, or an S3Error (MethodNotAllowed, NotImplemented, ...). */
export function routeOperation(method: string, target: RequestTarget): S3Operation {
  const { bucket, key, query } = target;
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
  if (bucket === undefined) {
    if (method === 'GET' && unsupported === undefined) return { kind: 'ListBuckets' };
    throw new S3Error('MethodNotAllowed', `${method} is not allowed on the service`);
  }
  if (unsupported !== undefined) return { kind: 'NotImplemented', what: `the '${unsupported}' sub-resource` };
  if (key === undefined) {
    switch (method) {
      case 'PUT':
        return { kind: 'CreateBucket', bucket };
      case 'DELETE':
        return { kind: 'DeleteBucket', bucket };
      case 'HEAD':
        return { kind: 'HeadBucket', bucket };
      case 'POST':
        if (query.has('delete')) return { kind: 'DeleteObjects', bucket };
        throw new S3Error('MethodNotAllowed', 'POST on a bucket is only DeleteObjects (?delete)');
      case 'GET':
        if (query.has('location')) return { kind: 'GetBucketLocation', bucket };
        if (query.get('list-type') === '2') {
          return {
            kind: 'ListObjectsV2',
            bucket,
            ...listParams(query),
            continuationToken: query.get('continuation-token'),
            startAfter: query.get('start-after'),
            fetchOwner: query.get('fetch-owner') === 'true',
          };
        }
        return { kind: 'ListObjects', bucket, ...listParams(query), marker: query.get('marker') };
      default:
        throw new S3Error('MethodNotAllowed', `${method} is not allowed on a bucket`);
    }
  }
  switch (method) {
    case 'PUT':
      if (query.has('x-id') && query.get('x-id') !== 'PutObject') return { kind: 'NotImplemented', what: `x-id=${query.get('x-id') ?? ''}` };
      return { kind: 'PutObject', bucket, key };
    case 'GET':
      return { kind: 'GetObject', bucket, key };
    case 'HEAD':
      return { kind: 'HeadObject', bucket, key };
    case 'DELETE':
      return { kind: 'DeleteObject', bucket, key };
    case 'POST':
      return { kind: 'NotImplemented', what: 'POST on an object' };
    default:
      throw new S3Error('MethodNotAllowed', `${method} is not allowed on an object`);
  }
}
