// The audit log (administrators): pages of entries with filters, and the verdict on the hash chain.

import { useState } from 'preact/hooks';
import { Empty, LoadFailed, Loading, PageHeader, TableScroll } from '../components/ui.tsx';
import { useLoad, usePortal } from '../context.ts';
import { formatCount, formatTime } from '../format.ts';
import type { AdminApi } from '../api.ts';
import type { AuditEntry, AuditPage as Page } from '../types.ts';

const PAGE = 100;

/** The last page of the log: walks forward in pages of 1000 and keeps the tail. */
async function latestPage(api: AdminApi): Promise<{ readonly page: Page; readonly since: number | undefined }> {
  let since: number | undefined;
  let tail: AuditEntry[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await api.audit(since === undefined ? undefined : String(since), 1000);
    tail = [...tail, ...page.entries].slice(-PAGE);
    if (page.next === null || page.entries.length === 0) break;
    since = page.next;
  }
  const first = tail[0];
  const start = first === undefined ? undefined : first.seq - 1;
  return { page: { entries: tail, next: null }, since: start === 0 ? undefined : start };
}

function ChainStatus() {
  const { session } = usePortal();
  const verify = useLoad(() => session.admin.auditVerify(), []);
  const v = verify.data;
  return (
    <div class={`chain ${v === undefined ? '' : v.ok ? 'chain-ok' : 'chain-broken'}`}>
      <span data-testid="audit-chain-status" role="status">
        {v === undefined
          ? verify.error === undefined
            ? 'Verifying the hash chain…'
            : `Could not verify the chain: ${verify.error}`
          : v.ok
            ? `Chain intact: all ${formatCount(v.entries)} entries verified, each hash chained to the one before.`
            : `Chain BROKEN at entry ${v.first_problem?.seq ?? '?'} (${v.first_problem?.kind ?? 'unknown'}): ${v.first_problem?.message ?? ''}`}
      </span>
      <button type="button" onClick={verify.reload}>
        Verify again
      </button>
    </div>
  );
}

export function AuditPage() {
  const { session } = usePortal();
  /** History of `since` values: the current page's is last; undefined is the start of the log. */
  const [trail, setTrail] = useState<(number | undefined)[]>([undefined]);
  const [latest, setLatest] = useState(0);
  const since = trail[trail.length - 1];
  const page = useLoad<Page>(async () => {
    if (latest > 0) {
      const found = await latestPage(session.admin);
      return found.page;
    }
    return session.admin.audit(since === undefined ? undefined : String(since), PAGE);
  }, [since, latest]);
  const [operation, setOperation] = useState('');
  const [actor, setActor] = useState('');
  const [result, setResult] = useState('');

  const entries = page.data?.entries ?? [];
  const operations = [...new Set(entries.map((e) => e.operation))].sort();
  const results = [...new Set(entries.map((e) => e.result))].sort();
  const shown = entries.filter((e) => (operation === '' || e.operation === operation) && (actor === '' || e.actor.includes(actor)) && (result === '' || e.result === result));

  return (
    <section>
      <PageHeader title="Audit log" />
      <ChainStatus />
      <div class="filters" role="group" aria-label="Filter entries">
        <label>
          Operation
          <select data-testid="audit-operation" value={operation} onChange={(e) => { setOperation(e.currentTarget.value); }}>
            <option value="">any</option>
            {operations.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Actor contains
          <input data-testid="audit-actor" value={actor} onInput={(e) => { setActor(e.currentTarget.value); }} />
        </label>
        <label>
          Result
          <select data-testid="audit-result" value={result} onChange={(e) => { setResult(e.currentTarget.value); }}>
            <option value="">any</option>
            {results.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="toolbar">
        <button
          type="button"
          disabled={trail.length === 1 && latest === 0}
          onClick={() => {
            setLatest(0);
            setTrail([undefined]);
          }}
        >
          Oldest
        </button>
        <button
          type="button"
          disabled={page.data?.next === null || page.data === undefined || latest > 0}
          onClick={() => {
            const next = page.data?.next;
            if (next !== null && next !== undefined) setTrail((t) => [...t, next]);
          }}
        >
          Newer
        </button>
        <button
          type="button"
          onClick={() => {
            setLatest((n) => n + 1);
          }}
        >
          Latest
        </button>
        <span class="muted small">
          {entries.length === 0 ? '' : `entries ${formatCount(entries[0]?.seq ?? 0)}–${formatCount(entries[entries.length - 1]?.seq ?? 0)}`}
          {shown.length === entries.length ? '' : `, ${shown.length} match the filters`}
        </span>
      </div>
      {page.data === undefined ? (
        page.error === undefined ? <Loading what="the audit log" /> : <LoadFailed error={page.error} retry={page.reload} />
      ) : entries.length === 0 ? (
        <Empty>
          <p>The audit log is empty: every change (buckets, objects, policies, keys, locations, cache) and every failed sign-in will be recorded here.</p>
        </Empty>
      ) : (
        <TableScroll label="Audit entries">
          <table class="compact">
            <thead>
              <tr>
                <th scope="col" class="num">
                  #
                </th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Team</th>
                <th scope="col">Operation</th>
                <th scope="col">Target</th>
                <th scope="col">Result</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.seq} data-testid={`audit-row-${e.seq}`} class={e.result === 'ok' ? undefined : 'attention'}>
                  <td class="num" title={`hash ${e.hash}`}>
                    {e.seq}
                  </td>
                  <td>{formatTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.team_id}</td>
                  <td>{e.operation}</td>
                  <td class="key">{e.target}</td>
                  <td>{e.result}</td>
                  <td>
                    <code class="small">{e.request_id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
