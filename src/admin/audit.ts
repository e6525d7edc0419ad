// The audit trail's writers: the service the admin API records through, and what S3 requests add to it.

import type { AuditEntry, MetadataStore, NewAuditEntry } from '../meta/types.ts';
import type { S3RequestRecord } from '../s3/server.ts';
import type { AuditService } from './deps.ts';

/** S3 operations that change state: each one is audited, whether it succeeded or not. */
const STATE_CHANGING = new Set([
  'CreateBucket',
  'DeleteBucket',
  'PutObject',
  'CopyObject',
  'DeleteObject',
  'DeleteObjects',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
]);

export class AuditLog implements AuditService {
  constructor(private readonly meta: MetadataStore) {}

  record(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.meta.appendAudit(entry);
  }
}

/**
 * The audit entry an S3 request leaves, if any: every authentication failure, and every state-changing operation
 * of a verified caller (with its outcome). Reads are not audited.
 */
export function s3AuditEntry(r: S3RequestRecord<{ readonly accessKeyId: string; readonly teamId: string }>): NewAuditEntry | undefined {
  const target = r.bucket === undefined ? '-' : r.key === undefined ? r.bucket : `${r.bucket}/${r.key}`;
  if (r.authFailed) {
    return { actor: r.accessKeyId ?? '-', teamId: '-', operation: 'auth.failure', target: `s3:${r.operation} ${target}`, result: r.errorCode ?? String(r.status), requestId: r.requestId };
  }
  if (r.principal === undefined || !STATE_CHANGING.has(r.operation)) return undefined;
  return { actor: r.principal.accessKeyId, teamId: r.principal.teamId, operation: r.operation, target, result: r.errorCode ?? 'ok', requestId: r.requestId };
}
