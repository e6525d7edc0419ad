// Object headers in and out: standard headers, x-amz-meta-*, checksums, conditional requests, ranges.

import type { ObjectHeaders, ObjectInfo } from '../backend.ts';
import { S3Error } from '../errors.ts';

const STANDARD: readonly [keyof ObjectHeaders, string][] = [
  ['contentType', 'content-type'],
  ['contentEncoding', 'content-encoding'],
  ['contentDisposition', 'content-disposition'],
  ['contentLanguage', 'content-language'],
  ['cacheControl', 'cache-control'],
  ['expires', 'expires'],
];

/** S3's limit on user metadata: 2 KB of names and values. */
export const MAX_USER_METADATA_BYTES = 2048;

export function objectHeadersFrom(headers: Readonly<Record<string, string | undefined>>, storedContentEncoding: string | undefined): ObjectHeaders {
  const out: Record<string, string> = {};
  for (const [field, name] of STANDARD) {
    const value = name === 'content-encoding' ? storedContentEncoding : headers[name];
    if (value !== undefined && value !== '') out[field] = value;
  }
  return out;
}

export function userMetadataFrom(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const meta: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const key = name.slice('x-amz-meta-'.length);
    meta[key] = value;
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size of ${MAX_USER_METADATA_BYTES} bytes`);
  return meta;
}

/** Response headers describing a stored object (GET and HEAD). */
export function objectResponseHeaders(info: ObjectInfo, withChecksums: boolean): Record<string, string> {
  const out: Record<string, string> = {
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [field, name] of STANDARD) {
    const value = info.headers[field];
    if (value !== undefined) out[name] = value;
  }
  if (out['content-type'] === undefined) out['content-type'] = 'binary/octet-stream';
  for (const [name, value] of Object.entries(info.userMetadata)) out[`x-amz-meta-${name}`] = value;
  if (withChecksums) for (const [algorithm, value] of Object.entries(info.checksums)) out[`x-amz-checksum-${algorithm}`] = value;
  return out;
}

const RESPONSE_OVERRIDES: readonly [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** response-* query overrides of GET; S3 honours them only on signed requests. */
export function applyResponseOverrides(headers: Record<string, string>, query: ReadonlyMap<string, string>, signed: boolean): void {
  for (const [param, header] of RESPONSE_OVERRIDES) {
    const value = query.get(param);
    if (value === undefined) continue;
    if (!signed) throw new S3Error('InvalidRequest', 'Request specific response headers cannot be used for anonymous GET requests.');
    headers[header] = value;
  }
}

function parseHttpDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function etagMatches(header: string, etag: string): boolean {
  return header.split(',').map((t) => t.trim()).some((t) => t === '*' || t === etag || `"${t}"` === etag || t.replace(/^W\//, '') === etag);
}

/** HTTP conditional requests (RFC 9110 order): throws PreconditionFailed, or returns 304 for GET/HEAD. */
export function checkPreconditions(headers: Readonly<Record<string, string | undefined>>, info: ObjectInfo): 304 | undefined {
  const seconds = Math.floor(info.lastModified.getTime() / 1000) * 1000;
  const ifMatch = headers['if-match'];
  const ifUnmodified = parseHttpDate(headers['if-unmodified-since']);
  const ifNoneMatch = headers['if-none-match'];
  const ifModified = parseHttpDate(headers['if-modified-since']);
  if (ifMatch !== undefined && !etagMatches(ifMatch, info.etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  if (ifMatch === undefined && ifUnmodified !== undefined && seconds > ifUnmodified.getTime()) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, info.etag)) return 304;
  if (ifNoneMatch === undefined && ifModified !== undefined && seconds <= ifModified.getTime()) return 304;
  return undefined;
}

/**
 * A Range header against an object of `size` bytes: undefined for the whole object (absent, or a form S3
 * ignores such as several ranges), the half-open byte range, or InvalidRange when it cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, first = '', last = ''] = m;
  let start: number;
  let end: number;
  if (first === '') {
    if (last === '') return undefined;
    const suffix = Number(last);
    if (suffix === 0) throw new S3Error('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) });
    start = Math.max(0, size - suffix);
    end = size;
  } else {
    start = Number(first);
    end = last === '' ? size : Math.min(size, Number(last) + 1);
    if (last !== '' && Number(last) < start) return undefined;
  }
  if (start >= size) throw new S3Error('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: String(size) });
  return { start, end };
}
