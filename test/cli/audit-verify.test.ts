// `dispersa audit verify`: pages through the log and finds the first altered or removed entry itself.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditEntryOf } from '../../src/cli/audit.ts';
import { auditEntryHash, GENESIS_HASH } from '../../src/meta/audit-chain.ts';
import { runFake, type RecordedRequest } from './support.ts';

type ApiEntry = Record<string, unknown>;

/** A valid chain of `n` entries as the API serialises them. */
function chain(n: number): ApiEntry[] {
  const entries: ApiEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const at = Date.UTC(2026, 10, 22, 10, 0, 0, seq);
    const e = { seq, at, actor: seq % 3 === 0 ? '-' : 'DSPROOT', teamId: 'root', operation: seq % 2 === 0 ? 'PutObject' : 'policy.create', target: `b/k${seq}`, result: 'ok', requestId: `R${seq}`, prevHash };
    const hash = auditEntryHash(e);
    entries.push({ seq, at: new Date(at).toISOString(), actor: e.actor, team_id: 'root', operation: e.operation, target: e.target, result: 'ok', request_id: e.requestId, prev_hash: prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

/** The audit route: `since` exclusive, pages of `limit`, `next` = the last seq of a full page. */
function auditApi(entries: ApiEntry[]) {
  return (req: RecordedRequest): readonly [number, unknown] => {
    assert.equal(req.path, '/api/v1/audit');
    const since = Number(req.query.since);
    const limit = Number(req.query.limit);
    const page = entries.filter((e) => (e.seq as number) > since).slice(0, limit);
    const more = entries.some((e) => (e.seq as number) > ((page.at(-1)?.seq as number | undefined) ?? Infinity));
    return [200, { entries: page, next: more ? (page.at(-1)?.seq ?? null) : null }];
  };
}

const ENV = { DISPERSA_ADMIN_TOKEN: 't' };

describe('audit verify', () => {
  it('reads API entries back into the hashed form', () => {
    const [first] = chain(1);
    const entry = auditEntryOf(first);
    assert.equal(auditEntryHash(entry), entry.hash);
  });

  it('an intact chain across several pages exits 0', async () => {
    const entries = chain(2500);
    const r = await runFake(['audit', 'verify'], { env: ENV, api: auditApi(entries) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.requests.map((q) => q.query), [{ since: '0', limit: '1000' }, { since: '1000', limit: '1000' }, { since: '2000', limit: '1000' }]);
    assert.match(r.stdout, new RegExp(`^audit chain intact: 2500 entries \\(last entry 2500, hash ${String(entries[2499]?.hash)}\\)`));
  });

  it('an empty log is intact', async () => {
    const r = await runFake(['audit', 'verify'], { env: ENV, api: auditApi([]) });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /0 entries/);
  });

  it('an altered entry exits 1 naming it, even though the server would say all is well', async () => {
    const entries = chain(1500);
    entries[1199] = { ...entries[1199], result: 'AccessDenied' };
    const r = await runFake(['audit', 'verify'], { env: ENV, api: auditApi(entries) });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /audit chain BROKEN at entry 1200 \(altered\): entry 1200 was altered/);
    assert.match(r.stdout, /the 1199 entries before it chain correctly/);
  });

  it('a removed entry exits 1, also across a page boundary', async () => {
    for (const removed of [500, 1001]) {
      const entries = chain(1500).filter((e) => e.seq !== removed);
      const r = await runFake(['audit', 'verify', '--json'], { env: ENV, api: auditApi(entries) });
      assert.equal(r.code, 1);
      const verdict = JSON.parse(r.stdout) as { ok: boolean; entries: number; first_problem: { seq: number; kind: string } };
      assert.equal(verdict.ok, false);
      assert.equal(verdict.first_problem.kind, 'removed');
      assert.equal(verdict.first_problem.seq, removed);
      assert.equal(verdict.entries, removed - 1);
    }
  });

  it('a rewritten entry with a recomputed hash still breaks the link to the next one', async () => {
    const entries = chain(10);
    const victim = entries[4] as ApiEntry;
    const forged: ApiEntry = { ...victim, target: 'b/innocent' };
    forged.hash = auditEntryHash(auditEntryOf(forged));
    entries[4] = forged;
    const r = await runFake(['audit', 'verify'], { env: ENV, api: auditApi(entries) });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /BROKEN at entry 6 \(altered\): entry 6 does not chain to entry 5/);
  });

  it('a server paging backwards is an error, not an endless loop', async () => {
    const r = await runFake(['audit', 'verify'], { env: ENV, api: () => [200, { entries: chain(2), next: 0 }] });
    assert.equal(r.code, 6);
    assert.match(r.stderr, /paged the audit log wrongly/);
  });
});
