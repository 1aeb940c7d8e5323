/**
 * Seeded randomness for the data pipeline. Hand-written because it must be tiny, synchronous and
 * identical on every machine and Node version (Math.random cannot be seeded): mulberry32 for the
 * stream, and a string hash to derive independent streams from (seed, purpose, epoch, ...).
 */
import { mulberry32 } from "@tessera/shared";

/** mulberry32 is shared with the sweep sampler, so the project has one seeded PRNG. */
export { mulberry32 };

/** A seeded stream of floats in [0, 1). */
export type Rng = () => number;


/** FNV-1a over the parts' string forms: turns (seed, "purpose", epoch, ...) into a 32-bit seed. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("\u0001")) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A stream derived from several parts, e.g. `rngFor(seed, "order", epoch)`. */
export function rngFor(...parts: (string | number)[]): Rng {
  return mulberry32(seedOf(...parts));
}

/** Fisher-Yates shuffle in place with the given stream; returns the array. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** Uniform float in [lo, hi). */
export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Standard normal (Box-Muller). */
export function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
