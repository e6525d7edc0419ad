// The admin API in process on a real SQLite store: every route, authentication, policy validation, SERRANO, protocol.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AuditEntry } from '../../src/meta/types.ts';
import { call, problem, ROOT_TEAM, ROOT_TOKEN, startAdmin, type ApiResponse, type Auth, type Credentials, type TestAdmin } from '../support/admin.ts';
import { must } from '../support/must.ts';

let admin: TestAdmin;

before(async () => {
  admin = await startAdmin();
});
after(async () => {
  await admin.close();
});

const anon: Auth = { kind: 'none' };
const rootToken: Auth = { kind: 'bearer', token: ROOT_TOKEN };
const sig = (credentials: Credentials): Auth => ({ kind: 'sigv4', credentials });
const root = (): Auth => sig(admin.root);

type Body = Record<string, unknown>;
const obj = (res: ApiResponse): Body => res.body as Body;

async function audits(): Promise<AuditEntry[]> {
  return admin.meta.listAudit({ limit: 1000 });
}

async function lastAudit(operation: string): Promise<AuditEntry> {
  return must((await audits()).filter((e) => e.operation === operation).at(-1), `audit entry ${operation}`);
}

/** A raw HTTP exchange, for what fetch will not send (over-long bodies, unnormalised paths). */
function rawRequest(path: string, options: { method?: string; headers?: Record<string, string | number>; body?: Buffer; port?: number } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: options.port ?? admin.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    // The server may answer (and close) before the whole body is sent: a write error after that is expected.
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body, () => undefined);
    req.end();
  });
}

const serranoMinimum = (name: string): Body => ({ name, description: 'two local disks and an edge node', backends: ['local-1', 'local-2'], edge_devices: ['edge-1'], redundancy: { scheme: 'RLNC', redundant_packets: 1 } });

