// Locations as the control plane keeps them: persisted in metadata, loaded into the registry, added, edited, retired.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DispersalError } from '../dispersal/errors.ts';
import { validateLocation, type Location, type LocationAttributes, type LocationKind } from '../dispersal/location.ts';
import type { LocationRegistry } from '../dispersal/registry.ts';
import type { LocationRecord, MetadataStore } from '../meta/types.ts';
import { isMetaError } from '../meta/errors.ts';
import type { KeyCustody } from '../objects/custody.ts';
import { FsStore, S3Store, type FragmentStore } from '../stores/index.ts';
import { ControlError, type JobService, type JobView, type LocationService, type LocationStoreSpec, type LocationView, type NewLocationInput } from './deps.ts';

/** The attributes the API takes (snake_case SERRANO and edge fields) and their types. */
const ATTRIBUTE_TYPES = {
  provider: 'string',
  url: 'string',
  latitude: 'number',
  longitude: 'number',
  country: 'string',
  city: 'string',
  region: 'string',
  jurisdiction: 'string',
  gdpr_compliant: 'boolean',
  storage_cost_per_gb_month: 'number',
  ingress_cost_per_gb: 'number',
  egress_cost_per_gb: 'number',
  name: 'string',
  description: 'string',
  cluster_id: 'string',
  team_id: 'string',
} as const;

type AttributeName = keyof typeof ATTRIBUTE_TYPES;

const KIND_OF_STORE: Record<LocationStoreSpec['type'], LocationKind> = { fs: 'local', s3: 'cloud', edge: 'edge' };

function checkAttributes(attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (!Object.hasOwn(ATTRIBUTE_TYPES, name)) {
      throw new ControlError('invalid', `unknown location attribute ${JSON.stringify(name)}`, [{ path: `attributes.${name}`, message: `unknown attribute (known: ${Object.keys(ATTRIBUTE_TYPES).join(', ')})` }]);
    }
    if (value === null || value === undefined) continue;
    const type = ATTRIBUTE_TYPES[name as AttributeName];
    if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) {
      throw new ControlError('invalid', `attributes.${name} must be a ${type}`, [{ path: `attributes.${name}`, message: `must be a ${type}` }]);
    }
    out[name] = value;
  }
  return out;
}

/** The registry's view of a stored location (camelCase attributes). */
export function locationOfRecord(record: LocationRecord): Location {
  const a = (record.attributes ?? {}) as Partial<Record<AttributeName, unknown>>;
  const attributes: Record<string, unknown> = {
    provider: a.provider,
    url: a.url,
    latitude: a.latitude,
    longitude: a.longitude,
    country: a.country,
    city: a.city,
    region: a.region,
    jurisdiction: a.jurisdiction,
    gdprCompliant: a.gdpr_compliant,
    storageCostPerGbMonth: a.storage_cost_per_gb_month,
    ingressCostPerGb: a.ingress_cost_per_gb,
    egressCostPerGb: a.egress_cost_per_gb,
  };
  const defined = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as LocationAttributes;
  return { id: record.id, kind: record.kind as LocationKind, attributes: defined, trustZone: record.trustZone, isolationTier: record.isolationTier };
}

function isLocalEndpoint(endpoint: string): boolean {
  try {
    return !new URL(endpoint).hostname.endsWith('.amazonaws.com');
  } catch {
    return true;
  }
}

function checkStore(spec: LocationStoreSpec, secret: string | undefined): void {
  const bad = (path: string, message: string): never => {
    throw new ControlError('invalid', `store.${path} ${message}`, [{ path: `store.${path}`, message }]);
  };
  if (spec.type === 'fs') {
    if (typeof spec.dir !== 'string' || spec.dir === '') bad('dir', 'must be a directory path');
    return;
  }
  let url: URL | undefined;
  try {
    url = new URL(spec.endpoint);
  } catch {
    bad('endpoint', 'must be an http(s) URL');
  }
  if (url !== undefined && url.protocol !== 'http:' && url.protocol !== 'https:') bad('endpoint', 'must be an http(s) URL');
  for (const field of ['bucket', 'region', 'accessKeyId'] as const) if (typeof spec[field] !== 'string' || spec[field] === '') bad(field === 'accessKeyId' ? 'access_key_id' : field, 'is required');
  if (secret === undefined || secret === '') throw new ControlError('invalid', `secret_access_key is required for a ${spec.type} location`, [{ path: 'secret_access_key', message: 'is required' }]);
}

