/**
 * Discriminative learning rates: one LR per layer group, spread geometrically from the first
 * (earliest) group to the last (the head) — fastai's `slice(min, max)` / `even_mults`.
 * The planner and the training engine both call these, so `tessera plan` prints exactly the LRs
 * that train.
 */
import type { ResolvedLr } from "./resolved";

/**
 * `n` LRs from `min` to `max`, evenly spaced in log space (fastai `even_mults`):
 * `spreadLr(1e-8, 1e-6, 3)` -> `[1e-8, 1e-7, 1e-6]`. With one group the group gets `max`.
 */
export function spreadLr(min: number, max: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`spreadLr: n must be a positive integer, received ${n}`);
  if (!(min > 0) || !(max > 0)) throw new RangeError(`spreadLr: LRs must be > 0, received ${min}, ${max}`);
  if (n === 1) return [max];
  const step = Math.pow(max / min, 1 / (n - 1));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i === n - 1 ? max : min * Math.pow(step, i));
  return out;
}

/**
 * The max LR of every group (in network order) for a stage. A fixed LR spreads `{min, max}`; a
 * `find` LR takes the finder's pick as the last group's LR and `pick / spread` as the first's.
 * Every group gets an LR, frozen ones too (as in fastai), so unfreezing later changes nothing else.
 */
export function groupLrs(lr: ResolvedLr, groups: readonly string[], foundLr?: number): Record<string, number> {
  let min: number;
  let max: number;
  if (lr.kind === "fixed") {
    min = lr.min;
    max = lr.max;
  } else {
    if (foundLr === undefined) throw new Error("groupLrs: an lr {find: true} needs the LR finder's result");
    max = foundLr;
    min = foundLr / lr.spread;
  }
  const values = spreadLr(min, max, groups.length);
  return Object.fromEntries(groups.map((g, i) => [g, values[i] as number]));
}
