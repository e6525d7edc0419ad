// Locations: static attributes and health, a world map of those with coordinates, and per location the RTT of
// 1 B and 1 MB uploads and downloads over 30 days with an availability timeline.

import { useMemo } from 'preact/hooks';
import { useLazyModule } from '../components/lazy.ts';
import { Empty, LoadFailed, Loading, PageHeader, TableScroll } from '../components/ui.tsx';
import type { MapMarker } from '../components/world-map.tsx';
import { useAction, useLoad, usePortal } from '../context.ts';
import { formatDollars, formatMs, formatTime } from '../format.ts';
import { availability, clipOutages, DAY_MS } from '../telemetry.ts';
import { PROBE_KINDS, type LocationInfo, type LocationTelemetry } from '../types.ts';

const WINDOW_DAYS = 30;

function healthText(l: LocationInfo): string {
  if (l.status !== 'active') return l.status;
  if (l.health === null) return 'not loaded';
  if (l.health.breaker === 'closed') return 'healthy';
  return l.health.breaker === 'open' ? 'down (breaker open)' : 'recovering (breaker half-open)';
}

function markerState(l: LocationInfo): MapMarker['state'] {
  if (l.status !== 'active' || l.health === null) return 'degraded';
  return l.health.breaker === 'closed' ? 'up' : l.health.breaker === 'open' ? 'down' : 'degraded';
}

function MapPanel({ locations }: { readonly locations: readonly LocationInfo[] }) {
  const map = useLazyModule(() => import('../components/world-map.tsx'));
  const markers: MapMarker[] = locations.flatMap((l) => {
    const { latitude, longitude } = l.attributes;
    if (latitude === undefined || longitude === undefined) return [];
    const place = [l.attributes.city, l.attributes.country].filter((v) => v !== undefined).join(', ');
    return [{ id: l.id, latitude, longitude, label: `${l.id}${place === '' ? '' : ` — ${place}`} (${healthText(l)})`, state: markerState(l) }];
  });
  return (
    <figure class="map-panel">
      {map.kind === 'ready' ? <map.module.WorldMap markers={markers} /> : map.kind === 'failed' ? <p class="field-error">The map could not be loaded: {map.error}</p> : <Loading what="the map" />}
      <figcaption class="muted small">
        {markers.length === 0
          ? 'No location has a latitude and longitude yet: set them as attributes (PATCH /api/v1/locations/{id}) to see them here.'
          : `${markers.length} of ${locations.length} locations have coordinates. Green: healthy; amber: recovering or retiring; red: down.`}
      </figcaption>
    </figure>
  );
}

function Timeline({ telemetry, now }: { readonly telemetry: LocationTelemetry; readonly now: number }) {
  const from = now - WINDOW_DAYS * DAY_MS;
  const outages = clipOutages(telemetry.unavailability, from, now);
  const share = availability(telemetry.unavailability, from, now);
  const x = (t: number): number => ((t - from) / (now - from)) * 300;
  const open = telemetry.unavailability.some((o) => o.end === null);
  return (
    <div class="timeline">
      <svg viewBox="0 0 300 12" preserveAspectRatio="none" role="img" aria-label={`Availability over ${WINDOW_DAYS} days: ${(share * 100).toFixed(2)}%`}>
        <rect x="0" y="0" width="300" height="12" class="up" />
        {outages.map((o) => (
          <rect key={o.start} x={x(o.start)} y="0" width={Math.max(0.6, x(o.end) - x(o.start))} height="12" class="down">
            <title>
              unavailable {formatTime(o.start)} – {formatTime(o.end)}
            </title>
          </rect>
        ))}
      </svg>
      <div class="timeline-legend small">
        <span>{WINDOW_DAYS} days ago</span>
        <span>
          {(share * 100).toFixed(2)}% available{open ? ' — unavailable now' : ''}; {telemetry.unavailability.length} period{telemetry.unavailability.length === 1 ? '' : 's'} of unavailability
          recorded
        </span>
        <span>now</span>
      </div>
    </div>
  );
}