describe('public routes', () => {
  it('answers liveness, with a request id', async () => {
    const res = await call(admin, anon, 'GET', '/health/live');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'live' });
    assert.match(must(res.headers.get('x-request-id')), /^[0-9A-F]{16}$/);
  });

  it('answers readiness 200 when ready and 503 with the report when not', async () => {
    const ok = await call(admin, anon, 'GET', '/health/ready');
    assert.equal(ok.status, 200);
    assert.equal(obj(ok).ready, true);
    const saved = admin.hooks.ready;
    admin.hooks.ready = { ready: false, metadata: true, healthyLocations: 1, needed: 4, detail: '1 of 6 locations healthy, 4 needed' };
    try {
      const down = await call(admin, anon, 'GET', '/health/ready');
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, { ready: false, metadata: true, healthy_locations: 1, needed: 4, detail: '1 of 6 locations healthy, 4 needed' });
    } finally {
      admin.hooks.ready = saved;
    }
  });

  it('serves Prometheus metrics without credentials', async () => {
    const res = await call(admin, anon, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(must(res.headers.get('content-type')), /^text\/plain/);
    assert.match(res.text, /^dispersa_up 1$/m);
  });

  it('serves the OpenAPI document without credentials', async () => {
    const res = await call(admin, anon, 'GET', '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(obj(res).openapi, '3.1.0');
    assert.equal((obj(res).info as Body).version, '9.9.9-test');
  });

  it('points to the API description at / when there is no portal', async () => {
    const res = await call(admin, anon, 'GET', '/');
    assert.deepEqual(res.body, { name: 'dispersa', version: '9.9.9-test', openapi: '/api/v1/openapi.json' });
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await rawRequest('/health/live', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  });
});

describe('authentication', () => {
  it('refuses a request without credentials: 401 problem, nothing audited', async () => {
    const before = (await audits()).length;
    const res = await call(admin, anon, 'GET', '/api/v1/whoami');
    assert.equal(res.status, 401);
    const p = problem(res);
    assert.equal(p.type, 'urn:dispersa:problem:unauthenticated');
    assert.equal(p.title, 'Not authenticated');
    assert.equal(p.instance, '/api/v1/whoami');
    assert.match(p.detail, /SigV4|Bearer/);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="dispersa"');
    assert.equal((await audits()).length, before);
  });

  it('accepts a SigV4-signed request with a key from the metadata store', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/whoami');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { access_key_id: admin.root.accessKeyId, team_id: 'root', admin: true, via: 'sigv4', default_scope: 'full', scopes: {} });
  });

  it('accepts UNSIGNED-PAYLOAD bodies', async () => {
    const res = await call(admin, { kind: 'sigv4', credentials: admin.root, unsignedPayload: true }, 'POST', '/api/v1/policies', { body: serranoMinimum('unsigned-payload') });
    assert.equal(res.status, 201, res.text);
  });

  it('refuses a wrong signature with 401 and audits the failure under the claimed key', async () => {
    const res = await call(admin, sig({ accessKeyId: admin.root.accessKeyId, secretAccessKey: 'not-the-secret' }), 'GET', '/api/v1/whoami');
    assert.equal(res.status, 401);
    assert.match(problem(res).detail, /signature we calculated does not match/);
    const entry = await lastAudit('auth.failure');
    assert.deepEqual([entry.actor, entry.teamId, entry.result, entry.target, entry.requestId], [admin.root.accessKeyId, '-', 'SignatureDoesNotMatch', 'GET /api/v1/whoami', res.headers.get('x-request-id')]);
  });

  it('refuses an unknown access key and audits it', async () => {
    const res = await call(admin, sig({ accessKeyId: 'DSPUNKNOWN0000000', secretAccessKey: 'x' }), 'GET', '/api/v1/policies');
    assert.equal(res.status, 401);
    const entry = await lastAudit('auth.failure');
    assert.deepEqual([entry.actor, entry.result], ['DSPUNKNOWN0000000', 'InvalidAccessKeyId']);
  });

  it('refuses a body that does not hash to the signed x-amz-content-sha256, and stores nothing', async () => {
    const other = randomBytes(32).toString('hex');
    const res = await call(admin, { kind: 'sigv4', credentials: admin.root, claimedHash: other }, 'POST', '/api/v1/policies', { body: serranoMinimum('tampered') });
    assert.equal(res.status, 401);
    assert.match(problem(res).detail, /does not hash/);
    assert.equal(await admin.meta.getPolicy('tampered'), undefined);
    assert.equal((await lastAudit('auth.failure')).result, 'XAmzContentSHA256Mismatch');
  });

  it('issues, uses, lists and revokes a bearer token', async () => {
    const alice = await admin.createKey('alice-team');
    const issued = await call(admin, sig(alice), 'POST', '/api/v1/tokens', { body: { description: 'ci', ttl_seconds: 3600 } });
    assert.equal(issued.status, 201, issued.text);
    const { id, token, access_key_id: keyId, expires_at: expiresAt } = obj(issued) as { id: string; token: string; access_key_id: string; expires_at: string };
    assert.match(token, /^dsp_[A-Za-z0-9_-]{43}$/);
    assert.equal(keyId, alice.accessKeyId);
    assert.ok(Math.abs(Date.parse(expiresAt) - (Date.now() + 3_600_000)) < 60_000);
    assert.equal((await lastAudit('token.create')).target, `token/${id}`);

    // Only the hash is stored.
    const stored = await admin.meta.listTokens(alice.accessKeyId);
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]?.tokenHash, token);
    assert.ok(!JSON.stringify(stored).includes(token));

    const who = await call(admin, { kind: 'bearer', token }, 'GET', '/api/v1/whoami');
    assert.equal(who.status, 200);
    assert.deepEqual(obj(who), { access_key_id: alice.accessKeyId, team_id: 'alice-team', admin: false, via: 'token', default_scope: 'full', scopes: {} });

    const listed = await call(admin, { kind: 'bearer', token }, 'GET', '/api/v1/tokens');
    assert.deepEqual((obj(listed).tokens as Body[]).map((t) => [t.id, t.description, t.revoked_at]), [[id, 'ci', null]]);
    assert.ok(!listed.text.includes(token));

    const revoked = await call(admin, { kind: 'bearer', token }, 'DELETE', `/api/v1/tokens/${id}`);
    assert.equal(revoked.status, 204);
    const after = await call(admin, { kind: 'bearer', token }, 'GET', '/api/v1/whoami');
    assert.equal(after.status, 401);
    assert.match(problem(after).detail, /revoked/);
    const entry = await lastAudit('auth.failure');
    assert.deepEqual([entry.actor, entry.teamId, entry.result], [`token/${id}`, '-', 'token-revoked']);
  });

  it('refuses an expired token', async () => {
    const bob = await admin.createKey('bob-team');
    const issued = obj(await call(admin, sig(bob), 'POST', '/api/v1/tokens', { body: { ttl_seconds: 60 } })) as { token: string; id: string };
    assert.equal((await call(admin, { kind: 'bearer', token: issued.token }, 'GET', '/api/v1/whoami')).status, 200);
    admin.clock.offsetMs = 61_000;
    try {
      const res = await call(admin, { kind: 'bearer', token: issued.token }, 'GET', '/api/v1/whoami');
      assert.equal(res.status, 401);
      assert.match(problem(res).detail, /expired/);
      assert.deepEqual([(await lastAudit('auth.failure')).actor, (await lastAudit('auth.failure')).result], [`token/${issued.id}`, 'token-expired']);
    } finally {
      admin.clock.offsetMs = 0;
    }
  });

  it('refuses unknown and malformed tokens, auditing them without an actor', async () => {
    const unknown = await call(admin, { kind: 'bearer', token: `dsp_${randomBytes(32).toString('base64url')}` }, 'GET', '/api/v1/whoami');
    assert.equal(unknown.status, 401);
    assert.deepEqual([(await lastAudit('auth.failure')).actor, (await lastAudit('auth.failure')).result], ['-', 'token-unknown']);
    const malformed = await call(admin, { kind: 'bearer', token: 'hello' }, 'GET', '/api/v1/whoami');
    assert.equal(malformed.status, 401);
    assert.equal((await lastAudit('auth.failure')).result, 'token-malformed');
  });

  it('takes ttl_seconds only in [60, 2592000]', async () => {
    const res = await call(admin, rootToken, 'POST', '/api/v1/tokens', { body: { access_key_id: admin.root.accessKeyId, ttl_seconds: 59 } });
    assert.equal(res.status, 400);
    assert.deepEqual(problem(res).errors, [{ path: 'ttl_seconds', message: 'must be >= 60, got 59' }]);
  });

  it('accepts the root token DISPERSA_ADMIN_TOKEN as an administrator', async () => {
    const res = await call(admin, rootToken, 'GET', '/api/v1/whoami');
    assert.deepEqual(res.body, { access_key_id: 'root-token', team_id: 'root', admin: true, via: 'root-token', default_scope: 'full', scopes: {} });
    const wrong = await call(admin, { kind: 'bearer', token: `${ROOT_TOKEN}x` }, 'GET', '/api/v1/whoami');
    assert.equal(wrong.status, 401);
  });

  it('the root token must name the key a token acts as', async () => {
    const res = await call(admin, rootToken, 'POST', '/api/v1/tokens', { body: {} });
    assert.equal(res.status, 400);
    assert.equal(problem(res).errors?.[0]?.path, 'access_key_id');
    const ok = await call(admin, rootToken, 'POST', '/api/v1/tokens', { body: { access_key_id: admin.root.accessKeyId } });
    assert.equal(ok.status, 201);
    const who = await call(admin, { kind: 'bearer', token: (obj(ok) as { token: string }).token }, 'GET', '/api/v1/whoami');
    assert.equal(obj(who).access_key_id, admin.root.accessKeyId);
  });

  it('a revoked key fails SigV4, and its tokens fail too', async () => {
    const carol = await admin.createKey('carol-team');
    const token = (obj(await call(admin, sig(carol), 'POST', '/api/v1/tokens', { body: {} })) as { token: string }).token;
    assert.equal((await call(admin, sig(carol), 'DELETE', `/api/v1/keys/${carol.accessKeyId}`)).status, 403);
    assert.equal((await call(admin, root(), 'DELETE', `/api/v1/keys/${carol.accessKeyId}`)).status, 204);
    const bySig = await call(admin, sig(carol), 'GET', '/api/v1/whoami');
    assert.equal(bySig.status, 401);
    assert.equal((await lastAudit('auth.failure')).result, 'InvalidAccessKeyId');
    const byToken = await call(admin, { kind: 'bearer', token }, 'GET', '/api/v1/whoami');
    assert.equal(byToken.status, 401);
    assert.equal((await lastAudit('auth.failure')).result, 'key-revoked');
  });

  it('non-administrators get 403 on administrator routes (audited when state-changing) and may read what they may', async () => {
    const dave = await admin.createKey('dave-team');
    const forbidden: [string, string, Body?][] = [
      ['POST', '/api/v1/policies', serranoMinimum('by-dave')],
      ['PUT', '/api/v1/policies/default', serranoMinimum('default')],
      ['DELETE', '/api/v1/policies/default'],
      ['POST', '/storage_policy', serranoMinimum('by-dave')],
      ['GET', '/api/v1/keys'],
      ['POST', '/api/v1/keys', {}],
      ['GET', '/api/v1/audit'],
      ['GET', '/api/v1/cache'],
      ['PUT', '/api/v1/cache', { enabled: true }],
      ['POST', '/api/v1/scrub', {}],
      ['GET', '/api/v1/jobs'],
      ['POST', '/api/v1/locations', { id: 'x', store: { type: 'fs', dir: '/tmp/x' } }],
      ['DELETE', '/api/v1/locations/local-4'],
      ['POST', '/api/v1/telemetry/probe'],
      ['DELETE', '/api/v1/buckets/anything'],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await call(admin, sig(dave), method, path, body === undefined ? {} : { body });
      assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
      assert.equal(problem(res).type, 'urn:dispersa:problem:forbidden');
    }
    assert.equal(await admin.meta.getPolicy('by-dave'), undefined);
    const entry = await lastAudit('policy.create');
    assert.deepEqual([entry.actor, entry.teamId, entry.result, entry.target], [dave.accessKeyId, 'dave-team', 'forbidden', 'policy/by-dave']);

    for (const path of ['/api/v1/whoami', '/api/v1/system', '/api/v1/policies', '/api/v1/policies/default', '/api/v1/policies/default/versions', '/api/v1/locations', '/api/v1/locations/local-1', '/api/v1/cloud_locations', '/api/v1/edge_locations', '/storage_policy', '/cloud_locations', '/edge_locations', '/api/v1/buckets', '/api/v1/tokens']) {
      const res = await call(admin, sig(dave), 'GET', path);
      assert.equal(res.status, 200, `GET ${path}: ${res.text}`);
    }
  });

  it('a root-team key whose default scope is not full is no administrator: it cannot shred, nor change policies or keys', async () => {
    const reader = await admin.createKey(ROOT_TEAM, 'read');
    for (const [method, path, body] of [
      ['DELETE', '/api/v1/buckets/anything?shred=true', undefined],
      ['POST', '/api/v1/policies', serranoMinimum('by-reader')],
      ['POST', '/api/v1/keys', {}],
    ] as const) {
      const res = await call(admin, sig(reader), method, path, body === undefined ? {} : { body });
      assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
    }
    assert.equal(obj(await call(admin, sig(reader), 'GET', '/api/v1/whoami')).admin, false);
  });

  it('a non-administrator may issue and revoke tokens only for itself', async () => {
    const erin = await admin.createKey('erin-team');
    const res = await call(admin, sig(erin), 'POST', '/api/v1/tokens', { body: { access_key_id: admin.root.accessKeyId } });
    assert.equal(res.status, 403);
    const rootsToken = obj(await call(admin, root(), 'POST', '/api/v1/tokens', { body: {} })) as { id: string };
    const revoke = await call(admin, sig(erin), 'DELETE', `/api/v1/tokens/${rootsToken.id}`);
    assert.equal(revoke.status, 404);
    assert.equal((await admin.meta.listTokens(admin.root.accessKeyId)).find((t) => t.id === rootsToken.id)?.revokedAt, undefined);
    // The administrator sees every token.
    const all = obj(await call(admin, root(), 'GET', '/api/v1/tokens')).tokens as Body[];
    assert.ok(all.some((t) => t.id === rootsToken.id));
  });
});