/** Opens the fragment store a location record describes; `secret` unwrapped by the caller. */
export function openLocationStore(spec: LocationStoreSpec, secret: string | undefined, requestTimeoutMs: number): FragmentStore {
  if (spec.type === 'fs') {
    mkdirSync(spec.dir, { recursive: true });
    return new FsStore({ dir: spec.dir });
  }
  return new S3Store({
    endpoint: spec.endpoint,
    region: spec.region,
    bucket: spec.bucket,
    accessKeyId: spec.accessKeyId,
    secretAccessKey: secret ?? '',
    ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
    forcePathStyle: spec.type === 'edge' || isLocalEndpoint(spec.endpoint),
    requestTimeoutMs,
  });
}

/** Writes, reads back and deletes a small object: a location is only recorded once its store answers. */
async function checkStoreAnswers(store: FragmentStore, id: string, timeoutMs: number): Promise<void> {
  const key = `_probe/${randomBytes(8).toString('hex')}/check`;
  const payload = new Uint8Array(randomBytes(32));
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await store.put(key, payload, signal);
    const back = await store.get(key, { signal });
    if (back === null || !Buffer.from(back).equals(payload)) throw new Error('it returned other bytes than were written');
    await store.delete(key, signal);
  } catch (error) {
    throw new ControlError('unavailable', `location ${id} does not answer correctly: ${(error as Error).message}`);
  }
}

export interface LocationManagerOptions {
  readonly meta: MetadataStore;
  readonly registry: LocationRegistry;
  readonly custody: KeyCustody;
  readonly requestTimeoutMs: number;
  /** Jobs are created after the manager (they need the registry it fills): set before `retire` is used. */
  jobs?: JobService;
}

const SECRET_CONTEXT = (id: string): string => `location/${id}`;

export class LocationManager implements LocationService {
  constructor(private readonly o: LocationManagerOptions) {}

  set jobs(jobs: JobService) {
    this.o.jobs = jobs;
  }

  /** The six local-disk locations of the embedded default, recorded on a gateway's first start. */
  async seedLocalLocations(dataDir: string, count: number): Promise<void> {
    if ((await this.o.meta.listLocations()).length > 0) return;
    for (let i = 1; i <= count; i++) {
      const id = `local-${i}`;
      await this.o.meta.putLocation({ id, kind: 'local', store: { type: 'fs', dir: join(dataDir, 'locations', id) }, wrappedSecret: new Uint8Array(0), attributes: { provider: 'local disk' }, trustZone: id, isolationTier: 0 });
    }
  }

  /** Loads every recorded location into the registry (retired ones too: evacuation may still read them). */
  async load(onStore?: (id: string, store: FragmentStore) => Promise<void>): Promise<void> {
    for (const record of await this.o.meta.listLocations()) {
      const spec = record.store as LocationStoreSpec;
      const secret = record.wrappedSecret.length === 0 ? undefined : this.o.custody.unwrapSecret(SECRET_CONTEXT(record.id), record.wrappedSecret);
      const store = openLocationStore(spec, secret, this.o.requestTimeoutMs);
      await onStore?.(record.id, store);
      this.o.registry.add(locationOfRecord(record), store);
      if (record.retiredAt !== undefined) this.o.registry.retire(record.id);
    }
  }

  private async view(record: LocationRecord): Promise<LocationView> {
    let status: LocationView['status'] = 'active';
    if (record.retiredAt !== undefined) {
      const evacuating = this.o.jobs?.list().some((j) => j.kind === 'evacuate' && j.target === record.id && j.state === 'running') ?? false;
      status = evacuating ? 'retiring' : 'retired';
    }
    const health = this.o.registry.has(record.id) ? this.o.registry.get(record.id).health.snapshot() : undefined;
    return Promise.resolve({ record, status, health });
  }

  private async record(id: string): Promise<LocationRecord> {
    const record = await this.o.meta.getLocation(id);
    if (record === undefined) throw new ControlError('not-found', `no location ${JSON.stringify(id)}`);
    return record;
  }

  async list(): Promise<LocationView[]> {
    return Promise.all((await this.o.meta.listLocations()).map((r) => this.view(r)));
  }

  async get(id: string): Promise<LocationView> {
    return this.view(await this.record(id));
  }

