// A byte-at-a-time GfKernel over the reference field: the oracle fast kernels and codec tests compare against.

import { gfMul } from '../../src/core/gf256/field.ts';
import type { GfKernel } from '../../src/core/gf256/kernel.ts';

export const referenceKernel: GfKernel & { readonly backend: 'js' } = {
  backend: 'js',
  mulSlice(c, src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = gfMul(c, src[i] ?? 0);
  },
  mulAddSlice(c, src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = (dst[i] ?? 0) ^ gfMul(c, src[i] ?? 0);
  },
  dotProduct(coefficients, srcs, dsts) {
    const k = srcs.length;
    dsts.forEach((dst, o) => {
      dst.fill(0);
      srcs.forEach((src, j) => {
        const c = coefficients[o * k + j] ?? 0;
        for (let i = 0; i < src.length; i++) dst[i] = (dst[i] ?? 0) ^ gfMul(c, src[i] ?? 0);
      });
    });
  },
};
