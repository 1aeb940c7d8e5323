/** Seeded batch order: the same (seed, epoch) gives the same batches, so a resumed run replays them. */
import { rngFor, shuffleInPlace } from "./rng";

/**
 * Positions 0..n-1 shuffled for this (seed, epoch) and cut into batches of `batchSize` (the last
 * may be smaller). Callers map positions to item indices through their fold's `train` list.
 */
export function batchOrder(n: number, batchSize: number, seed: number, epoch: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchOrder: batch size ${batchSize}`);
  const order = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    rngFor(seed, "order", epoch),
  );
  const batches: number[][] = [];
  for (let i = 0; i < n; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}
