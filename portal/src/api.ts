// The admin API client: every request SigV4-signed with the session's key (the body's SHA-256 signed), JSON in and out.

import { networkError, problemError } from './errors.ts';
import { sha256Hex, signRequest, uriEncode, type Credentials } from './sigv4.ts';
import type {
  AccessKey,
  AccessKeyCreated,
  AuditPage,
  AuditVerification,
  Bucket,
  CacheSettings,
  CacheView,
  Job,
  LocationInfo,
  LocationTelemetry,
  Policy,
  PolicyDocument,
  Scope,
  SystemInfo,
  Whoami,
} from './types.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A path segment (bucket, policy or key name) as the admin API's routes expect it. */
const seg = (value: string): string => uriEncode(value);

export class AdminApi {
  readonly credentials: Credentials;
  readonly origin: string;

  constructor(credentials: Credentials, origin: string) {
    this.credentials = credentials;
    this.origin = origin.replace(/\/+$/, '');
  }

  async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const url = `${this.origin}${path}`;
    const extra: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const headers = await signRequest({ method, url, headers: extra, payloadHash: await sha256Hex(text) }, this.credentials);
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: text }), cache: 'no-store' });
    } catch (error) {
      throw networkError(`${method} ${path}`, error);
    }
    const answer = await response.text();
    if (!response.ok) throw problemError(response.status, answer);
    if (answer === '') return undefined as T;
    return JSON.parse(answer) as T;
  }

  whoami(): Promise<Whoami> {
    return this.call('GET', '/api/v1/whoami');
  }

  system(): Promise<SystemInfo> {
    return this.call('GET', '/api/v1/system');
  }

  async buckets(): Promise<Bucket[]> {
    return (await this.call<{ buckets: Bucket[] }>('GET', '/api/v1/buckets')).buckets;
  }

  bucket(name: string): Promise<Bucket> {
    return this.call('GET', `/api/v1/buckets/${seg(name)}`);
  }

  shredBucket(name: string): Promise<{ shredded: true; objects: number }> {
    return this.call('DELETE', `/api/v1/buckets/${seg(name)}?shred=true`);
  }

  async policies(): Promise<Policy[]> {
    return (await this.call<{ policies: Policy[] }>('GET', '/api/v1/policies')).policies;
  }

  async policyVersions(name: string): Promise<Policy[]> {
    return (await this.call<{ versions: Policy[] }>('GET', `/api/v1/policies/${seg(name)}/versions`)).versions;
  }

  createPolicy(name: string, document: PolicyDocument): Promise<Policy> {
    return this.call('POST', '/api/v1/policies', { name, ...document });
  }

  updatePolicy(name: string, document: PolicyDocument): Promise<Policy> {
    return this.call('PUT', `/api/v1/policies/${seg(name)}`, { name, ...document });
  }

  deletePolicy(name: string): Promise<void> {
    return this.call('DELETE', `/api/v1/policies/${seg(name)}`);
  }

  async locations(): Promise<LocationInfo[]> {
    return (await this.call<{ locations: LocationInfo[] }>('GET', '/api/v1/locations')).locations;
  }

  cloudTelemetry(): Promise<LocationTelemetry[]> {
    return this.call('GET', '/api/v1/cloud_locations?samples=true');
  }

  edgeTelemetry(): Promise<LocationTelemetry[]> {
    return this.call('GET', '/api/v1/edge_locations?samples=true');
  }

  probeNow(): Promise<unknown> {
    return this.call('POST', '/api/v1/telemetry/probe');
  }

  async keys(): Promise<AccessKey[]> {
    return (await this.call<{ keys: AccessKey[] }>('GET', '/api/v1/keys')).keys;
  }

  createKey(request: { team_id?: string; default_scope: Scope; scopes?: Record<string, Scope> }): Promise<AccessKeyCreated> {
    return this.call('POST', '/api/v1/keys', request);
  }

  updateScopes(id: string, change: { default_scope?: Scope; scopes: Record<string, Scope | null> }): Promise<AccessKey> {
    return this.call('PUT', `/api/v1/keys/${seg(id)}/scopes`, change);
  }

  revokeKey(id: string): Promise<void> {
    return this.call('DELETE', `/api/v1/keys/${seg(id)}`);
  }

  audit(since: string | undefined, limit: number): Promise<AuditPage> {
    const query = [`limit=${limit}`, ...(since === undefined ? [] : [`since=${uriEncode(since)}`])].join('&');
    return this.call('GET', `/api/v1/audit?${query}`);
  }

  auditVerify(): Promise<AuditVerification> {
    return this.call('GET', '/api/v1/audit/verify');
  }

  cache(): Promise<CacheView> {
    return this.call('GET', '/api/v1/cache');
  }

  updateCache(change: Partial<CacheSettings>): Promise<CacheSettings> {
    return this.call('PUT', '/api/v1/cache', change);
  }

  async jobs(): Promise<Job[]> {
    return (await this.call<{ jobs: Job[] }>('GET', '/api/v1/jobs')).jobs;
  }

  async startJob(kind: 'scrub' | 'repair'): Promise<Job> {
    return (await this.call<{ job: Job }>('POST', `/api/v1/${kind}`, {})).job;
  }
}
