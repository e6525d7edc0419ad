// Pure helpers of the portal: hash routes and folder crumbs, multipart planning, telemetry series and availability.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { s3Endpoint } from '../../portal/src/endpoint.ts';
import { labelled, project, ring } from '../../portal/src/map-geometry.ts';
import { PART_SIZE, partSizeFor, planParts, SINGLE_PUT_LIMIT } from '../../portal/src/multipart-plan.ts';
import { parseHash, prefixCrumbs, routeHref } from '../../portal/src/router.ts';
import { alignSamples, availability, clipOutages } from '../../portal/src/telemetry.ts';

describe('routes', () => {
  it('parses and writes hash routes', () => {
    assert.deepEqual(parseHash(''), { page: 'buckets' });
    assert.deepEqual(parseHash('#/policies'), { page: 'policies' });
    assert.deepEqual(parseHash('#/nonsense'), { page: 'buckets' });
    const route = { page: 'objects', bucket: 'photos', prefix: '2026 trip/été/' } as const;
    assert.deepEqual(parseHash(routeHref(route)), route);
    assert.deepEqual(parseHash('#/buckets/photos'), { page: 'objects', bucket: 'photos', prefix: '' });
  });

  it('splits a prefix into folder crumbs', () => {
    assert.deepEqual(prefixCrumbs(''), []);
    assert.deepEqual(prefixCrumbs('a/b/'), [
      { prefix: 'a/', name: 'a' },
      { prefix: 'a/b/', name: 'b' },
    ]);
    assert.deepEqual(prefixCrumbs('a/part'), [
      { prefix: 'a/', name: 'a' },
      { prefix: 'a/part', name: 'part' },
    ]);
  });
});

describe('multipart plan', () => {
  it('one PUT up to 8 MiB, 8 MiB parts above', () => {
    assert.equal(SINGLE_PUT_LIMIT, 8 * 1024 * 1024);
    assert.equal(partSizeFor(20 * 1024 * 1024), PART_SIZE);
    const parts = planParts(20 * 1024 * 1024, PART_SIZE);
    assert.deepEqual(
      parts.map((p) => [p.partNumber, p.end - p.start]),
      [
        [1, PART_SIZE],
        [2, PART_SIZE],
        [3, 4 * 1024 * 1024],
      ],
    );
    assert.equal(planParts(2 * PART_SIZE, PART_SIZE).length, 2);
  });

  it('grows parts past 10,000 of them, in whole MiB', () => {
    const size = 100 * 1024 ** 3;
    const partSize = partSizeFor(size);
    assert.equal(partSize % (1024 * 1024), 0);
    assert.ok(planParts(size, partSize).length <= 10000);
  });
});

describe('telemetry', () => {
  it('aligns samples of four probes on one time axis, failures as gaps', () => {
    const [x, up1B, down1B] = alignSamples(
      [
        { probe: 'upload_1B', at: '2026-11-22T10:00:00.000Z', ok: true, rtt_ms: 1.5 },
        { probe: 'download_1B', at: '2026-11-22T10:00:00.400Z', ok: true, rtt_ms: 0.8 },
        { probe: 'upload_1B', at: '2026-11-22T10:10:00.000Z', ok: false, rtt_ms: null },
      ],
      ['upload_1B', 'download_1B', 'upload_1MB', 'download_1MB'],
    );
    const t0 = Date.parse('2026-11-22T10:00:00Z') / 1000;
    assert.deepEqual(x, [t0, t0 + 600]);
    assert.deepEqual(up1B, [1.5, null]);
    assert.deepEqual(down1B, [0.8, null]);
  });

  it('availability over a window, an open outage lasting until now, overlaps counted once', () => {
    const day = 86_400_000;
    const from = Date.parse('2026-11-01T00:00:00Z');
    const to = from + 10 * day;
    const outages = [
      { start: new Date(from - day).toISOString(), end: new Date(from + day).toISOString() },
      { start: new Date(from + 0.5 * day).toISOString(), end: new Date(from + 1.5 * day).toISOString() },
      { start: new Date(to - day).toISOString(), end: null },
    ];
    assert.equal(clipOutages(outages, from, to).length, 3);
    assert.equal(availability(outages, from, to), 1 - 2.5 / 10);
    assert.equal(availability([], from, to), 1);
  });
});

describe('S3 endpoint', () => {
  const page = { protocol: 'http:', hostname: '127.0.0.1' };
  it('takes the gateway s3_url, or the page host on port 9000', () => {
    assert.equal(s3Endpoint('http://127.0.0.1:9400', page), 'http://127.0.0.1:9400');
    assert.equal(s3Endpoint('https://s3.example.org/', page), 'https://s3.example.org');
    assert.equal(s3Endpoint(null, page), 'http://127.0.0.1:9000');
    assert.equal(s3Endpoint(undefined, { protocol: 'https:', hostname: '::1' }), 'https://[::1]:9000');
  });

  it('replaces addresses only the gateway machine can use with the page host', () => {
    assert.equal(s3Endpoint('http://0.0.0.0:9000', { protocol: 'http:', hostname: 'storage.lan' }), 'http://storage.lan:9000');
    assert.equal(s3Endpoint('http://127.0.0.1:9000', { protocol: 'http:', hostname: '192.0.2.7' }), 'http://192.0.2.7:9000');
    assert.equal(s3Endpoint('http://127.0.0.1:9000', { protocol: 'http:', hostname: 'localhost' }), 'http://127.0.0.1:9000');
  });
});

describe('world map geometry', () => {
  it('projects equirectangularly, one unit per degree from 180 W and 84 N', () => {
    assert.deepEqual(project(-180, 84), [0, 0]);
    assert.deepEqual(project(8.68, 50.11), [188.68, 84 - 50.11]);
  });

  it('draws a ring crossing the antimeridian twice, unwrapped, instead of a line across the map', () => {
    const path = ring([
      [179, 65],
      [-179, 65],
      [-179, 66],
      [179, 66],
    ]);
    const subpaths = path.split('M').filter((p) => p !== '');
    assert.equal(subpaths.length, 2);
    for (const sub of subpaths) {
      const xs = [...sub.matchAll(/(-?[0-9.]+),/g)].map((m) => Number(m[1]));
      assert.ok(Math.max(...xs) - Math.min(...xs) < 5, `no jump across the map: ${sub}`);
    }
    assert.equal(ring([[0, 0], [1, 0], [1, 1]]).split('M').length - 1, 1);
  });

  it('labels the first marker of a cluster with how many others it stands for', () => {
    const at = (id: string, latitude: number, longitude: number) => ({ id, latitude, longitude, label: id, state: 'up' as const });
    const labels = labelled([at('fra', 50.11, 8.68), at('par', 48.86, 2.35), at('tok', 35.68, 139.69)]);
    assert.deepEqual([...labels], [['fra', 1], ['tok', 0]]);
  });
});
