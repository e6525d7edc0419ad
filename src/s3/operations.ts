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
  | { readonly kind: 'CopyObject'; readonly bucket: string; readonly key: string; readonly source: CopySource }
  | { readonly kind: 'CreateMultipartUpload'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'UploadPart'; readonly bucket: string; readonly key: string; readonly uploadId: string; readonly partNumber: number }
  | { readonly kind: 'UploadPartCopy'; readonly bucket: string; readonly key: string; readonly uploadId: string; readonly partNumber: number; readonly source: CopySource }
  | { readonly kind: 'CompleteMultipartUpload'; readonly bucket: string; readonly key: string; readonly uploadId: string }
  | { readonly kind: 'AbortMultipartUpload'; readonly bucket: string; readonly key: string; readonly uploadId: string }
  | { readonly kind: 'ListParts'; readonly bucket: string; readonly key: string; readonly uploadId: string; readonly partNumberMarker: number; readonly maxParts: number }
  | {
      readonly kind: 'ListMultipartUploads';
      readonly bucket: string;
      readonly prefix: string;
      readonly delimiter: string | undefined;
      readonly keyMarker: string | undefined;
      readonly uploadIdMarker: string | undefined;
      readonly maxUploads: number;
      readonly encodingType: 'url' | undefined;
    }
  | { readonly kind: 'GetObjectTagging'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'GetBucketVersioning'; readonly bucket: string }
  | { readonly kind: 'NotImplemented'; readonly what: string };

/** The object a CopyObject or UploadPartCopy reads from (`x-amz-copy-source`, decoded). */
export interface CopySource {
  readonly bucket: string;
  readonly key: string;
}

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
    case 'GetBucketVersioning':
    case 'GetObjectTagging':
    case 'ListObjectsV2':
    case 'ListObjects':
    case 'GetObject':
    case 'HeadObject':
    case 'ListParts':
    case 'ListMultipartUploads':
      return 'read';
    case 'PutObject':
    case 'DeleteObject':
    case 'DeleteObjects':
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
    case 'AbortMultipartUpload':
      return 'write';
    // The destination's class; the source must also be readable, which the backend checks when it opens it.
    case 'CopyObject':
    case 'UploadPartCopy':
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
  'website', 'accelerate', 'attributes',
];

/** The part number range S3 allows. */
export const MAX_PART_NUMBER = 10_000;

function partNumberOf(raw: string | undefined): number {
  const n = raw !== undefined && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw ?? '' });
  }
  return n;
}

function boundedCount(query: ReadonlyMap<string, string>, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(max, Number(raw));
}

function uploadIdOf(query: ReadonlyMap<string, string>): string {
  const id = query.get('uploadId') ?? '';
  if (id === '') throw new S3Error('InvalidArgument', 'The uploadId must not be empty', { ArgumentName: 'uploadId' });
  return id;
}

/**
 * `x-amz-copy-source`: `/bucket/key` or `bucket/key`, the key URL-encoded. A `?versionId=` names a version,
 * which this store (no versioning) cannot serve.
 */
export function parseCopySource(value: string): CopySource {
  const q = value.indexOf('?');
  const path = q < 0 ? value : value.slice(0, q);
  if (q >= 0) {
    const params = new Map(parseQuery(value.slice(q + 1)).map((p) => [p.key, p.value]));
    if (params.has('versionId')) throw new S3Error('NotImplemented', 'This server does not keep object versions: x-amz-copy-source cannot name a versionId');
  }
  const decoded = decodePathPart(path.startsWith('/') ? path.slice(1) : path);
  const slash = decoded.indexOf('/');
  const bucket = slash < 0 ? decoded : decoded.slice(0, slash);
  const key = slash < 0 ? '' : decoded.slice(slash + 1);
  if (bucket === '' || key === '') throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  return { bucket, key };
}

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

