import { describe, expect, it } from "vitest";
import type { ResolvedStage } from "@tessera/shared";
import { epochBudget, stageOffsets } from "./epoch-budget";
import type { EpochLogs, LoopControl, StageInfo } from "./hooks";

const stage = (index: number, epochs: number) => ({ name: `s${index}`, index, epochs }) as ResolvedStage;
const stages = [stage(0, 1), stage(1, 3)];

/** Calls the hooks as the loop would for every epoch; returns where the stage was told to stop. */
function drive(stopAt: number): string[] {
  const budget = epochBudget(stages, stopAt);
  const stops: string[] = [];
  for (const s of stages) {
    const control: LoopControl = { stopStage: false, reason: null };
    void budget.hooks.onStageBegin?.({ stage: s } as StageInfo, control);
    for (let epoch = 1; epoch <= s.epochs && !control.stopStage; epoch++) {
      void budget.hooks.onEpochEnd?.({ stage: s.name, epoch } as EpochLogs, control);
      if (control.stopStage) stops.push(`${s.name}:${epoch}`);
    }
    if (control.stopStage) break;
  }
  return stops;
}

describe("epochBudget", () => {
  it("counts epochs over the whole schedule", () => {
    expect(stageOffsets(stages)).toEqual([0, 1]);
    expect(drive(1)).toEqual(["s0:1"]);
    expect(drive(3)).toEqual(["s1:2"]);
  });

  it("never stops at (or past) the end of the schedule: the run just finishes", () => {
    expect(drive(4)).toEqual([]);
    expect(drive(9)).toEqual([]);
  });

  it("records where it stopped", () => {
    const budget = epochBudget(stages, 2);
    const control: LoopControl = { stopStage: false, reason: null };
    void budget.hooks.onStageBegin?.({ stage: stages[1] } as StageInfo, control);
    void budget.hooks.onEpochEnd?.({ stage: "s1", epoch: 1 } as EpochLogs, control);
    expect(budget.stopped()).toEqual({ stage: "s1", epoch: 1, epochs: 2 });
    expect(control.reason).toBe("epoch budget: 2 of 4 epochs");
  });
});
