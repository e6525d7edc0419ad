// Exhaustive checks of the reference GF(2^8) arithmetic: every pair, and every triple for the ring laws.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GfDivisionByZeroError, gfAdd, gfDiv, gfInv, gfMul, gfMulSlow, GF_EXP, GF_LOG } from '../../src/core/gf256/index.ts';

describe('GF(2^8) reference field (0x11D)', () => {
  it('table multiplication equals shift-and-add multiplication for all 65536 pairs', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        if (gfMul(a, b) !== gfMulSlow(a, b)) assert.fail(`gfMul(${a}, ${b}) = ${gfMul(a, b)}, expected ${gfMulSlow(a, b)}`);
      }
    }
  });

  it('exp and log tables are inverse bijections on the non-zero elements', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 255; i++) {
      const x = GF_EXP[i] ?? -1;
      seen.add(x);
      assert.equal(GF_LOG[x], i);
    }
    assert.equal(seen.size, 255);
    assert.ok(!seen.has(0));
  });

  it('multiplication is commutative, has identity 1 and absorbing 0; addition is XOR', () => {
    for (let a = 0; a < 256; a++) {
      assert.equal(gfMul(a, 1), a);
      assert.equal(gfMul(a, 0), 0);
      for (let b = 0; b < 256; b++) {
        if (gfMul(a, b) !== gfMul(b, a)) assert.fail(`gfMul not commutative at ${a}, ${b}`);
        if (gfAdd(a, b) !== (a ^ b)) assert.fail(`gfAdd(${a}, ${b})`);
      }
    }
  });

  it('every non-zero element has an inverse', () => {
    for (let a = 1; a < 256; a++) assert.equal(gfMul(a, gfInv(a)), 1, `a = ${a}`);
  });

  it('division is consistent with multiplication for all pairs', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 1; b < 256; b++) {
        const q = gfDiv(a, b);
        if (gfMul(q, b) !== a) assert.fail(`gfDiv(${a}, ${b}) = ${q} but ${q}·${b} = ${gfMul(q, b)}`);
      }
    }
  });

  it('distributivity and associativity hold for all 256³ triples', () => {
    // Flat product table so the 16.7M triples stay within a couple of seconds.
    const mul = new Uint8Array(65536);
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) mul[(a << 8) | b] = gfMul(a, b);
    const m = (a: number, b: number): number => mul[(a << 8) | b] ?? -1;
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const ab = m(a, b);
        for (let c = 0; c < 256; c++) {
          if (m(a, b ^ c) !== (ab ^ m(a, c))) assert.fail(`distributivity fails at ${a}, ${b}, ${c}`);
          if (m(ab, c) !== m(a, m(b, c))) assert.fail(`associativity fails at ${a}, ${b}, ${c}`);
        }
      }
    }
  });

  it('division by zero and inverse of zero throw the typed error', () => {
    assert.throws(() => gfInv(0), { name: GfDivisionByZeroError.name, kind: 'gf-division-by-zero' });
    for (let a = 0; a < 256; a++) {
      assert.throws(() => gfDiv(a, 0), { name: GfDivisionByZeroError.name, kind: 'gf-division-by-zero' });
    }
  });
});