  async add(input: NewLocationInput): Promise<LocationView> {
    checkStore(input.store, input.secretAccessKey);
    const attributes = checkAttributes(input.attributes);
    const kind = KIND_OF_STORE[input.store.type];
    const candidate: LocationRecord = {
      id: input.id,
      kind,
      store: input.store,
      wrappedSecret: new Uint8Array(0),
      attributes,
      trustZone: input.trustZone ?? input.id,
      isolationTier: input.isolationTier ?? 0,
      createdAt: 0,
    };
    try {
      validateLocation(locationOfRecord(candidate));
    } catch (error) {
      if (error instanceof DispersalError) throw new ControlError('invalid', error.message);
      throw error;
    }
    if (this.o.registry.has(input.id) || (await this.o.meta.getLocation(input.id)) !== undefined) throw new ControlError('conflict', `location ${input.id} exists already`);
    const secret = input.store.type === 'fs' ? undefined : input.secretAccessKey;
    const store = openLocationStore(input.store, secret, this.o.requestTimeoutMs);
    try {
      await checkStoreAnswers(store, input.id, Math.min(this.o.requestTimeoutMs, 15_000));
    } catch (error) {
      await store.close();
      throw error;
    }
    let record: LocationRecord;
    try {
      record = await this.o.meta.putLocation({
        ...candidate,
        wrappedSecret: secret === undefined ? new Uint8Array(0) : this.o.custody.wrapSecret(SECRET_CONTEXT(input.id), secret),
      });
    } catch (error) {
      await store.close();
      if (isMetaError(error, 'location-exists')) throw new ControlError('conflict', `location ${input.id} exists already`);
      throw error;
    }
    this.o.registry.add(locationOfRecord(record), store);
    return this.view(record);
  }

  async updateAttributes(id: string, change: { readonly attributes?: Readonly<Record<string, unknown>>; readonly trustZone?: string; readonly isolationTier?: number }): Promise<LocationView> {
    const current = await this.record(id);
    let attributes: Record<string, unknown> | undefined;
    if (change.attributes !== undefined) {
      const merged = new Map(Object.entries(current.attributes as Record<string, unknown>));
      for (const [name, value] of Object.entries(change.attributes)) {
        if (value === null) merged.delete(name);
        else merged.set(name, value);
      }
      for (const name of Object.keys(change.attributes)) if (change.attributes[name] !== null) checkAttributes({ [name]: change.attributes[name] });
      attributes = checkAttributes(Object.fromEntries(merged));
    }
    const next: LocationRecord = {
      ...current,
      ...(attributes === undefined ? {} : { attributes }),
      ...(change.trustZone === undefined ? {} : { trustZone: change.trustZone }),
      ...(change.isolationTier === undefined ? {} : { isolationTier: change.isolationTier }),
    };
    try {
      validateLocation(locationOfRecord(next));
    } catch (error) {
      if (error instanceof DispersalError) throw new ControlError('invalid', error.message);
      throw error;
    }
    const record = await this.o.meta.updateLocation(id, {
      ...(attributes === undefined ? {} : { attributes }),
      ...(change.trustZone === undefined ? {} : { trustZone: change.trustZone }),
      ...(change.isolationTier === undefined ? {} : { isolationTier: change.isolationTier }),
    });
    if (this.o.registry.has(id)) this.o.registry.replaceLocation(locationOfRecord(record));
    return this.view(record);
  }

  async retire(id: string): Promise<JobView> {
    const record = await this.record(id);
    const jobs = this.o.jobs;
    if (jobs === undefined) throw new Error('the job runner is not set');
    for (const policy of await this.o.meta.listPolicies()) {
      const homes = homeLocations(policy.document);
      if (homes.includes(id)) throw new ControlError('conflict', `policy ${policy.name} (version ${policy.version}) stores new objects on ${id}: edit it to use other locations first`);
    }
    if (record.retiredAt === undefined) await this.o.meta.retireLocation(id, Date.now());
    this.o.registry.retire(id);
    return jobs.start('evacuate', { location: id });
  }
}

/** The locations new objects of a stored policy document go to (either stored shape). */
function homeLocations(document: unknown): readonly string[] {
  const d = document as { locations?: unknown; backends?: unknown; edge_devices?: unknown; redundancy?: { data_packets?: unknown; redundant_packets?: unknown } };
  if (Array.isArray(d.locations)) return d.locations as string[];
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  const listed = [...list(d.backends), ...list(d.edge_devices)].map(String);
  const r = typeof d.redundancy?.redundant_packets === 'number' ? d.redundancy.redundant_packets : 0;
  const k = typeof d.redundancy?.data_packets === 'number' ? d.redundancy.data_packets : listed.length - r;
  return listed.slice(0, k + r);
}
