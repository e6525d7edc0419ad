// The gateway at a glance: version, endpoints, repair queue, last scrub, jobs; cache settings (administrators).

import { useEffect, useState } from 'preact/hooks';
import { LoadFailed, Loading, PageHeader, TableScroll } from '../components/ui.tsx';
import { useAction, useLoad, usePortal } from '../context.ts';
import { formatBytes, formatCount, formatTime } from '../format.ts';
import type { CacheSettings, CacheView, Job } from '../types.ts';

const MIB = 1024 * 1024;

function jobSummary(job: Job): string {
  const counters = Object.entries(job.summary)
    .map(([k, v]) => `${k} ${formatCount(v)}`)
    .join(', ');
  const progress = `${formatCount(job.done)} of ${formatCount(job.total)}`;
  return `${job.kind} ${job.state}${job.target === null ? '' : ` (${job.target})`}: ${progress}${counters === '' ? '' : `; ${counters}`}${job.error === null ? '' : `; error: ${job.error}`}`;
}

function CacheForm({ view, onSaved }: { readonly view: CacheView; readonly onSaved: () => void }) {
  const { session, notify } = usePortal();
  const run = useAction();
  const [settings, setSettings] = useState<CacheSettings>(view.settings);
  const [blacklist, setBlacklist] = useState(view.settings.mime_blacklist.join(', '));
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setSettings(view.settings);
    setBlacklist(view.settings.mime_blacklist.join(', '));
  }, [view]);
  const mib = (bytes: number): string => String(Math.round((bytes / MIB) * 100) / 100);
  const bytes = (text: string): number => Math.max(0, Math.round(Number(text) * MIB));
  const s = view.stats;
  return (
    <form
      class="card form"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        const change: CacheSettings = {
          ...settings,
          mime_blacklist: blacklist
            .split(',')
            .map((m) => m.trim())
            .filter((m) => m !== ''),
        };
        void run(() => session.admin.updateCache(change)).then((ok) => {
          setBusy(false);
          if (ok) {
            notify(`Cache settings saved: the cache is ${change.enabled ? 'on' : 'off'}.`);
            onSaved();
          }
        });
      }}
    >
      <h2>Object cache</h2>
      <p class="muted small">
        An optional cache of whole objects on this gateway's disk, for faster repeated reads. Off by default; settings are kept in the metadata store, so
        every gateway uses them.
      </p>
      <label class="inline">
        <input data-testid="cache-enabled" type="checkbox" checked={settings.enabled} onChange={(e) => { setSettings({ ...settings, enabled: e.currentTarget.checked }); }} />
        Cache enabled
      </label>
      <div class="row">
        <label>
          Maximum size (MiB)
          <input type="number" min="0" step="any" value={mib(settings.max_size_bytes)} onChange={(e) => { setSettings({ ...settings, max_size_bytes: bytes(e.currentTarget.value) }); }} />
        </label>
        <label>
          Keep free on disk (MiB)
          <input type="number" min="0" step="any" value={mib(settings.min_free_disk_bytes)} onChange={(e) => { setSettings({ ...settings, min_free_disk_bytes: bytes(e.currentTarget.value) }); }} />
        </label>
        <label>
          Largest object cached (MiB)
          <input type="number" min="0" step="any" value={mib(settings.max_file_size_bytes)} onChange={(e) => { setSettings({ ...settings, max_file_size_bytes: bytes(e.currentTarget.value) }); }} />
        </label>
      </div>
      <label>
        Never cache these types (comma-separated; <code>video/*</code> matches a family)
        <input value={blacklist} onInput={(e) => { setBlacklist(e.currentTarget.value); }} />
      </label>
      <label class="inline">
        <input type="checkbox" checked={settings.read_through} onChange={(e) => { setSettings({ ...settings, read_through: e.currentTarget.checked }); }} />
        Read-through (cache objects when they are read, not only when written)
      </label>
      <label class="inline">
        <input type="checkbox" checked={settings.encrypt} onChange={(e) => { setSettings({ ...settings, encrypt: e.currentTarget.checked }); }} />
        Encrypt cached files with a gateway-local key
      </label>
      <div class="buttons">
        <button type="submit" class="primary" data-testid="cache-save" disabled={busy}>
          {busy ? 'Saving…' : 'Save cache settings'}
        </button>
      </div>
      <p class="small muted" data-testid="cache-stats">
        Now: {formatCount(s.entries)} objects, {formatBytes(s.bytes)}; {formatCount(s.hits)} hits, {formatCount(s.misses)} misses, {formatCount(s.evictions)} evictions
        {s.corruptions > 0 ? `, ${formatCount(s.corruptions)} corrupt entries dropped` : ''}.
      </p>
    </form>
  );
}

export function SystemPage() {
  const { session, notify } = usePortal();
  const run = useAction();
  const isAdmin = session.whoami.admin;
  const system = useLoad(() => session.admin.system(), []);
  const jobs = useLoad(() => (isAdmin ? session.admin.jobs() : Promise.resolve([])), [isAdmin]);
  const cache = useLoad<CacheView | undefined>(() => (isAdmin ? session.admin.cache() : Promise.resolve(undefined)), [isAdmin]);
  const info = system.data;

  const start = (kind: 'scrub' | 'repair'): void => {
    void run(async () => {
      const job = await session.admin.startJob(kind);
      notify(`Started ${kind} job ${job.id}.`);
    }).then(() => {
      jobs.reload();
      system.reload();
    });
  };

  return (
    <section>
      <PageHeader title="System">
        <button type="button" onClick={() => { system.reload(); jobs.reload(); cache.reload(); }}>
          Refresh
        </button>
      </PageHeader>
      {info === undefined ? (
        system.error === undefined ? <Loading what="the gateway's state" /> : <LoadFailed error={system.error} retry={system.reload} />
      ) : (
        <div class="card">
          <dl class="facts" data-testid="system-facts">
            <dt>Version</dt>
            <dd data-testid="system-version">{info.version}</dd>
            <dt>S3 endpoint</dt>
            <dd>
              <code>{session.s3.endpoint}</code>
            </dd>
            <dt>Admin API</dt>
            <dd>
              <code>{window.location.origin}/api/v1</code> (<a href="/api/v1/openapi.json">OpenAPI</a>)
            </dd>
            <dt>Metadata</dt>
            <dd>{info.metadata_engine}</dd>
            <dt>GF(2^8) kernel</dt>
            <dd>{info.gf_backend}</dd>
            <dt>Locations</dt>
            <dd>
              {info.locations.healthy} of {info.locations.total} healthy
            </dd>
            <dt>Repair queue</dt>
            <dd data-testid="system-repair-queue">
              {formatCount(info.repair_queue_depth)} fragment{info.repair_queue_depth === 1 ? '' : 's'} waiting for repair
            </dd>
            <dt>Last scrub</dt>
            <dd data-testid="system-last-scrub">{info.last_scrub === null ? 'never (scrub checks every fragment and queues repairs)' : `${jobSummary(info.last_scrub)}, finished ${formatTime(info.last_scrub.finished_at)}`}</dd>
            <dt>Jobs running</dt>
            <dd>{info.jobs_running}</dd>
          </dl>
          {isAdmin ? (
            <div class="buttons">
              <button type="button" data-testid="run-scrub" onClick={() => { start('scrub'); }}>
                Run scrub
              </button>
              <button type="button" data-testid="run-repair" onClick={() => { start('repair'); }}>
                Run repair
              </button>
            </div>
          ) : null}
        </div>
      )}
      {isAdmin ? (
        <>
          {cache.data === undefined ? (
            cache.error === undefined ? <Loading what="cache settings" /> : <LoadFailed error={cache.error} retry={cache.reload} />
          ) : (
            <CacheForm view={cache.data} onSaved={cache.reload} />
          )}
          <h2>Recent jobs</h2>
          {jobs.data === undefined ? (
            jobs.error === undefined ? <Loading what="jobs" /> : <LoadFailed error={jobs.error} retry={jobs.reload} />
          ) : jobs.data.length === 0 ? (
            <p class="muted">No jobs yet: scrubs, repairs and evacuations show up here.</p>
          ) : (
            <TableScroll label="Jobs">
              <table class="compact">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Started</th>
                    <th scope="col">Finished</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {jobs.data.slice(0, 20).map((j) => (
                    <tr key={j.id}>
                      <td>
                        <code>{j.id}</code>
                      </td>
                      <td>{formatTime(j.started_at)}</td>
                      <td>{formatTime(j.finished_at)}</td>
                      <td>{jobSummary(j)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </>
      ) : (
        <p class="note">Cache settings and jobs are for administrators.</p>
      )}
    </section>
  );
}
