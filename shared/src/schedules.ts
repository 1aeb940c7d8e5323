/**
 * LR (and momentum) schedules within a stage, as pure functions of the step — fastai v2's
 * formulas (`SchedCos`, `combined_cos`, `fit_one_cycle`, `fit_sgdr`, `fit_flat_cos`). The result
 * is a factor that multiplies every group's max LR, so discriminative LRs keep their ratios.
 */
import type { ResolvedSchedule } from "./resolved";

/** What a schedule says at one step. `momentum` is `null` when the schedule leaves it alone. */
export interface ScheduleValue {
  lrFactor: number;
  momentum: number | null;
}

/** fastai `SchedCos(start, end)(pos)`: half a cosine from `start` (pos 0) to `end` (pos 1). */
export function cosineAnneal(start: number, end: number, pos: number): number {
  return start + ((1 + Math.cos(Math.PI * (1 - pos))) * (end - start)) / 2;
}

/** fastai `combined_cos(pct, start, middle, end)`: cosine up to `middle` at `pct`, then down to `end`. */
export function combinedCos(pct: number, start: number, middle: number, end: number, pos: number): number {
  if (pos < pct) return cosineAnneal(start, middle, pos / pct);
  return cosineAnneal(middle, end, pct >= 1 ? 1 : (pos - pct) / (1 - pct));
}

/**
 * The schedule's value at optimiser step `step` (0-based) of a stage of `totalSteps` steps with
 * `stepsPerEpoch` steps an epoch. Position is `step / totalSteps` as in fastai's ParamScheduler,
 * clamped to [0, 1].
 */
export function scheduleAt(
  schedule: ResolvedSchedule,
  step: number,
  totalSteps: number,
  stepsPerEpoch: number,
): ScheduleValue {
  const pos = totalSteps > 0 ? Math.min(Math.max(step / totalSteps, 0), 1) : 0;
  switch (schedule.name) {
    case "constant":
      return { lrFactor: 1, momentum: null };
    case "one_cycle": {
      const { pct_start, div, div_final, moms } = schedule;
      return {
        lrFactor: combinedCos(pct_start, 1 / div, 1, 1 / div_final, pos),
        momentum: combinedCos(pct_start, moms[0], moms[1], moms[0], pos),
      };
    }
    case "flat_cos":
      // fastai fit_flat_cos: combined_cos(pct_start, lr, lr, lr / div_final) with div_final 1e5.
      return { lrFactor: combinedCos(schedule.pct_start, 1, 1, 1e-5, pos), momentum: null };
    case "sgdr": {
      const epoch = stepsPerEpoch > 0 ? Math.max(step, 0) / stepsPerEpoch : 0;
      const { start, length } = sgdrCycle(epoch, schedule.cycle_epochs, schedule.cycle_mult);
      return {
        lrFactor: cosineAnneal(1, schedule.min_lr_ratio, (epoch - start) / length),
        momentum: null,
      };
    }
  }
}

/** The SGDR cycle holding (fractional) `epoch`: its first epoch and its length in epochs. */
export function sgdrCycle(epoch: number, cycleEpochs: number, cycleMult: number): { start: number; length: number } {
  let start = 0;
  let length = cycleEpochs;
  // A tolerance so step k * stepsPerEpoch lands on the new cycle despite rounding.
  while (epoch >= start + length - 1e-9) {
    start += length;
    length *= cycleMult;
  }
  return { start, length };
}

/** Epochs in the first `n` SGDR cycles (1 + 2 + 4 for n = 3, cycle 1, mult 2). */
export function sgdrEpochs(n: number, cycleEpochs: number, cycleMult: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += cycleEpochs * Math.pow(cycleMult, i);
  return total;
}
