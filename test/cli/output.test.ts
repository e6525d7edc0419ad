// Human output: the table formatter, record listings, and the cell formats.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cell, formatBytes, formatMs, formatRecord, formatTable, formatTime } from '../../src/cli/table.ts';

describe('formatTable', () => {
  it('aligns columns two spaces apart, numbers to the right, without trailing spaces', () => {
    const rows = [
      { name: 'default', objects: 1200, note: 'six disks' },
      { name: 'eu', objects: 7, note: null },
    ];
    const text = formatTable(
      [
        { header: 'NAME', value: (r: (typeof rows)[number]) => r.name },
        { header: 'OBJECTS', value: (r) => r.objects, align: 'right' },
        { header: 'NOTE', value: (r) => r.note },
      ],
      rows,
    );
    assert.equal(text, ['NAME     OBJECTS  NOTE', 'default     1200  six disks', 'eu             7  -'].join('\n'));
  });

  it('prints the header alone for no rows, and keeps multi-line cells on one line', () => {
    assert.equal(formatTable([{ header: 'A', value: () => 1 }], []), 'A');
    assert.equal(formatTable([{ header: 'A', value: () => 'x\ny' }, { header: 'B', value: () => 'z' }], [1]), 'A    B\nx y  z');
  });

  it('measures non-ASCII names by characters', () => {
    const text = formatTable([{ header: 'CITY', value: (r: string) => r }, { header: 'X', value: () => 1 }], ['Århus', 'Zürich']);
    assert.deepEqual(text.split('\n').map((l) => l.indexOf('1') >= 0 ? Array.from(l).indexOf('1') : Array.from(l).indexOf('X')), [8, 8, 8]);
  });
});

describe('cells and records', () => {
  it('cell', () => {
    assert.equal(cell(null), '-');
    assert.equal(cell(undefined), '-');
    assert.equal(cell(''), '-');
    assert.equal(cell(true), 'yes');
    assert.equal(cell(false), 'no');
    assert.equal(cell(1.23456), '1.235');
    assert.equal(cell(['a', 'b']), 'a,b');
    assert.equal(cell([]), '-');
    assert.equal(cell({ a: 1 }), '{"a":1}');
  });

  it('formatRecord flattens nested objects to dotted keys and sizes byte counts', () => {
    const text = formatRecord({ settings: { enabled: true, max_size_bytes: 1073741824 }, stats: { hits: 3 }, name: 'x', empty: {} });
    assert.equal(text, ['settings.enabled         yes', 'settings.max_size_bytes  1073741824 (1.0 GiB)', 'stats.hits               3', 'name                     x', 'empty                    {}'].join('\n'));
  });

  it('sizes, times and durations', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(4 * 1024 * 1024), '4.0 MiB');
    assert.equal(formatBytes(123456789), '118 MiB');
    assert.equal(formatBytes(undefined), '-');
    assert.equal(formatTime('2026-11-22T10:00:00.123Z'), '2026-11-22 10:00:00');
    assert.equal(formatTime(null), '-');
    assert.equal(formatMs(1.25), '1.3 ms');
    assert.equal(formatMs(250.4), '250 ms');
    assert.equal(formatMs(null), '-');
  });
});
