// Deterministic pseudo-random bytes (xorshift32): reproducible inputs for golden vectors, the boot self-test, tests and benches; never for keys.

/**
 * The generator golden vectors name their inputs by: state = seed (0 → 0x9E3779B9); per byte:
 * state ^= state << 13; state ^= state >>> 17; state ^= state << 5 (32-bit unsigned); byte = state & 0xFF.
 */
export function seededBytes(seed: number, length: number): Uint8Array {
  return seededRandom(seed)(length);
}

/** A `random(n)` source that replays seededBytes in order: deterministic ids, keys and seeds for golden vectors. */
export function seededRandom(seed: number): (length: number) => Uint8Array {
  let x = seed >>> 0 || 0x9e3779b9;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}
