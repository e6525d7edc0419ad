// Storage policies: the list, each policy's version history, and a wizard that creates a policy or its next version,
// explaining live what the chosen locations, k and r mean.

import { useMemo, useState } from 'preact/hooks';
import { Empty, LoadFailed, Loading, PageHeader, TableScroll } from '../components/ui.tsx';
import { useAction, useLoad, usePortal } from '../context.ts';
import { explainPolicy, type PlacedLocation } from '../explain.ts';
import { formatBytes, formatDollars, formatTime } from '../format.ts';
import type { Coefficients, CompressionScheme, LocationInfo, Policy, PolicyDocument } from '../types.ts';

const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const GENERATION_SIZES = [1 << 20, 4 << 20, 16 << 20, 64 << 20] as const;
const COMPRESSION_MAX: Readonly<Record<CompressionScheme, number>> = { NONE: 0, DEFLATE: 9, BROTLI: 11 };
const COMPRESSION_DEFAULT: Readonly<Record<CompressionScheme, number>> = { NONE: 0, DEFLATE: 6, BROTLI: 1 };

export function placedLocation(id: string, info: LocationInfo | undefined): PlacedLocation {
  if (info === undefined) return { id, kind: 'local', trustZone: id };
  const a = info.attributes;
  return {
    id,
    kind: info.kind,
    trustZone: info.trust_zone,
    provider: a.provider,
    country: a.country,
    jurisdiction: a.jurisdiction,
    gdprCompliant: a.gdpr_compliant,
    storageCostPerGbMonth: a.storage_cost_per_gb_month,
  };
}

/** Backends (local and cloud) first, then edge devices, each keeping the order they were chosen in. */
function ordered(chosen: readonly string[], byId: ReadonlyMap<string, LocationInfo>): string[] {
  const isEdge = (id: string): boolean => byId.get(id)?.kind === 'edge';
  return [...chosen.filter((id) => !isEdge(id)), ...chosen.filter(isEdge)];
}

interface Filters {
  readonly country: string;
  readonly jurisdiction: string;
  readonly gdprOnly: boolean;
  readonly trustZone: string;
  readonly maxCost: string;
  readonly kind: string;
}

const NO_FILTERS: Filters = { country: '', jurisdiction: '', gdprOnly: false, trustZone: '', maxCost: '', kind: '' };

function matches(l: LocationInfo, f: Filters): boolean {
  const a = l.attributes;
  if (f.kind !== '' && l.kind !== f.kind) return false;
  if (f.country !== '' && a.country !== f.country) return false;
  if (f.jurisdiction !== '' && a.jurisdiction !== f.jurisdiction) return false;
  if (f.gdprOnly && a.gdpr_compliant !== true) return false;
  if (f.trustZone !== '' && l.trust_zone !== f.trustZone) return false;
  if (f.maxCost !== '') {
    const max = Number(f.maxCost);
    if (Number.isFinite(max) && (a.storage_cost_per_gb_month ?? 0) > max) return false;
  }
  return true;
}

function distinct(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))].sort();
}

