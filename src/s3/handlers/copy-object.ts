// CopyObject (PUT with x-amz-copy-source): the source's bytes read through the backend and stored as a new object,
// with the source's headers and user metadata (directive COPY) or the request's (REPLACE).

import { storedContentEncoding } from '../auth/payload.ts';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from '../checksums.ts';
import { S3Error } from '../errors.ts';
import type { HandlerContext, S3Response } from '../handler.ts';
import type { S3Operation } from '../operations.ts';
import { xmlDocument } from '../xml.ts';
import { CopyDigests, openCopySource } from './copy-source.ts';
import { objectHeadersFrom, userMetadataFrom } from './object-headers.ts';

type CopyObjectOp = Extract<S3Operation, { kind: 'CopyObject' }>;

/** Largest copy source, as in S3 (larger objects are copied part by part with UploadPartCopy). */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;

/** The checksum algorithms a copy stores: the one the request asks for, else those of the source that describe the whole object. */
function checksumAlgorithms(requested: string | undefined, source: Readonly<Record<string, string>>): ChecksumAlgorithm[] {
  if (requested !== undefined) {
    const algorithm = parseChecksumAlgorithm(requested);
    if (algorithm === undefined) throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-algorithm header is invalid.');
    return [algorithm];
  }
  return Object.entries(source)
    .filter(([, value]) => !value.includes('-'))
    .flatMap(([name]) => parseChecksumAlgorithm(name) ?? []);
}

export async function copyObject<P>(ctx: HandlerContext<P>, op: CopyObjectOp): Promise<S3Response> {
  const h = ctx.headers;
  const directive = (h['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  if (op.source.bucket === op.bucket && op.source.key === op.key && directive === 'COPY') {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const source = await openCopySource(ctx, op.source, undefined);
  try {
    if (source.info.size > MAX_COPY_BYTES) {
      throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`);
    }
    const digests = new CopyDigests(checksumAlgorithms(h['x-amz-checksum-algorithm'], source.info.checksums));
    const replace = directive === 'REPLACE';
    const info = await ctx.backend.putObject(ctx.principal, {
      bucket: op.bucket,
      key: op.key,
      body: digests.pass(source.body),
      headers: replace ? objectHeadersFrom(h, storedContentEncoding(h['content-encoding'])) : source.info.headers,
      userMetadata: replace ? userMetadataFrom(h) : source.info.userMetadata,
      finish: () => digests.finish(),
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: xmlDocument('CopyObjectResult', {
        ETag: info.etag,
        LastModified: info.lastModified.toISOString(),
        ...Object.fromEntries(Object.entries(info.checksums).map(([name, value]) => [`Checksum${name.toUpperCase()}`, value])),
      }),
    };
  } finally {
    await source.close();
  }
}
