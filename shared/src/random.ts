/**
 * mulberry32, the one seeded PRNG of the project: the data pipeline's shuffles and augmentation
 * (runner/src/data/rng.ts) and a sweep's parameter draws (sweep/sample.ts). Hand-written because it
 * must be tiny, synchronous and identical on every machine and Node version (Math.random cannot be
 * seeded); good enough for sampling, not for cryptography.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
