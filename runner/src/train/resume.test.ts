import { describe, expect, it } from "vitest";
import type { RunEvent } from "@tessera/shared";
import { planResume } from "./resume";
import type { TrainPosition } from "./resume-state";

const ev = (seq: number, type: string, extra: object = {}) => ({ seq, type, ...extra }) as unknown as RunEvent;

describe("planResume", () => {
  const events = [ev(0, "run_started"), ev(1, "stage_started", { stage: "head" }), ev(2, "batch"), ev(3, "epoch")];

  it("without a resume point restarts training and supersedes everything after run_started", () => {
    expect(planResume(events, null)).toEqual({ from: { stage: "head", epoch: 1, step: 0 }, superseded_after_seq: 0 });
  });

  it("with one continues from its position and supersedes what came after its last_seq", () => {
    const position = { stage: "all", epoch: 2, step: 9, last_seq: 3 } as TrainPosition;
    expect(planResume(events, position)).toEqual({
      from: { stage: "all", epoch: 2, step: 9 },
      superseded_after_seq: 3,
    });
  });

  it("refuses finished and never-started runs", () => {
    expect(() => planResume([...events, ev(4, "run_finished")], null)).toThrow(/already finished/);
    expect(() => planResume([], null)).toThrow(/no run_started/);
  });
});