function TelemetryCard({ telemetry, now }: { readonly telemetry: LocationTelemetry; readonly now: number }) {
  const chart = useLazyModule(() => import('../components/rtt-chart.tsx'));
  const samples = telemetry.samples ?? [];
  return (
    <article class="card telemetry" data-testid={`telemetry-${telemetry.id}`}>
      <h3>
        {telemetry.id} <span class="muted small">{telemetry.kind}</span>
      </h3>
      <TableScroll label={`Round-trip times of ${telemetry.id}`}>
        <table class="compact">
          <thead>
            <tr>
              <th scope="col">Probe</th>
              <th scope="col" class="num">
                Samples
              </th>
              <th scope="col" class="num">
                Failures
              </th>
              <th scope="col" class="num">
                p50
              </th>
              <th scope="col" class="num">
                p95
              </th>
              <th scope="col" class="num">
                Last
              </th>
            </tr>
          </thead>
          <tbody>
            {PROBE_KINDS.map((p) => {
              const s = telemetry.rtt[p];
              return (
                <tr key={p}>
                  <td>{p.replace('_', ' ')}</td>
                  <td class="num">{s.count}</td>
                  <td class="num">{s.failures}</td>
                  <td class="num">{formatMs(s.p50_ms)}</td>
                  <td class="num">{formatMs(s.p95_ms)}</td>
                  <td class="num" title={formatTime(s.last_at)}>
                    {formatMs(s.last_ms)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
      {samples.length === 0 ? (
        <p class="muted small">No probe samples in the last {WINDOW_DAYS} days yet: the benchmarker probes every location on a schedule, or now with “Probe now”.</p>
      ) : chart.kind === 'ready' ? (
        <chart.module.RttChart samples={samples} title={`${telemetry.id}: round-trip times`} />
      ) : chart.kind === 'failed' ? (
        <p class="field-error">The chart could not be loaded: {chart.error}</p>
      ) : (
        <Loading what="the chart" />
      )}
      <Timeline telemetry={telemetry} now={now} />
    </article>
  );
}

export function LocationsPage() {
  const { session, notify } = usePortal();
  const run = useAction();
  const locations = useLoad(() => session.admin.locations(), []);
  const telemetry = useLoad(async () => [...(await session.admin.cloudTelemetry()), ...(await session.admin.edgeTelemetry())], []);
  const now = useMemo(() => Date.now(), [telemetry.data]);
  const isAdmin = session.whoami.admin;

  return (
    <section>
      <PageHeader title="Locations">
        {isAdmin ? (
          <button
            type="button"
            data-testid="probe-now"
            onClick={() => {
              void run(() => session.admin.probeNow()).then((ok) => {
                if (ok) {
                  notify('Probed every location.');
                  telemetry.reload();
                  locations.reload();
                }
              });
            }}
          >
            Probe now
          </button>
        ) : null}
      </PageHeader>
      {locations.data === undefined ? (
        locations.error === undefined ? <Loading what="locations" /> : <LoadFailed error={locations.error} retry={locations.reload} />
      ) : locations.data.length === 0 ? (
        <Empty>
          <p>No locations. Add local directories, S3 buckets or edge nodes with POST /api/v1/locations or the CLI.</p>
        </Empty>
      ) : (
        <>
          <MapPanel locations={locations.data} />
          <TableScroll label="Locations">
            <table>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Where</th>
                  <th scope="col">Jurisdiction</th>
                  <th scope="col">GDPR</th>
                  <th scope="col" class="num">
                    Storage $/GB/mo
                  </th>
                  <th scope="col" class="num">
                    Egress $/GB
                  </th>
                  <th scope="col">Trust zone</th>
                  <th scope="col" class="num">
                    Tier
                  </th>
                  <th scope="col">Health</th>
                  <th scope="col" class="num">
                    Latency
                  </th>
                </tr>
              </thead>
              <tbody>
                {locations.data.map((l) => {
                  const a = l.attributes;
                  const where = [a.city, a.region, a.country].filter((v) => v !== undefined && v !== '').join(', ');
                  return (
                    <tr key={l.id} data-testid={`location-row-${l.id}`}>
                      <td>
                        <strong>{l.id}</strong>
                        {a.name === undefined ? null : <div class="muted small">{a.name}</div>}
                      </td>
                      <td>{l.kind}</td>
                      <td>{a.provider ?? '—'}</td>
                      <td>{where === '' ? '—' : where}</td>
                      <td>{a.jurisdiction ?? '—'}</td>
                      <td>{a.gdpr_compliant === undefined ? '—' : a.gdpr_compliant ? 'yes' : 'no'}</td>
                      <td class="num">{a.storage_cost_per_gb_month === undefined ? '—' : formatDollars(a.storage_cost_per_gb_month)}</td>
                      <td class="num">{a.egress_cost_per_gb === undefined ? '—' : formatDollars(a.egress_cost_per_gb)}</td>
                      <td>{l.trust_zone}</td>
                      <td class="num">{l.isolation_tier}</td>
                      <td class={`health health-${markerState(l)}`}>
                        {healthText(l)}
                        {l.health !== null && l.health.error_rate > 0 ? <div class="small">{(l.health.error_rate * 100).toFixed(1)}% errors</div> : null}
                      </td>
                      <td class="num">{formatMs(l.health?.latency.small.ewma_ms)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        </>
      )}
      <h2>Round-trip times and availability, last {WINDOW_DAYS} days</h2>
      {telemetry.data === undefined ? (
        telemetry.error === undefined ? <Loading what="telemetry" /> : <LoadFailed error={telemetry.error} retry={telemetry.reload} />
      ) : telemetry.data.length === 0 ? (
        <Empty>
          <p>No telemetry yet.</p>
        </Empty>
      ) : (
        <div class="telemetry-grid">
          {telemetry.data.map((t) => (
            <TelemetryCard key={t.id} telemetry={t} now={now} />
          ))}
        </div>
      )}
    </section>
  );
}
