// Display formatting of the portal: sizes, money, ratios, times, durations.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatCount, formatDollars, formatDuration, formatMs, formatRatio, formatTime, plural } from '../../portal/src/format.ts';

describe('formatBytes', () => {
  it('uses binary units with three significant digits', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1), '1 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(8 * 1024 * 1024), '8 MiB');
    assert.equal(formatBytes(12.34 * 1024 * 1024), '12.3 MiB');
    assert.equal(formatBytes(123.4 * 1024 ** 3), '123 GiB');
    assert.equal(formatBytes(5 * 1024 ** 4), '5 TiB');
  });

  it('never prints 1024 of a unit', () => {
    assert.equal(formatBytes(1024 * 1024 - 1), '1 MiB');
    assert.equal(formatBytes(1024 * 1024 - 600), '1023 KiB');
  });

  it('shows a dash for nonsense', () => {
    assert.equal(formatBytes(-1), '—');
    assert.equal(formatBytes(Number.NaN), '—');
  });
});

describe('other formats', () => {
  it('counts, ratios and dollars', () => {
    assert.equal(formatCount(12345), '12,345');
    assert.equal(formatRatio(1.5), '1.5×');
    assert.equal(formatRatio(5 / 3), '1.67×');
    assert.equal(formatRatio(2), '2×');
    assert.equal(formatDollars(0), '$0');
    assert.equal(formatDollars(0.0245), '$0.0245');
    assert.equal(formatDollars(0.036749), '$0.0367');
    assert.equal(formatDollars(12.5), '$12.50');
  });

  it('milliseconds, times and durations', () => {
    assert.equal(formatMs(0.4213), '0.42 ms');
    assert.equal(formatMs(12.34), '12.3 ms');
    assert.equal(formatMs(1250), '1.25 s');
    assert.equal(formatMs(null), '—');
    assert.equal(formatTime('2026-11-22T10:00:00.000Z'), '2026-11-22 10:00:00 UTC');
    assert.equal(formatTime(null), '—');
    assert.equal(formatDuration(900), '15 minutes');
    assert.equal(formatDuration(3600), '1 hour');
    assert.equal(formatDuration(604800), '7 days');
    assert.equal(plural(1, 'location'), '1 location');
    assert.equal(plural(2, 'location'), '2 locations');
  });
});
