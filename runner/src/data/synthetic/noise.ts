/**
 * Seeded lattice value noise for textures of the synthetic tissue (hand-written: a dozen lines, and
 * it must be bit-for-bit seeded; noise libraries draw from Math.random).
 */

/** A hash of an integer lattice point and a seed, in [0, 1). */
export function latticeHash(x: number, y: number, seed: number): number {
  let h = Math.imul(x | 0, 374761393) ^ Math.imul(y | 0, 668265263) ^ Math.imul(seed | 0, 2147483647);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise at (x, y) in lattice units, in [0, 1). */
export function valueNoise(x: number, y: number, seed: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const fx = x - ix;
  const fy = y - iy;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const a = latticeHash(ix, iy, seed);
  const b = latticeHash(ix + 1, iy, seed);
  const c = latticeHash(ix, iy + 1, seed);
  const d = latticeHash(ix + 1, iy + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/** Two octaves of value noise, in [0, 1). */
export const fbm = (x: number, y: number, seed: number): number =>
  (2 * valueNoise(x, y, seed) + valueNoise(2 * x, 2 * y, seed + 1)) / 3;
