/**
 * Determinism: tfjs draws from `Math.random` wherever no seed is passed (dropout masks, any
 * unseeded initialiser or random op), and `Math.random` cannot be seeded. While training, it is
 * replaced by a seeded mulberry32 stream so the same config, seed and backend give the same run.
 */
import { mulberry32 } from "../../data/rng";

/** Runs `fn` with `Math.random` seeded; the original is put back afterwards, even on error. */
export async function withSeededRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
