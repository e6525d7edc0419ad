// RLNC: parameter validation, the MDS guarantee (every k-subset decodes), progressive decoding and key-less recoding.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RlncDecoder,
  RlncError,
  encodeGeneration,
  generatorMatrix,
  invert,
  matrixRow,
  multiply,
  recodePacket,
  selectRows,
  validateRlncParams,
  type RlncParams,
} from '../../src/core/rlnc/index.ts';
import { testKernel } from '../support/kernel.ts';
import { seededBytes } from '../../src/core/seeded.ts';

const kernel = testKernel();

function* subsets(n: number, k: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === k) {
    yield [...prefix];
    return;
  }
  for (let i = start; i <= n - (k - prefix.length); i++) {
    prefix.push(i);
    yield* subsets(n, k, i + 1, prefix);
    prefix.pop();
  }
}

function encodeAll(params: RlncParams, seed: Uint8Array, source: Uint8Array, symbolSize: number, generation = 0): Uint8Array[] {
  const g = generatorMatrix(params, seed, generation);
  const packets = Array.from({ length: g.rows }, (_, i) => i);
  const outs = packets.map(() => new Uint8Array(symbolSize));
  encodeGeneration(kernel, g, source, symbolSize, packets, outs);
  return outs;
}

function isIdentity(m: { rows: number; data: Uint8Array }): boolean {
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.rows; j++) if (m.data[i * m.rows + j] !== (i === j ? 1 : 0)) return false;
  return true;
}

describe('RLNC parameters', () => {
  const bad: [string, unknown][] = [
    ['k = 0', { k: 0, r: 2, systematic: false }],
    ['negative r', { k: 4, r: -1, systematic: false }],
    ['n > 64', { k: 40, r: 25, systematic: false }],
    ['fractional k', { k: 2.5, r: 1, systematic: false }],
    ['k not a number', { k: '4', r: 1, systematic: false }],
    ['systematic not boolean', { k: 4, r: 1, systematic: 1 }],
  ];
  for (const [name, params] of bad) {
    it(`rejects ${name} with a typed error`, () => {
      assert.throws(
        () => validateRlncParams(params as RlncParams),
        (e: unknown) => e instanceof RlncError && e.kind === 'invalid-parameters' && e.message.length > 10,
      );
    });
  }
  it('accepts n = 64 and r = 0', () => {
    validateRlncParams({ k: 60, r: 4, systematic: false });
    validateRlncParams({ k: 1, r: 0, systematic: true });
  });
  it('rejects a seed of the wrong length', () => {
    assert.throws(() => generatorMatrix({ k: 2, r: 1, systematic: false }, new Uint8Array(3), 0), RlncError);
  });
});

describe('RLNC generator matrices', () => {
  it('are deterministic in (seed, generation) and differ across seeds and generations', () => {
    const p: RlncParams = { k: 4, r: 2, systematic: false };
    const s1 = seededBytes(1, 16);
    const s2 = seededBytes(2, 16);
    assert.deepEqual(generatorMatrix(p, s1, 0).data, generatorMatrix(p, s1, 0).data);
    assert.notDeepEqual(generatorMatrix(p, s1, 0).data, generatorMatrix(p, s2, 0).data);
    assert.notDeepEqual(generatorMatrix(p, s1, 0).data, generatorMatrix(p, s1, 1).data);
  });
  it('systematic matrices start with the identity', () => {
    const g = generatorMatrix({ k: 5, r: 3, systematic: true }, seededBytes(3, 16), 7);
    assert.ok(isIdentity(selectRows(g, [0, 1, 2, 3, 4])));
    for (let i = 5; i < 8; i++) assert.ok(matrixRow(g, i).every((c) => c !== 0), 'parity rows have no zero coefficient');
  });

  it('every k-subset of rows is invertible for all (k, n) with n <= 10 (several seeds, both modes)', () => {
    let checked = 0;
    for (const systematic of [false, true]) {
      for (let seedNo = 0; seedNo < 6; seedNo++) {
        const seed = seededBytes(100 + seedNo, 16);
        for (let n = 1; n <= 10; n++) {
          for (let k = 1; k <= n; k++) {
            const g = generatorMatrix({ k, r: n - k, systematic }, seed, seedNo);
            for (const rows of subsets(n, k)) {
              const sub = selectRows(g, rows);
              assert.ok(isIdentity(multiply(sub, invert(sub))), `k=${k} n=${n} rows=${rows.join(',')}`);
              checked++;
            }
          }
        }
      }
    }
    assert.equal(checked, 2 * 6 * 2036);
  });

  it('random k-subsets are invertible for larger codes', () => {
    const pick = seededBytes(9, 1 << 16);
    let p = 0;
    for (const [k, n] of [[16, 20], [12, 24], [32, 64], [60, 64], [64, 64]] as const) {
      for (const systematic of [false, true]) {
        const g = generatorMatrix({ k, r: n - k, systematic }, seededBytes(k * n, 16), 3);
        for (let trial = 0; trial < 40; trial++) {
          const rows = Array.from({ length: n }, (_, i) => i);
          for (let i = n - 1; i > 0; i--) {
            const j = (pick[p++ % pick.length] ?? 0) % (i + 1);
            [rows[i], rows[j]] = [rows[j] ?? 0, rows[i] ?? 0];
          }
          const sub = selectRows(g, rows.slice(0, k));
          assert.ok(isIdentity(multiply(sub, invert(sub))));
        }
      }
    }
  });
});

