// The audit log's hash chain: how an entry's hash is computed, and how a sequence of entries is checked.

import { createHash } from 'node:crypto';
import type { AuditEntry } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (hex) of the entry's fields and its predecessor's hash, as the UTF-8 JSON array
 * [seq, at, actor, teamId, operation, target, result, requestId, prevHash] (see docs/admin-api.md, "Audit log").
 */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify([e.seq, e.at, e.actor, e.teamId, e.operation, e.target, e.result, e.requestId, e.prevHash]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export type ChainProblem =
  | { readonly kind: 'altered'; readonly seq: number; readonly message: string }
  | { readonly kind: 'removed'; readonly seq: number; readonly message: string };

/**
 * Checks entries given in seq order, continuing from `previous` (the last entry already checked; none for the
 * first page). Returns the first problem: an entry whose hash is not its own (altered), or whose seq or prevHash
 * does not follow its predecessor (an entry before it was removed or altered).
 */
export function checkAuditChain(entries: readonly AuditEntry[], previous?: Pick<AuditEntry, 'seq' | 'hash'>): ChainProblem | undefined {
  let prevSeq = previous?.seq ?? 0;
  let prevHash = previous?.hash ?? GENESIS_HASH;
  for (const e of entries) {
    if (e.seq !== prevSeq + 1) {
      return { kind: 'removed', seq: prevSeq + 1, message: `entry ${prevSeq + 1} is missing (the next entry present is ${e.seq})` };
    }
    if (auditEntryHash(e) !== e.hash) return { kind: 'altered', seq: e.seq, message: `entry ${e.seq} was altered: its hash does not match its content` };
    if (e.prevHash !== prevHash) {
      return { kind: 'altered', seq: e.seq, message: `entry ${e.seq} does not chain to entry ${prevSeq}: one of them was altered or replaced` };
    }
    prevSeq = e.seq;
    prevHash = e.hash;
  }
  return undefined;
}
