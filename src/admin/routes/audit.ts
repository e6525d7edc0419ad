// The tamper-evident audit log: read a page at a time, and the server's own check of the hash chain.

import type { z } from 'zod';
import { checkAuditChain, type ChainProblem } from '../../meta/audit-chain.ts';
import type { AuditEntry } from '../../meta/types.ts';
import { auditEntrySchema, auditPageSchema, auditQuerySchema, auditVerifySchema } from '../schemas.ts';
import { defineRoute, iso, json, type Route } from './route.ts';

const DEFAULT_LIMIT = 100;
const VERIFY_PAGE = 1000;

export function auditEntryView(e: AuditEntry): z.output<typeof auditEntrySchema> {
  return {
    seq: e.seq,
    at: iso(e.at),
    actor: e.actor,
    team_id: e.teamId,
    operation: e.operation,
    target: e.target,
    result: e.result,
    request_id: e.requestId,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

export const auditRoutes: readonly Route[] = [
  defineRoute<undefined, z.output<typeof auditQuerySchema>>({
    method: 'GET',
    path: '/api/v1/audit',
    operationId: 'listAudit',
    summary: 'Audit entries, oldest first, a page at a time',
    tag: 'audit',
    auth: 'admin',
    query: auditQuerySchema,
    responses: [{ status: 200, description: 'A page; `next` is the `since` of the next one, null at the end', schema: auditPageSchema }],
    handle: async ({ deps, query }) => {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const since = query.since;
      const position = since === undefined ? {} : /^[0-9]+$/.test(since) ? { sinceSeq: Number(since) } : { sinceTime: Date.parse(since) };
      const entries = await deps.meta.listAudit({ ...position, limit });
      const last = entries[entries.length - 1];
      return json(200, auditPageSchema, { entries: entries.map(auditEntryView), next: entries.length === limit && last !== undefined ? last.seq : null });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/audit/verify',
    operationId: 'verifyAudit',
    summary: "Recomputes the whole hash chain (clients should also check it themselves: see `dispersa audit verify`)",
    tag: 'audit',
    auth: 'admin',
    responses: [{ status: 200, description: 'The verdict', schema: auditVerifySchema }],
    handle: async ({ deps }) => {
      let previous: AuditEntry | undefined;
      let checked = 0;
      let problem: ChainProblem | undefined;
      for (;;) {
        const page = await deps.meta.listAudit({ ...(previous === undefined ? {} : { sinceSeq: previous.seq }), limit: VERIFY_PAGE });
        problem = checkAuditChain(page, previous);
        checked += page.length;
        const last = page[page.length - 1];
        if (problem !== undefined || page.length < VERIFY_PAGE || last === undefined) break;
        previous = last;
      }
      return json(200, auditVerifySchema, { ok: problem === undefined, entries: checked, first_problem: problem === undefined ? null : { seq: problem.seq, kind: problem.kind, message: problem.message } });
    },
  }),
];