describe('RLNC encode and decode', () => {
  it('every k-subset of coded packets decodes to the source, for all (k, n) with n <= 10', () => {
    for (const systematic of [false, true]) {
      for (let n = 1; n <= 10; n++) {
        for (let k = 1; k <= n; k++) {
          const symbolSize = 37;
          const source = seededBytes(n * 100 + k, k * symbolSize);
          const seed = seededBytes(n * 1000 + k, 16);
          const g = generatorMatrix({ k, r: n - k, systematic }, seed, 0);
          const packets = encodeAll({ k, r: n - k, systematic }, seed, source, symbolSize);
          for (const rows of subsets(n, k)) {
            const d = new RlncDecoder(k, symbolSize);
            for (const row of rows) d.add(matrixRow(g, row), packets[row] ?? new Uint8Array(0));
            assert.ok(d.canDecode, `k=${k} n=${n} rows=${rows.join(',')}`);
            const out = new Uint8Array(k * symbolSize);
            d.decodeInto(kernel, out);
            assert.deepEqual(out, source);
          }
        }
      }
    }
  });

  it('the systematic packets are the source symbols', () => {
    const k = 4;
    const source = seededBytes(5, k * 64);
    const packets = encodeAll({ k, r: 2, systematic: true }, seededBytes(6, 16), source, 64);
    for (let j = 0; j < k; j++) assert.deepEqual(packets[j], source.subarray(j * 64, (j + 1) * 64));
  });

  it('rejects dependent packets and reports the rank', () => {
    const k = 3;
    const params: RlncParams = { k, r: 3, systematic: false };
    const seed = seededBytes(11, 16);
    const g = generatorMatrix(params, seed, 0);
    const source = seededBytes(12, k * 16);
    const packets = encodeAll(params, seed, source, 16);
    const d = new RlncDecoder(k, 16);
    assert.equal(d.add(matrixRow(g, 0), packets[0] ?? new Uint8Array(0)), 1);
    assert.equal(d.add(matrixRow(g, 0), packets[0] ?? new Uint8Array(0)), 1, 'duplicate is not innovative');
    // The sum of packets 0 and 1 is a valid packet of the code but dependent on them.
    const sumCoeffs = matrixRow(g, 0).map((c, j) => c ^ (matrixRow(g, 1)[j] ?? 0));
    const sumPayload = (packets[0] ?? new Uint8Array(0)).map((b, i) => b ^ (packets[1]?.[i] ?? 0));
    assert.equal(d.add(matrixRow(g, 1), packets[1] ?? new Uint8Array(0)), 2);
    assert.equal(d.add(sumCoeffs, sumPayload), 2, 'linear combination is rejected');
    assert.equal(d.canDecode, false);
    assert.throws(() => { d.decodeInto(kernel, new Uint8Array(k * 16)); }, (e: unknown) => e instanceof RlncError && e.kind === 'not-decodable');
    assert.equal(d.add(matrixRow(g, 4), packets[4] ?? new Uint8Array(0)), 3);
    assert.ok(d.canDecode);
    const out = new Uint8Array(k * 16);
    d.decodeInto(kernel, out);
    assert.deepEqual(out, source);
  });

  it('rejects packets of the wrong shape with a typed error', () => {
    const d = new RlncDecoder(2, 8);
    assert.throws(() => d.add(new Uint8Array(3), new Uint8Array(8)), RlncError);
    assert.throws(() => d.add(new Uint8Array(2), new Uint8Array(9)), RlncError);
    assert.throws(() => new RlncDecoder(0, 8), RlncError);
  });
});

describe('RLNC recoding', () => {
  it('recreates any lost packet byte for byte from any k others, for every loss and k-subset (k=4, n=6)', () => {
    for (const systematic of [false, true]) {
      const params: RlncParams = { k: 4, r: 2, systematic };
      const seed = seededBytes(21, 16);
      const g = generatorMatrix(params, seed, 5);
      const source = seededBytes(22, 4 * 48);
      const packets = encodeAll(params, seed, source, 48, 5);
      for (let lost = 0; lost < 6; lost++) {
        const others = [0, 1, 2, 3, 4, 5].filter((i) => i !== lost);
        for (const rows of subsets(others.length, 4)) {
          const chosen = rows.map((i) => others[i] ?? 0);
          const out = new Uint8Array(48);
          recodePacket(kernel, 4, chosen.map((i) => ({ coefficients: matrixRow(g, i), payload: packets[i] ?? new Uint8Array(0) })), matrixRow(g, lost), out);
          assert.deepEqual(out, packets[lost], `lost=${lost} from ${chosen.join(',')}`);
        }
      }
    }
  });
  it('refuses to recode from fewer than k independent packets', () => {
    const g = generatorMatrix({ k: 3, r: 1, systematic: false }, seededBytes(1, 16), 0);
    assert.throws(
      () => { recodePacket(kernel, 3, [{ coefficients: matrixRow(g, 0), payload: new Uint8Array(4) }], matrixRow(g, 3), new Uint8Array(4)); },
      (e: unknown) => e instanceof RlncError && e.kind === 'not-decodable',
    );
  });
});
