/**
 * An epoch budget for one attempt of a run: stop once the schedule has trained `stopAt` epochs in
 * all (counted over the whole schedule, stage after stage), keeping the resume point, so a later
 * `--resume` with a larger budget continues the same run. ASHA's rungs are such budgets; the run then
 * ends `stopped_early`, not failed.
 */
import type { ResolvedStage } from "@tessera/shared";
import type { TrainHooks } from "./hooks";

/** Where the budget stopped the run, once it did. */
export interface BudgetStop {
  stage: string;
  epoch: number;
  /** Epochs of the whole schedule trained. */
  epochs: number;
}

/** Epochs of the schedule before each stage (by index). */
export function stageOffsets(stages: readonly ResolvedStage[]): number[] {
  let sum = 0;
  return stages.map((s) => {
    const before = sum;
    sum += s.epochs;
    return before;
  });
}

/**
 * The hook: after each epoch, stop the stage (and so the run) when the schedule position reaches
 * `stopAt`. Install it after the resume-point writer, so the point it saved is the one resumed from.
 */
export function epochBudget(
  stages: readonly ResolvedStage[],
  stopAt: number,
): { hooks: TrainHooks; stopped: () => BudgetStop | null } {
  const offsets = stageOffsets(stages);
  const total = stages.reduce((n, s) => n + s.epochs, 0);
  let index = 0;
  let stopped: BudgetStop | null = null;
  return {
    stopped: () => stopped,
    hooks: {
      onStageBegin(info) {
        index = info.stage.index;
      },
      onEpochEnd(logs, control) {
        const epochs = (offsets[index] ?? 0) + logs.epoch;
        if (epochs < stopAt || epochs >= total) return;
        stopped = { stage: logs.stage, epoch: logs.epoch, epochs };
        control.stopStage = true;
        control.reason = `epoch budget: ${epochs} of ${total} epochs`;
      },
    },
  };
}
