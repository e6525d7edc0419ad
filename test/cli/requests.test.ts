// Command lines → admin API requests, checked against a fake API: methods, paths, queries and bodies.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPolicyFlags } from '../../src/cli/policy.ts';
import { problem, runFake, type RecordedRequest } from './support.ts';

const TOKEN = { DISPERSA_ADMIN_TOKEN: 'tok' };

function only(requests: RecordedRequest[]): RecordedRequest {
  assert.equal(requests.length, 1, `expected one request, got ${requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  return requests[0] as RecordedRequest;
}

describe('policy flags → JSON body', () => {
  it('create maps every flag onto the SERRANO policy document', async () => {
    const r = await runFake(
      ['policy', 'create', 'eu', '--backends', 'a,b', '--backends', 'c', '--edge', 'e1', '--data', '2', '--redundant', '2', '--compression', 'Brotli', '--level', '5', '--generation-size', '1MiB', '--write-quorum', '3', '--description', 'four of them', '--systematic', '--coefficients', 'metadata'],
      { env: TOKEN, api: (req) => [201, { ...(req.body as object), version: 1 }] },
    );
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/v1/policies');
    assert.deepEqual(req.body, {
      name: 'eu',
      description: 'four of them',
      backends: ['a', 'b', 'c'],
      edge_devices: ['e1'],
      redundancy: { scheme: 'RLNC', data_packets: 2, redundant_packets: 2, systematic: true },
      compression: { scheme: 'BROTLI', level: 5 },
      generation_size: 1048576,
      write_quorum: 3,
      coefficients: 'metadata',
    });
    assert.match(r.stdout, /policy eu created \(version 1\)/);
  });

  it('create sends only what was given (the API fills the defaults)', async () => {
    const r = await runFake(['policy', 'create', 'p', '--backends', 'x,y,z', '--redundant', '1'], { env: TOKEN, api: () => [201, {}] });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(only(r.requests).body, { name: 'p', backends: ['x', 'y', 'z'], redundancy: { scheme: 'RLNC', redundant_packets: 1 } });
  });

  it('create reads --file, dropping the fields only responses carry, and lets flags override it', async () => {
    const file = JSON.stringify({ id: 'f', name: 'f', version: 3, created_at: '2026-01-01T00:00:00Z', backends: ['a', 'b'], redundancy: { scheme: 'RLNC', redundant_packets: 1 } });
    const r = await runFake(['policy', 'create', '--file', 'p.json', '--description', 'd'], { env: TOKEN, files: { 'p.json': file }, api: () => [201, {}] });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(only(r.requests).body, { name: 'f', backends: ['a', 'b'], redundancy: { scheme: 'RLNC', redundant_packets: 1 }, description: 'd' });
  });

  it('create reads the policy from stdin with --file -', async () => {
    const r = await runFake(['policy', 'create', 'p', '--file', '-'], { env: TOKEN, stdin: '{"backends":["a"]}', api: () => [201, {}] });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(only(r.requests).body, { name: 'p', backends: ['a'] });
  });

  it('create refuses a missing policy, a name clash, bad JSON and bad flag values before sending anything', async () => {
    for (const [argv, files, message] of [
      [['policy', 'create', 'p'], {}, /give the policy as --file/],
      [['policy', 'create', 'p', '--file', 'f.json'], { 'f.json': '{"name":"q"}' }, /named "p" on the command line but "q"/],
      [['policy', 'create', '--file', 'f.json'], { 'f.json': '{"backends":["a"]}' }, /name the policy/],
      [['policy', 'create', 'p', '--file', 'f.json'], { 'f.json': '{nope' }, /not JSON/],
      [['policy', 'create', 'p', '--file', 'missing.json'], {}, /missing\.json/],
      [['policy', 'create', 'p', '--data', 'two'], {}, /expected an integer/],
      [['policy', 'create', 'p', '--compression', 'zstd'], {}, /expected one of deflate, brotli, none/],
      [['policy', 'create', 'p', '--generation-size', '4 parsecs'], {}, /size in bytes/],
    ] as const) {
      const r = await runFake(argv, { env: TOKEN, files });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.requests.length, 0);
    }
  });

  it('edit with flags changes the current version; a new compression scheme drops the old level', async () => {
    const current = { id: 'eu', name: 'eu', version: 2, created_at: 'x', backends: ['a', 'b', 'c'], edge_devices: [], redundancy: { scheme: 'RLNC', data_packets: 2, redundant_packets: 1, systematic: false }, compression: { scheme: 'DEFLATE', level: 6 }, generation_size: 4194304, write_quorum: 3, coefficients: 'inline' };
    const r = await runFake(['policy', 'edit', 'eu', '--redundant', '2', '--data', '1', '--compression', 'brotli'], {
      env: TOKEN,
      api: (req) => (req.method === 'GET' ? [200, current] : [200, { ...(req.body as object), version: 3 }]),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.requests.map((q) => `${q.method} ${q.path}`), ['GET /api/v1/policies/eu', 'PUT /api/v1/policies/eu']);
    assert.deepEqual(r.requests[1]?.body, { name: 'eu', backends: ['a', 'b', 'c'], edge_devices: [], redundancy: { scheme: 'RLNC', data_packets: 1, redundant_packets: 2, systematic: false }, compression: { scheme: 'BROTLI' }, generation_size: 4194304, write_quorum: 3, coefficients: 'inline' });
    assert.match(r.stdout, /now at version 3/);
  });

  it('edit with --file sends the file as the new version without reading the current one', async () => {
    const r = await runFake(['policy', 'edit', 'eu', '--file', 'p.json'], { env: TOKEN, files: { 'p.json': '{"name":"eu","version":7,"backends":["a"]}' }, api: () => [200, {}] });
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'PUT');
    assert.deepEqual(req.body, { name: 'eu', backends: ['a'] });
    const clash = await runFake(['policy', 'edit', 'eu', '--file', 'p.json'], { env: TOKEN, files: { 'p.json': '{"name":"us"}' } });
    assert.equal(clash.code, 2);
    const nothing = await runFake(['policy', 'edit', 'eu'], { env: TOKEN });
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
  });

  it('applyPolicyFlags keeps the level when the scheme is unchanged', () => {
    assert.deepEqual(applyPolicyFlags({ compression: { scheme: 'DEFLATE', level: 9 } }, { compression: 'deflate' }), { compression: { scheme: 'DEFLATE', level: 9 } });
    assert.deepEqual(applyPolicyFlags({}, { level: 3 }), { compression: { scheme: 'DEFLATE', level: 3 } });
    assert.deepEqual(applyPolicyFlags({ redundancy: { scheme: 'RLNC', systematic: true } }, { systematic: false }), { redundancy: { scheme: 'RLNC', systematic: false } });
  });

  it('show, versions and rm address the policy by name, encoded as one path segment', async () => {
    const show = await runFake(['policy', 'show', 'a b/c', '--version', '2'], { env: TOKEN, api: () => [200, { name: 'a b/c' }] });
    assert.equal(show.code, 0, show.stderr);
    assert.equal(only(show.requests).url.pathname, '/api/v1/policies/a%20b%2Fc');
    assert.deepEqual(only(show.requests).query, { version: '2' });
    const versions = await runFake(['policy', 'versions', 'eu'], { env: TOKEN, api: () => [200, { versions: [] }] });
    assert.equal(only(versions.requests).path, '/api/v1/policies/eu/versions');
    const rm = await runFake(['policy', 'rm', 'eu'], { env: TOKEN, api: () => [204] });
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(only(rm.requests).method, 'DELETE');
    assert.match(rm.stdout, /policy eu deleted/);
  });
});

describe('location requests', () => {
  it('add fs with attributes', async () => {
    const r = await runFake(
      ['location', 'add', 'disk-7', '--type', 'fs', '--dir', '/srv/d7', '--country', 'DK', '--city', 'Aalborg', '--latitude', '57.05', '--longitude', '9.92', '--gdpr', '--storage-cost', '0.01', '--trust-zone', 'rack-2', '--isolation-tier', '1', '--attribute', 'region=nordics', '--attribute', 'ingress_cost_per_gb=0'],
      { env: TOKEN, api: (req) => [201, req.body] },
    );
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/v1/locations');
    assert.deepEqual(req.body, {
      id: 'disk-7',
      store: { type: 'fs', dir: '/srv/d7' },
      attributes: { region: 'nordics', ingress_cost_per_gb: 0, country: 'DK', city: 'Aalborg', latitude: 57.05, longitude: 9.92, gdpr_compliant: true, storage_cost_per_gb_month: 0.01 },
      trust_zone: 'rack-2',
      isolation_tier: 1,
    });
  });

  it('add s3 takes the store endpoint from --endpoint, the admin API from --admin-endpoint, the secret from the environment', async () => {
    const r = await runFake(
      ['location', 'add', 'aws-eu', '--type', 's3', '--endpoint', 'https://s3.eu-central-1.amazonaws.com', '--bucket', 'frag', '--region', 'eu-central-1', '--access-key-id', 'AKIA1', '--prefix', 'dsp/', '--no-gdpr', '--admin-endpoint', 'http://admin.example:9443'],
      { env: { ...TOKEN, DISPERSA_LOCATION_SECRET_ACCESS_KEY: 's3cret' }, api: () => [201, {}] },
    );
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.url.origin, 'http://admin.example:9443');
    assert.deepEqual(req.body, {
      id: 'aws-eu',
      store: { type: 's3', endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'frag', region: 'eu-central-1', access_key_id: 'AKIA1', prefix: 'dsp/' },
      secret_access_key: 's3cret',
      attributes: { gdpr_compliant: false },
    });
  });

  it('add refuses incomplete store settings without sending anything', async () => {
    for (const [argv, message] of [
      [['location', 'add', 'x'], /--type fs\|s3\|edge is required/],
      [['location', 'add', 'x', '--type', 'fs'], /needs --dir/],
      [['location', 'add', 'x', '--type', 'edge', '--endpoint', 'http://e:9100'], /needs --bucket NAME, --access-key-id ID/],
      [['location', 'add', 'x', '--type', 'edge', '--endpoint', 'http://e:9100', '--bucket', 'b', '--access-key-id', 'K'], /needs its secret/],
      [['location', 'add', 'x', '--type', 'fs', '--dir', 'd', '--bucket', 'b'], /--bucket is for s3 and edge/],
      [['location', 'add', 'x', '--type', 'ftp'], /expected one of fs, s3, edge/],
      [['location', 'add', 'x', '--dir', 'd', '--latitude', 'north'], /expected a number/],
    ] as const) {
      const r = await runFake(argv, { env: TOKEN });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.requests.length, 0);
    }
  });

  it('update patches attributes, removes --unset ones with null, and needs something to change', async () => {
    const r = await runFake(['location', 'update', 'disk-7', '--country', 'SE', '--unset', 'city', '--isolation-tier', '2'], { env: TOKEN, api: () => [200, {}] });
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'PATCH');
    assert.equal(req.path, '/api/v1/locations/disk-7');
    assert.deepEqual(req.body, { attributes: { country: 'SE', city: null }, isolation_tier: 2 });
    const nothing = await runFake(['location', 'update', 'disk-7'], { env: TOKEN });
    assert.equal(nothing.code, 2);
  });

  it('rm starts the evacuation and follows the job; --no-wait returns the job at once', async () => {
    let polls = 0;
    const api = (req: RecordedRequest): readonly [number, unknown] => {
      if (req.method === 'DELETE') return [202, { job: { id: 'J1', kind: 'evacuate', state: 'running', target: 'disk-7', done: 0, total: 3, summary: {} } }];
      polls++;
      return [200, { id: 'J1', kind: 'evacuate', state: polls < 3 ? 'running' : 'done', target: 'disk-7', done: polls, total: 3, summary: { objects: 3 }, started_at: '2026-01-01T00:00:00.000Z', finished_at: '2026-01-01T00:00:01.500Z' }];
    };
    const r = await runFake(['location', 'rm', 'disk-7'], { env: TOKEN, api });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.requests.map((q) => `${q.method} ${q.path}`), ['DELETE /api/v1/locations/disk-7', 'GET /api/v1/jobs/J1', 'GET /api/v1/jobs/J1', 'GET /api/v1/jobs/J1']);
    assert.match(r.stdout, /evacuate job J1 \(disk-7\) done in 1\.5 s: objects 3/);

    const quick = await runFake(['location', 'rm', 'disk-7', '--no-wait', '--json'], { env: TOKEN, api });
    assert.equal(quick.code, 0, quick.stderr);
    assert.equal(quick.requests.length, 1);
    assert.equal((JSON.parse(quick.stdout) as { job: { id: string } }).job.id, 'J1');
  });
});

describe('key, token and bucket requests', () => {
  it('key create', async () => {
    const r = await runFake(['key', 'create', '--team', 'analytics', '--default-scope', 'none', '--scope', 'reports=read', '--scope', 'scratch=FULL'], {
      env: TOKEN,
      api: () => [201, { access_key_id: 'DSPK', secret_access_key: 'SECRET', team_id: 'analytics', default_scope: 'none', scopes: { reports: 'read', scratch: 'full' } }],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(only(r.requests).body, { team_id: 'analytics', default_scope: 'none', scopes: { reports: 'read', scratch: 'full' } });
    assert.match(r.stdout, /access key DSPK\nsecret key SECRET/);
    const bad = await runFake(['key', 'create', '--scope', 'reports=write'], { env: TOKEN });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected full, read, none/);
  });

  it('key scope maps BUCKET=default to null and takes --default-scope', async () => {
    const r = await runFake(['key', 'scope', 'DSPK', 'photos=read', 'old=default', '--default-scope', 'none'], { env: TOKEN, api: () => [200, {}] });
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'PUT');
    assert.equal(req.path, '/api/v1/keys/DSPK/scopes');
    assert.deepEqual(req.body, { default_scope: 'none', scopes: { photos: 'read', old: null } });
    for (const argv of [['key', 'scope', 'DSPK'], ['key', 'scope', 'DSPK', 'photos'], ['key', 'scope', 'DSPK', 'a=read', 'a=full']]) {
      const bad = await runFake(argv, { env: TOKEN });
      assert.equal(bad.code, 2, argv.join(' '));
      assert.equal(bad.requests.length, 0);
    }
  });

  it('key list, show, rm', async () => {
    const list = await runFake(['key', 'list', '--team', 'analytics'], { env: TOKEN, api: () => [200, { keys: [{ access_key_id: 'DSPK', team_id: 'analytics', default_scope: 'read', scopes: { a: 'full' }, created_at: '2026-01-02T03:04:05.000Z', revoked_at: null }] }] });
    assert.deepEqual(only(list.requests).query, { team: 'analytics' });
    assert.match(list.stdout, /DSPK\s+analytics\s+read\s+a=full\s+2026-01-02 03:04:05\s+-/);
    const rm = await runFake(['key', 'rm', 'DSPK'], { env: TOKEN, api: () => [204] });
    assert.equal(only(rm.requests).method, 'DELETE');
    assert.equal(only(rm.requests).path, '/api/v1/keys/DSPK');
  });

  it('token create converts the lifetime to seconds', async () => {
    const r = await runFake(['token', 'create', '--key', 'DSPK', '--ttl', '12h', '--description', 'CI'], { env: TOKEN, api: () => [201, { id: 'T1', token: 'dspt_x', access_key_id: 'DSPK', expires_at: '2026-01-01T12:00:00.000Z' }] });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(only(r.requests).body, { access_key_id: 'DSPK', ttl_seconds: 43200, description: 'CI' });
    assert.match(r.stdout, /token dspt_x/);
    const bad = await runFake(['token', 'create', '--ttl', 'a while'], { env: TOKEN });
    assert.equal(bad.code, 2);
  });

  it('bucket shred --yes deletes with shred=true at once', async () => {
    const r = await runFake(['bucket', 'shred', 'old', '--yes'], { env: TOKEN, api: () => [200, { shredded: true, objects: 4 }] });
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'DELETE');
    assert.equal(req.path, '/api/v1/buckets/old');
    assert.deepEqual(req.query, { shred: 'true' });
    assert.match(r.stdout, /4 object\(s\) can no longer be decrypted/);
  });

  it('bucket shred asks for the bucket name, explains what shredding does, and does nothing unless it is typed', async () => {
    const api = (req: RecordedRequest): readonly [number, unknown] => (req.method === 'GET' ? [200, { name: 'old', objects: 4, logical_bytes: 2048 }] : [200, { shredded: true, objects: 4 }]);
    for (const answer of ['no', 'ol', undefined]) {
      const r = await runFake(['bucket', 'shred', 'old'], { env: TOKEN, api, lines: [answer] });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /destroys its encryption key first/);
      assert.match(r.stderr, /cannot be undone/);
      assert.match(r.stderr, /not confirmed/);
      assert.deepEqual(r.requests.map((q) => q.method), ['GET']);
    }
    const yes = await runFake(['bucket', 'shred', 'old'], { env: TOKEN, api, lines: ['old'] });
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.prompts[0] ?? '', /Type the bucket name \(old\)/);
    assert.deepEqual(yes.requests.map((q) => `${q.method} ${q.url.search}`), ['GET ', 'DELETE ?shred=true']);
  });

  it('cache set sends only the settings given', async () => {
    const r = await runFake(['cache', 'set', '--enable', '--max-size', '20GiB', '--mime-blacklist', 'video/*,audio/*', '--no-read-through'], { env: TOKEN, api: (req) => [200, req.body] });
    assert.equal(r.code, 0, r.stderr);
    const req = only(r.requests);
    assert.equal(req.method, 'PUT');
    assert.deepEqual(req.body, { enabled: true, max_size_bytes: 20 * 1024 ** 3, mime_blacklist: ['video/*', 'audio/*'], read_through: false });
    for (const argv of [['cache', 'set'], ['cache', 'set', '--enable', '--disable']]) assert.equal((await runFake(argv, { env: TOKEN })).code, 2);
  });
});

describe('jobs: scrub and repair', () => {
  const scrubApi = (final: Record<string, unknown>, repairFinal?: Record<string, unknown>) => {
    let polls = 0;
    return (req: RecordedRequest): readonly [number, unknown] => {
      if (req.path === '/api/v1/scrub') return [202, { job: { id: 'S1', kind: 'scrub', state: 'running', done: 0, total: 2, summary: {} } }];
      if (req.path === '/api/v1/repair') return [202, { job: { id: 'R1', kind: 'repair', state: 'running', done: 0, total: 1, summary: {} } }];
      if (req.path === '/api/v1/jobs/R1') return [200, { id: 'R1', kind: 'repair', state: 'done', done: 1, total: 1, summary: { versions: 1, repaired: 1, failed: 0, unchanged: 0 }, ...repairFinal }];
      polls++;
      return [200, polls < 2 ? { id: 'S1', kind: 'scrub', state: 'running', done: 1, total: 2, summary: {} } : { id: 'S1', kind: 'scrub', state: 'done', done: 2, total: 2, ...final }];
    };
  };

  it('scrub sends mode and bucket and exits 0 when nothing is damaged', async () => {
    const r = await runFake(['scrub', '--mode', 'full', '--bucket', 'photos'], { env: TOKEN, api: scrubApi({ summary: { objects: 2, missing: 0, corrupt: 0 } }) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.requests[0]?.body, { mode: 'full', bucket: 'photos' });
    assert.match(r.stdout, /scrub job S1 done/);
  });

  it('scrub exits 1 when it found damage that is not repaired, with the reason on stderr', async () => {
    const r = await runFake(['scrub'], { env: TOKEN, api: scrubApi({ summary: { objects: 2, missing: 1, corrupt: 1, repaired: 0 } }) });
    assert.equal(r.code, 1);
    assert.deepEqual(r.requests[0]?.body, {}, "the gateway's default mode");
    assert.match(r.stderr, /found 2 damaged fragment\(s\) \(1 missing, 1 corrupt\), 2 not repaired yet/);
  });

  it('scrub --repair runs a repair job after finding damage and exits 0 when it fixed everything', async () => {
    const r = await runFake(['scrub', '--repair', '--json'], { env: TOKEN, api: scrubApi({ summary: { missing: 1, corrupt: 0 } }) });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.requests.some((q) => q.path === '/api/v1/repair'));
    const out = JSON.parse(r.stdout) as { scrub: { id: string }; repair: { id: string } };
    assert.equal(out.scrub.id, 'S1');
    assert.equal(out.repair.id, 'R1');
    const partly = await runFake(['scrub', '--repair'], { env: TOKEN, api: scrubApi({ summary: { missing: 2 } }, { summary: { repaired: 1, failed: 1 } }) });
    assert.equal(partly.code, 1);
    assert.match(partly.stderr, /repair job R1: 1 object version\(s\) could not be fully repaired/);
  });

  it('a failed job exits 1; --no-wait prints the job and does not poll', async () => {
    const failed = await runFake(['repair'], { env: TOKEN, api: (req) => (req.method === 'POST' ? [202, { job: { id: 'R1', kind: 'repair', state: 'running' } }] : [200, { id: 'R1', kind: 'repair', state: 'failed', error: 'metadata store unavailable' }]) });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /repair job R1 failed: metadata store unavailable/);
    const quick = await runFake(['scrub', '--no-wait'], { env: TOKEN, api: scrubApi({}) });
    assert.equal(quick.code, 0);
    assert.equal(quick.requests.length, 1);
    assert.match(quick.stdout, /dispersa job show S1 --wait/);
  });

  it('--json prints only the final job', async () => {
    const r = await runFake(['scrub', '--json'], { env: TOKEN, api: scrubApi({ summary: { objects: 2, missing: 0 } }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { state: string }).state, 'done');
    assert.equal(r.stderr, '');
  });
});

describe('read commands', () => {
  it('telemetry asks for cloud and edge locations and joins them in one table', async () => {
    const rtt = { count: 2, failures: 0, p50_ms: 1.25, last_ms: 1 };
    const r = await runFake(['telemetry', '--days', '7'], {
      env: TOKEN,
      api: (req) =>
        req.path === '/api/v1/cloud_locations'
          ? [200, [{ id: 'local-1', kind: 'local', provider: 'local disk', country: 'DK', status: 'active', rtt: { upload_1B: rtt, download_1B: rtt, upload_1MB: rtt, download_1MB: rtt }, unavailability: [] }]]
          : [200, [{ id: 'edge-1', kind: 'edge', name: 'Factory', status: 'active', rtt: {}, unavailability: [{ start: '2026-01-01T00:00:00Z', end: null }] }]],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.requests.map((q) => `${q.path}?${new URLSearchParams(q.query).toString()}`).sort(), ['/api/v1/cloud_locations?days=7', '/api/v1/edge_locations?days=7']);
    assert.match(r.stdout, /^ID\s+KIND\s+STATUS/);
    assert.match(r.stdout, /local-1\s+local\s+active\s+DK\s+local disk\s+1\.3 ms/);
    assert.match(r.stdout, /edge-1 .*DOWN since 2026-01-01 00:00:00/);
  });

  it('bench runs a probe round, then shows the last probes', async () => {
    const r = await runFake(['bench', '--json'], { env: TOKEN, api: (req) => (req.method === 'POST' ? [204] : [200, []]) });
    assert.equal(r.code, 0, r.stderr);
    const probe = r.requests[0] as RecordedRequest;
    assert.equal(probe.method, 'POST');
    assert.equal(probe.path, '/api/v1/telemetry/probe');
    assert.deepEqual(JSON.parse(r.stdout), { cloud_locations: [], edge_locations: [] });
  });

  it('status, cache show, bucket list, job list, whoami hit their routes', async () => {
    for (const [argv, path] of [
      [['status'], '/api/v1/system'],
      [['cache', 'show'], '/api/v1/cache'],
      [['bucket', 'list'], '/api/v1/buckets'],
      [['job', 'list'], '/api/v1/jobs'],
      [['whoami'], '/api/v1/whoami'],
      [['location', 'list'], '/api/v1/locations'],
      [['token', 'list'], '/api/v1/tokens'],
      [['audit', 'list', '--since', '5'], '/api/v1/audit'],
    ] as const) {
      const r = await runFake(argv, { env: TOKEN, api: () => [200, {}] });
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(only(r.requests).method, 'GET');
      assert.equal(only(r.requests).path, path);
    }
  });

  it('--json prints the API answer as it came', async () => {
    const answer = { policies: [{ name: 'default', version: 1, redundancy: { data_packets: 4, redundant_packets: 2 } }] };
    const r = await runFake(['policy', 'list', '--json'], { env: TOKEN, api: () => [200, answer] });
    assert.deepEqual(JSON.parse(r.stdout), answer);
    const human = await runFake(['policy', 'list'], { env: TOKEN, api: () => [200, answer] });
    assert.match(human.stdout, /^NAME\s+VERSION\s+K\+R/);
    assert.match(human.stdout, /default\s+1\s+4\+2/);
  });

  it('a 400 prints the title, detail and field errors on stderr', async () => {
    const r = await runFake(['policy', 'create', 'p', '--backends', 'a'], {
      env: TOKEN,
      api: () => problem(400, 'Invalid request', 'write_quorum must be in [k, n] = [4, 6], got 7', [{ path: 'write_quorum', message: 'must be in [k, n] = [4, 6], got 7' }]),
    });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^dispersa: Invalid request: write_quorum must be in \[k, n\] = \[4, 6\], got 7 \(HTTP 400\)\n {2}write_quorum: must be in/);
  });
});
