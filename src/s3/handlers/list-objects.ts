// ListObjectsV2 and ListObjects (v1): prefix, delimiter and common prefixes, paging, encoding-type=url.

import { uriEncode } from '../auth/canonical.ts';
import type { ObjectInfo } from '../backend.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import type { S3Operation } from '../operations.ts';
import { xmlDocument } from '../xml.ts';

type ListOp = Extract<S3Operation, { kind: 'ListObjectsV2' | 'ListObjects' }>;

interface Listing {
  readonly contents: readonly ObjectInfo[];
  readonly commonPrefixes: readonly string[];
  readonly truncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  readonly last: string | undefined;
}

/** Pages through the backend, folding keys that share a prefix up to the delimiter into one common prefix. */
async function collect<P>(ctx: HandlerContext<P>, op: ListOp, after: string): Promise<Listing> {
  const contents: ObjectInfo[] = [];
  const commonPrefixes: string[] = [];
  let cursor = after;
  let last: string | undefined;
  if (op.maxKeys === 0) return { contents, commonPrefixes, truncated: false, last };
  for (;;) {
    const page = await ctx.backend.listObjects(ctx.principal, op.bucket, { prefix: op.prefix, startAfter: cursor, limit: 1000 });
    for (const object of page.objects) {
      cursor = object.key;
      const rest = object.key.slice(op.prefix.length);
      const cut = op.delimiter === undefined ? -1 : rest.indexOf(op.delimiter);
      if (cut >= 0) {
        const prefix = op.prefix + rest.slice(0, cut + (op.delimiter?.length ?? 0));
        if (prefix === last) continue;
        if (contents.length + commonPrefixes.length === op.maxKeys) return { contents, commonPrefixes, truncated: true, last };
        commonPrefixes.push(prefix);
        last = prefix;
      } else {
        if (contents.length + commonPrefixes.length === op.maxKeys) return { contents, commonPrefixes, truncated: true, last };
        contents.push(object);
        last = object.key;
      }
    }
    if (!page.truncated) return { contents, commonPrefixes, truncated: false, last };
  }
}

/** The key after which to list: a common prefix resumes after every key it covers. */
function resumeAfter(marker: string | undefined, delimiter: string | undefined): string {
  if (marker === undefined || marker === '') return '';
  return delimiter !== undefined && marker.endsWith(delimiter) ? marker + '\u{10FFFF}' : marker;
}

function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  return Buffer.from(token, 'base64url').toString('utf8');
}

export async function listObjects<P>(ctx: HandlerContext<P>, op: ListOp): Promise<S3Response> {
  const url = op.encodingType === 'url';
  const enc = (value: string): string => (url ? uriEncode(value, true) : value);
  const v2 = op.kind === 'ListObjectsV2';
  const marker = v2 ? (op.continuationToken !== undefined ? decodeToken(op.continuationToken) : op.startAfter) : op.marker;
  const listing = await collect(ctx, op, resumeAfter(marker, op.delimiter));
  const contents = listing.contents.map((o) => ({
    Key: enc(o.key),
    LastModified: o.lastModified.toISOString(),
    ETag: o.etag,
    Size: o.size,
    StorageClass: 'STANDARD',
    ...(v2 && !op.fetchOwner ? {} : { Owner: { ID: 'dispersa', DisplayName: 'dispersa' } }),
  }));
  const common = listing.commonPrefixes.map((p) => ({ Prefix: enc(p) }));
  const body = v2
    ? xmlDocument('ListBucketResult', {
        Name: op.bucket,
        Prefix: enc(op.prefix),
        Delimiter: op.delimiter === undefined ? undefined : enc(op.delimiter),
        MaxKeys: op.maxKeys,
        EncodingType: op.encodingType,
        KeyCount: contents.length + common.length,
        ContinuationToken: op.continuationToken,
        StartAfter: op.startAfter === undefined ? undefined : enc(op.startAfter),
        IsTruncated: listing.truncated,
        NextContinuationToken: listing.truncated && listing.last !== undefined ? encodeToken(listing.last) : undefined,
        Contents: contents,
        CommonPrefixes: common,
      })
    : xmlDocument('ListBucketResult', {
        Name: op.bucket,
        Prefix: enc(op.prefix),
        Marker: enc(op.marker ?? ''),
        NextMarker: listing.truncated && op.delimiter !== undefined && listing.last !== undefined ? enc(listing.last) : undefined,
        MaxKeys: op.maxKeys,
        Delimiter: op.delimiter === undefined ? undefined : enc(op.delimiter),
        EncodingType: op.encodingType,
        IsTruncated: listing.truncated,
        Contents: contents,
        CommonPrefixes: common,
      });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}
