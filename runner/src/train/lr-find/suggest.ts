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

/** The points the rules look at: `[from, to)` of the recorded ones. */
function ruleWindow(points: LrPoint[], plannedSteps: number): { from: number; to: number } {
  const from = Math.floor(plannedSteps / 10);
  const to = points.length - 5;
  // A sweep that diverged early leaves few points: keep what there is rather than nothing.
  return to - from < 3 ? { from: 0, to: points.length } : { from, to };
}

/** All four suggestions on a sweep planned for `plannedSteps` (fastai's `num_it`). */
export function suggestLrs(points: LrPoint[], plannedSteps: number): Record<LrSuggestion, number> {
  const { from, to } = ruleWindow(points, plannedSteps);
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

/** Fewer points than this between the skipped head and tail and the curve has no shape to read. */
const MIN_WINDOW = 10;
/** Suggestions this close to the window's start sit on "the first points". */
const HEAD = 3;

/**
 * Why the suggestions of a sweep are not a measurement, or null when they look sound: the rules saw
 * too few points, or most suggestions sit on the first points they saw (a sweep too short, or one
 * that starts past the useful LRs and only ever goes up). The rules still return numbers then, and
 * fastai's would too; this says so instead of letting a run train at a meaningless LR in silence.
 */
export function lrFindWarning(
  points: LrPoint[],
  plannedSteps: number,
  suggestions: Record<LrSuggestion, number>,
): string | null {
  const { from, to } = ruleWindow(points, plannedSteps);
  const seen = Math.max(0, to - from);
  const fix = "raise lr.steps (fastai uses 100) or lower lr.start";
  const stopped = points.length < plannedSteps ? ` (the loss diverged after ${points.length})` : "";
  if (seen < MIN_WINDOW)
    return `LR finder: its rules saw only ${seen} points of a ${plannedSteps}-step sweep${stopped}; the suggestions are guesses: ${fix}`;
  const head = points.slice(from, Math.min(to, from + HEAD)).map((p) => p.lr);
  // `minimum` is a tenth of a point's LR; the other rules return a point's LR as it is.
  const onHead = (Object.entries(suggestions) as [LrSuggestion, number][])
    .filter(([rule, lr]) => head.some((h) => Math.abs(h - (rule === "minimum" ? lr * 10 : lr)) <= 1e-9 * h))
    .map(([rule]) => rule);
  // Three of four: `slide` walks in from the end of the curve, so it can land elsewhere on a loss that only rises.
  if (onHead.length < 3) return null;
  return `LR finder: ${onHead.join(", ")} sit on the first ${HEAD} points of the sweep (${head[0]!.toExponential(1)}..${head.at(-1)!.toExponential(1)})${stopped}, so the curve never showed a valley: ${fix}`;
}
