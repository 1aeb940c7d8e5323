/**
 * LR-finder suggestion rules, as fastai v2 defines them (`fastai/callback/schedule.py`: `valley`,
 * `steep`, `minimum`, `slide`), on a recorded curve of (lr, smoothed loss). Like fastai's
 * `lr_find`, the first tenth of the planned steps and the last 5 points are skipped before the
 * rules look at the curve. Ported by hand: no JS library implements them.
 */
import type { LrSuggestion } from "@tessera/shared";

/** One point of the sweep. */
export interface LrPoint {
  lr: number;
  loss: number;
  smoothed: number;
}

/** Longest strictly-descending run (an O(n²) longest decreasing subsequence); 1/3 + 1/6 into it. */
export function valley(lrs: number[], losses: number[]): number {
  const n = losses.length;
  const lds = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
    }
    if (lds[maxEnd]! < lds[i]!) {
      maxEnd = i;
      maxStart = maxEnd - lds[maxEnd]!;
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  const idx = maxStart + Math.trunc(sections) + Math.trunc(sections / 2);
  return lrs[Math.max(0, Math.min(n - 1, idx))]!;
}

/** Where the loss falls fastest per unit of log(lr). */
export function steep(lrs: number[], losses: number[]): number {
  let best = 0;
  let bestGrad = Infinity;
  for (let i = 0; i + 1 < lrs.length; i++) {
    const grad = (losses[i + 1]! - losses[i]!) / (Math.log(lrs[i + 1]!) - Math.log(lrs[i]!));
    if (grad < bestGrad) {
      bestGrad = grad;
      best = i;
    }
  }
  return lrs[best]!;
}

/** A tenth of the LR at the lowest loss. */
export function minimum(lrs: number[], losses: number[]): number {
  let best = 0;
  losses.forEach((l, i) => {
    if (l < losses[best]!) best = i;
  });
  return lrs[best]! / 10;
}

/** numpy.gradient with unit spacing: central differences inside, one-sided at the ends. */
export function gradient(values: number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 0);
  return values.map((v, i) => {
    if (i === 0) return values[1]! - v;
    if (i === n - 1) return v - values[n - 2]!;
    return (values[i + 1]! - values[i - 1]!) / 2;
  });
}

/** The interval slide rule: walk left from the end until the loss gradient flattens out. */
export function slide(lrs: number[], losses: number[], lrDiff = 15, thresh = 0.005, adjust = 1): number {
  const n = losses.length;
  const grad = gradient(losses);
  let r = n - 1;
  let l = Math.max(0, r - lrDiff);
  let localMin = lrs[l]!;
  while (l >= 0 && Math.abs(grad[r]! - grad[l]!) > thresh) {
    localMin = lrs[l]!;
    r -= 1;
    l -= 1;
  }
  return localMin * adjust;
}

/** All four suggestions on a sweep planned for `plannedSteps` (fastai's `num_it`). */
export function suggestLrs(points: LrPoint[], plannedSteps: number): Record<LrSuggestion, number> {
  let from = Math.floor(plannedSteps / 10);
  let to = points.length - 5;
  // A sweep that diverged early leaves few points: keep what there is rather than nothing.
  if (to - from < 3) {
    from = 0;
    to = points.length;
  }
  if (to <= 0) throw new Error("LR finder: no points recorded (the loss was not finite from the first step)");
  const kept = points.slice(from, to);
  const lrs = kept.map((p) => p.lr);
  const losses = kept.map((p) => p.smoothed);
  return {
    valley: valley(lrs, losses),
    steep: steep(lrs, losses),
    minimum: minimum(lrs, losses),
    slide: slide(lrs, losses),
  };
}