function Wizard({ editing, locations, onSaved, onCancel }: { readonly editing: Policy | undefined; readonly locations: readonly LocationInfo[]; readonly onSaved: (p: Policy) => void; readonly onCancel: () => void }) {
  const { session } = usePortal();
  const run = useAction();
  const byId = useMemo(() => new Map(locations.map((l) => [l.id, l])), [locations]);
  const [name, setName] = useState(editing?.name ?? '');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [chosen, setChosen] = useState<string[]>(editing === undefined ? [] : [...editing.backends, ...editing.edge_devices]);
  const [k, setK] = useState(editing === undefined ? '2' : String(editing.redundancy.data_packets));
  const [r, setR] = useState(editing === undefined ? '1' : String(editing.redundancy.redundant_packets));
  const [kTouched, setKTouched] = useState(editing !== undefined);
  const [systematic, setSystematic] = useState(editing?.redundancy.systematic ?? false);
  const [compression, setCompression] = useState<CompressionScheme>(editing?.compression.scheme ?? 'DEFLATE');
  const [level, setLevel] = useState(String(editing?.compression.level ?? 6));
  const [generationSize, setGenerationSize] = useState(String(editing?.generation_size ?? 4 << 20));
  const [writeQuorum, setWriteQuorum] = useState(editing === undefined || editing.write_quorum === editing.redundancy.data_packets + editing.redundancy.redundant_packets ? '' : String(editing.write_quorum));
  const [coefficients, setCoefficients] = useState<Coefficients>(editing?.coefficients ?? 'inline');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [busy, setBusy] = useState(false);

  const active = locations.filter((l) => l.status === 'active' || chosen.includes(l.id));
  const order = ordered(chosen, byId);
  const kNum = Number(k);
  const rNum = Number(r);
  const explanation = explainPolicy({ locations: order.map((id) => placedLocation(id, byId.get(id))), dataPackets: kNum, redundantPackets: rNum });
  const n = kNum + rNum;
  const quorum = writeQuorum === '' ? n : Number(writeQuorum);
  const nameProblem = editing !== undefined || name === '' || POLICY_NAME.test(name) ? undefined : 'Names are 1–64 characters of letters, digits, dots, underscores and hyphens, starting with a letter or digit.';
  const quorumProblem = writeQuorum !== '' && (!Number.isInteger(quorum) || quorum < kNum || quorum > n) ? `The write quorum must be between k = ${k} and n = ${n}.` : undefined;
  const levelMax = COMPRESSION_MAX[compression];

  const setChosenWithK = (next: string[]): void => {
    setChosen(next);
    // Until k is typed, it follows the chosen locations: k = listed − r.
    if (!kTouched && Number.isInteger(rNum) && next.length - rNum >= 1) setK(String(next.length - rNum));
  };

  const countries = distinct(locations.map((l) => l.attributes.country));
  const jurisdictions = distinct(locations.map((l) => l.attributes.jurisdiction));
  const zones = distinct(locations.map((l) => l.trust_zone));
  const visible = active.filter((l) => chosen.includes(l.id) || matches(l, filters));

  const policyDocument = (): PolicyDocument => ({
    description,
    backends: order.filter((id) => byId.get(id)?.kind !== 'edge'),
    edge_devices: order.filter((id) => byId.get(id)?.kind === 'edge'),
    redundancy: { scheme: 'RLNC', data_packets: kNum, redundant_packets: rNum, systematic },
    compression: { scheme: compression, level: Number(level) },
    encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
    generation_size: Number(generationSize),
    write_quorum: quorum,
    coefficients,
  });

  return (
    <form
      class="card form wizard"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        let saved: Policy | undefined;
        void run(async () => {
          saved = editing === undefined ? await session.admin.createPolicy(name, policyDocument()) : await session.admin.updatePolicy(editing.name, policyDocument());
        }).then(() => {
          setBusy(false);
          if (saved !== undefined) onSaved(saved);
        });
      }}
    >
      <h2>{editing === undefined ? 'New storage policy' : `Edit ${editing.name} (saves version ${editing.version + 1})`}</h2>
      {editing === undefined ? null : <p class="muted small">Policies are versioned: objects keep the version they were written with; new writes use the new version.</p>}
      <fieldset>
        <legend>1. Name</legend>
        <label>
          Name
          <input data-testid="policy-name" value={name} required disabled={editing !== undefined} autocomplete="off" onInput={(e) => { setName(e.currentTarget.value.trim()); }} />
        </label>
        {nameProblem === undefined ? null : <p class="field-error">{nameProblem}</p>}
        <label>
          Description
          <input value={description} maxLength={1024} onInput={(e) => { setDescription(e.currentTarget.value); }} />
        </label>
      </fieldset>

      <fieldset>
        <legend>2. Locations</legend>
        <div class="filters" role="group" aria-label="Filter locations">
          <label>
            Kind
            <select value={filters.kind} onChange={(e) => { setFilters({ ...filters, kind: e.currentTarget.value }); }}>
              <option value="">any</option>
              <option value="local">local</option>
              <option value="cloud">cloud</option>
              <option value="edge">edge</option>
            </select>
          </label>
          <AnyOf label="Country" value={filters.country} options={countries} onChange={(country) => { setFilters({ ...filters, country }); }} />
          <AnyOf label="Jurisdiction" value={filters.jurisdiction} options={jurisdictions} onChange={(jurisdiction) => { setFilters({ ...filters, jurisdiction }); }} />
          <AnyOf label="Trust zone" value={filters.trustZone} options={zones} onChange={(trustZone) => { setFilters({ ...filters, trustZone }); }} />
          <label>
            Max $/GB/month
            <input type="number" min="0" step="0.001" value={filters.maxCost} onInput={(e) => { setFilters({ ...filters, maxCost: e.currentTarget.value }); }} />
          </label>
          <label class="inline">
            <input type="checkbox" checked={filters.gdprOnly} onChange={(e) => { setFilters({ ...filters, gdprOnly: e.currentTarget.checked }); }} />
            GDPR compliant only
          </label>
        </div>
        {active.length === 0 ? (
          <p class="empty">No active locations. Add one with POST /api/v1/locations or the CLI (dispersa location add).</p>
        ) : (
          <TableScroll label="Locations to choose from">
            <table>
              <thead>
                <tr>
                  <th scope="col">Use</th>
                  <th scope="col">Location</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Country</th>
                  <th scope="col">Jurisdiction</th>
                  <th scope="col">GDPR</th>
                  <th scope="col">Trust zone</th>
                  <th scope="col" class="num">
                    $/GB/month
                  </th>
                  <th scope="col">Health</th>
                </tr>
              </thead>
              <tbody>
                {visible.map((l) => {
                  const position = order.indexOf(l.id);
                  return (
                    <tr key={l.id}>
                      <td>
                        <input
                          type="checkbox"
                          id={`policy-location-${l.id}`}
                          data-testid={`policy-location-${l.id}`}
                          checked={chosen.includes(l.id)}
                          onChange={(e) => {
                            setChosenWithK(e.currentTarget.checked ? [...chosen.filter((c) => c !== l.id), l.id] : chosen.filter((c) => c !== l.id));
                          }}
                        />
                      </td>
                      <td>
                        <label for={`policy-location-${l.id}`}>{l.id}</label>
                        {position < 0 ? null : <span class="badge">{position < n ? `#${position + 1}` : 'standby'}</span>}
                      </td>
                      <td>{l.kind}</td>
                      <td>{l.attributes.provider ?? '—'}</td>
                      <td>{l.attributes.country ?? '—'}</td>
                      <td>{l.attributes.jurisdiction ?? '—'}</td>
                      <td>{l.attributes.gdpr_compliant === undefined ? '—' : l.attributes.gdpr_compliant ? 'yes' : 'no'}</td>
                      <td>{l.trust_zone}</td>
                      <td class="num">{l.attributes.storage_cost_per_gb_month === undefined ? '—' : formatDollars(l.attributes.storage_cost_per_gb_month)}</td>
                      <td>{l.status !== 'active' ? l.status : l.health === null ? '—' : l.health.breaker === 'closed' ? 'healthy' : `breaker ${l.health.breaker}`}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        )}
        {order.length === 0 ? null : (
          <div class="order">
            <p class="small">
              Order (packets go to the first n = k + r; backends before edge devices; the rest are standbys):
            </p>
            <ol>
              {order.map((id, i) => (
                <li key={id}>
                  {id}
                  <button
                    type="button"
                    class="small-button"
                    aria-label={`Move ${id} earlier`}
                    disabled={i === 0}
                    onClick={() => {
                      const next = [...order];
                      const previous = next[i - 1];
                      if (previous === undefined) return;
                      next[i - 1] = id;
                      next[i] = previous;
                      setChosen(next);
                    }}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="small-button"
                    aria-label={`Move ${id} later`}
                    disabled={i === order.length - 1}
                    onClick={() => {
                      const next = [...order];
                      const following = next[i + 1];
                      if (following === undefined) return;
                      next[i + 1] = id;
                      next[i] = following;
                      setChosen(next);
                    }}
                  >
                    ↓
                  </button>
                </li>
              ))}
            </ol>
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>3. Redundancy</legend>
        <div class="row">
          <label>
            k — data packets (any k rebuild the data)
            <input
              data-testid="policy-data"
              type="number"
              min="1"
              max="255"
              required
              value={k}
              onInput={(e) => {
                setK(e.currentTarget.value);
                setKTouched(true);
              }}
            />
          </label>
          <label>
            r — redundant packets (how many locations may fail)
            <input
              data-testid="policy-redundant"
              type="number"
              min="0"
              max="254"
              required
              value={r}
              onInput={(e) => {
                const value = e.currentTarget.value;
                setR(value);
                if (!kTouched && order.length - Number(value) >= 1) setK(String(order.length - Number(value)));
              }}
            />
          </label>
        </div>
        <div class={`explanation${explanation.valid ? '' : ' invalid'}`} data-testid="policy-explanation" aria-live="polite">
          {explanation.text}
        </div>
      </fieldset>

      <fieldset>
        <legend>4. Compression, generations, advanced</legend>
        <div class="row">
          <label>
            Compression
            <select
              value={compression}
              onChange={(e) => {
                const scheme = e.currentTarget.value as CompressionScheme;
                setCompression(scheme);
                setLevel(String(COMPRESSION_DEFAULT[scheme]));
              }}
            >
              <option value="NONE">none</option>
              <option value="DEFLATE">deflate</option>
              <option value="BROTLI">brotli</option>
            </select>
          </label>
          <label>
            Level (0–{levelMax})
            <input type="number" min="0" max={levelMax} disabled={compression === 'NONE'} value={level} onInput={(e) => { setLevel(e.currentTarget.value); }} />
          </label>
          <label>
            Generation size
            <select value={generationSize} onChange={(e) => { setGenerationSize(e.currentTarget.value); }}>
              {[...new Set([...GENERATION_SIZES, Number(generationSize)])]
                .sort((a, b) => a - b)
                .map((s) => (
                  <option key={s} value={String(s)}>
                    {formatBytes(s)}
                  </option>
                ))}
            </select>
          </label>
        </div>
        <div class="row">
          <label>
            Write quorum (blank: n)
            <input type="number" min={k} max={n} value={writeQuorum} placeholder={Number.isFinite(n) ? String(n) : ''} onInput={(e) => { setWriteQuorum(e.currentTarget.value); }} />
          </label>
          <label>
            Coefficients
            <select value={coefficients} onChange={(e) => { setCoefficients(e.currentTarget.value as Coefficients); }}>
              <option value="inline">in each fragment</option>
              <option value="metadata">in metadata only</option>
            </select>
          </label>
          <label class="inline">
            <input type="checkbox" checked={systematic} onChange={(e) => { setSystematic(e.currentTarget.checked); }} />
            Systematic (the first k packets are the data itself, encrypted)
          </label>
        </div>
        {quorumProblem === undefined ? null : <p class="field-error">{quorumProblem}</p>}
        <p class="muted small">Encryption is always AES-256-GCM with a fresh key per object version.</p>
      </fieldset>

      <div class="buttons">
        <button type="submit" class="primary" data-testid="policy-save" disabled={busy}>
          {busy ? 'Saving…' : editing === undefined ? 'Create policy' : 'Save new version'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Versions({ name }: { readonly name: string }) {
  const { session } = usePortal();
  const versions = useLoad(() => session.admin.policyVersions(name), [name]);
  if (versions.data === undefined) return versions.error === undefined ? <Loading what="versions" /> : <LoadFailed error={versions.error} retry={versions.reload} />;
  return (
    <table class="versions" data-testid={`policy-versions-${name}`}>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Created</th>
          <th scope="col">k + r</th>
          <th scope="col">Backends</th>
          <th scope="col">Edge devices</th>
          <th scope="col">Compression</th>
          <th scope="col">Generation</th>
          <th scope="col">Quorum</th>
        </tr>
      </thead>
      <tbody>
        {[...versions.data].reverse().map((v) => (
          <tr key={v.version}>
            <td>v{v.version}</td>
            <td>{formatTime(v.created_at)}</td>
            <td>
              {v.redundancy.data_packets} + {v.redundancy.redundant_packets}
            </td>
            <td>{v.backends.join(', ') || '—'}</td>
            <td>{v.edge_devices.join(', ') || '—'}</td>
            <td>
              {v.compression.scheme.toLowerCase()} {v.compression.scheme === 'NONE' ? '' : v.compression.level}
            </td>
            <td>{formatBytes(v.generation_size)}</td>
            <td>{v.write_quorum}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A filter: "any" or one of the values the listed locations have. */
function AnyOf(props: { readonly label: string; readonly value: string; readonly options: readonly string[]; readonly onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => { props.onChange(e.currentTarget.value); }}>
        <option value="">any</option>
        {props.options.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}

export function PoliciesPage() {
  const { session, notify } = usePortal();
  const run = useAction();
  const policies = useLoad(() => session.admin.policies(), []);
  const locations = useLoad(() => session.admin.locations(), []);
  const [wizard, setWizard] = useState<{ readonly editing: Policy | undefined } | undefined>(undefined);
  const [history, setHistory] = useState<string | undefined>(undefined);
  const isAdmin = session.whoami.admin;
  const byId = useMemo(() => new Map((locations.data ?? []).map((l) => [l.id, l])), [locations.data]);

  return (
    <section>
      <PageHeader title="Storage policies">
        {isAdmin ? (
          <button
            type="button"
            class="primary"
            data-testid="policy-new"
            onClick={() => {
              setWizard({ editing: undefined });
              if (locations.error !== undefined) locations.reload();
            }}
          >
            New policy
          </button>
        ) : null}
      </PageHeader>
      <p class="muted">
        A policy says where a bucket's objects go: over which locations their encrypted fragments are spread, how many may be lost (r), and how many rebuild
        the data (k). A bucket takes its policy when it is created.
      </p>
      {wizard === undefined ? null : locations.data === undefined ? (
        locations.error === undefined ? <Loading what="locations" /> : <LoadFailed error={locations.error} retry={locations.reload} />
      ) : (
        <Wizard
          key={wizard.editing?.name ?? '(new)'}
          editing={wizard.editing}
          locations={locations.data}
          onCancel={() => {
            setWizard(undefined);
          }}
          onSaved={(p) => {
            setWizard(undefined);
            notify(`Saved policy ${p.name} version ${p.version}.`);
            policies.reload();
          }}
        />
      )}
      {policies.data === undefined ? (
        policies.error === undefined ? <Loading what="policies" /> : <LoadFailed error={policies.error} retry={policies.reload} />
      ) : policies.data.length === 0 ? (
        <Empty>
          <p>No storage policies yet.{isAdmin ? ' Create one with New policy.' : ' Ask an administrator to create one.'}</p>
        </Empty>
      ) : (
        <TableScroll label="Storage policies">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Version</th>
                <th scope="col">k + r</th>
                <th scope="col">Locations</th>
                <th scope="col">Survives</th>
                <th scope="col">Compression</th>
                <th scope="col">Generation</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {policies.data.map((p) => {
                const explained = explainPolicy({
                  locations: [...p.backends, ...p.edge_devices].map((id) => placedLocation(id, byId.get(id))),
                  dataPackets: p.redundancy.data_packets,
                  redundantPackets: p.redundancy.redundant_packets,
                });
                return [
                  <tr key={p.name} data-testid={`policy-row-${p.name}`}>
                    <td data-label="Policy">
                      <strong>{p.name}</strong>
                      {p.description === '' ? null : <div class="muted small">{p.description}</div>}
                    </td>
                    <td data-label="Version">v{p.version}</td>
                    <td data-label="k + r">
                      {p.redundancy.data_packets} + {p.redundancy.redundant_packets}
                    </td>
                    <td data-label="Locations">{[...p.backends, ...p.edge_devices].join(', ')}</td>
                    <td data-label="Survives" title={explained.text}>{p.redundancy.redundant_packets === 0 ? 'no failure' : `any ${p.redundancy.redundant_packets} failing`}</td>
                    <td data-label="Compression">
                      {p.compression.scheme.toLowerCase()}
                      {p.compression.scheme === 'NONE' ? '' : ` ${p.compression.level}`}
                    </td>
                    <td data-label="Generation">{formatBytes(p.generation_size)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        data-testid={`policy-history-${p.name}`}
                        aria-expanded={history === p.name}
                        onClick={() => {
                          setHistory(history === p.name ? undefined : p.name);
                        }}
                      >
                        Versions
                      </button>
                      {isAdmin ? (
                        <button
                          type="button"
                          data-testid={`policy-edit-${p.name}`}
                          onClick={() => {
                            setWizard({ editing: p });
                            window.scrollTo({ top: 0 });
                          }}
                        >
                          Edit
                        </button>
                      ) : null}
                      {isAdmin && p.name !== 'default' ? (
                        <button
                          type="button"
                          class="danger"
                          data-testid={`policy-delete-${p.name}`}
                          onClick={() => {
                            void run(() => session.admin.deletePolicy(p.name)).then((ok) => {
                              if (ok) {
                                notify(`Deleted policy ${p.name}.`);
                                policies.reload();
                              }
                            });
                          }}
                        >
                          Delete
                        </button>
                      ) : null}
                    </td>
                  </tr>,
                  history === p.name ? (
                    <tr key={`${p.name}:history`} class="panel-row">
                      <td colSpan={8}>
                        <p class="small">{explained.text}</p>
                        <Versions name={p.name} />
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
