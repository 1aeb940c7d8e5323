/**
 * ASHA, asynchronous successive halving (Li et al., "A System for Massively Parallel
 * Hyperparameter Tuning", MLSys 2020 / arXiv 2018, Algorithm 2). Rungs sit at min·η^k epochs of the
 * whole schedule (the last one is the full schedule). Whenever a worker is free: look at the rungs
 * from the top down and promote a trial that is in the top ⌊n/η⌋ of its rung's n results and was not
 * promoted yet; when there is none, start a new trial at rung 0. A trial never promoted ends
 * `stopped_early`. Pure functions on plain numbers, so the rule is tested on hand-made rung tables.
 */

/** The epoch counts of the rungs: min, min·η, min·η², ... below `maxEpochs`, then `maxEpochs`. */
export function ashaRungs(min: number, reduction: number, maxEpochs: number): number[] {
  const rungs: number[] = [];
  for (let r = min; r < maxEpochs; r *= reduction) rungs.push(r);
  rungs.push(maxEpochs);
  return rungs;
}

/** A trial's objective when it reached rung `rung` (an index into `ashaRungs`). */
export interface RungResult {
  trial: number;
  rung: number;
  value: number;
}

/** The next promotion, or null when no trial may be promoted now (then start a new trial, or wait). */
export function ashaPromotion(
  results: readonly RungResult[],
  running: ReadonlySet<number>,
  opts: { rungs: number; reduction: number; mode: "max" | "min" },
): { trial: number; from: number; to: number } | null {
  // A trial is promoted out of rung k once it has a result above k or is training towards one.
  const promotedFrom = (trial: number, k: number) =>
    running.has(trial) || results.some((r) => r.trial === trial && r.rung > k);
  for (let k = opts.rungs - 2; k >= 0; k--) {
    const top = rungTop(results, k, opts);
    const pick = top.find((r) => !promotedFrom(r.trial, k));
    if (pick) return { trial: pick.trial, from: k, to: k + 1 };
  }
  return null;
}

/** The top ⌊n/η⌋ results of rung `k`, best first (ties: the earlier trial first, so it is stable). */
export function rungTop(
  results: readonly RungResult[],
  k: number,
  opts: { reduction: number; mode: "max" | "min" },
): RungResult[] {
  const sign = opts.mode === "max" ? -1 : 1;
  const inRung = results
    .filter((r) => r.rung === k && Number.isFinite(r.value))
    .sort((a, b) => sign * (a.value - b.value) || a.trial - b.trial);
  const n = results.filter((r) => r.rung === k).length;
  return inRung.slice(0, Math.floor(n / opts.reduction));
}