/** Pure routing: method + target (+ the headers that select an operation) → one operation, or an S3Error. */
export function routeOperation(method: string, target: RequestTarget, headers: Readonly<Record<string, string | undefined>> = {}): S3Operation {
  const { bucket, key, query } = target;
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => query.has(s));
  if (bucket === undefined) {
    if (method === 'GET' && unsupported === undefined) return { kind: 'ListBuckets' };
    throw new S3Error('MethodNotAllowed', `${method} is not allowed on the service`);
  }
  // Read-only answers for two sub-resources clients query before they copy or purge (no tags, never versioned).
  if (method === 'GET' && query.has('tagging') && key !== undefined && unsupported === 'tagging') return { kind: 'GetObjectTagging', bucket, key };
  if (method === 'GET' && query.has('versioning') && key === undefined && unsupported === 'versioning') return { kind: 'GetBucketVersioning', bucket };
  if (unsupported !== undefined) return { kind: 'NotImplemented', what: `the '${unsupported}' sub-resource` };
  if (key === undefined) {
    if (query.has('uploadId') || query.has('partNumber')) return { kind: 'NotImplemented', what: 'uploadId or partNumber on a bucket' };
    if (query.has('uploads')) {
      if (method !== 'GET') return { kind: 'NotImplemented', what: `${method} ?uploads on a bucket` };
      const delimiter = query.get('delimiter');
      const encoding = query.get('encoding-type');
      if (encoding !== undefined && encoding !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type' });
      return {
        kind: 'ListMultipartUploads',
        bucket,
        prefix: query.get('prefix') ?? '',
        delimiter: delimiter === '' ? undefined : delimiter,
        keyMarker: query.get('key-marker') || undefined,
        uploadIdMarker: query.get('upload-id-marker') || undefined,
        maxUploads: boundedCount(query, 'max-uploads', 1000, 1000),
        encodingType: encoding,
      };
    }
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
  const op = routeObjectOperation(method, bucket, key, query, headers);
  // The SDKs name the operation they mean in `x-id`: one this server would route differently is not served.
  const xId = query.get('x-id');
  if (xId !== undefined && xId !== op.kind && op.kind !== 'NotImplemented') return { kind: 'NotImplemented', what: `x-id=${xId}` };
  return op;
}

function routeObjectOperation(
  method: string,
  bucket: string,
  key: string,
  query: ReadonlyMap<string, string>,
  headers: Readonly<Record<string, string | undefined>>,
): S3Operation {
  const copySource = headers['x-amz-copy-source'];
  const hasUploadId = query.has('uploadId');
  if (query.has('uploads')) {
    if (method === 'POST') return { kind: 'CreateMultipartUpload', bucket, key };
    return { kind: 'NotImplemented', what: `${method} ?uploads on an object` };
  }
  switch (method) {
    case 'PUT':
      if (hasUploadId || query.has('partNumber')) {
        if (!hasUploadId) return { kind: 'NotImplemented', what: 'partNumber without uploadId' };
        const part = { bucket, key, uploadId: uploadIdOf(query), partNumber: partNumberOf(query.get('partNumber')) };
        return copySource === undefined ? { kind: 'UploadPart', ...part } : { kind: 'UploadPartCopy', ...part, source: parseCopySource(copySource) };
      }
      if (copySource !== undefined) return { kind: 'CopyObject', bucket, key, source: parseCopySource(copySource) };
      return { kind: 'PutObject', bucket, key };
    case 'GET':
      if (hasUploadId) {
        return {
          kind: 'ListParts',
          bucket,
          key,
          uploadId: uploadIdOf(query),
          partNumberMarker: boundedCount(query, 'part-number-marker', 0, MAX_PART_NUMBER),
          maxParts: boundedCount(query, 'max-parts', 1000, 1000),
        };
      }
      if (query.has('partNumber')) return { kind: 'NotImplemented', what: 'GetObject of one part (partNumber)' };
      return { kind: 'GetObject', bucket, key };
    case 'HEAD':
      if (hasUploadId || query.has('partNumber')) return { kind: 'NotImplemented', what: 'HeadObject of one part (partNumber)' };
      return { kind: 'HeadObject', bucket, key };
    case 'DELETE':
      if (hasUploadId) return { kind: 'AbortMultipartUpload', bucket, key, uploadId: uploadIdOf(query) };
      return { kind: 'DeleteObject', bucket, key };
    case 'POST':
      if (hasUploadId) return { kind: 'CompleteMultipartUpload', bucket, key, uploadId: uploadIdOf(query) };
      return { kind: 'NotImplemented', what: 'POST on an object' };
    default:
      throw new S3Error('MethodNotAllowed', `${method} is not allowed on an object`);
  }
}