describe('policies', () => {
  it('lists the embedded default (stored in the legacy shape) in the public shape', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/policies/default');
    assert.equal(res.status, 200);
    assert.deepEqual(obj(res).backends, ['local-1', 'local-2', 'local-3']);
    assert.deepEqual(obj(res).redundancy, { scheme: 'RLNC', data_packets: 2, redundant_packets: 1, systematic: false });
    const list = obj(await call(admin, root(), 'GET', '/api/v1/policies')).policies as Body[];
    assert.ok(list.some((p) => p.name === 'default' && p.version === 1));
  });

  it('creates, reads, versions, and deletes a policy', async () => {
    const created = await call(admin, root(), 'POST', '/api/v1/policies', { body: { ...serranoMinimum('eu-three'), compression: { scheme: 'BROTLI' } } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual({ ...obj(created), created_at: '-' }, {
      id: 'eu-three',
      name: 'eu-three',
      version: 1,
      created_at: '-',
      description: 'two local disks and an edge node',
      backends: ['local-1', 'local-2'],
      edge_devices: ['edge-1'],
      redundancy: { scheme: 'RLNC', data_packets: 2, redundant_packets: 1, systematic: false },
      compression: { scheme: 'BROTLI', level: 1 },
      encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
      generation_size: 4194304,
      write_quorum: 3,
      coefficients: 'inline',
    });
    // Stored as the normalised public document, without name or version.
    const stored = must(await admin.meta.getPolicy('eu-three'));
    assert.deepEqual(Object.keys(stored.document as Body).sort(), ['backends', 'coefficients', 'compression', 'description', 'edge_devices', 'encryption', 'generation_size', 'redundancy', 'write_quorum']);
    assert.deepEqual((await lastAudit('policy.create')).target, 'policy/eu-three');

    const again = await call(admin, root(), 'POST', '/api/v1/policies', { body: serranoMinimum('eu-three') });
    assert.equal(again.status, 409);

    const same = await call(admin, root(), 'PUT', '/api/v1/policies/eu-three', { body: { ...serranoMinimum('eu-three'), compression: { scheme: 'BROTLI', level: 1 } } });
    assert.equal(same.status, 200);
    assert.equal(obj(same).version, 1, 'an identical body keeps the latest version');

    const edited = await call(admin, root(), 'PUT', '/api/v1/policies/eu-three', { body: { backends: ['local-1', 'local-2', 'local-3'], redundancy: { redundant_packets: 1 }, write_quorum: 2 } });
    assert.equal(edited.status, 200, edited.text);
    assert.deepEqual([obj(edited).version, obj(edited).write_quorum, obj(edited).description], [2, 2, '']);
    assert.equal((await lastAudit('policy.update')).result, 'ok');

    const v1 = await call(admin, root(), 'GET', '/api/v1/policies/eu-three?version=1');
    assert.deepEqual([obj(v1).version, obj(v1).edge_devices], [1, ['edge-1']]);
    const latest = await call(admin, root(), 'GET', '/api/v1/policies/eu-three');
    assert.equal(obj(latest).version, 2);
    const versions = await call(admin, root(), 'GET', '/api/v1/policies/eu-three/versions');
    assert.deepEqual((obj(versions).versions as Body[]).map((v) => v.version), [1, 2]);
    const missingVersion = await call(admin, root(), 'GET', '/api/v1/policies/eu-three?version=7');
    assert.equal(missingVersion.status, 404);
    assert.equal(problem(missingVersion).detail, 'policy "eu-three" has no version 7');
    const badVersion = await call(admin, root(), 'GET', '/api/v1/policies/eu-three?version=zero');
    assert.equal(badVersion.status, 400);
    assert.equal(problem(badVersion).detail, 'version must be a version number >= 1, got "zero"');

    const deleted = await call(admin, root(), 'DELETE', '/api/v1/policies/eu-three');
    assert.equal(deleted.status, 204);
    assert.equal((await call(admin, root(), 'GET', '/api/v1/policies/eu-three')).status, 404);
    assert.equal((await lastAudit('policy.delete')).target, 'policy/eu-three');
  });

  it('refuses a PUT whose name differs from the path, and a PUT of an unknown policy', async () => {
    const res = await call(admin, root(), 'PUT', '/api/v1/policies/default', { body: serranoMinimum('other') });
    assert.equal(res.status, 400);
    assert.equal(problem(res).detail, 'name must be the name in the path ("default"), got "other"');
    const missing = await call(admin, root(), 'PUT', '/api/v1/policies/nope', { body: serranoMinimum('nope') });
    assert.equal(missing.status, 404);
    assert.equal(await admin.meta.getPolicy('nope'), undefined);
  });

  it('will not delete the default policy, nor one a bucket uses', async () => {
    const def = await call(admin, root(), 'DELETE', '/api/v1/policies/default');
    assert.equal(def.status, 409);
    assert.match(problem(def).detail, /default policy/);
    assert.equal((await lastAudit('policy.delete')).result, 'conflict');

    assert.equal((await call(admin, root(), 'POST', '/api/v1/policies', { body: serranoMinimum('in-use') })).status, 201);
    await admin.meta.createBucket({ name: 'uses-in-use', teamId: 'root', policyName: 'in-use', policyVersion: 1, wrappedKek: new Uint8Array(8) });
    const used = await call(admin, root(), 'DELETE', '/api/v1/policies/in-use');
    assert.equal(used.status, 409);
    assert.match(problem(used).detail, /used by a bucket/);
    assert.ok((await admin.meta.getPolicy('in-use')) !== undefined);
    assert.equal((await call(admin, root(), 'DELETE', '/api/v1/policies/never-was')).status, 404);
  });

  describe('validation: each rule with its message, and nothing stored', () => {
    const cases: [string, Body, string, string][] = [
      ['k >= 1', { redundancy: { data_packets: 0, redundant_packets: 1 } }, 'redundancy.data_packets', 'must be an integer in [1, 64], got 0'],
      ['r >= 0', { redundancy: { redundant_packets: -1 } }, 'redundancy.redundant_packets', 'must be an integer in [0, 63], got -1'],
      ['n <= listed locations', { redundancy: { data_packets: 3, redundant_packets: 1 } }, 'redundancy', 'needs n = k + r = 3 + 1 = 4 locations, but 3 are listed'],
      ['location exists', { backends: ['local-1', 'nowhere'] }, 'backends.1', 'no location "nowhere" exists'],
      ['location not retired', { backends: ['local-1', 'retired-1'] }, 'backends.1', 'location "retired-1" is retired'],
      ['listed once', { backends: ['local-1', 'local-1'] }, 'backends.1', 'location "local-1" is listed twice'],
      ['backends are local or cloud', { backends: ['local-1', 'edge-2'] }, 'backends.1', 'location "edge-2" is an edge location: list it in edge_devices'],
      ['edge_devices are edge', { edge_devices: ['cloud-1'] }, 'edge_devices.0', 'location "cloud-1" is a cloud location: list it in backends'],
      ['scheme RLNC', { redundancy: { scheme: 'REPLICATION', redundant_packets: 1 } }, 'redundancy.scheme', 'must be "RLNC", got "REPLICATION"'],
      ['compression scheme', { compression: { scheme: 'ZSTD' } }, 'compression.scheme', 'must be one of "NONE", "DEFLATE", "BROTLI", got "ZSTD"'],
      ['compression level', { compression: { scheme: 'DEFLATE', level: 11 } }, 'compression.level', 'must be an integer in [0, 9] for DEFLATE, got 11'],
      ['encryption AES/256/GCM', { encryption: { scheme: 'AES', key_size: 128, mode: 'GCM' } }, 'encryption.key_size', 'must be 256 (AES-256-GCM is the only encryption offered), got 128'],
      ['generation_size range', { generation_size: 512 }, 'generation_size', 'must be an integer in [1024, 67108864], got 512'],
      ['write_quorum in [k, n]', { write_quorum: 4 }, 'write_quorum', 'must be in [k, n] = [2, 3], got 4'],
      ['unknown field', { replication: 3 }, 'replication', 'is not a known field'],
      ['field type', { redundancy: { redundant_packets: '1' } }, 'redundancy.redundant_packets', 'must be an integer in [0, 63], got "1"'],
    ];
    for (const [rule, change, path, message] of cases) {
      it(rule, async () => {
        const name = `bad-${rule.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
        const res = await call(admin, root(), 'POST', '/api/v1/policies', { body: { ...serranoMinimum(name), ...change } });
        assert.equal(res.status, 400, res.text);
        const p = problem(res);
        assert.equal(p.type, 'urn:dispersa:problem:invalid');
        assert.equal(p.detail, `${path} ${message}`);
        assert.deepEqual(p.errors?.[0], { path, message });
        assert.equal(p.instance, '/api/v1/policies');
        assert.equal(await admin.meta.getPolicy(name), undefined, 'nothing stored');
        const entry = await lastAudit('policy.create');
        assert.deepEqual([entry.target, entry.result], [`policy/${name}`, 'invalid']);
      });
    }

    it('an invalid edit stores no new version', async () => {
      const before = must(await admin.meta.getPolicy('default'));
      const res = await call(admin, root(), 'PUT', '/api/v1/policies/default', { body: { backends: ['local-1'], redundancy: { redundant_packets: 0 }, write_quorum: 2 } });
      assert.equal(res.status, 400);
      assert.equal(problem(res).detail, 'write_quorum must be in [k, n] = [1, 1], got 2');
      assert.equal(must(await admin.meta.getPolicy('default')).version, before.version);
    });

    it('malformed JSON', async () => {
      const res = await call(admin, root(), 'POST', '/api/v1/policies', { rawBody: '{"name": "x",' });
      assert.equal(res.status, 400);
      assert.match(problem(res).detail, /^the body is not valid JSON \(/);
      assert.deepEqual(problem(res).errors?.[0]?.path, '');
    });

    it('a missing required field', async () => {
      const res = await call(admin, root(), 'POST', '/api/v1/policies', { body: { backends: ['local-1'], redundancy: { redundant_packets: 0 } } });
      assert.equal(res.status, 400);
      assert.equal(problem(res).detail, 'name is required');
    });
  });
});

describe('SERRANO-compatible surface', () => {
  it('round-trips a policy: POST, GET with id, PUT with id → version 2, DELETE', async () => {
    const token = rootToken;
    const created = await call(admin, token, 'POST', '/storage_policy', { body: serranoMinimum('serrano-1') });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual([obj(created).id, obj(created).version, obj(created).write_quorum], ['serrano-1', 1, 3]);

    const list = await call(admin, token, 'GET', '/storage_policy');
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(list.body));
    const mine = must((list.body as Body[]).find((p) => p.id === 'serrano-1'));
    assert.deepEqual([mine.name, mine.description, mine.backends, mine.edge_devices, (mine.redundancy as Body).redundant_packets], ['serrano-1', 'two local disks and an edge node', ['local-1', 'local-2'], ['edge-1'], 1]);

    const { name: _name, ...rest } = serranoMinimum('serrano-1');
    const updated = await call(admin, token, 'PUT', '/storage_policy', { body: { ...rest, id: 'serrano-1', description: 'edited' } });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual([obj(updated).version, obj(updated).description], [2, 'edited']);

    const mismatch = await call(admin, token, 'PUT', '/storage_policy', { body: { ...rest, id: 'serrano-1', name: 'other' } });
    assert.equal(mismatch.status, 400);
    assert.equal(problem(mismatch).errors?.[0]?.path, 'name');

    assert.equal((await call(admin, token, 'DELETE', '/storage_policy/serrano-1')).status, 204);
    const after = (await call(admin, token, 'GET', '/storage_policy')).body as Body[];
    assert.ok(!after.some((p) => p.id === 'serrano-1'));
  });

  it('accepts SERRANO numeric location ids', async () => {
    await admin.meta.putLocation({ id: '144', kind: 'cloud', store: { type: 's3', endpoint: 'https://s3.example', bucket: 'b', region: 'r', accessKeyId: 'k' }, wrappedSecret: new Uint8Array(0), attributes: {}, trustZone: '144', isolationTier: 0 });
    const res = await call(admin, rootToken, 'POST', '/storage_policy', { body: { name: 'numeric', backends: [144, 'local-1'], edge_devices: [], redundancy: { scheme: 'RLNC', redundant_packets: 1 } } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(obj(res).backends, ['144', 'local-1']);
  });

  it('refuses a POST whose id differs from its name', async () => {
    const res = await call(admin, rootToken, 'POST', '/storage_policy', { body: { ...serranoMinimum('a'), id: 'b' } });
    assert.equal(res.status, 400);
    assert.equal(problem(res).detail, 'id must equal name ("a"), got "b"');
  });

  it('serves cloud and edge locations as bare arrays', async () => {
    const cloud = await call(admin, rootToken, 'GET', '/cloud_locations');
    const edge = await call(admin, rootToken, 'GET', '/edge_locations');
    assert.ok(Array.isArray(cloud.body) && Array.isArray(edge.body));
    assert.deepEqual((edge.body as Body[]).map((l) => l.id), ['edge-1', 'edge-2']);
  });
});

describe('locations', () => {
  it('lists every location with status and health', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/locations');
    const locations = obj(res).locations as Body[];
    const retired = must(locations.find((l) => l.id === 'retired-1'));
    assert.deepEqual([retired.status, retired.health, typeof retired.retired_at], ['retired', null, 'string']);
    const cloud = must(locations.find((l) => l.id === 'cloud-1'));
    assert.deepEqual(cloud.store, { type: 's3', endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'frag', region: 'eu-central-1', access_key_id: 'AKIAEXAMPLE', prefix: '' });
    assert.equal((cloud.health as Body).breaker, 'closed');
  });

  it('adds a location (secret never returned), refuses duplicates, bad input and a store that does not answer', async () => {
    const body = { id: 'edge-9', kind: 'edge', store: { type: 'edge', endpoint: 'http://edge-9.local:9100', bucket: 'frag', region: 'local', access_key_id: 'EDGE9' }, secret_access_key: 'edge-secret-value', attributes: { name: 'Factory 9', cluster_id: 'c9' }, isolation_tier: 2 };
    const added = await call(admin, root(), 'POST', '/api/v1/locations', { body });
    assert.equal(added.status, 201, added.text);
    assert.deepEqual([obj(added).id, obj(added).kind, obj(added).trust_zone, obj(added).isolation_tier, obj(added).status], ['edge-9', 'edge', 'edge-9', 2, 'active']);
    assert.ok(!added.text.includes('edge-secret-value'));
    assert.equal((await lastAudit('location.create')).target, 'location/edge-9');

    assert.equal((await call(admin, root(), 'POST', '/api/v1/locations', { body })).status, 409);
    const unreachable = await call(admin, root(), 'POST', '/api/v1/locations', { body: { ...body, id: 'edge-10', store: { ...body.store, endpoint: 'http://unreachable.local' } } });
    assert.equal(unreachable.status, 503);
    assert.equal(problem(unreachable).type, 'urn:dispersa:problem:unavailable');
    const wrongKind = await call(admin, root(), 'POST', '/api/v1/locations', { body: { ...body, id: 'edge-11', kind: 'cloud' } });
    assert.equal(problem(wrongKind).detail, 'kind must be "edge" for a store of type edge, got "cloud"');
    const noSecret = await call(admin, root(), 'POST', '/api/v1/locations', { body: { id: 'edge-12', store: body.store } });
    assert.equal(problem(noSecret).detail, 'secret_access_key is required for a store of type edge');
    const badId = await call(admin, root(), 'POST', '/api/v1/locations', { body: { ...body, id: 'Bad_Id' } });
    assert.equal(problem(badId).errors?.[0]?.path, 'id');
    const badAttr = await call(admin, root(), 'POST', '/api/v1/locations', { body: { ...body, id: 'edge-13', attributes: { latitude: 91 } } });
    assert.equal(problem(badAttr).detail, 'attributes.latitude must be <= 90, got 91');
    for (const id of ['edge-10', 'edge-11', 'edge-12', 'edge-13']) assert.equal(await admin.meta.getLocation(id), undefined);
  });

  it('reads one, edits attributes (null removes one), and 404s an unknown one', async () => {
    const one = await call(admin, root(), 'GET', '/api/v1/locations/cloud-1');
    assert.equal((obj(one).attributes as Body).city, 'Frankfurt');
    const patched = await call(admin, root(), 'PATCH', '/api/v1/locations/cloud-1', { body: { attributes: { city: 'Berlin', provider: null }, trust_zone: 'aws' } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual([(obj(patched).attributes as Body).city, (obj(patched).attributes as Body).provider, obj(patched).trust_zone], ['Berlin', undefined, 'aws']);
    const missing = await call(admin, root(), 'GET', '/api/v1/locations/nowhere');
    assert.equal(missing.status, 404);
    assert.equal(problem(missing).detail, 'no location "nowhere"');
  });

  it('retires a location with an evacuation job, but not one a policy stores on', async () => {
    const retired = await call(admin, root(), 'DELETE', '/api/v1/locations/local-4');
    assert.equal(retired.status, 202, retired.text);
    const job = obj(retired).job as Body;
    assert.deepEqual([job.kind, job.state, job.target], ['evacuate', 'running', 'local-4']);
    assert.equal((await lastAudit('location.retire')).target, 'location/local-4');
    const inUse = await call(admin, root(), 'DELETE', '/api/v1/locations/local-1');
    assert.equal(inUse.status, 409);
  });
});

describe('telemetry', () => {
  it('serves local and cloud locations in the SERRANO shape', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/cloud_locations');
    const list = res.body as Body[];
    assert.ok(list.every((l) => l.kind === 'local' || l.kind === 'cloud'));
    const local = must(list.find((l) => l.id === 'local-2'));
    assert.deepEqual([local.provider, local.url, local.latitude, local.gdpr_compliant, local.status], ['local disk', null, null, null, 'active']);
    assert.deepEqual(Object.keys(local.rtt as Body), ['upload_1B', 'download_1B', 'upload_1MB', 'download_1MB']);
    assert.deepEqual((local.rtt as Record<string, Body>).upload_1MB, { count: 3, failures: 1, mean_ms: 2, p50_ms: 2, p95_ms: 3, min_ms: 1, max_ms: 3, last_ms: 2, last_at: '2023-11-14T22:13:20.000Z' });
    assert.deepEqual(local.unavailability, [{ start: '2023-11-14T22:13:20.000Z', end: '2023-11-14T22:15:20.000Z' }, { start: '2023-11-14T22:21:40.000Z', end: null }]);
    assert.equal(local.samples, undefined);
    const cloud = must(list.find((l) => l.id === 'cloud-1'));
    assert.deepEqual([cloud.country, cloud.latitude, cloud.storage_cost_per_gb_month], ['DE', 50.11, 0.0245]);
  });

  it('serves edge locations with their fields, samples on request, over the asked window', async () => {
    admin.telemetry.asked.length = 0;
    const res = await call(admin, root(), 'GET', '/api/v1/edge_locations?days=7&samples=true');
    assert.equal(res.status, 200, res.text);
    const edge = must((res.body as Body[]).find((l) => l.id === 'edge-1'));
    assert.deepEqual([edge.kind, edge.name, edge.cluster_id, edge.team_id, edge.s3_url, edge.description], ['edge', 'Factory edge-1', 'c1', 'plant', 'http://edge-1.factory.local:9100', null]);
    assert.deepEqual(edge.samples, [{ probe: 'upload_1B', at: '2023-11-14T22:13:20.000Z', ok: true, rtt_ms: 1.5 }, { probe: 'download_1MB', at: '2023-11-14T22:13:20.100Z', ok: false, rtt_ms: null }]);
    const asked = must(admin.telemetry.asked[0]);
    assert.ok(Math.abs(asked.sinceMs - (Date.now() - 7 * 86_400_000)) < 60_000);
    assert.equal(asked.samples, true);
  });

  it('refuses a window outside 1..30 days and unknown parameters', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/cloud_locations?days=31');
    assert.equal(res.status, 400);
    assert.equal(problem(res).detail, 'days must be a whole number of days in [1, 30], got "31"');
    const unknown = await call(admin, root(), 'GET', '/api/v1/cloud_locations?color=red');
    assert.equal(problem(unknown).detail, 'color is not a known field');
  });

  it('runs a probe round on demand', async () => {
    const before = admin.telemetry.probes;
    const res = await call(admin, root(), 'POST', '/api/v1/telemetry/probe');
    assert.equal(res.status, 200);
    assert.equal(admin.telemetry.probes, before + 1);
  });
});

describe('keys', () => {
  it('creates a key for a new team with its secret shown once, scopes it, and revokes it', async () => {
    const created = await call(admin, root(), 'POST', '/api/v1/keys', { body: { team_id: 'acme', default_scope: 'read', scopes: { 'acme-data': 'full' } } });
    assert.equal(created.status, 201, created.text);
    const key = obj(created) as { access_key_id: string; secret_access_key: string; team_id: string; default_scope: string; scopes: Body; revoked_at: null };
    assert.match(key.access_key_id, /^DSP[0-9A-F]{16}$/);
    assert.deepEqual([key.team_id, key.default_scope, key.scopes, key.revoked_at], ['acme', 'read', { 'acme-data': 'full' }, null]);
    assert.ok(key.secret_access_key.length >= 40);
    assert.equal((await admin.meta.getTeam('acme'))?.id, 'acme');
    assert.equal((await lastAudit('key.create')).target, `key/${key.access_key_id}`);

    // The new key works, and is not an administrator.
    const who = await call(admin, sig({ accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key }), 'GET', '/api/v1/whoami');
    assert.deepEqual([obj(who).admin, obj(who).team_id], [false, 'acme']);

    const one = await call(admin, root(), 'GET', `/api/v1/keys/${key.access_key_id}`);
    assert.ok(!one.text.includes(key.secret_access_key));
    assert.ok(!('secret_access_key' in obj(one)));
    const listed = obj(await call(admin, root(), 'GET', '/api/v1/keys?team=acme')).keys as Body[];
    assert.deepEqual(listed.map((k) => k.access_key_id), [key.access_key_id]);

    const scoped = await call(admin, root(), 'PUT', `/api/v1/keys/${key.access_key_id}/scopes`, { body: { default_scope: 'none', scopes: { 'acme-data': null, 'acme-logs': 'read' } } });
    assert.equal(scoped.status, 200, scoped.text);
    assert.deepEqual([obj(scoped).default_scope, obj(scoped).scopes], ['none', { 'acme-logs': 'read' }]);

    assert.equal((await call(admin, root(), 'DELETE', `/api/v1/keys/${key.access_key_id}`)).status, 204);
    assert.equal(typeof obj(await call(admin, root(), 'GET', `/api/v1/keys/${key.access_key_id}`)).revoked_at, 'string');
  });

  it("defaults to the caller's team, and 404s unknown keys", async () => {
    const created = await call(admin, root(), 'POST', '/api/v1/keys', { body: {} });
    assert.deepEqual([obj(created).team_id, obj(created).default_scope], ['root', 'full']);
    assert.equal((await call(admin, root(), 'GET', '/api/v1/keys/DSPNOPE')).status, 404);
    assert.equal((await call(admin, root(), 'DELETE', '/api/v1/keys/DSPNOPE')).status, 404);
    assert.equal((await call(admin, root(), 'PUT', '/api/v1/keys/DSPNOPE/scopes', { body: { scopes: {} } })).status, 404);
  });

  it('refuses an unknown scope', async () => {
    const res = await call(admin, root(), 'POST', '/api/v1/keys', { body: { default_scope: 'write' } });
    assert.equal(res.status, 400);
    assert.equal(problem(res).detail, 'default_scope must be one of "full", "read", "none", got "write"');
  });
});

describe('buckets', () => {
  let frank: Credentials;
  before(async () => {
    frank = await admin.createKey('frank-team', 'full', { 'frank-hidden': 'none' });
    for (const [name, teamId] of [['frank-a', 'frank-team'], ['frank-hidden', 'frank-team'], ['frank-full', 'frank-team'], ['root-only', 'root']] as const) {
      await admin.meta.createBucket({ name, teamId, policyName: 'default', policyVersion: 1, wrappedKek: new Uint8Array(8) });
    }
    await admin.meta.beginWrite({ versionId: 'v-frank-full-1', bucket: 'frank-full', key: 'k.txt', target: {} });
    await admin.meta.commitObject({ bucket: 'frank-full', key: 'k.txt', versionId: 'v-frank-full-1', size: 5, etag: '"e"', dispersed: {}, storedSize: 9 });
  });

  it('administrators see every team; a key sees its team where its scope lets it', async () => {
    const all = (obj(await call(admin, root(), 'GET', '/api/v1/buckets')).buckets as Body[]).map((b) => b.name);
    for (const name of ['frank-a', 'frank-hidden', 'frank-full', 'root-only']) assert.ok(all.includes(name), name);
    const franks = obj(await call(admin, sig(frank), 'GET', '/api/v1/buckets')).buckets as Body[];
    assert.deepEqual(franks.map((b) => b.name), ['frank-a', 'frank-full']);
    const full = must(franks.find((b) => b.name === 'frank-full'));
    assert.deepEqual([full.team_id, full.policy, full.objects, full.logical_bytes, full.stored_bytes], ['frank-team', { name: 'default', version: 1 }, 1, 5, 9]);
  });

  it("reads one bucket and its policy; another team's bucket, or one the scope hides, is not found", async () => {
    assert.equal((await call(admin, sig(frank), 'GET', '/api/v1/buckets/frank-a')).status, 200);
    const policy = await call(admin, sig(frank), 'GET', '/api/v1/buckets/frank-a/policy');
    assert.deepEqual([obj(policy).name, obj(policy).version], ['default', 1]);
    for (const name of ['frank-hidden', 'root-only', 'nonexistent']) {
      const res = await call(admin, sig(frank), 'GET', `/api/v1/buckets/${name}`);
      assert.equal(res.status, 404, name);
      assert.equal(problem(res).detail, `no bucket "${name}"`);
    }
  });

  it('deletes an empty bucket, refuses a non-empty one, and crypto-shreds on request', async () => {
    assert.equal((await call(admin, sig(frank), 'DELETE', '/api/v1/buckets/frank-a')).status, 403);
    assert.equal((await call(admin, root(), 'DELETE', '/api/v1/buckets/frank-a')).status, 204);
    assert.equal(await admin.meta.getBucket('frank-a'), undefined);
    const full = await call(admin, root(), 'DELETE', '/api/v1/buckets/frank-full');
    assert.equal(full.status, 409);
    assert.equal((await lastAudit('bucket.delete')).result, 'conflict');
    const shredded = await call(admin, root(), 'DELETE', '/api/v1/buckets/frank-full?shred=true');
    assert.equal(shredded.status, 200, shredded.text);
    assert.deepEqual(shredded.body, { shredded: true, objects: 1 });
    assert.deepEqual(admin.buckets.shredded.at(-1), { name: 'frank-full', actor: admin.root.accessKeyId });
    const entry = await lastAudit('bucket.shred');
    assert.deepEqual([entry.target, entry.result], ['bucket/frank-full', 'ok']);
    assert.equal((await call(admin, root(), 'DELETE', '/api/v1/buckets/frank-full?shred=maybe')).status, 400);
  });
});

describe('cache', () => {
  it('shows settings and counters, and changes settings', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/cache');
    assert.deepEqual(obj(res).stats, { entries: 2, bytes: 2048, hits: 5, misses: 1, evictions: 0, corruptions: 0, failures: 0 });
    assert.equal((obj(res).settings as Body).enabled, false);
    const changed = await call(admin, root(), 'PUT', '/api/v1/cache', { body: { enabled: true, mime_blacklist: ['image/*'] } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual([obj(changed).enabled, obj(changed).mime_blacklist, obj(changed).read_through], [true, ['image/*'], true]);
    assert.equal((await lastAudit('cache.update')).result, 'ok');
  });

  it("passes the service's field errors on, and refuses unknown fields", async () => {
    const res = await call(admin, root(), 'PUT', '/api/v1/cache', { body: { max_size_bytes: 10 } });
    assert.equal(res.status, 400);
    assert.deepEqual(problem(res).errors, [{ path: 'max_size_bytes', message: 'must be at least 1048576' }]);
    assert.equal((await lastAudit('cache.update')).result, 'invalid');
    const unknown = await call(admin, root(), 'PUT', '/api/v1/cache', { body: { size: 1 } });
    assert.equal(problem(unknown).detail, 'size is not a known field');
  });
});

describe('audit log', () => {
  it('pages oldest first, by sequence number and by time', async () => {
    const first = await call(admin, root(), 'GET', '/api/v1/audit?limit=2');
    const page = obj(first) as { entries: Body[]; next: number };
    assert.deepEqual(page.entries.map((e) => e.seq), [1, 2]);
    assert.equal(page.next, 2);
    const second = obj(await call(admin, root(), 'GET', `/api/v1/audit?since=${page.next}&limit=2`)) as { entries: Body[] };
    assert.deepEqual(second.entries.map((e) => e.seq), [3, 4]);
    const at = must(second.entries[0]).at as string;
    const byTime = obj(await call(admin, root(), 'GET', `/api/v1/audit?since=${encodeURIComponent(at)}&limit=1`)) as { entries: Body[] };
    assert.ok((must(byTime.entries[0]).seq as number) <= 3);
    const all = obj(await call(admin, root(), 'GET', '/api/v1/audit?limit=1000')) as { entries: Body[]; next: number | null };
    assert.equal(all.next, null);
    const e = must(all.entries[0]);
    assert.deepEqual(Object.keys(e), ['seq', 'at', 'actor', 'team_id', 'operation', 'target', 'result', 'request_id', 'prev_hash', 'hash']);
    assert.equal(e.prev_hash, '0'.repeat(64));
  });

  it('refuses bad paging parameters', async () => {
    assert.equal(problem(await call(admin, root(), 'GET', '/api/v1/audit?limit=0')).detail, 'limit must be a whole number in [1, 1000], got "0"');
    assert.equal(problem(await call(admin, root(), 'GET', '/api/v1/audit?since=yesterday')).detail, 'since must be a sequence number or an RFC 3339 time, got "yesterday"');
  });

  it('verifies the hash chain', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/audit/verify');
    const total = (await audits()).length;
    assert.deepEqual(res.body, { ok: true, entries: total, first_problem: null });
  });

  it('an audit log that fails does not hide the response; the failure is logged', async () => {
    admin.hooks.auditFails = true;
    try {
      const res = await call(admin, root(), 'POST', '/api/v1/policies', { body: serranoMinimum('audit-down') });
      assert.equal(res.status, 201, res.text);
      assert.ok(admin.logs.some((l) => l.includes(must(res.headers.get('x-request-id'))) && l.includes('audit store is down')));
    } finally {
      admin.hooks.auditFails = false;
    }
  });
});

describe('jobs and system', () => {
  it('starts a scrub and a repair, lists jobs newest first, reads one', async () => {
    const scrub = await call(admin, root(), 'POST', '/api/v1/scrub', { body: { mode: 'head' } });
    assert.equal(scrub.status, 202, scrub.text);
    const scrubJob = obj(scrub).job as Body;
    assert.deepEqual([scrubJob.kind, scrubJob.state, scrubJob.finished_at, scrubJob.error], ['scrub', 'running', null, null]);
    const repair = await call(admin, root(), 'POST', '/api/v1/repair');
    assert.equal(repair.status, 202);
    const repairJob = obj(repair).job as Body;
    const jobs = obj(await call(admin, root(), 'GET', '/api/v1/jobs')).jobs as Body[];
    assert.equal(must(jobs[0]).id, repairJob.id);
    const one = await call(admin, root(), 'GET', `/api/v1/jobs/${String(scrubJob.id)}`);
    assert.equal(obj(one).id, scrubJob.id);
    assert.equal((await call(admin, root(), 'GET', '/api/v1/jobs/nope')).status, 404);
    assert.equal((await lastAudit('scrub.start')).result, 'ok');
  });

  it('refuses a scrub of an unknown bucket or mode', async () => {
    assert.equal((await call(admin, root(), 'POST', '/api/v1/scrub', { body: { bucket: 'no-such-bucket' } })).status, 404);
    const mode = await call(admin, root(), 'POST', '/api/v1/scrub', { body: { mode: 'deep' } });
    assert.equal(problem(mode).detail, 'mode must be one of "head", "full", got "deep"');
  });

  it('describes the gateway', async () => {
    const scrub = obj(await call(admin, root(), 'POST', '/api/v1/scrub', { body: {} })).job as Body;
    admin.jobs.finish(String(scrub.id), { objects: 3, missing: 0 });
    const res = await call(admin, root(), 'GET', '/api/v1/system');
    assert.equal(res.status, 200);
    const s = obj(res);
    assert.deepEqual([s.version, s.metadata_engine, s.repair_queue_depth], ['9.9.9-test', 'sqlite', 0]);
    assert.ok(['js', 'wasm-simd', 'wasm-relaxed'].includes(String(s.gf_backend)));
    assert.deepEqual((s.last_scrub as Body).summary, { objects: 3, missing: 0 });
    const locations = s.locations as { total: number; healthy: number };
    const all = (obj(await call(admin, root(), 'GET', '/api/v1/locations')).locations as Body[]);
    assert.equal(locations.total, all.length);
    assert.equal(locations.healthy, all.filter((l) => l.status === 'active').length);
  });
});

describe('protocol', () => {
  it('404 for an unknown path, as problem+json', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/nothing-here');
    assert.equal(res.status, 404);
    const p = problem(res);
    assert.deepEqual([p.type, p.title, p.instance], ['urn:dispersa:problem:not-found', 'Not found', '/api/v1/nothing-here']);
  });

  it('405 with Allow for a known path and a wrong method', async () => {
    const res = await call(admin, root(), 'PATCH', '/api/v1/policies');
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, HEAD');
    assert.equal(problem(res).type, 'urn:dispersa:problem:method-not-allowed');
    const one = await call(admin, anon, 'POST', '/health/live');
    assert.equal(one.headers.get('allow'), 'GET, HEAD');
  });

  it('413 for a body over 1 MiB, declared or streamed', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const declared = await rawRequest('/api/v1/policies', { method: 'POST', headers: { authorization: `Bearer ${ROOT_TOKEN}`, 'content-type': 'application/json', 'content-length': big.length }, body: big });
    assert.equal(declared.status, 413);
    assert.equal((JSON.parse(declared.text) as Body).type, 'urn:dispersa:problem:too-large');
    const streamed = await rawRequest('/api/v1/policies', { method: 'POST', headers: { authorization: `Bearer ${ROOT_TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: big });
    assert.equal(streamed.status, 413);
    assert.equal((await lastAudit('policy.create')).result, 'too-large');
    // Exactly 1 MiB is read (and then judged as JSON).
    const limit = await rawRequest('/api/v1/policies', { method: 'POST', headers: { authorization: `Bearer ${ROOT_TOKEN}`, 'content-length': 1024 * 1024 }, body: Buffer.alloc(1024 * 1024, 0x20) });
    assert.equal(limit.status, 400);
  });

  it('500 never shows internals; the log has them under the request id', async () => {
    admin.hooks.metricsFail = true;
    try {
      const res = await call(admin, anon, 'GET', '/metrics');
      assert.equal(res.status, 500);
      const p = problem(res);
      assert.equal(p.type, 'urn:dispersa:problem:internal');
      assert.ok(!res.text.includes('exploded') && !res.text.includes('/var/lib'));
      assert.ok(admin.logs.some((l) => l.includes(p.request_id) && l.includes('exploded')));
    } finally {
      admin.hooks.metricsFail = false;
    }
  });

  it('400 for a path that is not valid percent-encoding', async () => {
    const res = await rawRequest('/api/v1/policies/%E0%A4%A');
    assert.equal(res.status, 400);
  });

  it('decodes path parameters', async () => {
    const res = await call(admin, root(), 'GET', '/api/v1/policies/no%20such');
    assert.equal(problem(res).detail, 'no policy "no such"');
  });
});

describe('portal', () => {
  let portal: TestAdmin;
  let work = '';
  beforeEach(() => undefined);
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'dispersa-portal-'));
    const dir = join(work, 'portal');
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Dispersa</title>');
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log("portal")');
    await writeFile(join(dir, 'assets', 'style.css'), 'body{}');
    await writeFile(join(work, 'secret.txt'), 'TOP SECRET');
    portal = await startAdmin({ portalDir: dir });
  });
  after(async () => {
    await portal.close();
    await rm(work, { recursive: true, force: true });
  });

  it('serves index.html at / and for unknown non-API paths', async () => {
    for (const path of ['/', '/buckets/some-bucket', '/index.html']) {
      const res = await rawRequest(path, { port: portal.port });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.text, '<!doctype html><title>Dispersa</title>');
    }
  });

  it('serves assets with their content types', async () => {
    const js = await rawRequest('/assets/app.js', { port: portal.port });
    assert.deepEqual([js.status, js.headers['content-type'], js.headers['cache-control'], js.text], [200, 'text/javascript; charset=utf-8', 'public, max-age=3600', 'console.log("portal")']);
    const css = await rawRequest('/assets/style.css', { port: portal.port });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  });

  it('never leaves the portal directory', async () => {
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const res = await rawRequest(path, { port: portal.port });
      assert.ok(!res.text.includes('TOP SECRET'), path);
    }
  });

  it('keeps API paths as problems', async () => {
    const res = await rawRequest('/api/v1/nothing', { port: portal.port });
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    const policies = await call(portal, rootToken, 'GET', '/api/v1/policies');
    assert.equal(policies.status, 200);
  });
});
