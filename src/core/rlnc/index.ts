// Public entry of the RLNC layer.
export { RlncError, type RlncErrorKind } from './errors.ts';
export { MAX_PACKETS, SYMBOL_ALIGNMENT, packetCount, symbolSizeFor, validateRlncParams, type RlncParams } from './params.ts';
export { COEFFICIENT_SEED_LENGTH, fieldPermutation, generatorMatrix } from './coefficients.ts';
export { gfMatrix, invert, matrixRow, multiply, selectRows, type GfMatrix } from './matrix.ts';
export { RlncDecoder, combine, encodeGeneration, recodePacket } from './codec.ts';
