// The GF kernel the test run uses: whatever DISPERSA_GF_BACKEND selects, so the whole suite runs on each backend.

import { getGfKernel } from '../../src/core/gf256/index.ts';
import type { GfKernel } from '../../src/core/gf256/kernel.ts';

export function testKernel(): GfKernel {
  return getGfKernel();
}
